import { execFile, execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findBinary } from '../support/binaries.js';
import { missing } from '../support/ci.js';
import { startTestSim, type TestSim } from '../support/sim.js';
import { type ServedHub, startServedHub } from './support/served-hub.js';

/**
 * A tutorial-style PHP client (php-cli + php-curl, Debian packages) moved to the hub by replacing
 * `https://api.weixin.qq.com` and nothing else, with a client key where the appsecret was.
 */
const SCRIPT = join(import.meta.dirname, 'php', 'tutorial-client.php');
const WECHAT = 'https://api.weixin.qq.com';

function phpWithCurl(): boolean {
  try {
    return execFileSync('php', ['-m'], { encoding: 'utf8' }).split('\n').includes('curl');
  } catch {
    return false;
  }
}

const php =
  findBinary('php') && phpWithCurl()
    ? true
    : missing('php-cli with the curl module', 'apt-get install php-cli php-curl');

interface PhpRun {
  token_fetches: number;
  total: number | null;
  users: { openid: string; subscribe: number }[];
  errors: string[];
}

describe.skipIf(!php)('a WeChat-tutorial PHP script, moved to the hub by its host', () => {
  let sim: TestSim;
  let served: ServedHub;
  let appid: string;
  let openids: string[];
  let script: string;
  let run: (cacheFile: string) => Promise<PhpRun>;

  beforeAll(async () => {
    sim = await startTestSim();
    const account = await sim.account();
    appid = account.appid;
    openids = [];
    for (let i = 0; i < 3; i++) openids.push((await sim.user(appid)).openid);
    served = await startServedHub(sim.url, [account]);
    const key = await served.key(appid, 'token,proxy');

    // The only change to the legacy code: the host.
    const original = readFileSync(SCRIPT, 'utf8');
    const moved = original.replaceAll(WECHAT, served.hub.url);
    expect(moved.split(served.hub.url).join(WECHAT)).toBe(original);
    expect(original.split(`"${WECHAT}/cgi-bin/`).length - 1, 'token, user/get, user/info').toBe(3);
    script = join(served.dir, 'tutorial-client.php');
    writeFileSync(script, moved);
    run = async (cacheFile) => {
      const { stdout } = await promisify(execFile)('php', [script, appid, key, cacheFile], {
        timeout: 20_000,
      });
      return JSON.parse(stdout) as PhpRun;
    };
  });
  afterAll(async () => {
    await served?.close();
    await sim?.close();
  });

  it('lists the followers and reads each, and keeps working after its cached token is long dead', async () => {
    const cache = join(served.dir, 'access_token.json');
    const tokenFetches = () => sim.calls(appid, '/cgi-bin/token');

    const first = await run(cache);
    expect(first.errors).toEqual([]);
    expect(first.token_fetches).toBe(1);
    expect(first.total).toBe(3);
    expect(first.users.map((u) => u.openid).sort()).toEqual([...openids].sort());
    const cached = JSON.parse(readFileSync(cache, 'utf8')) as { access_token: string; expire_time: number };
    expect(cached.expire_time).toBeGreaterThan(Date.now() / 1000 + 6900);
    expect(await tokenFetches()).toBe(1);

    // WeChat's clock runs 6 hours on and someone else fetched: the real token behind the PHP's
    // cached one is long dead, but the PHP's expire_time says it is still good.
    await sim.advance(6 * 3600);
    await sim.invalidate(appid, true);
    const errorsBefore = (await sim.stats()).errors;
    const second = await run(cache);
    expect(second.errors).toEqual([]);
    expect(second.token_fetches).toBe(0);
    expect(second.users).toHaveLength(3);
    // The hub met the dead token (WeChat answered it with a token error), refreshed once, retried.
    const errorsAfter = (await sim.stats()).errors;
    const tokenErrors = ['40001', '40014', '42001'].reduce(
      (n, code) => n + (errorsAfter[code] ?? 0) - (errorsBefore[code] ?? 0),
      0,
    );
    expect(tokenErrors).toBeGreaterThanOrEqual(1);
    expect(await tokenFetches()).toBe(2);

    // Its cache file expired by its own rule: it asks the hub again; the hub has a token already.
    writeFileSync(cache, JSON.stringify({ ...cached, expire_time: Math.floor(Date.now() / 1000) - 1 }));
    const third = await run(cache);
    expect(third.errors).toEqual([]);
    expect(third.token_fetches).toBe(1);
    expect(third.users).toHaveLength(3);
    expect(await tokenFetches()).toBe(2);
  });
});
