import type { Database } from '../db/index.js';
import { WxhubError } from '../errors/index.js';
import type { TokenCipher } from '../oauth/token-cipher.js';

/**
 * A secret the whole fleet shares, kept in the database settings sealed with the login flow's
 * cipher (AES-256-GCM under `oauth.encryptionKey`), so reading the database is not enough to
 * sign tokens or forge cookies. The first hub to start creates it; every other one reads it.
 */
export class SealedSetting<T> {
  constructor(
    private readonly database: Database,
    private readonly cipher: TokenCipher,
    /** The settings row, also the sealing context (a sealed value copied to another row won't open). */
    readonly name: string,
  ) {}

  /** The stored value, created with `create()` when there is none yet. */
  async getOrCreate(create: () => T): Promise<T> {
    return this.#open(await this.#storedOrCreated(create));
  }

  /** The stored value, or null when there is none. */
  async get(): Promise<T | null> {
    const stored = await this.database.settings.get(this.name);
    return stored === null ? null : this.#open(stored);
  }

  /** The raw sealed row (to notice another hub's change cheaply). */
  raw(): Promise<string | null> {
    return this.database.settings.get(this.name);
  }

  /** Applies `change` to the stored value with compare-and-set (retried when another hub raced); resolves the new value. */
  async update(create: () => T, change: (current: T) => T): Promise<T> {
    for (;;) {
      const before = await this.#storedOrCreated(create);
      const next = change(this.#open(before));
      if (await this.database.settings.compareAndSet(this.name, before, this.#seal(next))) return next;
    }
  }

  /**
   * The sealed row, written from `create()` only when there is none: creating may be costly (key
   * pairs are generated on the event loop), so a row that exists is read, never made again.
   */
  async #storedOrCreated(create: () => T): Promise<string> {
    const stored = await this.database.settings.get(this.name);
    return stored ?? this.database.settings.putIfAbsent(this.name, this.#seal(create()));
  }

  #seal(value: T): string {
    return this.cipher.seal(JSON.stringify(value), `wxhub:setting:${this.name}`);
  }

  #open(sealed: string): T {
    const plain = this.cipher.open(sealed, `wxhub:setting:${this.name}`);
    if (plain === null)
      throw new WxhubError(
        'WXHUB_ERR_INVALID_CONFIG',
        `database setting ${this.name} does not open with this oauth.encryptionKey (set the key the fleet was started with)`,
      );
    return JSON.parse(plain) as T;
  }
}
