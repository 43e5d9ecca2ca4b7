import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayHub, startGatewayHub, until } from './gateway-hub.js';

/**
 * "Followers, live" through the whole hub: the simulator pushes subscribe, unsubscribe and SCAN
 * as WeChat does, and `GET /v1/accounts/:appid/users/:openid` (and the follower list) answer from
 * the state those pushes left, with no sync and no `/cgi-bin/user/info` call.
 */
let gw: GatewayHub;
let key: string;

beforeAll(async () => {
  gw = await startGatewayHub({ mode: 'safe' });
  key = (await gw.hub.services.keys.create({ name: 'app', appids: [gw.appid], scopes: ['users'] })).key;
});
afterAll(async () => {
  await gw?.close();
});

async function person(openid: string): Promise<{ subscribe: number; updated_at: number | null }> {
  const res = await fetch(`${gw.hub.url}/v1/accounts/${gw.appid}/users/${openid}`, {
    headers: { authorization: `Bearer ${key}` },
  });
  expect(res.status).toBe(200);
  return (await res.json()) as { subscribe: number; updated_at: number | null };
}

async function followers(): Promise<string[]> {
  const res = await fetch(`${gw.hub.url}/v1/accounts/${gw.appid}/followers?limit=1000`, {
    headers: { authorization: `Bearer ${key}` },
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { followers: { openid: string }[] }).followers.map((f) => f.openid);
}

describe('pushed follows change the people API at once', () => {
  it('unsubscribe answers 0, a QR subscribe answers 1 and records the scene, SCAN keeps following', async () => {
    const userInfo = () => gw.sim.calls(gw.appid, '/cgi-bin/user/info');
    const infoBefore = await userInfo();
    expect(await person(gw.openid)).toMatchObject({ subscribe: 0, updated_at: null });

    const left = await gw.event({ event: 'unsubscribe' });
    expect(left).toMatchObject({ delivered: true });
    await until(async () => (await person(gw.openid)).updated_at !== null, 5000, 'the unsubscribe');
    expect(await person(gw.openid)).toMatchObject({ subscribe: 0 });
    expect(await followers()).not.toContain(gw.openid);

    await gw.sim.advance(1);
    await gw.event({ event: 'subscribe', eventKey: 'qrscene_poster-9' });
    await until(async () => (await person(gw.openid)).subscribe === 1, 5000, 'the subscribe');
    expect(await followers()).toContain(gw.openid);
    expect(await gw.hub.database.followers.state(gw.appid, gw.openid)).toMatchObject({
      subscribe: 1,
      qrScene: 'poster-9',
    });

    await gw.sim.advance(1);
    await gw.event({ event: 'SCAN', eventKey: 'poster-10' });
    await new Promise((r) => setTimeout(r, 200));
    expect(await person(gw.openid)).toMatchObject({ subscribe: 1 });
    // Answered from the pushes alone: "does this user follow us" never asked WeChat.
    expect(await userInfo()).toBe(infoBefore);
  });
});
