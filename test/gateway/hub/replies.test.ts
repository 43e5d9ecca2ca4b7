import { afterEach, describe, expect, it } from 'vitest';
import type { PushEvent } from '../../../src/gateway/receive/push-event.js';
import { startGatewayHub, startSubscriber, type TestSubscriber, until, webhook } from './gateway-hub.js';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const thing of open.splice(0).reverse()) await thing.close();
});

/** A bot that answers each push with `reply: <its Content>` after `delayMs` (or when `gate` opens). */
async function bot(delayMs: number, gate?: Promise<void>) {
  const subscriber = await startSubscriber(async (event: PushEvent) => {
    await new Promise((r) => setTimeout(r, delayMs));
    await gate;
    return {
      status: 200,
      body: JSON.stringify({ reply: { msgtype: 'text', content: `reply: ${String(event.fields.Content)}` } }),
    };
  });
  open.push(subscriber);
  return subscriber;
}

async function gatewayWith(
  botSub: TestSubscriber,
  crm: TestSubscriber,
  deadlineMs: number,
  pushTimeoutMs?: number,
) {
  const gw = await startGatewayHub({
    mode: 'safe',
    callback: { reply: { subscriber: 'bot', deadlineMs } },
    config: () => ({ subscribers: [webhook('bot', botSub), webhook('crm', crm)] }),
    ...(pushTimeoutMs ? { pushTimeoutMs } : {}),
  });
  open.push(gw);
  return gw;
}

async function crmSubscriber() {
  const crm = await startSubscriber();
  open.push(crm);
  return crm;
}

describe('the reply subscriber through the hub', () => {
  it('answers in time: the reply goes back to WeChat encrypted and lands in the user inbox', async () => {
    const crm = await crmSubscriber();
    const gw = await gatewayWith(await bot(0), crm, 4000);
    const outcome = await gw.message({ msgType: 'text', content: 'ping' });
    expect(outcome).toMatchObject({ attempts: 1, delivered: true, userSees: null });
    expect(outcome.reply).toMatchObject({
      msgType: 'text',
      fields: { Content: 'reply: ping', ToUserName: gw.openid },
    });
    const inbox = await gw.inbox();
    expect(inbox.messages.at(-1)).toMatchObject({ source: 'reply', content: 'reply: ping' });
    // The other subscribers still get the push.
    await until(() => crm.received.length === 1, 5000, 'the CRM delivery');
  });

  it("takes WeChat's three tries as one push, and sends a late reply as a customer-service message", async () => {
    const crm = await crmSubscriber();
    const slow = await bot(1200);
    // WeChat gives up on a try after 300 ms here: the bot's reply comes long after its deadline.
    const gw = await gatewayWith(slow, crm, 400, 300);
    const outcome = await gw.message({ msgType: 'text', content: 'think hard' });
    expect(outcome.delivered).toBe(true);
    expect(outcome.attempts).toBeGreaterThan(1);
    await until(
      async () => (await gw.inbox()).messages.some((m) => m.source === 'custom'),
      10_000,
      'the late reply',
    );
    const inbox = await gw.inbox();
    expect(inbox.messages.filter((m) => m.source === 'custom')).toEqual([
      expect.objectContaining({ content: 'reply: think hard' }),
    ]);
    await until(() => crm.received.length >= 1, 5000, 'the CRM delivery');
    await new Promise((r) => setTimeout(r, 300));
    // Delivered once to each subscriber, whatever WeChat's retries.
    expect(crm.received).toHaveLength(1);
    expect(slow.received).toHaveLength(1);
  });

  it('dead-letters a late reply WeChat refuses outside the 48 h window (45015)', async () => {
    const crm = await crmSubscriber();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const gw = await gatewayWith(await bot(0, gate), crm, 200);
    const outcome = await gw.message({ msgType: 'text', content: 'too late' });
    expect(outcome).toMatchObject({ delivered: true, reply: null });
    // Two days pass before the bot answers: the customer-service window is closed.
    await gw.sim.advance(49 * 3600);
    release();
    const log = gw.hub.services.gateway.log;
    await until(async () => (await log.deadLetters('bot', 10)).length === 1, 10_000, 'the dead letter');
    const [letter] = await log.deadLetters('bot', 10);
    expect(letter?.error).toMatch(/45015/);
    expect(letter?.event.fields.Content).toBe('too late');
    expect((await gw.inbox()).messages.filter((m) => m.source === 'custom')).toEqual([]);
  });
});

describe('a subscriber down for a while', () => {
  it('gets everything once it is back, in order per openid', async () => {
    const crm = await crmSubscriber();
    crm.state.down = true;
    const gw = await startGatewayHub({
      mode: 'compatible',
      config: () => ({ subscribers: [webhook('crm', crm)] }),
      // Retries every 100 ms, never giving up: "down for minutes" without waiting minutes.
      hub: { gateway: { retryStrategy: () => 100, pollMs: 100 } },
    });
    open.push(gw);
    const other = (await gw.sim.user(gw.appid, { subscribe: 1 })).openid;
    const sent: Record<string, string[]> = { [gw.openid]: [], [other]: [] };
    for (let i = 0; i < 5; i++) {
      for (const who of [gw.openid, other]) {
        const outcome = await gw.message({ msgType: 'text', content: `${who}#${i}` }, who);
        sent[who]!.push(outcome.msgId!);
      }
    }
    await new Promise((r) => setTimeout(r, 500));
    expect(crm.received).toHaveLength(0);
    crm.state.down = false;
    await until(() => crm.received.length >= 10, 10_000, 'all ten deliveries');
    await new Promise((r) => setTimeout(r, 300));
    expect(crm.received).toHaveLength(10);
    for (const who of [gw.openid, other]) {
      const order = crm
        .events()
        .filter((e) => e.openid === who)
        .map((e) => e.fields.MsgId);
      expect(order).toEqual(sent[who]);
    }
    expect(await gw.hub.services.gateway.log.deadLetters('crm', 10)).toEqual([]);
  });
});
