import { readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { PeerAdapter, PeerSpec } from './types.js';

/** co-wechat-api's stored token: `{accessToken, expireTime}` (expireTime = now + (expires_in − 10) s). */
interface CoToken {
  readonly accessToken: string;
  readonly expireTime: number;
}

/** The part of co-wechat-api's API class the benchmarks use (lib/api_common.js, lib/api_user.js). */
interface CoWechatApi {
  /** Base of every `/cgi-bin/` URL; public, documented in the source. */
  prefix: string;
  snsPrefix: string;
  ensureAccessToken(): Promise<CoToken>;
  getUser(options: { openid: string; lang: string }): Promise<Record<string, unknown>>;
}

type CoWechatApiCtor = new (
  appid: string,
  appsecret: string,
  getToken?: () => Promise<CoToken | null>,
  saveToken?: (token: CoToken | null) => Promise<void>,
) => CoWechatApi;

const require = createRequire(import.meta.url);
const API = require('co-wechat-api') as CoWechatApiCtor;

/**
 * co-wechat-api 3.11 as its README says:
 * - `memory` — `new API(appid, secret)`: the token in the instance (its single-process default);
 * - `file:PATH` — the README's "多进程" setup, `getToken` reading and `saveToken` writing one JSON
 *   file that every process shares. The README's snippet would throw while the file is missing or
 *   half-written by another process; here those read as "no token" (it then fetches), the most
 *   forgiving version of the documented design.
 * Its `prefix` (and `snsPrefix`) point at the simulator. Its own retry is kept: on 40001/42001 it
 * calls `saveToken(null)`, fetches a new token and retries, up to 3 times.
 */
export function createCoWechatAdapter(spec: PeerSpec): PeerAdapter {
  let api: CoWechatApi;
  if (spec.store === 'memory') {
    api = new API(spec.appid, spec.secret);
  } else if (spec.store.startsWith('file:')) {
    const file = spec.store.slice('file:'.length);
    api = new API(
      spec.appid,
      spec.secret,
      async () => {
        try {
          return JSON.parse(await readFile(file, 'utf8')) as CoToken | null;
        } catch {
          return null;
        }
      },
      async (token) => {
        await writeFile(file, JSON.stringify(token));
      },
    );
  } else {
    throw new Error(`co-wechat-api: unsupported store ${spec.store}`);
  }
  api.prefix = `${spec.simUrl}/cgi-bin/`;
  api.snsPrefix = `${spec.simUrl}/sns/`;
  return {
    spec,
    getToken: async () => (await api.ensureAccessToken()).accessToken,
    tokenCall: api.ensureAccessToken.bind(api),
    getUser: (openid) => api.getUser({ openid, lang: 'zh_CN' }),
    close: async () => {},
  };
}
