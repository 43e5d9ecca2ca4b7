import type { InjectOptions } from 'fastify';
import { describe, expect, it } from 'vitest';
import {
  APP_A,
  APP_C,
  bearer,
  LogCapture,
  SECRET_A,
  SECRET_B,
  SECRET_C,
  testHub,
} from './support/hub-fixture.js';

describe('no secret in logs or bodies', () => {
  it('a whole run through every route logs no appsecret, client key, token or stand-in', async () => {
    const capture = new LogCapture();
    // Every request gets its line: the check reads the most a hub ever logs.
    const t = await testHub({
      logger: capture.logger,
      config: { logging: { level: 'trace', requests: 'all' } },
    });
    const seen: string[] = [];
    try {
      const key = await t.key(['token', 'refresh', 'proxy', 'oauth'], [APP_A, APP_C]);
      const inject = async (opts: InjectOptions) => {
        const res = await t.hub.app.inject(opts);
        seen.push(res.body);
        return res;
      };
      const token = (
        await inject({ url: `/v1/accounts/${APP_A}/access-token`, headers: bearer(key) })
      ).json();
      await inject({
        method: 'POST',
        url: `/v1/accounts/${APP_A}/access-token/refresh`,
        headers: bearer(key),
        payload: { stale_token: token.access_token },
      });
      await inject({ url: `/v1/accounts/${APP_A}/jsapi-ticket`, headers: bearer(key) });
      await inject({
        method: 'POST',
        url: `/v1/accounts/${APP_A}/jsapi-signature`,
        headers: bearer(key),
        payload: { url: 'https://x.example/' },
      });
      await inject({ url: `/v1/accounts/${APP_A}/access-token`, headers: bearer(`${key}x`) });
      const standIn = (
        await inject({ url: `/cgi-bin/token?grant_type=client_credential&appid=${APP_A}&secret=${key}` })
      ).json().access_token as string;
      await inject({ url: `/cgi-bin/token?grant_type=client_credential&appid=${APP_C}&secret=${SECRET_C}` });
      await inject({ url: `/cgi-bin/token?grant_type=client_credential&appid=${APP_A}&secret=${SECRET_A}` });
      t.fake.invalidate(APP_A);
      await inject({ url: `/cgi-bin/user/info?access_token=${standIn}&openid=o1` });
      await inject({ url: `/cgi-bin/user/info?access_token=${key}&openid=o1&appid=${APP_A}` });
      await inject({ url: `/cgi-bin/user/info?access_token=${t.fake.current(APP_A)}&openid=o1` });
      await inject({
        url: `/sns/oauth2/access_token?appid=${APP_A}&secret=${key}&code=SECRETCODE123&grant_type=authorization_code`,
      });
      await inject({ url: `/sns/userinfo?access_token=WEBTOKEN123456&openid=o1` });
      await inject({ url: `/nope?secret=${key}` });
      await inject({ url: `/cgi-bin/../x?access_token=${standIn}` });

      const logs = capture.text();
      expect(logs).toContain('request completed');
      expect(logs).toContain('secret=***');
      expect(logs).toContain('access_token=***');
      expect(logs).toContain('code=***');
      const secrets = {
        SECRET_A,
        SECRET_B,
        SECRET_C,
        key,
        keySecret: key.slice(-43),
        token: token.access_token,
        standIn,
        ...Object.fromEntries(t.fake.issued.get(APP_A)!.map((v, i) => [`real${i}`, v])),
        code: 'SECRETCODE123',
        webToken: 'WEBTOKEN123456',
      };
      for (const [name, value] of Object.entries(secrets)) {
        expect(logs.includes(value), `${name} in the logs`).toBe(false);
      }
      // Bodies: the /v1 token answers carry the real token by design; nothing else does.
      const bodies = seen.filter((b) => !b.includes('"access_token"') || b.includes('errcode')).join('\n');
      for (const value of [SECRET_A, SECRET_B, SECRET_C, key, ...t.fake.issued.get(APP_A)!]) {
        expect(bodies.includes(value)).toBe(false);
      }
      expect(seen.join('\n')).not.toMatch(/\s+at .+:\d+:\d+/);
    } finally {
      await t.close();
    }
  });
});
