import { describe, expect, it } from 'vitest';
import { authorizePath, linkParams, type Pairs, REDIRECT } from './support/oauth.js';
import { ALICE, APPID, makeSim, SECRET, twoAccounts } from './support/sim.js';

const ALICE_ID = ALICE.openid!;

async function expectErrorPage(
  sim: ReturnType<typeof makeSim>,
  pairs: Pairs,
  errcode: number,
): Promise<string> {
  const res = await sim.app.inject({
    method: 'GET',
    url: authorizePath(pairs),
    headers: { 'x-sim-user': ALICE_ID },
  });
  expect(res.statusCode, res.body).toBe(200);
  expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
  expect(res.headers['x-sim-errcode']).toBe(String(errcode));
  expect(res.body).toContain(`data-errcode="${errcode}"`);
  expect(res.body).toContain(`<strong id="errcode">${errcode}</strong>`);
  return res.body;
}

describe('GET /connect/oauth2/authorize: link checks', () => {
  it('shows 10012 for an empty or unknown appid', async () => {
    const sim = makeSim();
    await expectErrorPage(sim, linkParams({ appid: '' }), 10012);
    await expectErrorPage(sim, linkParams({ appid: 'wxnope' }), 10012);
    await expectErrorPage(sim, [['redirect_uri', REDIRECT]], 10012);
  });

  it('shows 10011 for an empty redirect_uri, 10010 for an empty scope, 10005 for an unknown scope', async () => {
    const sim = makeSim();
    await expectErrorPage(sim, linkParams({ redirect_uri: '' }), 10011);
    await expectErrorPage(sim, linkParams({ scope: '' }), 10010);
    await expectErrorPage(sim, linkParams({ scope: 'snsapi_login' }), 10005);
  });

  it('checks the parameter order appid, redirect_uri, response_type, scope, state', async () => {
    const sim = makeSim();
    const [appid, redirect, type, scope, state] = linkParams();
    const body = await expectErrorPage(sim, [redirect!, appid!, type!, scope!, state!], 10005);
    expect(body).toContain('order');
    await expectErrorPage(sim, [appid!, redirect!, scope!, type!, state!], 10005);
    await expectErrorPage(sim, [appid!, redirect!, type!, scope!, ['forcePopup', 'true'], state!], 10005);
    // state is optional, and extra parameters may follow it
    const ok = await sim.app.inject({
      method: 'GET',
      url: authorizePath([appid!, redirect!, type!, scope!, state!, ['forcePopup', 'true']]),
      headers: { 'x-sim-user': ALICE_ID },
    });
    expect(ok.statusCode).toBe(302);
  });

  it('requires response_type=code', async () => {
    const sim = makeSim();
    await expectErrorPage(sim, linkParams({ response_type: 'token' }), 10005);
  });

  it('accepts state of [a-zA-Z0-9] up to 128 bytes, nothing else', async () => {
    const sim = makeSim();
    await expectErrorPage(sim, linkParams({ state: 'a'.repeat(129) }), 10005);
    await expectErrorPage(sim, linkParams({ state: 'a-b' }), 10005);
    await expectErrorPage(sim, linkParams({ state: '状态' }), 10005);
    const ok = await sim.app.inject({
      method: 'GET',
      url: authorizePath(linkParams({ state: 'Z9'.repeat(64) })),
      headers: { 'x-sim-user': ALICE_ID },
    });
    expect(ok.statusCode).toBe(302);
    expect(new URL(ok.headers.location as string).searchParams.get('state')).toBe('Z9'.repeat(64));
  });

  it('shows 10003 when the redirect_uri host is not an oauthDomain; ports are ignored', async () => {
    const sim = makeSim();
    await expectErrorPage(sim, linkParams({ redirect_uri: 'https://evil.example.com/cb' }), 10003);
    await expectErrorPage(sim, linkParams({ redirect_uri: 'https://sub.app.example.com/cb' }), 10003);
    await expectErrorPage(sim, linkParams({ redirect_uri: 'not a url' }), 10003);
    await expectErrorPage(sim, linkParams({ redirect_uri: 'javascript://app.example.com/x' }), 10003);
    const ok = await sim.app.inject({
      method: 'GET',
      url: authorizePath(linkParams({ redirect_uri: 'https://APP.example.com:8443/login' })),
      headers: { 'x-sim-user': ALICE_ID },
    });
    expect(ok.statusCode).toBe(302);
  });

  it('counts page errors in the stats', async () => {
    const sim = makeSim();
    await expectErrorPage(sim, linkParams({ scope: '' }), 10010);
    const stats = await sim.getJson('/__sim/stats');
    expect(stats.calls['/connect/oauth2/authorize']).toBe(1);
    expect(stats.errors['10010']).toBe(1);
  });
});

describe('GET /connect/oauth2/authorize: consent and scripted answers', () => {
  it('shows a consent page (授权 / 允许 / Allow) listing the account’s users with avatars', async () => {
    const sim = makeSim();
    const res = await sim.get(authorizePath(linkParams()));
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    for (const word of [
      '授权',
      '允许',
      'Allow',
      '拒绝',
      'Deny',
      'Alice 爱丽丝',
      '鲍勃',
      ALICE_ID,
      'snapshot',
    ]) {
      expect(res.body).toContain(word);
    }
    expect(res.body).not.toContain('Carol'); // another account's user
    expect(res.body).toMatch(/<img src="http:\/\/localhost(:80)?\/mmopen\/[A-Za-z0-9_-]+\/64"/);
    expect(res.body).toContain('action="/connect/oauth2/authorize/confirm"');
  });

  it('escapes HTML in nicknames', async () => {
    const sim = makeSim(twoAccounts({ users: [{ openid: 'oX', nickname: '<script>alert(1)</script>' }] }));
    const res = await sim.get(authorizePath(linkParams()));
    expect(res.body).not.toContain('<script>alert(1)</script>');
    expect(res.body).toContain('&lt;script&gt;');
  });

  it('X-Sim-User answers 302 to redirect_uri with code and state, keeping its query', async () => {
    const sim = makeSim();
    const res = await sim.app.inject({
      method: 'GET',
      url: authorizePath(linkParams()),
      headers: { 'x-sim-user': ALICE_ID },
    });
    expect(res.statusCode).toBe(302);
    const location = res.headers.location as string;
    expect(location).toMatch(/^http:\/\/127\.0\.0\.1:3000\/cb\?from=test&code=[A-Za-z0-9_-]+&state=abc123$/);
  });

  it('puts code and state before a fragment, and echoes an absent state as empty', async () => {
    const sim = makeSim();
    const res = await sim.app.inject({
      method: 'GET',
      url: authorizePath(linkParams({ redirect_uri: 'http://localhost/app#/login', state: null })),
      headers: { 'x-sim-user': ALICE_ID },
    });
    expect(res.headers.location).toMatch(/^http:\/\/localhost\/app\?code=[A-Za-z0-9_-]+&state=#\/login$/);
  });

  it('X-Sim-Action: deny answers 302 with state and no code', async () => {
    const sim = makeSim();
    const res = await sim.app.inject({
      method: 'GET',
      url: authorizePath(linkParams()),
      headers: { 'x-sim-action': 'deny' },
    });
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe('http://127.0.0.1:3000/cb?from=test&state=abc123');
  });

  it('refuses an X-Sim-User that is not a user of the account with a 400 page', async () => {
    const sim = makeSim();
    const res = await sim.app.inject({
      method: 'GET',
      url: authorizePath(linkParams()),
      headers: { 'x-sim-user': 'oCarolCCCCCCCCCCCCCCCCCCCCCC' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('is not a user of');
  });

  it('X-Sim-Action: allow without a user is a 400 page', async () => {
    const sim = makeSim();
    const res = await sim.app.inject({
      method: 'GET',
      url: authorizePath(linkParams()),
      headers: { 'x-sim-action': 'allow' },
    });
    expect(res.statusCode).toBe(400);
  });

  it('the consent form allows, denies and makes snapshot users', async () => {
    const sim = makeSim();
    const form = (fields: Record<string, string>) =>
      sim.app.inject({
        method: 'POST',
        url: '/connect/oauth2/authorize/confirm',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({
          appid: APPID,
          redirect_uri: REDIRECT,
          response_type: 'code',
          scope: 'snsapi_userinfo',
          state: 'xyz',
          ...fields,
        }).toString(),
      });
    const allowed = await form({ openid: ALICE_ID, action: 'allow' });
    expect(allowed.statusCode).toBe(302);
    const code = new URL(allowed.headers.location as string).searchParams.get('code')!;
    const exchanged = await sim.getJson('/sns/oauth2/access_token', {
      appid: APPID,
      secret: SECRET,
      code,
      grant_type: 'authorization_code',
    });
    expect(exchanged).toMatchObject({ openid: ALICE_ID, scope: 'snsapi_userinfo' });

    const denied = await form({ openid: ALICE_ID, action: 'deny' });
    expect(denied.headers.location).toBe(`${REDIRECT}&state=xyz`);

    const snap = await form({ action: 'allow', snapshot: '1' });
    expect(snap.statusCode).toBe(302);
    const none = await form({ action: 'allow' });
    expect(none.statusCode).toBe(400);
    const forged = await form({
      openid: ALICE_ID,
      action: 'allow',
      redirect_uri: 'https://evil.example.com/',
    });
    expect(forged.headers['x-sim-errcode']).toBe('10003');
  });
});
