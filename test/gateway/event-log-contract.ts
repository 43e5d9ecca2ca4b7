import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventLog } from '../../src/gateway/log/event-log.js';
import type { PushEvent } from '../../src/gateway/receive/push-event.js';

let counter = 0;

/** A push event with a fresh id (unique across runs sharing one backend). */
export function sampleEvent(overrides: Partial<PushEvent> = {}): PushEvent {
  counter++;
  const id = `evt_${process.pid}_${Date.now()}_${counter}`;
  return {
    id,
    appid: 'wx1234567890abcdef',
    openid: 'oUser',
    type: 'message',
    msg_type: 'text',
    create_time: 1_700_000_000 + counter,
    fields: { Content: `hello ${counter}`, MsgId: `${10_000_000_000_000_000n + BigInt(counter)}` },
    xml: `<xml><Content><![CDATA[hello ${counter}]]></Content></xml>`,
    ...overrides,
  };
}

/**
 * What every EventLog backend keeps (see src/gateway/log/event-log.ts). `make` opens a log on a
 * fresh namespace; `close` releases it. Run from each backend's test file.
 */
export function describeEventLogContract(
  name: string,
  make: () => Promise<EventLog & { close?(): Promise<void> }>,
): void {
  describe(`EventLog contract: ${name}`, () => {
    let log: EventLog & { close?(): Promise<void> };
    beforeEach(async () => {
      log = await make();
    });
    afterEach(async () => {
      await log.close?.();
    });

    it('appends once per event id; a retry is a duplicate and gets the first answer', async () => {
      const event = sampleEvent();
      expect(await log.append(event, 3)).toEqual({ duplicate: false, answer: null });
      expect(await log.append(event, 3)).toEqual({ duplicate: true, answer: null });
      await log.setAnswer(event.id, '<xml>reply</xml>');
      expect(await log.append({ ...event, xml: 'changed' }, 3)).toEqual({
        duplicate: true,
        answer: '<xml>reply</xml>',
      });
      const read = await log.readPartition(3, null, 10);
      expect(read.filter((e) => e.event.id === event.id)).toHaveLength(1);
      expect(read.find((e) => e.event.id === event.id)?.event).toEqual(event);
    });

    it('lets exactly one of many concurrent appends of one id win', async () => {
      const event = sampleEvent();
      const results = await Promise.all(Array.from({ length: 20 }, () => log.append(event, 1)));
      expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
    });

    it('reads a partition in append order after a cursor, and an appid across partitions', async () => {
      const appid = `wx${Date.now().toString(16).padStart(16, '0').slice(-16)}`;
      const events = Array.from({ length: 6 }, (_, i) => sampleEvent({ appid, openid: `o${i % 2}` }));
      for (const [i, event] of events.entries()) await log.append(event, 10 + (i % 2));
      const p10 = await log.readPartition(10, null, 100);
      const mine = p10.filter((e) => e.event.appid === appid);
      expect(mine.map((e) => e.event.id)).toEqual([events[0]!.id, events[2]!.id, events[4]!.id]);
      expect(mine.every((e) => e.partition === 10)).toBe(true);
      const after = await log.readPartition(10, mine[0]!.cursor, 100);
      expect(after.filter((e) => e.event.appid === appid).map((e) => e.event.id)).toEqual([
        events[2]!.id,
        events[4]!.id,
      ]);
      expect((await log.readPartition(10, mine[0]!.cursor, 1)).length).toBe(1);

      const byAppid = await log.readAppid(appid, null, 100);
      expect(byAppid.map((e) => e.event.id)).toEqual(events.map((e) => e.id));
      const rest = await log.readAppid(appid, byAppid[3]!.cursor, 100);
      expect(rest.map((e) => e.event.id)).toEqual(events.slice(4).map((e) => e.id));
      expect(await log.readAppid('wx0000000000000000', null, 10)).toEqual([]);
    });

    it("knows a partition's newest cursor: reading after it finds only later appends", async () => {
      const partition = 7;
      const before = await log.latestCursor(partition);
      await log.append(sampleEvent(), partition);
      const last = sampleEvent();
      await log.append(last, partition);
      await log.append(sampleEvent(), partition + 1);
      const latest = await log.latestCursor(partition);
      expect(latest).not.toBeNull();
      expect(latest).not.toBe(before);
      expect(await log.readPartition(partition, latest, 10)).toEqual([]);
      const read = await log.readPartition(partition, before, 10);
      expect(read.at(-1)?.cursor).toBe(latest);
      expect(read.at(-1)?.event.id).toBe(last.id);
      const later = sampleEvent();
      await log.append(later, partition);
      expect((await log.readPartition(partition, latest, 10)).map((e) => e.event.id)).toEqual([later.id]);
    });

    it('keeps consumer positions with compare-and-set', async () => {
      const consumer = `crm-${counter++}`;
      const start = await log.getPosition(consumer, 2);
      expect(start).toEqual({ cursor: null, attempts: 0, notBefore: 0, lastError: null, version: 0 });
      const next = { cursor: '5', attempts: 2, notBefore: 1234, lastError: 'HTTP 500' };
      expect(await log.setPosition(consumer, 2, 0, next)).toBe(true);
      expect(await log.setPosition(consumer, 2, 0, { ...next, cursor: '9' })).toBe(false);
      expect(await log.getPosition(consumer, 2)).toEqual({ ...next, version: 1 });
      expect(await log.getPosition(consumer, 3)).toEqual(start);
      const racers = await Promise.all(
        Array.from({ length: 10 }, (_, i) => log.setPosition(consumer, 2, 1, { ...next, cursor: String(i) })),
      );
      expect(racers.filter(Boolean)).toHaveLength(1);
    });

    it('keeps dead letters per consumer until removed', async () => {
      const consumer = `bot-${counter++}`;
      const [a, b] = [sampleEvent(), sampleEvent()];
      await log.addDeadLetter({ consumer, event: a, error: 'HTTP 500', attempts: 8, at: 1 });
      await log.addDeadLetter({ consumer, event: b, error: 'timeout', attempts: 8, at: 2 });
      await log.addDeadLetter({ consumer, event: a, error: 'again', attempts: 9, at: 3 });
      const letters = await log.deadLetters(consumer, 10);
      expect(letters.map((l) => [l.event.id, l.error])).toEqual([
        [a.id, 'HTTP 500'],
        [b.id, 'timeout'],
      ]);
      expect(letters[0]!.event).toEqual(a);
      expect(await log.deadLetters(`${consumer}-other`, 10)).toEqual([]);
      expect(await log.removeDeadLetter(consumer, a.id)).toBe(true);
      expect(await log.removeDeadLetter(consumer, a.id)).toBe(false);
      expect((await log.deadLetters(consumer, 10)).map((l) => l.event.id)).toEqual([b.id]);
    });

    it('wakes watchers on append', async () => {
      let woken = 0;
      const stop = await log.watch(() => {
        woken++;
      });
      await log.append(sampleEvent(), 0);
      const deadline = Date.now() + 5000;
      while (woken === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      stop();
      expect(woken).toBeGreaterThan(0);
    });

    it('trims old events but keeps newer ones', async () => {
      const old = sampleEvent();
      await log.append(old, 7);
      await new Promise((r) => setTimeout(r, 20));
      const cut = Date.now();
      await new Promise((r) => setTimeout(r, 20));
      const fresh = sampleEvent();
      await log.append(fresh, 7);
      expect(await log.trim(cut)).toBeGreaterThanOrEqual(1);
      const ids = (await log.readPartition(7, null, 1000)).map((e) => e.event.id);
      expect(ids).not.toContain(old.id);
      expect(ids).toContain(fresh.id);
    });
  });
}
