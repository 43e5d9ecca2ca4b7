import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { type PeerAdapter, PeerCallError, type PeerSpec } from './types.js';

/** node-easywechat's CacheInterface (dist/Core/Contracts/CacheInterface.d.ts). */
interface EasyCache {
  get(key: string): Promise<unknown>;
  has(key: string): Promise<boolean>;
  set(key: string, data?: unknown, lifetime?: number): Promise<boolean>;
  delete(key: string): Promise<boolean>;
}

interface EasyResponse {
  toObject(): Record<string, unknown>;
}

/** The parts of node-easywechat's OfficialAccount the benchmarks use. */
interface EasyOfficialAccount {
  setCache(cache: EasyCache): unknown;
  getAccessToken(): { getToken(): Promise<string> };
  getClient(): { get(url: string, payload?: { params?: Record<string, string> }): Promise<EasyResponse> };
}

type EasyOfficialAccountCtor = new (config: Record<string, unknown>) => EasyOfficialAccount;

const require = createRequire(import.meta.url);
const { OfficialAccount } = require('node-easywechat') as { OfficialAccount: EasyOfficialAccountCtor };

/**
 * A Map behind node-easywechat's CacheInterface with the lifetime it is given, the way its README's
 * Redis cacher keeps it (for the single-process hot path; not shared across processes).
 */
class MemoryCache implements EasyCache {
  readonly #items = new Map<string, { data: unknown; until: number }>();
  async get(key: string): Promise<unknown> {
    const item = this.#items.get(key);
    return item && (item.until === 0 || Date.now() < item.until) ? item.data : null;
  }
  async has(key: string): Promise<boolean> {
    return (await this.get(key)) !== null;
  }
  async set(key: string, data: unknown = null, lifetime = 0): Promise<boolean> {
    this.#items.set(key, { data, until: lifetime > 0 ? Date.now() + lifetime * 1000 : 0 });
    return true;
  }
  async delete(key: string): Promise<boolean> {
    return this.#items.delete(key);
  }
}

/**
 * node-easywechat 3.6 as its README configures it: `new OfficialAccount({app_id, secret, http:
 * {baseURL}, file_cache: {path}})`, the `http.baseURL` moving both the token fetch and API calls
 * to the simulator.
 * - `file:DIR` — its default FileCache in a directory every process shares (its multi-process
 *   story: the cache is the shared state; the README suggests a Redis CacheInterface for more);
 * - `memory` — a Map behind its CacheInterface (the best case for one process).
 * It has no retry on a dead token (40001/42001): a caller sees the errcode.
 */
export function createEasyWechatAdapter(spec: PeerSpec): PeerAdapter {
  const config: Record<string, unknown> = {
    app_id: spec.appid,
    secret: spec.secret,
    token: 'bench',
    http: { baseURL: `${spec.simUrl}/` },
  };
  if (spec.store.startsWith('file:')) {
    const path = spec.store.slice('file:'.length);
    // Its FileCache checks the directory, then mkdirs it, and throws when another process made it
    // in between: processes starting together race. The shared directory exists before any of them.
    mkdirSync(path, { recursive: true });
    config.file_cache = { path, fileMode: 0o666, ext: '.cache' };
  } else if (spec.store !== 'memory') {
    throw new Error(`node-easywechat: unsupported store ${spec.store}`);
  }
  const app = new OfficialAccount(config);
  if (spec.store === 'memory') app.setCache(new MemoryCache());
  const accessToken = app.getAccessToken();
  const client = app.getClient();
  return {
    spec,
    getToken: () => accessToken.getToken(),
    tokenCall: accessToken.getToken.bind(accessToken),
    getUser: async (openid) => {
      const body = (await client.get('cgi-bin/user/info', { params: { openid, lang: 'zh_CN' } })).toObject();
      const errcode = body.errcode;
      if (typeof errcode === 'number' && errcode !== 0) {
        throw new PeerCallError(`user/info errcode ${errcode}`, errcode);
      }
      return body;
    },
    close: async () => {},
  };
}
