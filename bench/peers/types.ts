/** The libraries the token benchmarks compare, and how each one is set up. */
export type PeerName = 'wxhub' | 'co-wechat-api' | 'node-easywechat';

/**
 * Where a library keeps its token:
 * - wxhub: a Store URL (`sqlite:PATH`, `redis://…`, `memory:`);
 * - co-wechat-api: `memory` (its default) or `file:PATH` (its README's multi-process getToken/saveToken);
 * - node-easywechat: `file:DIR` (its default FileCache) or `memory` (a Map behind its CacheInterface).
 */
export interface PeerSpec {
  readonly peer: PeerName;
  readonly store: string;
  readonly appid: string;
  readonly secret: string;
  /** The simulator's base URL: every WeChat host of the library points here. */
  readonly simUrl: string;
  /** wxhub on Redis: a key prefix of its own for this run. */
  readonly keyPrefix?: string;
}

/** One library, used the way business code uses it. */
export interface PeerAdapter {
  readonly spec: PeerSpec;
  /** The library's token getter, resolving the token string. */
  getToken(): Promise<string>;
  /**
   * The library's own warm token call, bound and unwrapped (no adapter code around it), for the
   * hot-path benchmark: what it resolves is the library's own return value.
   */
  readonly tokenCall: () => Promise<unknown>;
  /**
   * `GET /cgi-bin/user/info` through the library's own method, with its own retry on a dead token.
   * Resolves the user; rejects when the call still failed (an errcode, a transport error).
   */
  getUser(openid: string): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

/** A failed call: WeChat's errcode when there was one. */
export class PeerCallError extends Error {
  constructor(
    message: string,
    readonly errcode: number | undefined,
  ) {
    super(message);
    this.name = 'PeerCallError';
  }
}

/** The errcode of a failure from any of the libraries, or a short tag for non-WeChat failures. */
export function failureCode(err: unknown): string {
  if (err && typeof err === 'object') {
    const e = err as { errcode?: unknown; code?: unknown; name?: unknown };
    if (typeof e.errcode === 'number') return String(e.errcode);
    if (typeof e.code === 'number') return String(e.code);
    if (typeof e.code === 'string') return e.code;
    if (typeof e.name === 'string') return e.name;
  }
  return 'unknown';
}
