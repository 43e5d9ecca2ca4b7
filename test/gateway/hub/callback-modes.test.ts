import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type GatewayHub,
  startGatewayHub,
  startSubscriber,
  type TestSubscriber,
  until,
  webhook,
} from './gateway-hub.js';

describe.each(['plain', 'compatible', 'safe'] as const)('the hub as the push URL, %s mode', (mode) => {
  let crm: TestSubscriber;
  let gw: GatewayHub;

  beforeAll(async () => {
    crm = await startSubscriber();
    gw = await startGatewayHub({ mode, config: () => ({ subscribers: [webhook('crm', crm)] }) });
  });
  afterAll(async () => {
    await gw?.close();
    await crm?.close();
  });

  it("passes WeChat's URL check (the simulator saved the hub's URL)", async () => {
    const config = await gw.sim.control<{ url: string; mode: string }>(
      'POST',
      `/__sim/accounts/${gw.appid}/server`,
      { url: gw.serverUrl, token: gw.token, mode, ...(gw.key ? { encodingAESKey: gw.key } : {}) },
    );
    expect(config).toMatchObject({ url: gw.serverUrl, mode });
    // A console with the wrong Token fails the check: the hub answers no echo.
    await expect(
      gw.sim.control('POST', `/__sim/accounts/${gw.appid}/server`, {
        url: gw.serverUrl,
        token: 'WrongToken',
        mode,
        ...(gw.key ? { encodingAESKey: gw.key } : {}),
      }),
    ).rejects.toThrow(/HTTP 400/);
    await gw.sim.control('POST', `/__sim/accounts/${gw.appid}/server`, {
      url: gw.serverUrl,
      token: gw.token,
      mode,
      ...(gw.key ? { encodingAESKey: gw.key } : {}),
    });
  });

  it('answers a text push `success` at once and delivers it, signed, to the subscriber', async () => {
    const outcome = await gw.message({ msgType: 'text', content: '你好 <&> world' });
    expect(outcome).toMatchObject({ attempts: 1, delivered: true, reply: null, userSees: null });
    await until(() => crm.received.length >= 1, 10_000, 'the delivery');
    const { event, headers } = crm.received[0]!;
    expect(event).toMatchObject({
      appid: gw.appid,
      openid: gw.openid,
      type: 'message',
      msg_type: 'text',
      create_time: outcome.createTime,
      fields: { Content: '你好 <&> world', MsgId: outcome.msgId, FromUserName: gw.openid },
    });
    expect(typeof event.fields.MsgId).toBe('string');
    expect(event.xml).toContain('<MsgType><![CDATA[text]]></MsgType>');
    expect(headers['webhook-id']).toBe(event.id);
  });

  it("meters the pushes it answered before Fastify (the hub's callback lane) like any request", async () => {
    const before = await pushesMetered(gw);
    await gw.message({ msgType: 'text', content: 'metered' });
    expect(await pushesMetered(gw)).toBe(before + 1);
  });
});

/** The hub's request histogram count for answered pushes, and its gateway push counter, agreed. */
async function pushesMetered(gw: GatewayHub): Promise<number> {
  const text = (await gw.hub.app.inject({ url: '/metrics' })).body;
  const count = (prefix: string) =>
    text
      .split('\n')
      .filter((line) => line.startsWith(prefix))
      .reduce((n, line) => n + Number(line.split(' ').at(-1)), 0);
  const requests = count(
    'wxhub_http_request_duration_seconds_count{route="/callback/:appid",method="POST",status="200"}',
  );
  expect(requests).toBe(count(`wxhub_gateway_pushes_total{appid="${gw.appid}"`));
  return requests;
}
