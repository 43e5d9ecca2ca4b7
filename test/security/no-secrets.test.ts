import Sqlite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SigningKeyRing } from '../../src/hub/drop-in/signing-key-ring.js';
import { StandInTokens } from '../../src/hub/drop-in/stand-in-tokens.js';
import { parseEncryptionKey, TokenCipher, tokenContext } from '../../src/oauth/token-cipher.js';
import { bearer, keySecret, type SecurityWorld, securityWorld } from './support/security-world.js';

/**
 * Issue #6, "no secret, client key or token in any log line, error body or metric": the whole
 * product (hub, pages, simulator) driven through every route family, good and bad credentials,
 * upstream faults and a full login, with every log line kept at `trace`. Then each secret is
 * looked for everywhere. Only the answer whose job is to hand a secret to its rightful caller may
 * contain it:
 * - `v1-token`: `GET /v1/.../access-token` and `.../refresh` carry the real access token;
 * - `v1-ticket`: `GET /v1/.../jsapi-ticket` carries the jsapi ticket;
 * - `dropin-token`: drop-in `GET /cgi-bin/token` carries a stand-in (never a real token);
 * - `admin-login`: nothing (the session cookie holds the key id, not the key).
 * Everything else — error bodies, proxied answers, redirects, pages, /metrics, /readyz,
 * /openapi.json, every header — contains none of them.
 */
const LONG = /[A-Za-z0-9_-]{40,}/g;

/**
 * A full web login for `openid` through the hub (login, the simulator's authorize page, the
 * callback), then a replay of the callback: the return_to URL the hub sent the browser to, and the
 * code WeChat issued.
 */
async function login(w: SecurityWorld, returnTo: string, openid: string) {
  const started = await w.inject({
    url: `/oauth/${w.shop.appid}/login?return_to=${encodeURIComponent(returnTo)}`,
  });
  expect(started.statusCode, started.body).toBe(302);
  const res = await fetch(String(started.headers.location), {
    headers: { 'x-sim-user': openid },
    redirect: 'manual',
  });
  const back = new URL(String(res.headers.get('location')));
  const code = back.searchParams.get('code')!;
  const cookie = String(started.headers['set-cookie'] ?? '').split(';', 1)[0]!;
  const cb = await w.inject({ url: back.pathname + back.search, headers: { cookie } });
  expect(cb.statusCode, cb.body).toBe(302);
  await w.inject({ url: back.pathname + back.search }); // a replay (same code and state)
  return { landed: new URL(String(cb.headers.location)), code };
}

/** The web access and refresh tokens the hub kept for an identity, opened with its key. */
async function keptWebTokens(w: SecurityWorld, appid: string, openid: string): Promise<string[]> {
  const cipher = new TokenCipher(parseEncryptionKey(w.secrets.encryptionKey));
  const identity = await w.hub.database.identities.get(appid, openid);
  const tokens = [
    cipher.open(identity?.sealedWebToken, tokenContext('web', appid, openid)),
    cipher.open(identity?.sealedRefreshToken, tokenContext('refresh', appid, openid)),
  ];
  for (const token of tokens) expect(token).toBeTruthy();
  return tokens as string[];
}

/**
 * Twice: with the default configuration (the fast lanes take the warm calls; refusals and
 * failures get their lines), and with every request logged (the most a hub ever writes).
 */
describe.each([
  ['the default configuration (fast lanes on)', {}],
  ['every request logged (logging.requests: all)', { logging: { level: 'trace', requests: 'all' } }],
] as const)('no secret anywhere, under everything: %s', (_name, config) => {
  let w: SecurityWorld;
  const realTokens = new Set<string>();
  const tickets = new Set<string>();
  const standIns = new Set<string>();
  const codes = new Set<string>();
  const webTokens = new Set<string>();

  /** Every token-looking value in the store's credentials (real access tokens and tickets). */
  function harvestStore(): void {
    const db = new Sqlite(w.dbFile, { readonly: true, fileMustExist: true });
    try {
      for (const row of db.prepare('SELECT key, value FROM credentials').all() as {
        key: string;
        value: string;
      }[]) {
        for (const m of row.value.match(LONG) ?? [])
          (row.key.includes('ticket') ? tickets : realTokens).add(m);
      }
    } finally {
      db.close();
    }
  }

  beforeAll(async () => {
    w = await securityWorld({ level: 'trace', config });
  });
  afterAll(async () => {
    await w?.close();
  });

  it('exercises every route family and leaks nothing', async () => {
    const { shop, news, inject } = w;
    const all = await w.key(['token', 'refresh', 'proxy', 'oauth'], [shop.appid]);
    const proxyKey = await w.key(['proxy'], [shop.appid]);
    const newsOnly = await w.key(['token'], [news.appid]);
    const wrongKey = `${all.slice(0, -4)}AAAA`;
    const openid = (await w.sim.user(shop.appid, { nickname: 'Alice', subscribe: 1 })).openid;
    await w.sim.user(news.appid, { nickname: 'Bob' });

    // /v1: good and bad keys.
    const v1 = `/v1/accounts/${shop.appid}`;
    const token = await inject({ url: `${v1}/access-token`, headers: bearer(all) }, 'v1-token');
    expect(token.statusCode, token.body).toBe(200);
    realTokens.add(token.json().access_token);
    await inject({ url: `${v1}/access-token`, headers: bearer(wrongKey) });
    await inject({ url: `${v1}/access-token`, headers: bearer(newsOnly) });
    await inject({ url: `${v1}/access-token?access_token=${all}&secret=${shop.secret}` });
    const refreshed = await inject(
      {
        method: 'POST',
        url: `${v1}/access-token/refresh`,
        headers: bearer(all),
        payload: { stale_token: token.json().access_token },
      },
      'v1-token',
    );
    expect(refreshed.statusCode, refreshed.body).toBe(200);
    realTokens.add(refreshed.json().access_token);
    await inject({
      method: 'POST',
      url: `${v1}/access-token/refresh`,
      headers: bearer(wrongKey),
      payload: { stale_token: refreshed.json().access_token },
    });
    await inject({
      method: 'POST',
      url: `${v1}/access-token/refresh`,
      headers: bearer(all),
      payload: `{"stale_token": "${refreshed.json().access_token}"`,
      // invalid JSON: the error must not echo the token
    });
    const ticket = await inject({ url: `${v1}/jsapi-ticket`, headers: bearer(all) }, 'v1-ticket');
    expect(ticket.statusCode, ticket.body).toBe(200);
    tickets.add(ticket.json().ticket);
    await inject({ url: `${v1}/jsapi-ticket?type=nope`, headers: bearer(all) });
    const signature = await inject({
      method: 'POST',
      url: `${v1}/jsapi-signature`,
      headers: bearer(all),
      payload: { url: 'https://shop.example.com/page?x=1' },
    });
    expect(signature.statusCode, signature.body).toBe(200);
    await inject({
      method: 'POST',
      url: `${v1}/jsapi-signature`,
      headers: bearer(wrongKey),
      payload: { url: 'https://shop.example.com/page' },
    });

    // Drop-in token: a client key, the real secret (not allowed here), junk.
    const tokenUrl = (appid: string, secret: string) =>
      `/cgi-bin/token?grant_type=client_credential&appid=${appid}&secret=${secret}`;
    const dropIn = await inject({ url: tokenUrl(shop.appid, all) }, 'dropin-token');
    expect(dropIn.statusCode, dropIn.body).toBe(200);
    const standIn = dropIn.json().access_token as string;
    standIns.add(standIn);
    await inject({ url: tokenUrl(shop.appid, shop.secret) });
    await inject({ url: tokenUrl(shop.appid, wrongKey) });
    await inject({ url: tokenUrl(news.appid, all) });
    await inject({ url: tokenUrl(shop.appid, `${shop.secret}x`) });
    // Every spelling of the parameter names the hub (and WeChat) read as the credential.
    const grant = `/cgi-bin/token?grant_type=client_credential&appid=${shop.appid}`;
    const spelled = await inject({ url: `${grant}&secre%74=${all}` }, 'dropin-token');
    expect(spelled.json().access_token, spelled.body).toBeDefined(); // read as the secret
    standIns.add(spelled.json().access_token);
    for (const name of ['secre%74', '%73ecret', '%2573ecret', 'SECRET', 'Secret', 'secret[]', 'appsecret']) {
      await inject({ url: `${grant}&${name}=${wrongKey}` });
      await inject({ url: `${grant}&${name}=${shop.secret}` });
    }
    await inject({ url: `${grant}&a=1;secret=${wrongKey}` });

    // Proxy: valid, forged, expired stand-ins; a proxy key; a real token; 40001 then success.
    const info = (accessToken: string) => `/cgi-bin/user/info?access_token=${accessToken}&openid=${openid}`;
    expect((await inject({ url: info(standIn) })).statusCode).toBe(200);
    expect((await inject({ url: info(proxyKey) })).statusCode).toBe(200);
    const forged = `${standIn.slice(0, -6)}${standIn.slice(-6) === 'AAAAAA' ? 'BBBBBB' : 'AAAAAA'}`;
    expect((await inject({ url: info(forged) })).json()).toMatchObject({ errcode: 40001 });
    const ring = await SigningKeyRing.open({ kind: 'config', current: w.secrets.signingKey, previous: [] });
    const expired = new StandInTokens(ring, { now: () => Date.now() - 7300_000 }).issue(
      shop.appid,
      all.split('_')[1]!,
    );
    standIns.add(expired);
    expect((await inject({ url: info(expired) })).json()).toMatchObject({ errcode: 40001 });
    harvestStore();
    for (const real of realTokens) {
      const refusedReal = await inject({ url: info(real) });
      expect(refusedReal.statusCode).toBe(200);
      expect(refusedReal.json()).toMatchObject({ errcode: 40001 });
    }
    // The access_token under other spellings: read (or refused) by the hub, never logged in clear.
    const infoPath = `/cgi-bin/user/info?openid=${openid}`;
    expect((await inject({ url: `${infoPath}&access%5Ftoken=${standIn}` })).json().openid).toBe(openid);
    for (const name of [
      'access%5Ftoken',
      'access%5ftoken',
      '%61ccess_token',
      'ACCESS_TOKEN',
      'Access_Token',
    ]) {
      await inject({ url: `${infoPath}&${name}=${forged}` });
      await inject({ url: `${infoPath}&${name}=${all}` });
      await inject({ url: `${infoPath}&${name}=${[...realTokens][0]}` });
    }
    // A key pasted into the path: the path is logged, the key's secret is not.
    await inject({ url: `/cgi-bin/${all}/user/info?openid=${openid}` });
    await inject({ url: `/v1/accounts/${shop.appid}/access-token?secre%74=${shop.secret}&%73ecret=${all}` });
    await w.sim.invalidate(shop.appid, true);
    const afterRotation = await inject({ url: info(standIn) });
    expect(afterRotation.statusCode, afterRotation.body).toBe(200);
    harvestStore();
    await inject({
      method: 'POST',
      url: `/cgi-bin/message/custom/send?access_token=${standIn}`,
      headers: { 'content-type': 'application/json' },
      payload: { touser: openid, msgtype: 'text', text: { content: 'hi' } },
    });

    // Upstream faults: -1, an HTML 502, a hang past the timeout.
    const path = '/cgi-bin/user/info';
    await w.sim.fault({ path, rate: 1, errcode: -1, count: 1 });
    expect((await inject({ url: info(standIn) })).json()).toMatchObject({ errcode: -1 });
    await w.sim.fault({
      path,
      rate: 1,
      httpStatus: 502,
      body: '<html><body>502 Bad Gateway</body></html>',
      count: 1,
    });
    expect((await inject({ url: info(standIn) })).statusCode).toBe(502);
    await w.sim.fault({ path, rate: 1, hang: true, count: 1 });
    const hung = await inject({ url: info(standIn) });
    expect(hung.statusCode).toBe(200);
    expect(hung.json()).toMatchObject({ errcode: -1 });
    await w.sim.fault({ path: '/cgi-bin/ticket/getticket', rate: 1, errcode: -1, count: 1 });
    await w.sim.invalidate(shop.appid, true);
    await inject({ url: `${v1}/jsapi-ticket?type=wx_card`, headers: bearer(all) }, 'v1-ticket');
    await w.sim.clearFaults();

    // A full OAuth login through the demo site (server-side redeem over HTTP), and one redeemed
    // directly; wrong keys and replays on the way.
    const loggedIn = async (returnTo: string) => {
      const { landed, code } = await login(w, returnTo, openid);
      codes.add(code);
      return landed;
    };
    const toDemo = await loggedIn(`${w.webUrl}/profile`);
    const profile = await inject({ url: toDemo.pathname + toDemo.search, headers: { accept: 'text/html' } });
    expect(profile.statusCode, profile.body).toBe(303);
    const demoCookie = String(profile.headers['set-cookie']).split(';', 1)[0]!;
    const page = await inject({ url: '/profile', headers: { accept: 'text/html', cookie: demoCookie } });
    expect(page.body).toContain('Alice');
    const toShop = await loggedIn('https://shop.example.com/after');
    const shopTicket = toShop.searchParams.get('wxhub_ticket')!;
    await inject({
      method: 'POST',
      url: '/v1/oauth/tickets/redeem',
      headers: bearer(newsOnly),
      payload: { ticket: shopTicket },
    });
    const redeemed = await inject({
      method: 'POST',
      url: '/v1/oauth/tickets/redeem',
      headers: bearer(w.oauthKey),
      payload: { ticket: shopTicket },
    });
    expect(redeemed.statusCode, redeemed.body).toBe(200);
    await inject({
      method: 'POST',
      url: '/v1/oauth/tickets/redeem',
      headers: bearer(w.oauthKey),
      payload: { ticket: shopTicket },
    });
    // Drop-in code exchange with a client key as the secret, and a made-up code.
    await inject({
      url: `/sns/oauth2/access_token?appid=${shop.appid}&secret=${all}&code=${[...codes][0]}&grant_type=authorization_code`,
    });

    // The web tokens the hub kept: opened with the key, to look for them.
    const [webToken] = await keptWebTokens(w, shop.appid, openid);
    for (const token of await keptWebTokens(w, shop.appid, openid)) webTokens.add(token);
    await inject({ url: `/sns/userinfo?access_token=${webToken}&openid=${openid}&lang=zh_CN` });
    await inject({ url: `/sns/auth?access_token=${webToken}x&openid=${openid}` });

    // The dashboard: right and wrong keys, then its pages.
    const form = (key: string) => ({
      method: 'POST' as const,
      url: '/admin/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
      payload: `key=${encodeURIComponent(key)}`,
    });
    expect((await inject(form(`${w.adminKey}x`))).statusCode).toBe(401);
    expect((await inject(form(all))).statusCode).toBe(401);
    const admin = await inject(form(w.adminKey), 'admin-login');
    expect(admin.statusCode).toBe(303);
    const adminCookie = String(admin.headers['set-cookie']).split(';', 1)[0]!;
    for (const page of ['/admin', `/admin/accounts/${shop.appid}`, `/admin/accounts/${news.appid}`]) {
      expect(
        (await inject({ url: page, headers: { accept: 'text/html', cookie: adminCookie } })).statusCode,
      ).toBe(200);
    }

    // Operations endpoints.
    const metrics = await inject({ url: '/metrics' });
    expect(metrics.statusCode).toBe(200);
    await inject({ url: '/readyz' });
    await inject({ url: '/healthz' });
    expect((await inject({ url: '/openapi.json' })).statusCode).toBe(200);
    await inject({ url: `/nope?secret=${shop.secret}&access_token=${standIn}` });

    // The real tokens WeChat issued: the store's, and the current ones straight from the simulator.
    harvestStore();
    for (const account of [shop, news]) {
      const res = await fetch(`${w.sim.url}/cgi-bin/stable_token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          grant_type: 'client_credential',
          appid: account.appid,
          secret: account.secret,
        }),
      });
      const body = (await res.json()) as { access_token?: string };
      if (body.access_token) realTokens.add(body.access_token);
    }
    expect(realTokens.size).toBeGreaterThanOrEqual(2);
    expect(tickets.size).toBeGreaterThanOrEqual(1);

    const nowhere: Record<string, string> = {
      ...w.secrets,
      clientKeyAll: all,
      clientKeyProxy: proxyKey,
      clientKeyNews: newsOnly,
      clientKeyOauth: w.oauthKey,
      adminKey: w.adminKey,
      ...Object.fromEntries(
        [all, proxyKey, newsOnly, w.oauthKey, w.adminKey].map((k, i) => [`keySecret${i}`, keySecret(k)]),
      ),
      ...Object.fromEntries([...codes].map((c, i) => [`code${i}`, c])),
      ...Object.fromEntries([...webTokens].map((c, i) => [`webToken${i}`, c])),
    };
    const only: [string, Set<string>, string][] = [
      ['real access token', realTokens, 'v1-token'],
      ['jsapi ticket', tickets, 'v1-ticket'],
      ['stand-in', standIns, 'dropin-token'],
    ];

    const logs = w.lines.join('\n');
    expect(logs).toContain('secret=***');
    if ('logging' in config) {
      // Every line written: every spelling is there, redacted.
      expect(w.lines.length).toBeGreaterThan(100);
      for (const spelled of [
        'secre%74',
        '%73ecret',
        '%2573ecret',
        'SECRET',
        'access%5Ftoken',
        'ACCESS_TOKEN',
      ])
        expect(logs).toContain(`${spelled}=***`);
      expect(logs).toContain(`/cgi-bin/${all.split('_').slice(0, 2).join('_')}_***/user/info`);
      expect(w.laneAnswers()).toBe(0);
    } else {
      // The fast lanes were attacked too (refusal lines from one address are sampled here).
      expect(w.laneAnswers()).toBeGreaterThan(0);
    }
    const found: string[] = [];
    for (const [name, value] of Object.entries(nowhere)) {
      if (logs.includes(value)) found.push(`${name} in a log line`);
      for (const x of w.exchanges) {
        if (x.body.includes(value) || x.headers.includes(value))
          found.push(`${name} in the answer to ${x.request}`);
      }
    }
    for (const [name, values, label] of only) {
      for (const value of values) {
        if (logs.includes(value)) found.push(`${name} in a log line`);
        for (const x of w.exchanges) {
          const inAnswer = x.body.includes(value) || x.headers.includes(value);
          if (inAnswer && x.label !== label) found.push(`${name} in the answer to ${x.request}`);
        }
      }
    }
    const metricsText = metrics.body;
    for (const value of [...Object.values(nowhere), ...realTokens, ...tickets, ...standIns]) {
      if (metricsText.includes(value)) found.push('a secret in /metrics');
    }
    expect(found).toEqual([]);
    // Never a stack trace in an answer.
    for (const x of w.exchanges) expect(x.body, x.request).not.toMatch(/\n\s+at .+:\d+:\d+/);
  });
});

describe('no secret in the database', () => {
  let w: SecurityWorld;
  beforeAll(async () => {
    w = await securityWorld({ level: 'warn' });
  });
  afterAll(async () => {
    await w?.close();
  });

  it('the database holds client keys only as hashes and web tokens only sealed', async () => {
    const keys = [w.oauthKey, w.adminKey, await w.key(['token', 'proxy']), await w.key(['oauth'])];
    const openid = (await w.sim.user(w.shop.appid, { nickname: 'Dora' })).openid;
    const { code } = await login(w, 'https://shop.example.com/after', openid);
    const webTokens = await keptWebTokens(w, w.shop.appid, openid);
    const db = new Sqlite(w.dbFile, { readonly: true, fileMustExist: true });
    try {
      const rows = db.prepare('SELECT * FROM client_keys').all() as Record<string, unknown>[];
      expect(rows).toHaveLength(keys.length);
      const dump = JSON.stringify(rows);
      for (const key of keys) expect(dump).not.toContain(keySecret(key));
      for (const row of rows) expect(String(row.secret_hash)).toMatch(/^[A-Za-z0-9+/=_-]{32,}$/);
      const settings = JSON.stringify(db.prepare('SELECT * FROM hub_settings').all());
      expect(settings).not.toContain(keySecret(w.adminKey));
      const identities = db.prepare('SELECT * FROM identities').all() as Record<string, unknown>[];
      expect(identities).toHaveLength(1);
      for (const row of identities) {
        expect(String(row.web_token_sealed)).toMatch(/^v1\.[0-9a-f]{8}\./);
        expect(String(row.refresh_token_sealed)).toMatch(/^v1\.[0-9a-f]{8}\./);
      }
      const everything = JSON.stringify(
        ['client_keys', 'hub_settings', 'identities', 'users', 'once_values', 'credentials'].map((t) =>
          db.prepare(`SELECT * FROM ${t}`).all(),
        ),
      );
      for (const value of [...webTokens, code]) expect(everything).not.toContain(value);
    } finally {
      db.close();
    }
  });
});
