import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createHub, type Hub } from '../../src/hub/index.js';
import { FakeWeChat } from './support/fake-wechat.js';
import { APP_A, SECRET_A } from './support/hub-fixture.js';

describe('a fleet of hubs on one SQLite file', () => {
  it('agrees on the signing key and keys: a stand-in from one hub works on another, one token fetch in all', async () => {
    const fake = await FakeWeChat.start({ [APP_A]: SECRET_A });
    const file = join(mkdtempSync(join(tmpdir(), 'wxhub-fleet-')), 'fleet.db');
    const config = {
      store: `sqlite:${file}`,
      database: `sqlite:${file}`,
      wechat: { apiBase: fake.url, openBase: fake.url },
      accounts: [{ appid: APP_A, secret: SECRET_A, tokenMode: 'classic' as const }],
    };
    const hubs: Hub[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        hubs.push(await createHub({ config, logger: pino({ level: 'silent' }), proactiveRefresh: false }));
      }
      const [a, b, c] = hubs as [Hub, Hub, Hub];
      const { key } = await a.services.keys.create({ name: 'fleet', appids: [APP_A], scopes: ['token'] });
      const issued = await b.app.inject({
        url: `/cgi-bin/token?grant_type=client_credential&appid=${APP_A}&secret=${key}`,
      });
      expect(issued.statusCode).toBe(200);
      const standIn = issued.json().access_token as string;
      for (const hub of [a, c]) {
        const res = await hub.app.inject({ url: `/cgi-bin/user/info?access_token=${standIn}&openid=o1` });
        expect(res.statusCode).toBe(200);
      }
      expect(fake.callsTo('/cgi-bin/token')).toHaveLength(1);
    } finally {
      for (const hub of hubs) await hub.close();
      await fake.close();
    }
  });
});
