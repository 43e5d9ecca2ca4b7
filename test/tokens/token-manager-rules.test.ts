import { afterEach, describe, expect, it, vi } from 'vitest';
import { isWxhubError } from '../../src/errors/index.js';
import type { Store } from '../../src/store/store.js';
import type { TokenMode } from '../../src/tokens/account.js';
import type { Clock } from '../../src/util/clock.js';
import { captureLogs } from '../support/log-capture.js';
import { deferred, hookStore } from './support/hook-store.js';
import { closeAll, VIRTUAL_APPID, type VirtualSetup, virtualManager } from './support/virtual-manager.js';

// The rules docs/tokens.md promises, each on a virtual clock against an in-process WeChat, so every
// step happens at an instant the test chose.

const APPID = VIRTUAL_APPID;
const KEY = `token:${APPID}`;
const TOKEN = '/cgi-bin/token';
const STABLE = '/cgi-bin/stable_token';

afterEach(closeAll);

interface Setup extends VirtualSetup {
  readonly tokenMode?: TokenMode;
  readonly refreshMarginSeconds?: number;
}

/** Another process's rotation: a fresh token written to the shared store over `version`. */
async function rotateElsewhere(shared: Store, clock: Clock, version: number) {
  const now = clock.now();
  const written = await shared.compareAndSetCredential(KEY, version, {
    value: 'written-by-another-process'.padEnd(120, 'x'),
    fetchedAt: now,
    expiresAt: now + 7_200_000,
  });
  if (!written) throw new Error('the store holds another version');
  return written;
}

function setup({ tokenMode = 'classic', refreshMarginSeconds, ...rest }: Setup = {}) {
  return virtualManager({
    accounts: [{ appid: APPID, secret: 'rules-secret', tokenMode, refreshMarginSeconds }],
    ...rest,
  });
}

describe('the expiry margin (60 s)', () => {
  it('hands out a cached token until 60 s before its expiry, never with 30 s left', async () => {
    // A 30 s refresh margin puts the refresh point after the serving limit: only the margin decides.
    const { clock, wechat, m } = setup({ refreshMarginSeconds: 30 });
    const first = await m.getAccessToken(APPID);
    clock.set(first.expiresAt - 60_001);
    expect((await m.getAccessToken(APPID)).value).toBe(first.value);
    expect(wechat.count(TOKEN)).toBe(1);
    clock.set(first.expiresAt - 30_000);
    const next = await m.getAccessToken(APPID);
    expect(next.value).not.toBe(first.value);
    expect(next.expiresAt - clock.now()).toBe(7_200_000);
    expect(wechat.count(TOKEN)).toBe(2);
  });

  it('fetches rather than hand out a stored token another process left with 30 s to live', async () => {
    const { clock, wechat, shared, m } = setup();
    const now = clock.now();
    await shared.compareAndSetCredential(KEY, 0, {
      value: 'left-by-another-process'.padEnd(120, 'x'),
      fetchedAt: now - 7_170_000,
      expiresAt: now + 30_000,
    });
    const token = await m.getAccessToken(APPID);
    expect(token.value).not.toMatch(/^left-by-another-process/);
    expect(token.expiresAt - now).toBe(7_200_000);
    expect(wechat.count(TOKEN)).toBe(1);
  });
});

describe('the configuration-error cool-down (configErrorCooldownMs, 5 min)', () => {
  it.each([40013, 40125, 40164, 40243])(
    'after %i: no WeChat call while it lasts, then a refresh that succeeds',
    async (errcode) => {
      const { clock, wechat, m } = setup();
      wechat.answerNext({ errcode, errmsg: `configuration problem ${errcode}` });
      const err = await m.getAccessToken(APPID).catch((e) => e);
      expect(isWxhubError(err, 'WXHUB_ERR_ACCOUNT_DISABLED')).toBe(true);
      expect(err.errcode).toBe(errcode);
      const until = clock.now() + 300_000;
      expect(m.status(APPID).disabledUntil).toBe(until);

      clock.set(until - 1);
      const during = await m.getAccessToken(APPID).catch((e) => e);
      expect(isWxhubError(during, 'WXHUB_ERR_ACCOUNT_DISABLED')).toBe(true);
      expect(during.message).toContain(`configuration problem ${errcode}`);
      await m.tick(); // the proactive pass may not call either
      expect(wechat.total()).toBe(1);

      clock.set(until);
      const token = await m.getAccessToken(APPID);
      expect(token.expiresAt - clock.now()).toBe(7_200_000);
      expect(wechat.total()).toBe(2);
      expect(m.status(APPID)).toMatchObject({ disabledUntil: null, lastError: null });
    },
  );

  it('on a proactive refresh: the old token is served through it; the pass refreshes after it', async () => {
    const { clock, wechat, m } = setup({ options: { jitterMs: 0, configErrorCooldownMs: 120_000 } });
    const first = await m.getAccessToken(APPID);
    clock.set(first.expiresAt - 600_000); // the refresh point of a classic token
    wechat.answerNext({ errcode: 40164, errmsg: 'invalid ip 127.0.0.1, not in whitelist' });
    await m.tick();
    const until = clock.now() + 120_000;
    expect(m.status(APPID).disabledUntil).toBe(until);
    for (const at of [until - 60_000, until - 1]) {
      clock.set(at);
      await m.tick();
      expect((await m.getAccessToken(APPID)).value).toBe(first.value);
    }
    expect(wechat.total()).toBe(2);
    // A pass that found the account disabled looks again retryAfterFailureMs later, as after any failure.
    clock.set(until + 30_000);
    await m.tick();
    expect(wechat.total()).toBe(3);
    expect((await m.getAccessToken(APPID)).value).not.toBe(first.value);
  });
});

describe('refresh-if-current for stable tokens', () => {
  it('answers 50 reports of one token inside the 30 s force gap with 2 WeChat calls', async () => {
    const { clock, wechat, m } = setup({ tokenMode: 'stable', latencyMs: 50 });
    const t1 = await m.getAccessToken(APPID);
    // WeChat answers a normal call with t1 again, so the report spends the day's first force_refresh.
    const t2 = await m.refreshAccessToken(APPID, t1.value);
    expect(t2.value).not.toBe(t1.value);
    expect(wechat.forces).toEqual([false, false, true]);

    clock.advance(1000); // inside the 30 s spacing of force_refresh: none may be spent
    const answers = await Promise.all(
      Array.from({ length: 50 }, () => m.refreshAccessToken(APPID, t2.value)),
    );
    expect(new Set(answers.map((a) => a.value))).toEqual(new Set([t2.value]));
    // The first normal call is made at the instant of the reports, so its answer might predate
    // them and does not count as theirs; the second is made 50 ms later and answers all 50.
    expect(wechat.forces).toEqual([false, false, true, false, false]);
    expect(wechat.count(STABLE)).toBe(5);
    expect(await m.quotaUsed(APPID, 'stable_force')).toBe(1);
  });
});

describe('a failed proactive refresh', () => {
  it('keeps serving the old token and tries again retryAfterFailureMs (30 s) later', async () => {
    const { clock, wechat, m } = setup({ options: { jitterMs: 0 } });
    const first = await m.getAccessToken(APPID);
    clock.set(first.expiresAt - 600_000);
    wechat.answerNext({ errcode: -1, errmsg: 'system error' });
    await m.tick();
    expect(wechat.count(TOKEN)).toBe(2);
    expect(m.status(APPID).lastError).toMatchObject({ errcode: -1 });
    const failedAt = clock.now();

    clock.set(failedAt + 29_999);
    expect((await m.getAccessToken(APPID)).value).toBe(first.value); // a reader may not retry early
    await m.tick(); // nor the pass
    expect(wechat.count(TOKEN)).toBe(2);

    clock.set(failedAt + 30_000);
    await m.tick();
    expect(wechat.count(TOKEN)).toBe(3);
    expect((await m.getAccessToken(APPID)).value).not.toBe(first.value);
    expect(m.status(APPID).lastError).toBeNull();
  });
});

describe('a store whose change feed is unavailable', () => {
  it("still picks up another process's write, by re-reading within revalidateMs (5 s)", async () => {
    const logs = captureLogs();
    const { clock, wechat, shared, m } = setup({
      view: (store) =>
        hookStore(store, { watchCredentials: () => Promise.reject(new Error('LISTEN refused')) }),
      options: { logger: logs.logger },
    });
    await m.ready();
    expect(logs.lines.some((l) => l.includes('change feed unavailable; relying on revalidation'))).toBe(true);
    const first = await m.getAccessToken(APPID);
    const other = await rotateElsewhere(shared, clock, first.version);
    clock.advance(4_999);
    await m.getAccessToken(APPID);
    expect(m.peekAccessToken(APPID)?.value).toBe(first.value); // no notice came
    clock.advance(1);
    expect((await m.getAccessToken(APPID)).value).toBe(first.value); // answered at once; re-read begins
    await vi.waitFor(() => expect(m.peekAccessToken(APPID)?.value).toBe(other.value));
    expect(wechat.total()).toBe(1);
  });
});

describe('revalidation', () => {
  it('makes one store read for every caller arriving while it runs', async () => {
    const gate = deferred();
    let reads = 0;
    let hold = false;
    const { clock, m } = setup({
      view: (store) =>
        hookStore(store, {
          async getCredential(key) {
            reads++;
            if (hold) await gate.promise;
            return store.getCredential(key);
          },
        }),
    });
    const first = await m.getAccessToken(APPID);
    clock.advance(5_000);
    reads = 0;
    hold = true;
    const answers = await Promise.all(Array.from({ length: 100 }, () => m.getAccessToken(APPID)));
    expect(new Set(answers)).toEqual(new Set([first]));
    expect(reads).toBe(1);
    gate.resolve();
  });

  it('after a failed store read, serves the cached token and re-reads again revalidateMs later', async () => {
    const logs = captureLogs();
    let failReads = false;
    const { clock, shared, m } = setup({
      view: (store) =>
        hookStore(store, {
          watchCredentials: () => Promise.reject(new Error('no feed')), // only a re-read can see the write
          getCredential: (key) =>
            failReads ? Promise.reject(new Error('store unreachable')) : store.getCredential(key),
        }),
      options: { logger: logs.logger },
    });
    const first = await m.getAccessToken(APPID);
    const other = await rotateElsewhere(shared, clock, first.version);
    failReads = true;
    clock.advance(5_000);
    expect((await m.getAccessToken(APPID)).value).toBe(first.value);
    await vi.waitFor(() =>
      expect(logs.lines.some((l) => l.includes('store read failed; serving cached credential'))).toBe(true),
    );
    failReads = false;
    clock.advance(5_000);
    expect((await m.getAccessToken(APPID)).value).toBe(first.value);
    await vi.waitFor(() => expect(m.peekAccessToken(APPID)?.value).toBe(other.value));
  });

  it('never takes the cache back to a token replaced while a slow read of it was under way', async () => {
    const gate = deferred();
    const reading = deferred();
    let holdNext = false;
    const { clock, m } = setup({
      view: (store) =>
        hookStore(store, {
          async getCredential(key) {
            const record = await store.getCredential(key);
            if (holdNext) {
              holdNext = false;
              reading.resolve();
              await gate.promise;
            }
            return record;
          },
        }),
    });
    const first = await m.getAccessToken(APPID);
    clock.advance(5_000);
    holdNext = true;
    await m.getAccessToken(APPID); // starts a revalidation, whose read of `first` is held
    await reading.promise;
    const next = await m.refreshAccessToken(APPID, first.value); // replaces it meanwhile
    expect(next.value).not.toBe(first.value);
    gate.resolve(); // the old read lands now; what follows it runs in microtasks, done by the next turn
    await new Promise((r) => setImmediate(r));
    expect(m.peekAccessToken(APPID)?.value).toBe(next.value);
    expect((await m.getAccessToken(APPID)).value).toBe(next.value);
  });
});

describe('the lease during a slow refresh', () => {
  it('is renewed before each attempt, so retries longer than its TTL keep it', async () => {
    let intruderTookLease: boolean | undefined;
    const { wechat, m } = setup({
      latencyMs: 800, // each attempt takes 0.8 s, two take longer than the 1 s lease
      options: { leaseTtlMs: 1_000, retryStrategy: (attempt) => (attempt === 1 ? 0 : null) },
      view: (store) =>
        hookStore(store, {
          async compareAndSetCredential(key, expected, next) {
            intruderTookLease = await store.acquireLease(`lease:${key}`, 'another-process', 1_000);
            return store.compareAndSetCredential(key, expected, next);
          },
        }),
    });
    wechat.answerNext({ errcode: -1, errmsg: 'system error' });
    await m.getAccessToken(APPID);
    expect(wechat.count(TOKEN)).toBe(2);
    expect(intruderTookLease).toBe(false);
  });
});

describe('proactive refresh', () => {
  it('starts from a read past the refresh point, with no pass running; the old token is served meanwhile', async () => {
    const { clock, wechat, m } = setup({ options: { jitterMs: 0 } });
    const first = await m.getAccessToken(APPID);
    clock.set(first.expiresAt - 600_000);
    expect((await m.getAccessToken(APPID)).value).toBe(first.value);
    // Quiet again (peek answers) only once the refresh landed.
    await vi.waitFor(() => expect(m.peekAccessToken(APPID)).toBeDefined());
    expect(m.peekAccessToken(APPID)?.value).not.toBe(first.value);
    expect(wechat.count(TOKEN)).toBe(2);
  });

  it('refreshes a credential born past its refresh point once per pass, not over and over', async () => {
    const { clock, wechat, m } = setup(); // a classic token is due 600 s before its expiry
    wechat.answerNext({ access_token: 'short-lived'.padEnd(120, 'x'), expires_in: 500 }, 3);
    await m.tick(); // the first fetch: born due
    expect(wechat.count(TOKEN)).toBe(1);
    clock.advance(1_000);
    await m.tick();
    expect(wechat.count(TOKEN)).toBe(2);
  });
});

describe('a store with a change feed', () => {
  it("picks up another process's write on its notice, long before revalidateMs", async () => {
    const { shared, clock, m } = setup({ options: { revalidateMs: 3_600_000 } });
    await m.ready();
    const first = await m.getAccessToken(APPID);
    const other = await rotateElsewhere(shared, clock, first.version);
    await vi.waitFor(() => expect(m.peekAccessToken(APPID)?.value).toBe(other.value));
  });
});
