import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hub } from '../../../src/hub/index.js';
import { startSubscriber, type TestSubscriber, until } from './gateway-hub.js';
import { BARE, injectHub, push, SHOP, signed, text } from './inject-push.js';

let crm: TestSubscriber;
let hub: Hub;
beforeAll(async () => {
  crm = await startSubscriber();
  crm.state.down = true;
  hub = await injectHub({
    config: { subscribers: [{ name: 'crm', url: crm.url, secret: crm.secret }] },
    gateway: { retryStrategy: (n) => (n > 2 ? null : 30), pollMs: 50 },
  });
});
afterAll(async () => {
  await hub?.close();
  await crm?.close();
});

const metrics = async () => (await hub.app.inject({ url: '/metrics' })).body;
const value = (text: string, series: string) =>
  Number(
    text
      .split('\n')
      .find((line) => line.startsWith(`${series} `))
      ?.split(' ')[1] ?? Number.NaN,
  );

describe('gateway metrics', () => {
  it('counts pushes, duplicates, refusals, ack latency, deliveries, backlog and dead letters', async () => {
    await push(hub, text('1'));
    await push(hub, text('1'));
    await push(hub, text('2', 'oOther'));
    await hub.app.inject({ url: `/callback/${BARE}?${new URLSearchParams({ ...signed(), echostr: 'e' })}` });
    await hub.app.inject({
      method: 'POST',
      url: `/callback/${SHOP}?signature=x&timestamp=1&nonce=1`,
      payload: '<xml/>',
    });

    let text1 = await metrics();
    expect(value(text1, `wxhub_gateway_pushes_total{appid="${SHOP}",msg_type="text",event=""}`)).toBe(2);
    expect(value(text1, `wxhub_gateway_duplicates_total{appid="${SHOP}"}`)).toBe(1);
    expect(value(text1, 'wxhub_gateway_refused_total{code="WXHUB_ERR_CALLBACK_NOT_CONFIGURED"}')).toBe(1);
    expect(value(text1, 'wxhub_gateway_refused_total{code="WXHUB_ERR_CALLBACK_SIGNATURE"}')).toBe(1);
    expect(value(text1, 'wxhub_gateway_ack_seconds_count')).toBe(3);
    // The subscriber is down: retried, then dead-lettered; the partition moves on.
    await until(
      async () => value(await metrics(), 'wxhub_gateway_dead_letters{consumer="crm"}') === 2,
      5000,
      'two dead letters',
    );
    text1 = await metrics();
    expect(value(text1, 'wxhub_gateway_deliveries_total{consumer="crm",outcome="dead"}')).toBe(2);
    expect(value(text1, 'wxhub_gateway_deliveries_total{consumer="crm",outcome="failed"}')).toBe(4);
    expect(value(text1, 'wxhub_gateway_backlog{consumer="crm"}')).toBe(0);

    const snapshot = hub.services.metrics.gateway.snapshot();
    expect(snapshot).toMatchObject({ pushes: 2, duplicates: 1, refused: 2, pushesLastMinute: 2 });
    expect(snapshot.ackP99Ms).toBeGreaterThan(0);
    expect(snapshot.consumers.crm).toMatchObject({
      dead: 2,
      lastError: { message: expect.stringContaining('HTTP 503') },
    });
  });

  it('shows a backlog while a subscriber is behind', async () => {
    await hub.services.gateway.gateway.workers.stop();
    await push(hub, text('3'));
    expect(value(await metrics(), 'wxhub_gateway_backlog{consumer="crm"}')).toBe(1);
  });
});
