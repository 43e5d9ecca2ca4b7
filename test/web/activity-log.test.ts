import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { RefreshEvent, UpstreamEvent } from '../../src/tokens/index.js';
import { ManualClock } from '../../src/util/clock.js';
import { ActivityLog } from '../../src/web/activity/activity-log.js';
import { Ring } from '../../src/web/activity/ring.js';

const A = 'wxaaaaaaaaaaaaaaa1';
const B = 'wxbbbbbbbbbbbbbbb2';
const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const up = (appid: string, errcode = 0, path = '/cgi-bin/stable_token'): UpstreamEvent => ({
  appid,
  path,
  errcode,
  durationMs: 5,
});

describe('ActivityLog', () => {
  it('counts upstream calls and errors in one-minute buckets, oldest first, zero-filled', () => {
    const clock = new ManualClock(T0 + 10_000);
    const log = new ActivityLog({ clock, minutes: 5 });
    log.recordUpstream(up(A));
    log.recordUpstream(up(A, 40001));
    clock.advance(60_000);
    log.recordUpstream(up(A));
    clock.advance(120_000);
    log.recordUpstream(up(A, -2));
    log.recordUpstream(up(B));
    const buckets = log.buckets(A);
    expect(buckets.map((b) => b.start)).toEqual([-1, 0, 1, 2, 3].map((m) => T0 + m * 60_000));
    expect(buckets.map((b) => [b.calls, b.errors])).toEqual([
      [0, 0],
      [2, 1],
      [1, 0],
      [0, 0],
      [1, 1],
    ]);
    expect(log.buckets(B).map((b) => b.calls)).toEqual([0, 0, 0, 0, 1]);
    expect(log.buckets('wxunknown').every((b) => b.calls === 0)).toBe(true);
  });

  it('reuses a slot once its minute has left the window (fixed memory)', () => {
    const clock = new ManualClock(T0);
    const log = new ActivityLog({ clock, minutes: 3 });
    log.recordUpstream(up(A));
    log.recordUpstream(up(A));
    clock.advance(3 * 60_000);
    log.recordUpstream(up(A));
    expect(log.buckets(A).map((b) => b.calls)).toEqual([0, 0, 1]);
    clock.advance(10 * 60_000);
    expect(log.buckets(A).map((b) => b.calls)).toEqual([0, 0, 0]);
  });

  it('tallies calls by path and errcode, and refreshes by kind, reason and outcome', () => {
    const log = new ActivityLog({ clock: new ManualClock(T0) });
    log.recordUpstream(up(A));
    log.recordUpstream(up(A));
    log.recordUpstream(up(A, -1, '/cgi-bin/ticket/getticket'));
    const refresh: RefreshEvent = {
      appid: A,
      kind: 'access_token',
      reason: 'stale',
      outcome: 'fetched',
      durationMs: 3,
    };
    log.recordRefresh(refresh);
    log.recordRefresh(refresh);
    log.recordRefresh({ ...refresh, kind: 'jsapi', reason: 'missing', outcome: 'failed', errcode: 45009 });
    expect(log.upstreamTally(A)).toEqual([
      { path: '/cgi-bin/stable_token', errcode: 0, count: 2, healed: 0 },
      { path: '/cgi-bin/ticket/getticket', errcode: -1, count: 1, healed: 0 },
    ]);
    expect(log.refreshTally(A)).toEqual([
      { kind: 'access_token', reason: 'stale', outcome: 'fetched', count: 2 },
      { kind: 'jsapi', reason: 'missing', outcome: 'failed', count: 1 },
    ]);
    expect(log.refreshes(A)[0]).toMatchObject({ kind: 'jsapi', outcome: 'failed', at: T0 });
  });

  it('does not count a token error as an error when the retry right after it succeeded', () => {
    const clock = new ManualClock(T0);
    const log = new ActivityLog({ clock, minutes: 5 });
    const USERS = '/cgi-bin/user/get';
    const errorsNow = () => log.buckets(A).at(-1)!.errors;
    // The hub's own recovery: 40001, refresh-if-current, the same call again, fine.
    log.recordUpstream(up(A, 40001, USERS));
    expect(errorsNow()).toBe(1);
    clock.advance(1500);
    log.recordUpstream(up(A, 0, USERS));
    expect(errorsNow()).toBe(0);
    expect(log.errors(A)).toEqual([]);
    expect(log.upstreamTally(A)).toContainEqual({ path: USERS, errcode: 40001, count: 1, healed: 1 });

    // Not healed: a success on another path, one too late, or an error that is not a token error.
    log.recordUpstream(up(A, 42001, USERS));
    log.recordUpstream(up(A, 0, '/cgi-bin/stable_token'));
    log.recordUpstream(up(A, -1, USERS));
    clock.advance(30_001);
    log.recordUpstream(up(A, 0, USERS));
    expect(log.errors(A).map((e) => e.errcode)).toEqual([-1, 42001]);
    expect(log.buckets(A).reduce((sum, b) => sum + b.errors, 0)).toBe(2);

    // A storm: as many successes as token errors heal them all, one each.
    const base = errorsNow();
    log.recordUpstream(up(A, 40001, USERS));
    log.recordUpstream(up(A, 40001, USERS));
    log.recordUpstream(up(A, 0, USERS));
    expect(log.upstreamTally(A)).toContainEqual({ path: USERS, errcode: 40001, count: 3, healed: 2 });
    expect(errorsNow()).toBe(base + 1);
    log.recordUpstream(up(A, 0, USERS));
    expect(errorsNow()).toBe(base);
    expect(log.upstreamTally(A)).toContainEqual({ path: USERS, errcode: 40001, count: 3, healed: 3 });
  });

  it('keeps the newest errors (failed refreshes, errcodes, quota warnings) up to `keep`', () => {
    const clock = new ManualClock(T0);
    const log = new ActivityLog({ clock, keep: 3 });
    log.recordUpstream(up(A, 40001));
    clock.advance(1000);
    log.recordRefresh({
      appid: A,
      kind: 'access_token',
      reason: 'expired',
      outcome: 'failed',
      durationMs: 1,
      error: 'WXHUB_ERR_TIMEOUT',
    });
    clock.advance(1000);
    log.recordQuotaWarning({ appid: A, used: 1700, budget: 2000 });
    clock.advance(1000);
    log.recordUpstream(up(A, -2));
    const errors = log.errors(A);
    expect(errors.map((e) => e.source)).toEqual(['upstream', 'quota', 'refresh']);
    expect(errors[0]!.message).toContain('no answer');
    expect(errors[1]!.message).toContain('1700 of 2000');
    expect(errors[2]!.message).toContain('WXHUB_ERR_TIMEOUT');
    expect(log.errors(B)).toEqual([]);
  });

  it('attaches to a TokenManager-like emitter and detaches', () => {
    const emitter = new EventEmitter();
    const log = new ActivityLog({ clock: new ManualClock(T0) });
    const detach = log.attach(emitter);
    emitter.emit('upstream', up(A));
    emitter.emit('refresh', {
      appid: A,
      kind: 'access_token',
      reason: 'missing',
      outcome: 'fetched',
      durationMs: 1,
    });
    emitter.emit('quota-warning', { appid: A, used: 1, budget: 1 });
    detach();
    emitter.emit('upstream', up(A));
    expect(log.upstreamTally(A)[0]!.count).toBe(1);
    expect(log.refreshes(A)).toHaveLength(1);
    expect(log.errors(A)).toHaveLength(1);
    expect(emitter.listenerCount('upstream')).toBe(0);
  });
});

describe('Ring', () => {
  it('keeps the newest `capacity` items, newest first', () => {
    const ring = new Ring<number>(3);
    expect(ring.newestFirst()).toEqual([]);
    for (let i = 1; i <= 5; i++) ring.push(i);
    expect(ring.newestFirst()).toEqual([5, 4, 3]);
    expect(ring.size).toBe(3);
    expect(() => new Ring(0)).toThrow(RangeError);
  });
});
