import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSim, type TestSim } from '../support/sim.js';
import { type ServedHub, startServedHub } from './support/served-hub.js';

/** co-wechat-api's stored token (lib/api_common.js): expireTime = now + (expires_in − 10) s. */
interface CoToken {
  accessToken: string;
  expireTime: number;
}

/** The part of co-wechat-api 3.11 this test drives (lib/api_common.js, lib/api_user.js). */
interface CoWechatApi {
  prefix: string;
  snsPrefix: string;
  getFollowers(nextOpenid?: string): Promise<{ total: number; count: number; data: { openid: string[] } }>;
  getUser(options: { openid: string; lang: string }): Promise<Record<string, unknown>>;
  batchGetUsers(openids: string[]): Promise<{ user_info_list: Record<string, unknown>[] }>;
}

type CoWechatApiCtor = new (
  appid: string,
  appsecret: string,
  getToken?: () => Promise<CoToken | null>,
  saveToken?: (token: CoToken | null) => Promise<void>,
) => CoWechatApi;

const API = createRequire(import.meta.url)('co-wechat-api') as CoWechatApiCtor;

/**
 * co-wechat-api, set up as its README's multi-process example (the token in a shared JSON file
 * through getToken/saveToken), moved to a real `wxhub serve` by its `prefix` and `snsPrefix`, with
 * a client key as its appsecret. It refetches only when it sees 40001/42001 (it calls
 * `saveToken(null)` first) or when its own expireTime passes; so "never saw a token error" is
 * "saveToken was called once, with a token".
 */
describe('co-wechat-api with its prefix pointed at the hub', () => {
  let sim: TestSim;
  let served: ServedHub;
  let appid: string;
  let key: string;
  const openids: string[] = [];

  beforeAll(async () => {
    sim = await startTestSim();
    const account = await sim.account();
    appid = account.appid;
    for (let i = 0; i < 3; i++) openids.push((await sim.user(appid)).openid);
    served = await startServedHub(sim.url, [account]);
    key = await served.key(appid, 'token,proxy');
  });
  afterAll(async () => {
    await served?.close();
    await sim?.close();
  });

  function legacyApi(file: string, saves: (CoToken | null)[]): CoWechatApi {
    const api = new API(
      appid,
      key,
      async () => {
        try {
          return JSON.parse(readFileSync(file, 'utf8')) as CoToken | null;
        } catch {
          return null;
        }
      },
      async (token) => {
        saves.push(token);
        writeFileSync(file, JSON.stringify(token));
      },
    );
    api.prefix = `${served.hub.url}/cgi-bin/`;
    api.snsPrefix = `${served.hub.url}/sns/`;
    return api;
  }

  async function readEveryone(api: CoWechatApi): Promise<void> {
    const followers = await api.getFollowers();
    expect(followers.total).toBe(3);
    expect([...followers.data.openid].sort()).toEqual([...openids].sort());
    for (const openid of followers.data.openid) {
      expect(await api.getUser({ openid, lang: 'zh_CN' })).toMatchObject({ openid, subscribe: 1 });
    }
  }

  const tokenErrorsAtWeChat = async () => {
    const { errors } = await sim.stats();
    return (errors['40001'] ?? 0) + (errors['40014'] ?? 0) + (errors['42001'] ?? 0);
  };

  it('getFollowers, getUser and batchGetUsers keep working while its cached token is long dead', async () => {
    const file = join(served.dir, 'co-wechat-token.json');
    const saves: (CoToken | null)[] = [];
    const api = legacyApi(file, saves);
    const tokenFetches = () => sim.calls(appid, '/cgi-bin/token');

    await readEveryone(api);
    expect(saves).toHaveLength(1);
    expect(saves[0]?.accessToken).toMatch(/^[A-Za-z0-9_-]{100,512}$/);
    expect(await tokenFetches()).toBe(1);

    // Six hours of WeChat time and someone else's fetch later, the token behind its cache is dead.
    await sim.advance(6 * 3600);
    await sim.invalidate(appid, true);
    const deadBefore = await tokenErrorsAtWeChat();
    await readEveryone(api);
    // A second process sharing the file, and a POST whose body the hub must resend after refreshing.
    const otherProcess = legacyApi(file, saves);
    await sim.invalidate(appid, true);
    const batch = await otherProcess.batchGetUsers(openids);
    expect(batch.user_info_list.map((u) => u.openid)).toEqual(openids);

    expect(saves, 'co-wechat-api never saw 40001/42001, never refetched').toHaveLength(1);
    expect(await tokenErrorsAtWeChat(), 'the hub met the dead tokens').toBe(deadBefore + 2);
    expect(await tokenFetches()).toBe(3);
  });
});
