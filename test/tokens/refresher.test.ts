import { describe, expect, it } from 'vitest';
import { isWxhubError } from '../../src/errors/index.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import type { CredentialRecord, Store } from '../../src/store/store.js';
import { ChangeFeed } from '../../src/tokens/change-feed.js';
import { Refresher, type RefreshPlan } from '../../src/tokens/refresher.js';
import { deferred, hookStore } from './support/hook-store.js';

function setup(
  store: Store = new MemoryStore(),
  options: { leaseTtlMs?: number; waitTimeoutMs?: number } = {},
) {
  const changes = new ChangeFeed(store);
  void changes.start();
  return { store, refresher: new Refresher({ store, changes, pollMs: 20, ...options }) };
}

/** A plan that fetches `value-N` and counts its fetches; `needsRefresh` wants anything but `bad`. */
function plan(
  key: string,
  counter: { fetches: number },
  options: { delayMs?: number; bad?: string } = {},
): RefreshPlan {
  return {
    key,
    needsRefresh: (r: CredentialRecord | null) => !r || r.value === options.bad,
    fetch: async (_current, keepLease) => {
      await keepLease();
      counter.fetches++;
      await new Promise((r) => setTimeout(r, options.delayMs ?? 5));
      return { value: `value-${counter.fetches}`, fetchedAt: Date.now(), expiresAt: Date.now() + 7_200_000 };
    },
  };
}

describe('Refresher', () => {
  it('turns 1000 concurrent callers in one process into one fetch', async () => {
    const { refresher } = setup();
    const counter = { fetches: 0 };
    const results = await Promise.all(
      Array.from({ length: 1000 }, () => refresher.refresh(plan('k', counter))),
    );
    expect(counter.fetches).toBe(1);
    expect(new Set(results.map((r) => r.record.value))).toEqual(new Set(['value-1']));
    expect(results.filter((r) => r.fetched)).toHaveLength(1);
  });

  it('makes callers of two processes on one store share one fetch through the lease', async () => {
    const store = new MemoryStore();
    const a = setup(store).refresher;
    const b = setup(store).refresher;
    const counter = { fetches: 0 };
    const results = await Promise.all([
      ...Array.from({ length: 50 }, () => a.refresh(plan('k', counter, { delayMs: 50 }))),
      ...Array.from({ length: 50 }, () => b.refresh(plan('k', counter, { delayMs: 50 }))),
    ]);
    expect(counter.fetches).toBe(1);
    expect(new Set(results.map((r) => r.record.value)).size).toBe(1);
  });

  it('reads the store again once it holds the lease: a write that landed since its read costs no fetch', async () => {
    // B reads "missing"; before B takes the lease, A takes it, fetches, writes and releases; then
    // B takes the free lease. Only B's re-read under the lease stops a second fetch.
    const store = new MemoryStore();
    const counter = { fetches: 0 };
    const bAtLease = deferred();
    const gate = deferred();
    let bTookLease: boolean | undefined;
    const bStore = hookStore(store, {
      async acquireLease(name, owner, ttlMs) {
        if (bTookLease === undefined) {
          bAtLease.resolve();
          await gate.promise;
        }
        bTookLease = await store.acquireLease(name, owner, ttlMs);
        return bTookLease;
      },
    });
    const a = setup(store).refresher;
    const b = setup(bStore).refresher;
    const bResult = b.refresh(plan('k', counter));
    await bAtLease.promise;
    expect(await store.getCredential('k')).toBeNull(); // what B read
    const aResult = await a.refresh(plan('k', counter));
    expect(aResult).toMatchObject({ fetched: true, record: { value: 'value-1', version: 1 } });
    gate.resolve();
    const result = await bResult;
    expect(bTookLease).toBe(true);
    expect(result).toMatchObject({ fetched: false, record: { value: 'value-1', version: 1 } });
    expect(counter.fetches).toBe(1);
    expect(await store.getCredential('k')).toMatchObject({ value: 'value-1', version: 1 });
  });

  it('does not fetch when the stored record is already good', async () => {
    const { store, refresher } = setup();
    await store.compareAndSetCredential('k', 0, { value: 'good', fetchedAt: 1, expiresAt: Date.now() + 1e6 });
    const counter = { fetches: 0 };
    const result = await refresher.refresh(plan('k', counter));
    expect(result).toMatchObject({ fetched: false, record: { value: 'good' } });
    expect(counter.fetches).toBe(0);
  });

  it('replaces a bad record with compare-and-set, bumping the version', async () => {
    const { store, refresher } = setup();
    await store.compareAndSetCredential('k', 0, { value: 'dead', fetchedAt: 1, expiresAt: Date.now() + 1e6 });
    const result = await refresher.refresh(plan('k', { fetches: 0 }, { bad: 'dead' }));
    expect(result.record).toMatchObject({ value: 'value-1', version: 2 });
    expect((await store.getCredential('k'))?.value).toBe('value-1');
  });

  it('takes over from a holder that died once its lease expires', async () => {
    const store = new MemoryStore();
    await store.acquireLease('lease:k', 'dead-process', 150); // a holder that never releases
    const { refresher } = setup(store, { leaseTtlMs: 150 });
    const counter = { fetches: 0 };
    const started = Date.now();
    const result = await refresher.refresh(plan('k', counter));
    expect(result.fetched).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
    expect(counter.fetches).toBe(1);
  });

  it('gives up with a lease timeout when the holder never writes', async () => {
    const store = new MemoryStore();
    await store.acquireLease('lease:k', 'stuck', 60_000);
    const { refresher } = setup(store, { waitTimeoutMs: 200 });
    const err = await refresher.refresh(plan('k', { fetches: 0 })).catch((e) => e);
    expect(isWxhubError(err, 'WXHUB_ERR_LEASE_TIMEOUT')).toBe(true);
  });

  it('shares a failure with everyone who joined the attempt, without retrying for each', async () => {
    const { refresher } = setup();
    let calls = 0;
    const failing: RefreshPlan = {
      key: 'k',
      needsRefresh: (r) => !r,
      fetch: async () => {
        calls++;
        await new Promise((r) => setTimeout(r, 10));
        throw new Error('upstream down');
      },
    };
    const results = await Promise.allSettled(Array.from({ length: 100 }, () => refresher.refresh(failing)));
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    expect(calls).toBe(1);
  });

  it('releases the lease after a failed fetch so the next caller can try', async () => {
    const { store, refresher } = setup();
    const failing: RefreshPlan = {
      key: 'k',
      needsRefresh: (r) => !r,
      fetch: async () => Promise.reject(new Error('x')),
    };
    await expect(refresher.refresh(failing)).rejects.toThrow('x');
    expect(await store.acquireLease('lease:k', 'someone-else', 1000)).toBe(true);
  });
});
