import { describe, expect, it } from 'vitest';
import { authorizePath, linkParams, type Pairs } from './support/oauth.js';
import { ALICE, APPID, expectWeChatError, makeSim, SECRET, TOKEN_SHAPE, twoAccounts } from './support/sim.js';

const WEB_APPID = 'wxweb000000000001';
const WEB_SECRET = 'websecret0123456789abcdef012345';
const UNION = 'oUnionAliceAAAAAAAAAAAAAAAAA';
const WEB_ALICE = 'oWebAliceAAAAAAAAAAAAAAAAAAA';
const REDIRECT = 'https://shop.example.com/login/callback?next=%2Fcart';

/** An Official Account and a website app bound to one Open Platform account: Alice uses both. */
function boundWorld() {
  const fixture = twoAccounts({ unionBound: true, users: [{ ...ALICE, unionid: UNION }] });
  fixture.accounts.push({
    appid: WEB_APPID,
    secret: WEB_SECRET,
    kind: 'website',
    name: '演示商城网站 Demo Shop Web',
    unionBound: true,
    oauthDomains: ['shop.example.com'],
    users: [{ openid: WEB_ALICE, unionid: UNION, nickname: 'Alice 爱丽丝' }],
  });
  return makeSim(fixture);
}

function qrconnectPath(overrides: Record<string, string | null> = {}): string {
  const base: Pairs = [
    ['appid', WEB_APPID],
    ['redirect_uri', REDIRECT],
    ['response_type', 'code'],
    ['scope', 'snsapi_login'],
    ['state', 'xyz789'],
  ];
  const pairs = base.flatMap(([k, v]): Pairs => (overrides[k] === null ? [] : [[k, overrides[k] ?? v]]));
  return `/connect/qrconnect?${pairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')}`;
}

describe('GET /connect/qrconnect (website QR login)', () => {
  it('shows a QR code and the website users to scan as', async () => {
    const sim = boundWorld();
    const res = await sim.get(qrconnectPath());
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.body).toContain('演示商城网站 Demo Shop Web');
    expect(res.body).toMatch(/<img class="qrcode" src="data:image\/png;base64,[A-Za-z0-9+/=]+"/);
    expect(res.body).toContain(`value="${WEB_ALICE}"`);
    expect(res.body).toContain('action="/connect/qrconnect/confirm"');
    expect(res.body).not.toContain('follower');
  });

  it('X-Sim-User answers the 302 with a code; the website secret exchanges it for the shared unionid', async () => {
    const sim = boundWorld();
    const res = await sim.get(qrconnectPath(), undefined, { 'x-sim-user': WEB_ALICE });
    expect(res.statusCode).toBe(302);
    const location = new URL(res.headers.location as string);
    expect(`${location.origin}${location.pathname}`).toBe('https://shop.example.com/login/callback');
    expect(location.searchParams.get('next')).toBe('/cart');
    expect(location.searchParams.get('state')).toBe('xyz789');
    const code = location.searchParams.get('code')!;
    // The Official Account cannot redeem the website app's code.
    expectWeChatError(
      await sim.get('/sns/oauth2/access_token', {
        appid: APPID,
        secret: SECRET,
        code,
        grant_type: 'authorization_code',
      }),
      40029,
    );
    const token = await sim.getJson('/sns/oauth2/access_token', {
      appid: WEB_APPID,
      secret: WEB_SECRET,
      code,
      grant_type: 'authorization_code',
    });
    expect(token).toEqual({
      access_token: expect.stringMatching(TOKEN_SHAPE),
      expires_in: 7200,
      refresh_token: expect.stringMatching(TOKEN_SHAPE),
      openid: WEB_ALICE,
      scope: 'snsapi_login',
      unionid: UNION,
    });
    const info = await sim.getJson('/sns/userinfo', { access_token: token.access_token, openid: WEB_ALICE });
    expect(info).toMatchObject({ openid: WEB_ALICE, nickname: 'Alice 爱丽丝', unionid: UNION });
    // The Official Account knows the same person under another openid and the same unionid.
    const mp = await sim.getJson('/cgi-bin/user/info', {
      access_token: await sim.token(),
      openid: ALICE.openid!,
    });
    expect(mp.unionid).toBe(UNION);
    expect(mp.openid).not.toBe(WEB_ALICE);
  });

  it('X-Sim-Action: deny, and the page form, redirect as WeChat does', async () => {
    const sim = boundWorld();
    const denied = await sim.get(qrconnectPath(), undefined, { 'x-sim-action': 'deny' });
    expect(denied.statusCode).toBe(302);
    expect(denied.headers.location).toBe('https://shop.example.com/login/callback?next=%2Fcart&state=xyz789');
    const form = (extra: Record<string, string>) =>
      new URLSearchParams({
        appid: WEB_APPID,
        redirect_uri: REDIRECT,
        response_type: 'code',
        scope: 'snsapi_login',
        state: 'xyz789',
        ...extra,
      }).toString();
    const post = (body: string) =>
      sim.app.inject({
        method: 'POST',
        url: '/connect/qrconnect/confirm',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: body,
      });
    const allowed = await post(form({ openid: WEB_ALICE, action: 'allow' }));
    expect(allowed.statusCode).toBe(302);
    expect(new URL(allowed.headers.location as string).searchParams.get('code')).toMatch(
      /^[A-Za-z0-9_-]{32}$/,
    );
    const refused = await post(form({ openid: WEB_ALICE, action: 'deny' }));
    expect(new URL(refused.headers.location as string).searchParams.has('code')).toBe(false);
    // No snapshot users on the QR login: the box does nothing, a user must be picked.
    expect((await post(form({ snapshot: '1', action: 'allow' }))).statusCode).toBe(400);
    expect((await sim.get(qrconnectPath(), undefined, { 'x-sim-user': 'oNobody' })).statusCode).toBe(400);
  });

  it("checks the link like the authorize page: order, scope, state, domain; an Official Account's appid is refused", async () => {
    const sim = boundWorld();
    const cases: Array<[string, number]> = [
      [qrconnectPath({ appid: null }), 10012],
      [qrconnectPath({ appid: 'wxunknown' }), 10012],
      [qrconnectPath({ redirect_uri: null }), 10011],
      [qrconnectPath({ scope: null }), 10010],
      [qrconnectPath({ scope: 'snsapi_userinfo' }), 10005],
      [qrconnectPath({ appid: APPID }), 10005],
      [qrconnectPath({ state: 'a-b' }), 10005],
      [qrconnectPath({ redirect_uri: 'https://evil.example.com/cb' }), 10003],
      [
        `/connect/qrconnect?redirect_uri=${encodeURIComponent(REDIRECT)}&appid=${WEB_APPID}&response_type=code&scope=snsapi_login&state=s`,
        10005,
      ],
    ];
    for (const [path, errcode] of cases) {
      const res = await sim.get(path, undefined, { 'x-sim-user': WEB_ALICE });
      expect(res.statusCode, path).toBe(200);
      expect(res.headers['x-sim-errcode'], path).toBe(String(errcode));
    }
    // Extra parameters after state (the embedded wxLogin.js adds some) are fine.
    expect(
      (
        await sim.get(`${qrconnectPath()}&self_redirect=false&style=black`, undefined, {
          'x-sim-user': WEB_ALICE,
        })
      ).statusCode,
    ).toBe(302);
  });
});

describe('website apps elsewhere', () => {
  it('have no global access_token: /cgi-bin/token and stable_token answer 40013', async () => {
    const sim = boundWorld();
    expectWeChatError(
      await sim.get('/cgi-bin/token', {
        grant_type: 'client_credential',
        appid: WEB_APPID,
        secret: WEB_SECRET,
      }),
      40013,
    );
    expectWeChatError(
      await sim.post('/cgi-bin/stable_token', {
        grant_type: 'client_credential',
        appid: WEB_APPID,
        secret: WEB_SECRET,
      }),
      40013,
    );
  });

  it("are refused by the Official Account's authorize page with 10016", async () => {
    const sim = boundWorld();
    const res = await sim.get(authorizePath(linkParams({ appid: WEB_APPID })), undefined, {
      'x-sim-user': WEB_ALICE,
    });
    expect(res.headers['x-sim-errcode']).toBe('10016');
  });

  it('are listed with their kind; Official Accounts have an original id', async () => {
    const sim = boundWorld();
    const web = await sim.getJson(`/__sim/accounts/${WEB_APPID}`);
    expect(web).toMatchObject({ kind: 'website', server: null });
    const mp = await sim.getJson(`/__sim/accounts/${APPID}`);
    expect(mp).toMatchObject({ kind: 'official', originalId: expect.stringMatching(/^gh_[0-9a-f]{12}$/) });
    const custom = await sim.post('/__sim/accounts', {
      appid: 'wxnew',
      secret: 's',
      originalId: 'gh_0123456789ab',
    });
    expect(custom.statusCode).toBe(201);
    expect((await sim.getJson('/__sim/accounts/wxnew')).originalId).toBe('gh_0123456789ab');
    expect(
      (await sim.post('/__sim/accounts', { appid: 'wxbad', secret: 's', originalId: 'abc' })).statusCode,
    ).toBe(400);
    expect(
      (await sim.post('/__sim/accounts', { appid: 'wxbad', secret: 's', kind: 'miniprogram' })).statusCode,
    ).toBe(400);
  });
});
