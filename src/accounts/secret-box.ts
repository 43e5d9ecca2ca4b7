import type { Config } from '../config/index.js';
import { WxhubError } from '../errors/index.js';
import { parseEncryptionKey, sealedKeyId, TokenCipher } from '../oauth/token-cipher.js';

/** The environment variable read for the secrets key when the configuration names none. */
export const SECRETS_KEY_ENV = 'WXHUB_SECRET_KEY';

/** How a person is told to provide the key. */
export const SECRETS_KEY_HINT = `set ${SECRETS_KEY_ENV} (32 bytes as base64 or 64 hex digits, e.g. \`openssl rand -base64 32\`) or "secretsKey": "env:NAME" in the configuration`;

/** The associated data of a sealed appsecret: a value copied into another account's row does not open. */
function context(appid: string): string {
  return `wxhub:appsecret:${appid}`;
}

/**
 * Seals and opens the appsecrets of runtime accounts for the database, with the AES-256-GCM
 * cipher the login flow uses for web tokens (src/oauth/token-cipher.ts), bound to the appid.
 * Errors name key ids (8 hex digits of the key's SHA-256), never a key or a secret.
 */
export class SecretBox {
  readonly #cipher: TokenCipher;

  constructor(key: Buffer) {
    this.#cipher = new TokenCipher(key);
  }

  /**
   * The box of the configured key: `secretsKey` of the configuration, else `$WXHUB_SECRET_KEY`;
   * null when neither is set. A malformed key is `WXHUB_ERR_INVALID_CONFIG` naming where it came from.
   */
  static fromConfig(
    config: Pick<Config, 'secretsKey'>,
    env: NodeJS.ProcessEnv = process.env,
  ): SecretBox | null {
    if (config.secretsKey) return new SecretBox(parseEncryptionKey(config.secretsKey, 'secretsKey'));
    const text = env[SECRETS_KEY_ENV];
    if (!text) return null;
    return new SecretBox(parseEncryptionKey(text, SECRETS_KEY_ENV));
  }

  /** Which key this is, as sealed values name it. */
  get keyId(): string {
    return this.#cipher.keyId;
  }

  seal(appid: string, secret: string): string {
    return this.#cipher.seal(secret, context(appid));
  }

  /**
   * The appsecret of `appid`, or `WXHUB_ERR_SECRETS_KEY`: sealed with another key (the ids are
   * named), or not openable with this one (tampered with, or copied from another account).
   */
  open(appid: string, sealed: string): string {
    const opened = this.#cipher.open(sealed, context(appid));
    if (opened !== null) return opened;
    const sealedWith = sealedKeyId(sealed);
    if (sealedWith !== undefined && sealedWith !== this.keyId) {
      throw new WxhubError(
        'WXHUB_ERR_SECRETS_KEY',
        `the appsecret of ${appid} was sealed with key ${sealedWith}, but the configured secrets key is ${this.keyId}: start the hub with the key that sealed it`,
      );
    }
    throw new WxhubError(
      'WXHUB_ERR_SECRETS_KEY',
      `the stored appsecret of ${appid} does not open with key ${this.keyId} (altered in the database?): set it again with wxhub accounts set-secret`,
    );
  }
}

/** The error of a database holding sealed appsecrets while no key is configured. */
export function missingSecretsKey(what: string): WxhubError {
  return new WxhubError('WXHUB_ERR_SECRETS_KEY', `${what}: ${SECRETS_KEY_HINT}`);
}
