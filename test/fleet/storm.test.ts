import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteRedisPrefix } from '../store/helpers.js';
import { serviceUrl } from '../support/services.js';
import { startTestSim, type TestSim } from '../support/sim.js';
import { bearer, type FleetHub, http, startFleetHub } from './support/processes.js';

/**
 * The storm the hub exists to absorb, with the hub's DEFAULT limits: a business fleet's workers
 * all see 40001 at once and all report the same dead token, round after round. Every report is
 * answered with the new token (never a 429), and WeChat sees one fetch per rotation.
 */
const redisUrl = serviceUrl('redis');

const HUBS = 3;
const CALLERS = 300;
const ROTATIONS = 3;

describe.skipIf(!redisUrl)('a 40001 storm on 3 hub processes with the default config', () => {
  const prefix = `wxhub-test-storm-${randomBytes(4).toString('hex')}:`;
  let sim: TestSim;
  const hubs: FleetHub[] = [];
  let key: string;
  let appid: string;

  beforeAll(async () => {
    sim = await startTestSim();
    const account = await sim.account();
    appid = account.appid;
    // No rateLimit, no refresh tuning: what an operator gets without reading the docs.
    const config = {
      store: redisUrl,
      database: `sqlite:${join(mkdtempSync(join(tmpdir(), 'wxhub-storm-')), 'storm.db')}`,
      wechat: { apiBase: sim.url, openBase: sim.url },
      accounts: [{ appid, secret: account.secret, tokenMode: 'classic' }],
      logging: { level: 'warn' },
    };
    const env = {
      FLEET_CONFIG: JSON.stringify(config),
      FLEET_REDIS_PREFIX: prefix,
      FLEET_CLOCK_OFFSET: String(sim.clock.now() - Date.now()),
    };
    hubs.push(await startFleetHub(env));
    hubs.push(...(await Promise.all(Array.from({ length: HUBS - 1 }, () => startFleetHub(env)))));
    key = (
      await hubs[0]!.command<{ key: string }>({ cmd: 'key', appids: [appid], scopes: ['token', 'refresh'] })
    ).key;
  }, 60_000);

  afterAll(async () => {
    await Promise.all(hubs.map((h) => h.stop()));
    await sim?.close();
    if (redisUrl) await deleteRedisPrefix(redisUrl, prefix);
  }, 30_000);

  it(
    `${CALLERS} callers report the same dead token, ${ROTATIONS} rotations in a row: all 200, one fetch each`,
    { timeout: 60_000 },
    async () => {
      const current = await http(`${hubs[0]!.url}/v1/accounts/${appid}/access-token`, {
        headers: bearer(key),
      });
      let stale = String(current.body.access_token);
      const before = await sim.calls(appid, '/cgi-bin/token');
      for (let round = 0; round < ROTATIONS; round++) {
        await sim.invalidate(appid, true); // someone else fetched: the token is dead at WeChat
        const answers = await Promise.all(
          Array.from({ length: CALLERS }, (_, i) =>
            http(`${hubs[i % HUBS]!.url}/v1/accounts/${appid}/access-token/refresh`, {
              method: 'POST',
              headers: bearer(key),
              json: { stale_token: stale },
            }),
          ),
        );
        const refused = answers.filter((a) => a.status !== 200).map((a) => `${a.status} ${a.text}`);
        expect(refused, `round ${round}`).toEqual([]);
        const tokens = new Set(answers.map((a) => String(a.body.access_token)));
        expect(tokens.size, `round ${round}: one new token for every caller`).toBe(1);
        const [fresh] = tokens as Set<string>;
        expect(fresh).not.toBe(stale);
        const works = await http(`${sim.url}/cgi-bin/user/info?access_token=${fresh}&openid=nobody`);
        expect(works.body.errcode, 'the new token is the one WeChat accepts').not.toBe(40001);
        stale = fresh!;
      }
      expect(await sim.calls(appid, '/cgi-bin/token')).toBe(before + ROTATIONS);
    },
  );
});
