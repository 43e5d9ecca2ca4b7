import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccountAdmin, SecretBox } from '../../src/accounts/index.js';
import { type Database, openDatabase, PostgresDatabase } from '../../src/db/index.js';
import { isWxhubError } from '../../src/errors/index.js';
import { createHub, type Hub } from '../../src/hub/index.js';
import { systemClock } from '../../src/util/clock.js';
import { dropPostgresSchema, randomId, withPostgres } from '../store/helpers.js';
import { serviceUrl } from '../support/services.js';
import { startTestSim, type TestSim } from '../support/sim.js';
import { filesContain } from './support/files-contain.js';

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

/** Polls `check` until it holds; resolves the ms it took, or fails after `ms`. */
async function within(ms: number, check: () => boolean | Promise<boolean>): Promise<number> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > ms) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return Date.now() - start;
}

/** Where a fleet keeps its database: each `open()` is another hub's connection to the same data. */
interface Backend {
  readonly name: string;
  open(): Database;
  /** Whether the stored data (files or rows) holds `needle` anywhere. */
  holds(needle: string): Promise<boolean>;
  drop(): Promise<void>;
}

const dir = mkdtempSync(join(tmpdir(), 'wxhub-accounts-'));
const sqlite: Backend = {
  name: 'SQLite file',
  open: () => openDatabase(`sqlite:${join(dir, 'hub.db')}`),
  holds: async (needle) => filesContain(dir, needle),
  drop: async () => undefined,
};
const postgresUrl = serviceUrl('postgres');
const schema = `wxhub_accounts_${randomId()}`;
const postgres: Backend | null = postgresUrl
  ? {
      name: 'PostgreSQL schema',
      open: () => new PostgresDatabase({ url: postgresUrl, schema }),
      holds: (needle) =>
        withPostgres(postgresUrl, async (c) => {
          const { rows } = await c.query(`SELECT * FROM "${schema}".accounts`);
          return JSON.stringify(rows).includes(needle);
        }),
      drop: () => dropPostgresSchema(postgresUrl, schema),
    }
  : null;

for (const backend of [sqlite, postgres].filter((b) => b !== null)) describeFleet(backend);

function describeFleet(backend: Backend): void {
  describe(`runtime accounts across a fleet (two hubs on one ${backend.name})`, () => {
    let sim: TestSim;
    const key = randomBytes(32).toString('base64');
    const hubs: Hub[] = [];
    const databases: Database[] = [];
    let adminA: string;
    let adminB: string;

    const open = async (secretsKey: string | null = key) => {
      const database = backend.open();
      databases.push(database);
      return createHub({
        config: {
          store: 'memory:',
          database: 'memory:',
          ...(secretsKey ? { secretsKey } : {}),
          wechat: { apiBase: sim.url, openBase: sim.url, timeoutMs: 2000 },
        },
        database,
        logger: pino({ level: 'silent' }),
        proactiveRefresh: false,
        tokens: { retryStrategy: () => null },
        accountPollMs: 200,
      });
    };

    beforeAll(async () => {
      sim = await startTestSim();
      hubs.push(await open(), await open());
      adminA = (await hubs[0]!.services.keys.create({ name: 'a', appids: [], scopes: ['admin'] })).key;
      adminB = adminA;
    });
    afterAll(async () => {
      for (const hub of hubs) await hub.close();
      for (const database of databases) await database.close();
      await backend.drop();
      await sim?.close();
    });

    it('an account added on one hub is served by the other within 5 s; a removal too', async () => {
      const [a, b] = hubs as [Hub, Hub];
      const { appid, secret } = await sim.account();
      const res = await a.app.inject({
        method: 'POST',
        url: '/v1/admin/accounts',
        headers: bearer(adminA),
        payload: { appid, secret },
      });
      expect(res.statusCode, res.body).toBe(201);
      expect(a.manager.hasAccount(appid)).toBe(true);
      const took = await within(5000, () => b.manager.hasAccount(appid));
      expect(took).toBeLessThan(5000);
      const key = (await b.services.keys.create({ name: 'b', appids: [appid], scopes: ['token'] })).key;
      const token = await b.app.inject({ url: `/v1/accounts/${appid}/access-token`, headers: bearer(key) });
      expect(token.statusCode, token.body).toBe(200);

      const removed = await b.app.inject({
        method: 'DELETE',
        url: `/v1/admin/accounts/${appid}`,
        headers: bearer(adminB),
      });
      expect(removed.statusCode).toBe(200);
      await within(5000, () => !a.manager.hasAccount(appid) && !a.services.accounts.has(appid));
    });

    it('the database holds no appsecret, only its sealed form', async () => {
      const { appid, secret } = await sim.account();
      await hubs[0]!.app.inject({
        method: 'POST',
        url: '/v1/admin/accounts',
        headers: bearer(adminA),
        payload: { appid, secret },
      });
      expect(await backend.holds(appid)).toBe(true);
      expect(await backend.holds(secret)).toBe(false);
    });

    it('enable on one hub ends the cool-down of a runtime account on every hub', async () => {
      const [a, b] = hubs as [Hub, Hub];
      const { appid, secret } = await sim.account();
      await a.app.inject({
        method: 'POST',
        url: '/v1/admin/accounts',
        headers: bearer(adminA),
        payload: { appid, secret },
      });
      await within(5000, () => b.manager.hasAccount(appid));
      await sim.fault({ path: '/cgi-bin/stable_token', appid, rate: 1, errcode: 40164, count: 1 });
      const key = (await b.services.keys.create({ name: 'b', appids: [appid], scopes: ['token'] })).key;
      const refused = await b.app.inject({ url: `/v1/accounts/${appid}/access-token`, headers: bearer(key) });
      expect(refused.json().error.code).toBe('WXHUB_ERR_ACCOUNT_DISABLED');
      expect(b.manager.status(appid).disabledUntil).not.toBeNull();

      const enabled = await a.app.inject({
        method: 'POST',
        url: `/v1/admin/accounts/${appid}/enable`,
        headers: bearer(adminA),
      });
      expect(enabled.statusCode).toBe(200);
      await within(5000, () => b.manager.status(appid).disabledUntil === null);
      const served = await b.app.inject({ url: `/v1/accounts/${appid}/access-token`, headers: bearer(key) });
      expect(served.statusCode, served.body).toBe(200);
    });

    it('a hub refuses to start without the key, or with another key, naming no secret', async () => {
      const missing = await open(null).catch((e: unknown) => e);
      expect(isWxhubError(missing, 'WXHUB_ERR_SECRETS_KEY')).toBe(true);
      expect((missing as Error).message).toContain('WXHUB_SECRET_KEY');
      const wrong = await open(randomBytes(32).toString('base64')).catch((e: unknown) => e);
      expect(isWxhubError(wrong, 'WXHUB_ERR_SECRETS_KEY')).toBe(true);
      expect((wrong as Error).message).toMatch(/sealed with key [0-9a-f]{8}/);
    });

    it('a change written by another process (the CLI) is applied; one sealed with another key is not', async () => {
      const [a] = hubs as [Hub];
      const database = backend.open();
      try {
        const { appid, secret } = await sim.account();
        const admin = new AccountAdmin({
          database,
          secrets: new SecretBox(Buffer.from(key, 'base64')),
          configAppids: () => new Set(),
          clock: systemClock,
        });
        await admin.add({ appid, secret, token_mode: 'classic' });
        await within(5000, () => a.manager.hasAccount(appid));
        const stranger = new AccountAdmin({
          database,
          secrets: new SecretBox(randomBytes(32)),
          configAppids: () => new Set(),
          clock: systemClock,
        });
        await stranger.setSecret(appid, 'not-the-secret');
        const { appid: other, secret: otherSecret } = await sim.account();
        await stranger.add({ appid: other, secret: otherSecret });
        const { appid: third, secret: thirdSecret } = await sim.account();
        await admin.add({ appid: third, secret: thirdSecret });
        // The third account, written last with the right key, shows the hub has read past both changes.
        await within(5000, () => a.manager.hasAccount(third));
        expect(a.services.accounts.has(other)).toBe(false);
        // A secret that does not open keeps the one served before.
        expect(a.services.accounts.get(appid)?.secret).toBe(secret);
        expect(a.manager.hasAccount(appid)).toBe(true);
      } finally {
        await database.close();
      }
    });
  });
}
