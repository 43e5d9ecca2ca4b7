import { describe, expect, it } from 'vitest';
import type { OAuthContext } from '../../src/oauth/oauth-context.js';
import {
  directWeChatUrl,
  pendingTtlMs,
  type WeChatStartDeps,
  wechatScope,
} from '../../src/oidc/wechat-start.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { ManualClock } from '../../src/util/clock.js';

const OA = 'wx1234567890abcdef';
const WECHAT_UA = 'Mozilla/5.0 (iPhone) MicroMessenger/8.0.47';
const DESKTOP_UA = 'Mozilla/5.0 (Macintosh) Safari/605.1.15';

function deps(): WeChatStartDeps & { store: MemoryStore; clock: ManualClock } {
  const clock = new ManualClock();
  const store = new MemoryStore({ clock });
  const login = {
    oauth: { stateTtlSeconds: 600 },
    client: () => ({
      oauth: {
        authorizeUrl: ({
          redirectUri,
          scope,
          state,
        }: {
          redirectUri: string;
          scope: string;
          state: string;
        }) =>
          `https://open.weixin.qq.com/connect/oauth2/authorize?redirect_uri=${encodeURIComponent(redirectUri)}&scope=${scope}&state=${state}`,
        qrConnectUrl: () => 'https://open.weixin.qq.com/connect/qrconnect',
      },
    }),
  } as unknown as OAuthContext;
  return { issuer: 'https://login.example.com/oidc', login, store, clock };
}

describe('wechat-start', () => {
  it('asks WeChat for snsapi_userinfo only when the client asks profile', () => {
    expect(wechatScope({ scope: 'openid profile' })).toBe('snsapi_userinfo');
    expect(wechatScope({ scope: 'openid' })).toBe('snsapi_base');
    expect(wechatScope({})).toBe('snsapi_base');
  });

  it('keeps a login record no longer than the state lifetime nor the interaction', () => {
    const d = deps();
    const now = d.clock.now() / 1000;
    expect(pendingTtlMs(d, now + 3600)).toBe(600_000);
    expect(pendingTtlMs(d, now + 30)).toBe(30_000);
    expect(pendingTtlMs(d, now - 5)).toBe(1000);
  });

  it("goes straight to WeChat for a login in WeChat's browser, with a state bound to the interaction", async () => {
    const d = deps();
    const pending = { uid: 'u1', exp: d.clock.now() / 1000 + 600, params: { scope: 'openid profile' } };
    const url = new URL(
      (await directWeChatUrl(d, { ...pending, prompt: { name: 'login' } }, WECHAT_UA, { appid: OA }))!,
    );
    expect(url.searchParams.get('redirect_uri')).toBe(
      `https://login.example.com/oidc/interaction/u1/wechat/${OA}`,
    );
    expect(url.searchParams.get('scope')).toBe('snsapi_userinfo');
    const state = url.searchParams.get('state')!;
    const stored = JSON.parse((await d.store.takeOnce(`oauth:state:${OA}:${state}`))!);
    expect(stored).toMatchObject({
      appid: OA,
      oidcInteraction: 'u1',
      returnTo: 'https://login.example.com/oidc/interaction/u1',
    });
  });

  it("leaves a known user's consent, a desktop without website app and a client without appid to the page", async () => {
    const d = deps();
    const pending = { uid: 'u1', exp: d.clock.now() / 1000 + 600, params: { scope: 'openid' } };
    const consent = { ...pending, prompt: { name: 'consent' }, session: { accountId: 'user' } };
    expect(await directWeChatUrl(d, consent, WECHAT_UA, { appid: OA })).toBeNull();
    const login = { ...pending, prompt: { name: 'login' } };
    expect(await directWeChatUrl(d, login, DESKTOP_UA, { appid: OA })).toBeNull();
    expect(await directWeChatUrl(d, login, WECHAT_UA, {})).toBeNull();
    expect(
      await directWeChatUrl(d, login, DESKTOP_UA, { appid: OA, website_appid: 'wx00000000000000aa' }),
    ).toBe('https://open.weixin.qq.com/connect/qrconnect');
  });
});
