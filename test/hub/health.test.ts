import { describe, expect, it } from 'vitest';
import { MemoryDatabase } from '../../src/db/index.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { testHub } from './support/hub-fixture.js';

describe('health and readiness', () => {
  it('/healthz answers while the process lives; /readyz reports store, database and accounts', async () => {
    const t = await testHub();
    try {
      const health = await t.hub.app.inject({ url: '/healthz' });
      expect(health.statusCode).toBe(200);
      expect(health.json()).toEqual({ status: 'ok' });
      const ready = await t.hub.app.inject({ url: '/readyz' });
      expect(ready.statusCode).toBe(200);
      expect(ready.json()).toEqual({ status: 'ready', checks: { store: 'ok', database: 'ok', accounts: 3 } });
    } finally {
      await t.close();
    }
  });

  it('/readyz is 503 naming the store when it fails, and when it hangs past the timeout', async () => {
    const store = new MemoryStore();
    const t = await testHub({ store });
    try {
      store.getCredential = async () => {
        throw Object.assign(new Error('connection refused'), { code: 'WXHUB_ERR_STORE_UNAVAILABLE' });
      };
      const failing = await t.hub.app.inject({ url: '/readyz' });
      expect(failing.statusCode).toBe(503);
      expect(failing.json()).toMatchObject({
        status: 'unavailable',
        reason: 'store: WXHUB_ERR_STORE_UNAVAILABLE',
        checks: { store: 'WXHUB_ERR_STORE_UNAVAILABLE', database: 'ok' },
      });
      store.getCredential = () => new Promise(() => undefined);
      const hanging = await t.hub.app.inject({ url: '/readyz' });
      expect(hanging.statusCode).toBe(503);
      expect(hanging.json().reason).toMatch(/^store: no answer within \d+ ms$/);
      expect((await t.hub.app.inject({ url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await t.close();
      await store.close();
    }
  });

  it('/readyz is 503 naming the database when it fails', async () => {
    const database = new MemoryDatabase();
    const t = await testHub({ database });
    try {
      await database.close();
      const res = await t.hub.app.inject({ url: '/readyz' });
      expect(res.statusCode).toBe(503);
      expect(res.json().reason).toBe('database: WXHUB_ERR_DATABASE_UNAVAILABLE');
    } finally {
      await t.close();
    }
  });
});
