import { Redis, type RedisOptions } from 'ioredis';
import { WxhubError } from '../errors/index.js';
import { checkUrlProtocol, redactUrlPassword, urlPassword, urlSecrets } from '../sql/connection-url.js';
import { type DriverTarget, storeUnavailable } from '../sql/driver-error.js';
import { ChannelWakers } from './channel-wakers.js';
import { CredentialListeners } from './credential-listeners.js';
import {
  ACQUIRE_LEASE,
  CAS_CREDENTIAL,
  DELETE_CREDENTIAL,
  INCREMENT_COUNTER,
  RELEASE_LEASE,
} from './redis-scripts.js';
import { parseSentinelUrl } from './redis-sentinel-url.js';
import type { CredentialInput, CredentialRecord, Store } from './store.js';
import { checkCompareAndSet, checkInteger, checkName, checkString, checkTtl } from './validate.js';

const DAY_MS = 86_400_000;

export interface RedisStoreOptions {
  /**
   * `redis://[user:password@]host:port/db`, `rediss://...` (TLS), or
   * `redis+sentinel://[user:password@]host[:port][,host[:port]...]/MASTER[/db]` (Sentinel: the
   * master is asked of the sentinels and followed across failovers).
   */
  readonly url: string;
  /** Prepended to every key and to the pub/sub channel. Default `wxhub:`. */
  readonly keyPrefix?: string;
  /** How long a call waits for a connection attempt in progress, ms. Default 2000. */
  readonly connectTimeoutMs?: number;
  /** How long a command may take before it fails, ms. Default 2000. */
  readonly commandTimeoutMs?: number;
  /** ioredis options, applied over wxhub's (do not set ioredis' own `keyPrefix`: use ours). */
  readonly redis?: RedisOptions;
}

/** Reconnect delays: 50 ms doubling to a 2 s cap, forever, so a restarted Redis is found again. */
export function defaultRedisRetryStrategy(attempt: number): number {
  return Math.min(50 * 2 ** Math.max(0, attempt - 1), 2000);
}

interface ScriptCommands {
  wxhubCas(key: string, ...args: (string | number)[]): Promise<number | null>;
  wxhubDelete(key: string, ...args: string[]): Promise<number>;
  wxhubAcquire(key: string, owner: string, ttlMs: number): Promise<number>;
  wxhubRelease(key: string, owner: string): Promise<number>;
  wxhubIncrement(key: string, by: number, ttlMs: number): Promise<number>;
}

/**
 * The Store for a fleet of hubs: one Redis shared by every process on every machine.
 *
 * Keys (with the default prefix): `wxhub:cred:KEY` a hash {value, expiresAt, fetchedAt, version};
 * `wxhub:lease:NAME` the owner with a PX expiry; `wxhub:counter:NAME:WINDOW` an integer with a PX
 * expiry (name and window URI-encoded); `wxhub:once:KEY` a value with a PX expiry; credential
 * writes are published on the channel `wxhub:credentials`. Check-then-write operations are Lua
 * scripts (atomic on the server). Expiry uses Redis' clock, so hub clocks need not agree.
 *
 * Calls fail fast with `WXHUB_ERR_STORE_UNAVAILABLE` while Redis is unreachable (no offline
 * queue, nothing resent) and the connection keeps retrying in the background, so the store
 * recovers by itself when Redis comes back.
 */
export class RedisStore implements Store {
  /** The wait for each connection's attempt in progress, shared by the calls that arrive meanwhile. */
  readonly #connecting = new WeakMap<Redis, Promise<void>>();
  readonly kind = 'redis' as const;
  readonly keyPrefix: string;
  readonly #target: DriverTarget;
  readonly #connectTimeoutMs: number;
  readonly #commandTimeoutMs: number;
  readonly #redis: Redis;
  readonly #scripts: ScriptCommands;
  readonly #channel: string;
  readonly #listeners = new CredentialListeners();
  /** Other channels on the subscriber connection: the gateway's event log. */
  readonly #channels = new ChannelWakers();
  #subscriber: Redis | undefined;
  #subscribing: Promise<void> | undefined;
  #lastError: Error | undefined;
  #closed = false;

  constructor(urlOrOptions: string | RedisStoreOptions) {
    const options: RedisStoreOptions =
      typeof urlOrOptions === 'string' ? { url: urlOrOptions } : urlOrOptions;
    const sentinel = typeof options?.url === 'string' ? parseSentinelUrl(options.url) : null;
    if (!sentinel) checkUrlProtocol(options?.url, ['redis:', 'rediss:']);
    this.keyPrefix = options.keyPrefix ?? 'wxhub:';
    checkString('keyPrefix', this.keyPrefix);
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 2000;
    this.#commandTimeoutMs = options.commandTimeoutMs ?? 2000;
    checkTtl('connectTimeoutMs', this.#connectTimeoutMs);
    checkTtl('commandTimeoutMs', this.#commandTimeoutMs);
    this.#target = {
      backend: 'redis',
      where: redactUrlPassword(options.url),
      secrets: urlSecrets(options.url, sentinel ? sentinel.password : urlPassword(options.url)),
    };
    this.#channel = `${this.keyPrefix}credentials`;

    const ours: RedisOptions = {
      // Not ioredis' commandTimeout: its timer outlives a rejected command (every first EVALSHA
      // of a script is one) and holds the process open after close(). #call times out instead.
      connectTimeout: this.#connectTimeoutMs,
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
      retryStrategy: defaultRedisRetryStrategy,
      ...options.redis,
    };
    this.#redis = sentinel ? new Redis({ ...sentinel, ...ours }) : new Redis(options.url, ours);
    this.#redis.on('error', (err: Error) => {
      this.#lastError = err;
    });
    this.#redis.defineCommand('wxhubCas', { numberOfKeys: 1, lua: CAS_CREDENTIAL });
    this.#redis.defineCommand('wxhubDelete', { numberOfKeys: 1, lua: DELETE_CREDENTIAL });
    this.#redis.defineCommand('wxhubAcquire', { numberOfKeys: 1, lua: ACQUIRE_LEASE });
    this.#redis.defineCommand('wxhubRelease', { numberOfKeys: 1, lua: RELEASE_LEASE });
    this.#redis.defineCommand('wxhubIncrement', { numberOfKeys: 1, lua: INCREMENT_COUNTER });
    this.#scripts = this.#redis as unknown as ScriptCommands;
  }

  async getCredential(key: string): Promise<CredentialRecord | null> {
    checkName('key', key);
    const hash = await this.#call((r) => r.hgetall(this.#credKey(key)));
    if (!hash.version) return null;
    return {
      value: hash.value ?? '',
      expiresAt: Number(hash.expiresAt),
      fetchedAt: Number(hash.fetchedAt),
      version: Number(hash.version),
    };
  }

  async compareAndSetCredential(
    key: string,
    expectedVersion: number,
    next: CredentialInput,
  ): Promise<CredentialRecord | null> {
    checkCompareAndSet(key, expectedVersion, next);
    const version = await this.#call(() =>
      this.#scripts.wxhubCas(
        this.#credKey(key),
        expectedVersion,
        next.value,
        next.expiresAt,
        next.fetchedAt,
        this.#channel,
        key,
      ),
    );
    if (version === null) return null;
    return {
      value: next.value,
      expiresAt: next.expiresAt,
      fetchedAt: next.fetchedAt,
      version: Number(version),
    };
  }

  async deleteCredential(key: string): Promise<void> {
    checkName('key', key);
    await this.#call(() => this.#scripts.wxhubDelete(this.#credKey(key), this.#channel, key));
  }

  async acquireLease(name: string, owner: string, ttlMs: number): Promise<boolean> {
    checkName('name', name);
    checkName('owner', owner);
    checkTtl('ttlMs', ttlMs);
    return (await this.#call(() => this.#scripts.wxhubAcquire(this.#key('lease', name), owner, ttlMs))) === 1;
  }

  async releaseLease(name: string, owner: string): Promise<boolean> {
    checkName('name', name);
    checkName('owner', owner);
    return (await this.#call(() => this.#scripts.wxhubRelease(this.#key('lease', name), owner))) === 1;
  }

  async incrementCounter(name: string, window: string, by = 1, ttlMs = 2 * DAY_MS): Promise<number> {
    checkName('name', name);
    checkName('window', window);
    checkInteger('by', by);
    checkTtl('ttlMs', ttlMs);
    return Number(
      await this.#call(() => this.#scripts.wxhubIncrement(this.#counterKey(name, window), by, ttlMs)),
    );
  }

  async getCounter(name: string, window: string): Promise<number> {
    checkName('name', name);
    checkName('window', window);
    return Number((await this.#call((r) => r.get(this.#counterKey(name, window)))) ?? 0);
  }

  async putOnce(key: string, value: string, ttlMs: number): Promise<boolean> {
    checkName('key', key);
    checkString('value', value);
    checkTtl('ttlMs', ttlMs);
    return (await this.#call((r) => r.set(this.#key('once', key), value, 'PX', ttlMs, 'NX'))) === 'OK';
  }

  async takeOnce(key: string): Promise<string | null> {
    checkName('key', key);
    return this.#call((r) => r.getdel(this.#key('once', key)));
  }

  async setDocument(key: string, value: string, ttlMs: number): Promise<void> {
    checkName('key', key);
    checkString('value', value);
    checkTtl('ttlMs', ttlMs);
    await this.#call((r) => r.set(this.#key('once', key), value, 'PX', ttlMs));
  }

  async getDocument(key: string): Promise<string | null> {
    checkName('key', key);
    return this.#call((r) => r.get(this.#key('once', key)));
  }

  async deleteDocument(key: string): Promise<void> {
    checkName('key', key);
    await this.#call((r) => r.del(this.#key('once', key)));
  }

  /**
   * Listens on the pub/sub channel through a second connection, opened on the first call. Writes
   * arrive within a network round trip. Pub/sub drops messages while the subscriber is
   * disconnected, so after a reconnect every stored credential key is reported once: listeners
   * re-read, nothing is missed.
   */
  async watchCredentials(listener: (key: string) => void): Promise<() => void> {
    if (typeof listener !== 'function')
      throw new WxhubError('WXHUB_ERR_INVALID_ARGUMENT', 'listener must be a function');
    await this.#subscribed();
    return this.#listeners.add(listener);
  }

  /**
   * @internal One command on the store's connection, with the store's readiness wait, timeout and
   * error mapping: for the gateway's event log, which keeps its streams under the same prefix.
   * Not a public contract.
   */
  command<T>(fn: (redis: Redis) => Promise<T>): Promise<T> {
    return this.#call(fn);
  }

  /**
   * @internal Calls `wake` on each message published on `channel` (the full name) and after each
   * reconnect of the subscriber connection, when messages may have been missed; shares that
   * connection with `watchCredentials`. Resolves an unsubscribe function. Not a public contract.
   */
  async listen(channel: string, wake: () => void): Promise<() => void> {
    checkName('channel', channel);
    await this.#subscribed();
    return this.#channels.add(channel, wake, () => this.#bounded(this.#subscriber!.subscribe(channel)));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#listeners.clear();
    this.#channels.clear();
    await Promise.all([shutdown(this.#redis), this.#subscriber ? shutdown(this.#subscriber) : undefined]);
  }

  #key(kind: string, name: string): string {
    return `${this.keyPrefix}${kind}:${name}`;
  }

  #credKey(key: string): string {
    return `${this.keyPrefix}cred:${key}`;
  }

  #counterKey(name: string, window: string): string {
    return `${this.keyPrefix}counter:${encodeURIComponent(name)}:${encodeURIComponent(window)}`;
  }

  #checkOpen(): void {
    if (this.#closed)
      throw new WxhubError('WXHUB_ERR_STORE_UNAVAILABLE', `redis ${this.#target.where}: store is closed`);
  }

  #unavailable(err: unknown): WxhubError {
    return storeUnavailable(this.#target, err);
  }

  async #call<T>(fn: (redis: Redis) => Promise<T>): Promise<T> {
    this.#checkOpen();
    await this.#ready(this.#redis);
    let pending: Promise<T>;
    try {
      pending = fn(this.#redis);
    } catch (err) {
      throw this.#unavailable(err);
    }
    return this.#bounded(pending);
  }

  /** Settles with `pending`, or fails after `commandTimeoutMs`; every failure is STORE_UNAVAILABLE. */
  async #bounded<T>(pending: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`command timed out after ${this.#commandTimeoutMs} ms`)),
        this.#commandTimeoutMs,
      );
    });
    try {
      return await Promise.race([pending, timeout]);
    } catch (err) {
      throw this.#unavailable(err);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Resolves when `conn` can take commands. A connection attempt in progress is waited for (up to
   * `connectTimeoutMs`); a connection known to be down fails at once, since the retry loop runs
   * in the background anyway.
   */
  async #ready(conn: Redis): Promise<void> {
    if (conn.status === 'ready') return;
    if (conn.status === 'wait') conn.connect().catch(() => undefined);
    if (conn.status !== 'connecting' && conn.status !== 'connect' && conn.status !== 'wait')
      throw this.#unavailable(this.#lastError ?? new Error(`connection is ${conn.status}`));
    // One wait per connection attempt, shared by every caller: a burst of calls while connecting
    // adds three listeners in all, not three each.
    let waiting = this.#connecting.get(conn);
    if (!waiting) {
      waiting = this.#waitForReady(conn).finally(() => this.#connecting.delete(conn));
      this.#connecting.set(conn, waiting);
    }
    await waiting;
  }

  #waitForReady(conn: Redis): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const done = (err?: Error) => {
        clearTimeout(timer);
        conn.off('ready', onReady);
        conn.off('close', onClose);
        conn.off('end', onClose);
        if (err) reject(this.#unavailable(err));
        else resolve();
      };
      const onReady = () => done();
      const onClose = () => done(this.#lastError ?? new Error('connection closed'));
      const timer = setTimeout(
        () => done(new Error(`not connected after ${this.#connectTimeoutMs} ms`)),
        this.#connectTimeoutMs,
      );
      conn.once('ready', onReady);
      conn.once('close', onClose);
      conn.once('end', onClose);
    });
  }

  async #subscribed(): Promise<void> {
    this.#checkOpen();
    this.#subscribing ??= this.#subscribe().catch((err) => {
      this.#subscribing = undefined;
      this.#subscriber?.disconnect();
      this.#subscriber = undefined;
      throw err;
    });
    await this.#subscribing;
  }

  async #subscribe(): Promise<void> {
    const sub = this.#redis.duplicate();
    this.#subscriber = sub;
    let connectedBefore = false;
    sub.on('error', (err: Error) => {
      this.#lastError = err;
    });
    sub.on('message', (channel: string, key: string) => {
      if (channel === this.#channel) this.#listeners.emit(key);
      else this.#channels.wake(channel);
    });
    sub.on('ready', () => {
      if (connectedBefore) {
        void this.#resync();
        this.#channels.wakeAll();
      }
      connectedBefore = true;
    });
    await this.#ready(sub);
    await this.#bounded(sub.subscribe(this.#channel));
  }

  /** Reports every stored credential key: the subscriber was away and may have missed writes. */
  async #resync(): Promise<void> {
    try {
      const prefix = `${this.keyPrefix}cred:`;
      let cursor = '0';
      do {
        const [next, keys] = await this.#call((r) =>
          r.scan(cursor, 'MATCH', `${escapeGlob(prefix)}*`, 'COUNT', 500),
        );
        cursor = next;
        for (const k of keys) this.#listeners.emit(k.slice(prefix.length));
      } while (cursor !== '0');
    } catch {
      // Redis went away again: the next reconnect resyncs
    }
  }
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

/** QUIT when connected (flushes replies), else drop the socket and stop reconnecting. */
async function shutdown(conn: Redis): Promise<void> {
  if (conn.status === 'ready') {
    try {
      await conn.quit();
      return;
    } catch {
      // fall through to a hard disconnect
    }
  }
  conn.disconnect();
}
