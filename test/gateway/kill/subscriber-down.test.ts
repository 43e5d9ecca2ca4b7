import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partitionOf } from '../../../src/gateway/log/event-log.js';
import { startTestSim } from '../../support/sim.js';
import { type GatewayHub, startGatewayHub, until } from '../hub/gateway-hub.js';
import { checkDelivered, type GateSubscriber, startGateSubscriber } from './kill-support.js';

const USERS = 3;
const PER_USER = 3;

/**
 * A subscriber down (HTTP 503) for ten minutes of the hub's clock, with the delivery workers'
 * default backoff (1 s doubling, capped at 10 min): the simulator's virtual clock moves the
 * minutes on, so the retries happen as they would, in seconds of real time.
 */
describe('a subscriber down for minutes, then back', () => {
  let crm: GateSubscriber;
  let gw: GatewayHub;

  beforeAll(async () => {
    const sim = await startTestSim();
    crm = await startGateSubscriber(sim.clock);
    gw = await startGatewayHub({
      sim,
      mode: 'safe',
      config: () => ({ subscribers: [{ name: 'crm', url: crm.url, secret: crm.secret }] }),
      // The default retry strategy (the helper's is fast); a quick poll so due retries start soon.
      hub: { gateway: { pollMs: 50 } },
    });
  });
  afterAll(async () => {
    await gw?.close();
    await gw?.sim.close();
    await crm?.close();
  });

  it('gets every event once it is back, in order per user, none twice', { timeout: 60_000 }, async () => {
    crm.state.mode = 'down';
    const openids = [gw.openid];
    for (let i = 1; i < USERS; i++) openids.push((await gw.sim.user(gw.appid, { subscribe: 1 })).openid);
    const pushed = new Map<string, string[]>();
    for (const openid of openids) {
      const msgIds: string[] = [];
      pushed.set(openid, msgIds);
      for (let i = 0; i < PER_USER; i++) {
        const outcome = await gw.message({ msgType: 'text', content: `m${i}` }, openid);
        expect(outcome.delivered).toBe(true);
        msgIds.push(String(outcome.msgId));
      }
    }
    const partitions = [...new Set(openids.map((o) => partitionOf(o, 16)))];
    const attempts = async () =>
      Math.min(
        ...(await Promise.all(
          partitions.map(async (p) => (await gw.hub.services.gateway.log.getPosition('crm', p)).attempts),
        )),
      );
    // Ten minutes down, in 20-second steps of the hub's clock: the retries back off as configured.
    for (let minute = 0; minute < 30; minute++) {
      await gw.sim.advance(20);
      await new Promise((r) => setTimeout(r, 60));
    }
    await until(async () => (await attempts()) >= 6, 10_000, 'six failed attempts per partition');
    expect(crm.answered()).toEqual([]);

    crm.open();
    // The next retry is at most the backoff cap (10 min) away.
    await gw.sim.advance(600);
    await until(() => crm.answered().length >= USERS * PER_USER, 20_000, 'every event delivered');
    await new Promise((r) => setTimeout(r, 300));
    const { duplicates } = checkDelivered(crm.deliveries, pushed);
    expect(duplicates).toEqual([]);
    expect(await gw.hub.services.gateway.log.deadLetters('crm', 10)).toEqual([]);
  });
});
