import { describe, expect, it } from 'vitest';
import { configureServer, originalIdOf, pushes, TOKEN } from '../support/push.js';
import { answer, hang, startReceiver } from '../support/receiver.js';
import { ALICE, APPID, makeSim } from '../support/sim.js';
import { sha1Sorted, textReply, xmlField } from '../support/wechat-crypto.js';

const ALICE_ID = ALICE.openid!;
const messages = `/__sim/accounts/${APPID}/users/${ALICE_ID}/messages`;
const events = `/__sim/accounts/${APPID}/users/${ALICE_ID}/events`;
const UNAVAILABLE = '该公众号暂时无法提供服务，请稍后再试';

/**
 * Per-try timeout: short so hanging tries end quickly, long enough that a loaded machine still
 * answers an immediate 200 in time.
 */
const TIMEOUT = 1000;

async function setup(mode: 'plain' | 'safe' = 'plain', timeoutMs = TIMEOUT) {
  const sim = makeSim();
  const receiver = await startReceiver();
  await configureServer(sim, receiver, mode, { timeoutMs });
  return { sim, receiver };
}

describe("WeChat's three tries", () => {
  it('retries a server that hangs twice: 3 attempts, the same body and MsgId, fresh signatures', async () => {
    const { sim, receiver } = await setup('safe');
    const gh = await originalIdOf(sim);
    receiver.next(hang, hang, answer(200, 'success'));
    const out = (await sim.post(messages, { msgType: 'text', content: 'retry me' })).json();
    expect(out).toMatchObject({ attempts: 3, delivered: true, reply: null, userSees: null });
    expect(out.tries).toEqual([
      { error: `no answer within ${TIMEOUT} ms`, ms: expect.any(Number) },
      { error: `no answer within ${TIMEOUT} ms`, ms: expect.any(Number) },
      { status: 200, ms: expect.any(Number) },
    ]);
    const tries = pushes(receiver);
    expect(tries).toHaveLength(3);
    expect(new Set(tries.map((t) => t.body)).size).toBe(1);
    expect(new Set(tries.map((t) => t.query.get('nonce'))).size).toBe(3);
    for (const t of tries) {
      const q = t.query;
      expect(q.get('signature')).toBe(sha1Sorted(TOKEN, q.get('timestamp')!, q.get('nonce')!));
      expect(q.get('msg_signature')).toBe(
        sha1Sorted(TOKEN, q.get('timestamp')!, q.get('nonce')!, xmlField(t.body, 'Encrypt')!),
      );
    }
    expect(xmlField(out.xml, 'MsgId')).toBe(out.msgId);
    expect(gh).toBe(xmlField(tries[0]!.body, 'ToUserName'));
  });

  it('only HTTP 200 ends the tries: a redirect or a 204 is retried', async () => {
    const { sim, receiver } = await setup('plain');
    receiver.next(answer(302, ''), answer(204, ''), answer(200, 'success'));
    const out = (await sim.post(messages, { msgType: 'text', content: 'x' })).json();
    expect(out.tries.map((t: { status?: number }) => t.status)).toEqual([302, 204, 200]);
    expect(out).toMatchObject({ attempts: 3, delivered: true, userSees: null });
  });

  it('gives up after 3 failed tries; the user sees the error; non-200 answers are retried too', async () => {
    const { sim, receiver } = await setup('plain');
    receiver.next(answer(500, 'boom'), hang, answer(503, ''));
    receiver.otherwise(answer(200, 'success'));
    const out = (await sim.post(messages, { msgType: 'text', content: 'x' })).json();
    expect(out).toMatchObject({ attempts: 3, delivered: false, reply: null, userSees: UNAVAILABLE });
    expect(out.tries.map((t: { status?: number; error?: string }) => t.status ?? t.error)).toEqual([
      500,
      `no answer within ${TIMEOUT} ms`,
      503,
    ]);
    expect(pushes(receiver)).toHaveLength(3);
  });

  it('stops at the first 200, even a garbage one', async () => {
    const { sim, receiver } = await setup('plain');
    receiver.next(answer(200, '<html>error</html>'));
    const out = (await sim.post(messages, { msgType: 'text', content: 'x' })).json();
    expect(out.attempts).toBe(1);
    expect(out.reply.invalid).toBe(true);
    expect(out.userSees).toBe(UNAVAILABLE);
  });

  it('keeps FromUserName and CreateTime of an event across tries (its dedup key)', async () => {
    const { sim, receiver } = await setup('plain');
    receiver.next(hang, answer(200, 'success'));
    await sim.post(events, { event: 'CLICK', eventKey: 'K' });
    const [first, second] = pushes(receiver);
    expect(second!.body).toBe(first!.body);
    expect(xmlField(first!.body, 'CreateTime')).toMatch(/^\d+$/);
  });

  it('a late reply after the timeout is not taken: the retry is answered instead', async () => {
    const { sim, receiver } = await setup('plain');
    const gh = await originalIdOf(sim);
    receiver.next(
      (req, res) => {
        setTimeout(() => answer(200, textReply(ALICE_ID, gh, 'too late'))(req, res), TIMEOUT + 500).unref();
      },
      answer(200, textReply(ALICE_ID, gh, 'in time')),
    );
    const out = (await sim.post(messages, { msgType: 'text', content: 'x' })).json();
    expect(out.attempts).toBe(2);
    expect(out.reply.fields.Content).toBe('in time');
  });

  it("uses WeChat's 5 s when nothing overrides it, and a request's timeoutMs over the server's", async () => {
    const sim = makeSim();
    const receiver = await startReceiver();
    await configureServer(sim, receiver, 'plain');
    receiver.next(hang, answer(200, 'success'));
    const out = (await sim.post(messages, { msgType: 'text', content: 'x', timeoutMs: 900 })).json();
    expect(out.tries[0].error).toBe('no answer within 900 ms');
    expect(out.attempts).toBe(2);
    // The default, read without waiting 5 s: the account view shows no override.
    expect((await sim.getJson(`/__sim/accounts/${APPID}`)).server.timeoutMs).toBeNull();
  });

  it('closing the simulator aborts a push in flight', async () => {
    const { sim, receiver } = await setup('plain', 60_000);
    receiver.otherwise(hang);
    const pending = sim.post(messages, { msgType: 'text', content: 'x' });
    await receiver.waitFor(1);
    const started = Date.now();
    await sim.app.close();
    await pending.catch(() => undefined);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
