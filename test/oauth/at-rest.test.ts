import { readFileSync } from 'node:fs';
import Sqlite from 'better-sqlite3';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../src/config/index.js';
import { createHub } from '../../src/hub/index.js';
import {
  GENERATED_KEY_SETTING,
  parseEncryptionKey,
  refreshProfile,
  TokenCipher,
  tokenContext,
} from '../../src/oauth/index.js';
import { captureLogs } from '../support/log-capture.js';
import { ENCRYPTION_KEY, type OAuthFixture, oauthFixture } from './support/oauth-fixture.js';

const cipher = new TokenCipher(parseEncryptionKey(ENCRYPTION_KEY));

describe('web tokens at rest, and secrets in logs', () => {
  const logs = captureLogs('debug');
  let t: OAuthFixture;
  let key: string;

  beforeAll(async () => {
    t = await oauthFixture({ logger: logs.logger });
    key = await t.key();
  });
  afterAll(() => t?.close());

  const plainTokens = async (appid: string, openid: string) => {
    const identity = (await t.hub.database.identities.get(appid, openid))!;
    return {
      web: cipher.open(identity.sealedWebToken, tokenContext('web', appid, openid))!,
      refresh: cipher.open(identity.sealedRefreshToken, tokenContext('refresh', appid, openid))!,
    };
  };

  it('keeps the web token and refresh_token sealed: neither the row nor the file holds them', async () => {
    const person = await t.sim.user(t.shop.appid, { nickname: 'Sealed' });
    await t.login(t.shop.appid, person.openid, key);
    const { web, refresh } = await plainTokens(t.shop.appid, person.openid);
    expect(web).toMatch(/^[A-Za-z0-9_-]{100,}$/);
    expect(refresh).toMatch(/^[A-Za-z0-9_-]{100,}$/);
    // The opened token is the live one WeChat issued.
    const auth = await fetch(`${t.sim.url}/sns/auth?access_token=${web}&openid=${person.openid}`);
    expect(await auth.json()).toMatchObject({ errcode: 0 });

    const raw = new Sqlite(t.dbFile, { readonly: true });
    const row = raw.prepare('SELECT * FROM identities WHERE openid = ?').get(person.openid) as Record<
      string,
      unknown
    >;
    raw.close();
    expect(String(row.web_token_sealed)).toMatch(/^v1\.[0-9a-f]{8}\./);
    const text = JSON.stringify(row);
    expect(text).not.toContain(web);
    expect(text).not.toContain(refresh);
    for (const file of [t.dbFile, `${t.dbFile}-wal`]) {
      let bytes = '';
      try {
        bytes = readFileSync(file).toString('latin1');
      } catch {
        continue;
      }
      expect(bytes.includes(web), file).toBe(false);
      expect(bytes.includes(refresh), file).toBe(false);
    }
  });

  it('no appsecret, code, web token, refresh_token, ticket, client key or encryption key reaches a log', async () => {
    const person = await t.sim.user(t.shop.appid, { nickname: 'Quiet' });
    const codes: string[] = [];
    const tickets: string[] = [];
    for (let i = 0; i < 2; i++) {
      const started = await t.startLogin(t.shop.appid);
      const path = await t.consent(started.authorize, { openid: person.openid });
      codes.push(new URLSearchParams(path.split('?')[1]).get('code')!);
      const ticket = t.ticketOf(await t.callback(path, started.cookie));
      tickets.push(ticket);
      expect((await t.redeem(ticket, key)).statusCode).toBe(200);
      await t.redeem(ticket, key); // a used ticket, logged as a 400
    }
    // A reused code and a failed exchange log their errcodes, not the code.
    const again = await t.startLogin(t.shop.appid);
    await t.callback(`/oauth/${t.shop.appid}/callback?code=${codes[0]}&state=${again.state}`);
    await t.sim.fault({ path: '/sns/oauth2/access_token', rate: 1, errcode: -1, count: 1 });
    const failing = await t.startLogin(t.shop.appid);
    const failPath = await t.consent(failing.authorize, { openid: person.openid });
    codes.push(new URLSearchParams(failPath.split('?')[1]).get('code')!);
    expect((await t.callback(failPath)).statusCode).toBe(502);
    await refreshProfile(t.hub.services, t.shop.appid, person.openid, { logger: logs.logger });

    const { web, refresh } = await plainTokens(t.shop.appid, person.openid);
    const text = logs.lines.join('\n');
    expect(text).toContain('login bound');
    expect(text).toContain('code=***');
    expect(text).toContain('"errcode":40163');
    const leaked = logs.leaks([
      t.shop.secret,
      t.news.secret,
      key,
      ENCRYPTION_KEY,
      web,
      refresh,
      ...codes,
      ...tickets,
    ]);
    expect(leaked).toEqual([]);
  });
});

describe('without oauth.encryptionKey', () => {
  it('generates a key into the database settings once, warns, and a second hub on the database agrees', async () => {
    const first = captureLogs('warn');
    const t = await oauthFixture({ logger: first.logger, config: { oauth: {} } });
    let dbFile: string;
    let openid: string;
    try {
      dbFile = t.dbFile;
      const key = await t.key();
      openid = (await t.sim.user(t.shop.appid, { nickname: 'Before' })).openid;
      await t.login(t.shop.appid, openid, key);
      await t.login(t.shop.appid, openid, key);
      const warnings = first.lines.filter((l) => l.includes('oauth.encryptionKey is not set'));
      expect(warnings).toHaveLength(1);
      const stored = await t.hub.database.settings.get(GENERATED_KEY_SETTING);
      expect(stored).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(first.lines.join('\n')).not.toContain(stored!);
      const identity = (await t.hub.database.identities.get(t.shop.appid, openid))!;
      const generated = new TokenCipher(parseEncryptionKey(stored!));
      expect(generated.open(identity.sealedWebToken, tokenContext('web', t.shop.appid, openid))).toMatch(
        /^[A-Za-z0-9_-]{100,}$/,
      );
      // A second hub on the same database reads the same key and opens what the first sealed.
      const second = await createHub({
        config: {
          ...t.hub.services.config,
          database: `sqlite:${dbFile}`,
          store: 'memory:',
        } as ConfigInput,
        logger: pino({ level: 'silent' }),
        proactiveRefresh: false,
      });
      try {
        await t.sim.user(t.shop.appid, { openid, nickname: 'After' });
        const refreshed = await refreshProfile(second.services, t.shop.appid, openid);
        expect(refreshed.nickname).toBe('After');
      } finally {
        await second.close();
      }
    } finally {
      await t.close();
    }
  });
});
