import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, type SecurityWorld, securityWorld } from './support/security-world.js';

/**
 * The web login under attack, over HTTP against the simulator: replayed, forged and
 * cross-account states; login CSRF; open redirects through `return_to` (a table of the tricks
 * browsers and URL parsers disagree on); tickets redeemed twice.
 *
 * Decisions asserted here (docs/security.md): scheme and host compare case-insensitively, as URL
 * normalisation says they are the same origin (`HTTPS://SHOP.EXAMPLE.COM` is allowed and the
 * redirect goes to the lower-cased form); paths compare case-sensitively on a segment boundary
 * (`/ACCOUNT` and `/accountX` are not `/account`).
 */
describe('OAuth state, return_to and tickets under attack', () => {
  let w: SecurityWorld;
  let openid: string;

  beforeAll(async () => {
    w = await securityWorld({ level: 'warn' });
    openid = (await w.sim.user(w.shop.appid, { nickname: 'Dave' })).openid;
  });
  afterAll(async () => {
    await w?.close();
  });

  const loginUrl = (appid: string, returnTo: string) =>
    `/oauth/${appid}/login?return_to=${encodeURIComponent(returnTo)}`;

  async function start(returnTo = 'https://shop.example.com/done', appid = w.shop.appid) {
    const res = await w.inject({ url: loginUrl(appid, returnTo) });
    expect(res.statusCode, res.body).toBe(302);
    const authorize = String(res.headers.location);
    const state = new URL(authorize.replace('#wechat_redirect', '')).searchParams.get('state')!;
    const cookie = String(res.headers['set-cookie'] ?? '').split(';', 1)[0]!;
    return { authorize, state, cookie };
  }

  /** The callback path (code and state) the simulator sends the browser back to. */
  async function consent(authorize: string): Promise<URL> {
    const res = await fetch(authorize, { headers: { 'x-sim-user': openid }, redirect: 'manual' });
    expect(res.status).toBe(302);
    return new URL(String(res.headers.get('location')));
  }

  const path = (u: URL) => u.pathname + u.search;

  it('a replayed callback is refused, also with a fresh code for the used state', async () => {
    const s = await start();
    const back = await consent(s.authorize);
    const first = await w.inject({ url: path(back), headers: { cookie: s.cookie } });
    expect(first.statusCode, first.body).toBe(302);
    const replay = await w.inject({ url: path(back), headers: { accept: 'application/json' } });
    expect(replay.statusCode).toBe(400);
    expect(replay.json().error.code).toBe('WXHUB_ERR_OAUTH_STATE');
    // WeChat would issue a new code for the same authorize link: the state is still used up.
    const again = await consent(s.authorize);
    const second = await w.inject({ url: path(again), headers: { accept: 'application/json' } });
    expect(second.statusCode).toBe(400);
    expect(second.headers['x-wxhub-error']).toBe('WXHUB_ERR_OAUTH_STATE');
  });

  it('a forged state is refused, whatever its shape, without a code exchange', async () => {
    const s = await start();
    const back = await consent(s.authorize);
    const code = back.searchParams.get('code')!;
    const before = w.spy.seen.filter((r) => r.url.startsWith('/sns/oauth2/access_token')).length;
    for (const state of [
      randomBytes(16).toString('hex'),
      `${s.state.slice(0, -1)}${s.state.endsWith('A') ? 'B' : 'A'}`,
      '',
      'x'.repeat(5000),
      '../../etc',
      `${s.state}%00`,
    ]) {
      const res = await w.inject({
        url: `/oauth/${w.shop.appid}/callback?code=${code}&state=${encodeURIComponent(state)}`,
        headers: { accept: 'application/json' },
      });
      expect(res.statusCode, state.slice(0, 40)).toBe(400);
    }
    expect(w.spy.seen.filter((r) => r.url.startsWith('/sns/oauth2/access_token')).length).toBe(before);
    // The genuine state still works afterwards: forgeries did not consume it.
    expect((await w.inject({ url: path(back), headers: { cookie: s.cookie } })).statusCode).toBe(302);
  });

  it('the state of another appid is refused without being used up (the genuine login still completes)', async () => {
    const s = await start();
    const back = await consent(s.authorize);
    const cross = `/oauth/${w.news.appid}/callback${back.search}`;
    const res = await w.inject({ url: cross, headers: { accept: 'application/json' } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('WXHUB_ERR_OAUTH_STATE');
    const genuine = await w.inject({ url: path(back), headers: { cookie: s.cookie } });
    expect(genuine.statusCode, genuine.body).toBe(302);
    expect(String(genuine.headers.location)).toContain('wxhub_ticket=');
  });

  it('a callback bringing a cookie without its state is refused (login CSRF)', async () => {
    const victim = await start();
    const attacker = await start();
    const back = await consent(attacker.authorize);
    const res = await w.inject({
      url: path(back),
      headers: { cookie: victim.cookie, accept: 'application/json' },
    });
    expect(res.statusCode).toBe(400);
  });

  it('the callback redirects only where the state says, whatever the query adds', async () => {
    const s = await start('https://shop.example.com/done');
    const back = await consent(s.authorize);
    const res = await w.inject({
      url: `${path(back)}&return_to=${encodeURIComponent('https://evil.com/')}&redirect_uri=https://evil.com/`,
    });
    expect(res.statusCode, res.body).toBe(302);
    expect(new URL(String(res.headers.location)).origin).toBe('https://shop.example.com');
    const denied = await start('https://shop.example.com/done');
    const deny = await w.inject({
      url: `/oauth/${w.shop.appid}/callback?state=${denied.state}&return_to=https://evil.com/`,
    });
    expect(deny.statusCode).toBe(302);
    expect(String(deny.headers.location)).toMatch(
      /^https:\/\/shop\.example\.com\/done\?wxhub_error=access_denied/,
    );
  });

  const refused = [
    'https://evil.com/',
    'http://shop.example.com/',
    'https://shop.example.com:8443/',
    '//evil.com',
    '//evil.com/https://shop.example.com',
    '/\\evil.com',
    '\\\\evil.com',
    'https:evil.com',
    'https:/evil.com',
    'https://shop.example.com@evil.com/',
    'https://shop.example.com:443@evil.com/',
    'https://shop.example.com.evil.com/',
    'https://shop.example.com%2eevil.com/',
    'https://shop.example.com。evil.com/',
    'https://shop.example.com\\@evil.com/',
    'https://shop.example.com\\.evil.com/',
    'https:\\\\shop.example.com',
    'https://evil.com\\shop.example.com',
    'https://evil.com%2F@shop.example.com/',
    'https://evil.com%2F%2Fshop.example.com/',
    'https:%2F%2Fevil.com',
    'https://shop.example.com%2F@evil.com',
    'https://app.example.com/account%2F..%2F..%2Fadmin',
    'https://app.example.com/account/..%2Fadmin',
    'https://app.example.com/account/%2e%2e/admin',
    'https://app.example.com/account/../admin',
    'https://app.example.com/accountX',
    'https://app.example.com/accounting/x',
    'https://app.example.com/ACCOUNT',
    'https://app.example.com/',
    'javascript:alert(document.domain)//https://shop.example.com',
    'JaVaScRiPt:alert(1)',
    'java\tscript:alert(1)',
    ' javascript:alert(1)',
    'data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==',
    'vbscript:msgbox(1)',
    'file:///etc/passwd',
    'ftp://shop.example.com/',
    'https://shop.example.com/\r\nSet-Cookie: x=1',
    'https://user:pass@shop.example.com/',
    '',
    'shop.example.com',
    `https://shop.example.com/${'a'.repeat(3000)}`,
  ];

  it.each(refused)('return_to %j is refused at login (400, no redirect, no state)', async (returnTo) => {
    const res = await w.inject({
      url: loginUrl(w.shop.appid, returnTo),
      headers: { accept: 'application/json' },
    });
    // A header-splitting attempt may also be refused before the route: any 4xx, never a 3xx.
    expect(res.statusCode, res.body).toBeGreaterThanOrEqual(400);
    expect(res.statusCode).toBeLessThan(500);
    expect(res.headers.location).toBeUndefined();
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  it('a repeated return_to parameter is refused', async () => {
    const res = await w.inject({
      url: `/oauth/${w.shop.appid}/login?return_to=https://shop.example.com/&return_to=https://evil.com/`,
    });
    expect(res.statusCode).toBe(400);
  });

  it.each([
    ['https://shop.example.com/x?y=1#top', 'https://shop.example.com'],
    ['HTTPS://SHOP.EXAMPLE.COM/x', 'https://shop.example.com'],
    ['https://Shop.Example.Com:443/x', 'https://shop.example.com'],
    ['https://app.example.com/account', 'https://app.example.com'],
    ['https://app.example.com/account/orders?id=1', 'https://app.example.com'],
    // Encoded CR LF stays encoded in the path: no header splitting, still the shop's origin.
    ['https://shop.example.com/%0d%0aLocation:%20https://evil.com', 'https://shop.example.com'],
  ])('return_to %j is allowed and the login lands on %s', async (returnTo, origin) => {
    const s = await start(returnTo);
    const back = await consent(s.authorize);
    const res = await w.inject({ url: path(back), headers: { cookie: s.cookie } });
    expect(res.statusCode, res.body).toBe(302);
    const landed = new URL(String(res.headers.location));
    expect(landed.origin).toBe(origin);
    expect(String(res.headers.location).startsWith(`${origin}/`)).toBe(true);
    expect(String(res.headers.location)).not.toMatch(/[\r\n]/);
  });

  it('a planted wxhub_ticket in return_to is dropped', async () => {
    const s = await start('https://shop.example.com/p?wxhub_ticket=planted&a=1');
    const back = await consent(s.authorize);
    const res = await w.inject({ url: path(back), headers: { cookie: s.cookie } });
    const landed = new URL(String(res.headers.location));
    expect(landed.searchParams.getAll('wxhub_ticket')).toHaveLength(1);
    expect(landed.searchParams.get('wxhub_ticket')).not.toBe('planted');
  });

  it('a ticket redeems once; a second redeem, a guessed or a truncated ticket is 400', async () => {
    const s = await start();
    const back = await consent(s.authorize);
    const res = await w.inject({ url: path(back), headers: { cookie: s.cookie } });
    const ticket = new URL(String(res.headers.location)).searchParams.get('wxhub_ticket')!;
    const redeem = (t: unknown) =>
      w.inject({
        method: 'POST',
        url: '/v1/oauth/tickets/redeem',
        headers: bearer(w.oauthKey),
        payload: { ticket: t },
      });
    expect((await redeem(ticket.slice(0, -1))).statusCode).toBe(400);
    expect((await redeem(randomBytes(32).toString('base64url'))).statusCode).toBe(400);
    expect((await redeem(ticket)).statusCode).toBe(200);
    const twice = await redeem(ticket);
    expect(twice.statusCode).toBe(400);
    expect(twice.json().error.code).toBe('WXHUB_ERR_OAUTH_TICKET');
    for (const junk of [null, 42, ['a'], { $ne: '' }, 'a'.repeat(10_000)]) {
      expect((await redeem(junk)).statusCode, JSON.stringify(junk).slice(0, 20)).toBe(400);
    }
  });
});
