import { describe, expect, it } from 'vitest';
import { authorizePath, codeFor, linkParams } from './support/oauth.js';
import {
  ALICE,
  APPID,
  APPID_B,
  BOB,
  expectWeChatError,
  makeSim,
  SECRET,
  SECRET_B,
  TOKEN_SHAPE,
  twoAccounts,
} from './support/sim.js';

const ALICE_ID = ALICE.openid!;
const exchange = (code: string, extra: Record<string, string> = {}) => ({
  appid: APPID,
  secret: SECRET,
  code,
  grant_type: 'authorization_code',
  ...extra,
});

describe('GET /sns/oauth2/access_token', () => {
  it('exchanges a snsapi_userinfo code: web token, refresh_token, openid, scope, unionid when bound', async () => {
    const sim = makeSim(twoAccounts({ unionBound: true, users: [{ ...ALICE, unionid: 'oUnionAlice' }] }));
    const code = await codeFor(sim, ALICE_ID);
    const res = await sim.get('/sns/oauth2/access_token', exchange(code));
    expect(res.headers['content-type']).toBe('application/json; encoding=utf-8');
    expect(res.json()).toEqual({
      access_token: expect.stringMatching(TOKEN_SHAPE),
      expires_in: 7200,
      refresh_token: expect.stringMatching(TOKEN_SHAPE),
      openid: ALICE_ID,
      scope: 'snsapi_userinfo',
      unionid: 'oUnionAlice',
    });
  });

  it('gives no unionid for snsapi_base, nor on accounts that are not unionBound', async () => {
    const bound = makeSim(twoAccounts({ unionBound: true }));
    const base = await bound.getJson(
      '/sns/oauth2/access_token',
      exchange(await codeFor(bound, ALICE_ID, { scope: 'snsapi_base' })),
    );
    expect(base.scope).toBe('snsapi_base');
    expect(base).not.toHaveProperty('unionid');
    const plain = makeSim();
    const info = await plain.getJson('/sns/oauth2/access_token', exchange(await codeFor(plain, ALICE_ID)));
    expect(info).not.toHaveProperty('unionid');
    expect(info).not.toHaveProperty('is_snapshotuser');
  });

  it('marks snapshot users with is_snapshotuser 1, a virtual openid and snsapi_base', async () => {
    const sim = makeSim(twoAccounts({ unionBound: true }));
    const res = await sim.app.inject({
      method: 'GET',
      url: authorizePath(linkParams()),
      headers: { 'x-sim-snapshot': '1' },
    });
    const code = new URL(res.headers.location as string).searchParams.get('code')!;
    const body = await sim.getJson('/sns/oauth2/access_token', exchange(code));
    expect(body).toMatchObject({ is_snapshotuser: 1, scope: 'snsapi_base' });
    expect(body.openid).toMatch(/^o[A-Za-z0-9_-]{27}$/);
    expect(body.openid).not.toBe(ALICE_ID);
    expect(body).not.toHaveProperty('unionid');
    expect(
      (await sim.getJson('/sns/auth', { access_token: body.access_token, openid: body.openid })).errcode,
    ).toBe(0);
  });

  it('codes are single use: 40163 on reuse', async () => {
    const sim = makeSim();
    const code = await codeFor(sim, ALICE_ID);
    expect((await sim.getJson('/sns/oauth2/access_token', exchange(code))).openid).toBe(ALICE_ID);
    expectWeChatError(await sim.get('/sns/oauth2/access_token', exchange(code)), 40163);
  });

  it('codes expire 5 minutes after issue: 40029', async () => {
    const sim = makeSim();
    const early = await codeFor(sim, ALICE_ID);
    const late = await codeFor(sim, ALICE_ID);
    await sim.advance(299);
    expect((await sim.getJson('/sns/oauth2/access_token', exchange(early))).openid).toBe(ALICE_ID);
    await sim.advance(1);
    expectWeChatError(await sim.get('/sns/oauth2/access_token', exchange(late)), 40029);
  });

  it('answers 40029 for unknown codes and for another appid’s code', async () => {
    const sim = makeSim();
    expectWeChatError(await sim.get('/sns/oauth2/access_token', exchange('nonsense')), 40029);
    const code = await codeFor(sim, ALICE_ID);
    expectWeChatError(
      await sim.get('/sns/oauth2/access_token', exchange(code, { appid: APPID_B, secret: SECRET_B })),
      40029,
    );
    // the failed attempt did not use it up
    expect((await sim.getJson('/sns/oauth2/access_token', exchange(code))).openid).toBe(ALICE_ID);
  });

  it('answers the parameter errors', async () => {
    const sim = makeSim();
    const code = await codeFor(sim, ALICE_ID);
    const without = (name: string) => {
      const q: Record<string, string> = exchange(code);
      delete q[name];
      return q;
    };
    expectWeChatError(await sim.get('/sns/oauth2/access_token', without('appid')), 41002);
    expectWeChatError(await sim.get('/sns/oauth2/access_token', without('secret')), 41004);
    expectWeChatError(await sim.get('/sns/oauth2/access_token', without('code')), 41008);
    expectWeChatError(await sim.get('/sns/oauth2/access_token', exchange(code, { grant_type: 'x' })), 40002);
    expectWeChatError(await sim.get('/sns/oauth2/access_token', exchange(code, { appid: 'wxnope' })), 40013);
    expectWeChatError(await sim.get('/sns/oauth2/access_token', exchange(code, { secret: 'wrong' })), 40125);
  });
});

describe('GET /sns/oauth2/refresh_token', () => {
  const refreshQuery = (token: string, extra: Record<string, string> = {}) => ({
    appid: APPID,
    grant_type: 'refresh_token',
    refresh_token: token,
    ...extra,
  });

  it('returns a new web access_token with the same refresh_token, for 30 days', async () => {
    const sim = makeSim();
    const first = await sim.getJson('/sns/oauth2/access_token', exchange(await codeFor(sim, ALICE_ID)));
    await sim.advance(30 * 86_400 - 1);
    const refreshed = await sim.getJson('/sns/oauth2/refresh_token', refreshQuery(first.refresh_token));
    expect(refreshed).toEqual({
      access_token: expect.stringMatching(TOKEN_SHAPE),
      expires_in: 7200,
      refresh_token: first.refresh_token,
      openid: ALICE_ID,
      scope: 'snsapi_userinfo',
    });
    expect(refreshed.access_token).not.toBe(first.access_token);
    expect(
      (await sim.getJson('/sns/auth', { access_token: refreshed.access_token, openid: ALICE_ID })).errcode,
    ).toBe(0);
    await sim.advance(1);
    expectWeChatError(await sim.get('/sns/oauth2/refresh_token', refreshQuery(first.refresh_token)), 42002);
  });

  it('answers 40030 for an unknown or another appid’s refresh_token, and the parameter errors', async () => {
    const sim = makeSim();
    const first = await sim.getJson('/sns/oauth2/access_token', exchange(await codeFor(sim, ALICE_ID)));
    expectWeChatError(await sim.get('/sns/oauth2/refresh_token', refreshQuery('nope')), 40030);
    expectWeChatError(
      await sim.get('/sns/oauth2/refresh_token', refreshQuery(first.refresh_token, { appid: APPID_B })),
      40030,
    );
    expectWeChatError(
      await sim.get('/sns/oauth2/refresh_token', { grant_type: 'refresh_token', refresh_token: 'x' }),
      41002,
    );
    expectWeChatError(
      await sim.get('/sns/oauth2/refresh_token', refreshQuery('x', { grant_type: 'client_credential' })),
      40002,
    );
    expectWeChatError(
      await sim.get('/sns/oauth2/refresh_token', { appid: APPID, grant_type: 'refresh_token' }),
      41003,
    );
    expectWeChatError(
      await sim.get('/sns/oauth2/refresh_token', refreshQuery('x', { appid: 'wxnope' })),
      40013,
    );
  });
});

describe('GET /sns/userinfo and /sns/auth', () => {
  it('answers the current-era profile: nickname, avatar, sex 0, empty region, privilege [], unionid when bound', async () => {
    const sim = makeSim(
      twoAccounts({
        unionBound: true,
        users: [{ ...ALICE, unionid: 'oUnionAlice', city: '广州', province: '广东', country: '中国' }],
      }),
    );
    const grant = await sim.getJson('/sns/oauth2/access_token', exchange(await codeFor(sim, ALICE_ID)));
    const res = await sim.get(
      '/sns/userinfo',
      { access_token: grant.access_token, openid: ALICE_ID, lang: 'zh_CN' },
      { host: 'sim.test' },
    );
    expect(res.json()).toEqual({
      openid: ALICE_ID,
      nickname: 'Alice 爱丽丝',
      sex: 0,
      province: '',
      city: '',
      country: '',
      headimgurl: expect.stringMatching(/^http:\/\/sim\.test\/mmopen\/[A-Za-z0-9_-]+\/132$/),
      privilege: [],
      unionid: 'oUnionAlice',
    });
  });

  it('returns the legacy-era sex and region on legacyProfile accounts, and a set headimgurl as is', async () => {
    const sim = makeSim(
      twoAccounts({
        legacyProfile: true,
        users: [{ ...ALICE, city: '广州', headimgurl: 'https://thirdwx.qlogo.cn/mmopen/x/132' }],
      }),
    );
    const grant = await sim.getJson('/sns/oauth2/access_token', exchange(await codeFor(sim, ALICE_ID)));
    const body = await sim.getJson('/sns/userinfo', { access_token: grant.access_token, openid: ALICE_ID });
    expect(body).toMatchObject({ sex: 2, city: '广州', headimgurl: 'https://thirdwx.qlogo.cn/mmopen/x/132' });
    expect(body).not.toHaveProperty('unionid');
  });

  it('answers 48001 to a snsapi_base token, 40003 to another openid, 42001 after 7200 s, 40001 to a global token', async () => {
    const sim = makeSim();
    const base = await sim.getJson(
      '/sns/oauth2/access_token',
      exchange(await codeFor(sim, ALICE_ID, { scope: 'snsapi_base' })),
    );
    expectWeChatError(
      await sim.get('/sns/userinfo', { access_token: base.access_token, openid: ALICE_ID }),
      48001,
    );
    const info = await sim.getJson('/sns/oauth2/access_token', exchange(await codeFor(sim, ALICE_ID)));
    expectWeChatError(
      await sim.get('/sns/userinfo', { access_token: info.access_token, openid: BOB.openid! }),
      40003,
    );
    expectWeChatError(await sim.get('/sns/userinfo', { openid: ALICE_ID }), 41001);
    expectWeChatError(
      await sim.get('/sns/userinfo', { access_token: await sim.token(), openid: ALICE_ID }),
      40001,
    );
    await sim.advance(7199);
    expect(
      (await sim.getJson('/sns/userinfo', { access_token: info.access_token, openid: ALICE_ID })).openid,
    ).toBe(ALICE_ID);
    await sim.advance(1);
    expectWeChatError(
      await sim.get('/sns/userinfo', { access_token: info.access_token, openid: ALICE_ID }),
      42001,
    );
  });

  it('/sns/auth: {"errcode":0,"errmsg":"ok"} for a valid pair, else the error', async () => {
    const sim = makeSim();
    const grant = await sim.getJson(
      '/sns/oauth2/access_token',
      exchange(await codeFor(sim, ALICE_ID, { scope: 'snsapi_base' })),
    );
    const ok = await sim.get('/sns/auth', { access_token: grant.access_token, openid: ALICE_ID });
    expect(ok.headers['content-type']).toBe('application/json; encoding=utf-8');
    expect(ok.json()).toEqual({ errcode: 0, errmsg: 'ok' });
    expectWeChatError(
      await sim.get('/sns/auth', { access_token: grant.access_token, openid: 'oOther' }),
      40003,
    );
    expectWeChatError(await sim.get('/sns/auth', { access_token: 'garbage', openid: ALICE_ID }), 40001);
    await sim.advance(7200);
    expectWeChatError(
      await sim.get('/sns/auth', { access_token: grant.access_token, openid: ALICE_ID }),
      42001,
    );
  });
});
