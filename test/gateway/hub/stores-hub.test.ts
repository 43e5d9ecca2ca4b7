import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PostgresStore } from '../../../src/store/postgres-store.js';
import { RedisStore } from '../../../src/store/redis-store.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import type { Store } from '../../../src/store/store.js';
import { dropPostgresSchema } from '../../store/helpers.js';
import { serviceUrl } from '../../support/services.js';
import { injectHub, push, SHOP, text } from './inject-push.js';

const redisUrl = serviceUrl('redis');
const postgresUrl = serviceUrl('postgres');
const tag = randomBytes(4).toString('hex');
const schema = `wxhub_test_gw_${tag}`;
const dir = mkdtempSync(join(tmpdir(), 'wxhub-gw-'));
afterAll(async () => {
  if (postgresUrl) await dropPostgresSchema(postgresUrl, schema);
  rmSync(dir, { recursive: true, force: true });
});

const cases: [string, () => Store][] = [['sqlite', () => new SqliteStore({ path: join(dir, 'store.db') })]];
if (redisUrl) cases.push(['redis', () => new RedisStore({ url: redisUrl, keyPrefix: `wxhub-test-${tag}:` })]);
if (postgresUrl) cases.push(['postgres', () => new PostgresStore({ url: postgresUrl, schema })]);

describe.each(cases)('the gateway mounted on a %s store', (_name, makeStore) => {
  it('logs a push once, answers its retry the same, and serves it to the pull API', async () => {
    const store = makeStore();
    const hub = await injectHub({ store });
    try {
      const msgId = String(Date.now());
      expect((await push(hub, text(msgId))).body).toBe('success');
      expect((await push(hub, text(msgId))).body).toBe('success');
      const key = (await hub.services.keys.create({ name: 'p', appids: [SHOP], scopes: ['events'] })).key;
      const res = await hub.app.inject({
        url: `/v1/accounts/${SHOP}/events?wait=5`,
        headers: { authorization: `Bearer ${key}` },
      });
      expect(res.statusCode, res.body).toBe(200);
      const ids = res.json().events.map((e: { fields: { MsgId: string } }) => e.fields.MsgId);
      expect(ids.filter((id: string) => id === msgId)).toHaveLength(1);
    } finally {
      await hub.close();
      await store.close();
    }
  });
});
