import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isWxhubError } from '../../src/errors/index.js';
import type { CredentialInput, Store } from '../../src/store/index.js';
import { eventually, sleep } from './helpers.js';

export interface ContractOptions {
  /**
   * Each call of `makeStore` opens another instance on the same data (same file, prefix,
   * schema). False for MemoryStore, whose instances share nothing: the "second instance" is then
   * the first one again.
   */
  readonly shared: boolean;
  /** The documented bound, ms, for a write by another instance to reach a watcher. */
  readonly watchBoundMs: number;
}

/**
 * How long a test waits for something that must happen, with no bound promised (a local write
 * reaching a watcher, a warning): generous, since waiting ends as soon as it happens.
 */
const DELIVERY_MS = 5000;

/** Watch latencies measured by the contract runs, by store name (for the report and docs). */
export const measuredWatchLatencies = new Map<string, number[]>();

const cred = (value: string, at = 1_700_000_000_000): CredentialInput => ({
  value,
  expiresAt: at + 7_200_000,
  fetchedAt: at,
});

/**
 * Runs a timing trial whose TTL must outlast the machine's stalls: `trial(ttlMs)` resolves false
 * when a stall made it undecidable (a call returned after the instant it was meant to precede),
 * and only then is it run again with twice the TTL. Every assertion it makes on a decidable run
 * stands; a machine too slow for three trials fails loudly instead of passing.
 */
async function decisively(trial: (ttlMs: number) => Promise<boolean>, ttlMs: number): Promise<void> {
  for (let attempt = 1; attempt <= 3; attempt++, ttlMs *= 2) if (await trial(ttlMs)) return;
  expect.fail(`every trial up to a ${ttlMs / 2} ms TTL was stalled past its window`);
}

/** Sleeps until `performance.now()` reaches `at`. */
const sleepUntil = (at: number) => sleep(Math.max(0, Math.ceil(at - performance.now())));

/** The behaviour every Store must share with MemoryStore, the reference. */
export function describeStoreContract(
  name: string,
  makeStore: () => Store | Promise<Store>,
  options: ContractOptions,
): void {
  describe(`${name}: Store contract`, () => {
    let a: Store;
    let b: Store;
    /** Instances to use for concurrent work: two connections when the backend is shared. */
    let both: Store[];
    const k = (what: string) => `${what}-${randomUUID().slice(0, 8)}`;

    beforeAll(async () => {
      a = await makeStore();
      b = options.shared ? await makeStore() : a;
      both = options.shared ? [a, b] : [a];
    });

    afterAll(async () => {
      await a?.close();
      if (b !== a) await b?.close();
    });

    describe('credentials (compare-and-set)', () => {
      it('needs expectedVersion 0 for the first write, then counts versions up from 1', async () => {
        const key = k('cas');
        expect(await a.getCredential(key)).toBeNull();
        expect(await a.compareAndSetCredential(key, 1, cred('v1'))).toBeNull();
        expect(await a.getCredential(key)).toBeNull();

        const first = await a.compareAndSetCredential(key, 0, cred('v1', 1000));
        expect(first).toEqual({ value: 'v1', expiresAt: 7_201_000, fetchedAt: 1000, version: 1 });
        expect(await a.getCredential(key)).toEqual(first);

        expect((await a.compareAndSetCredential(key, 1, cred('v2')))?.version).toBe(2);
        expect((await a.compareAndSetCredential(key, 2, cred('v3')))?.version).toBe(3);
        expect((await a.getCredential(key))?.value).toBe('v3');
      });

      it('refuses a stale or future version and writes nothing', async () => {
        const key = k('cas-stale');
        await a.compareAndSetCredential(key, 0, cred('kept'));
        expect(await a.compareAndSetCredential(key, 0, cred('again'))).toBeNull();
        expect(await a.compareAndSetCredential(key, 7, cred('future'))).toBeNull();
        expect(await a.getCredential(key)).toMatchObject({ value: 'kept', version: 1 });
      });

      it('keeps long values (WeChat tokens are up to 512 chars) and exact epoch ms', async () => {
        const key = k('cas-long');
        const value = `${'A'.repeat(1500)}_-中控${'z'.repeat(546)}`;
        const at = 1_767_225_600_123;
        await a.compareAndSetCredential(key, 0, { value, expiresAt: at + 7_200_000, fetchedAt: at });
        expect(await b.getCredential(key)).toEqual({
          value,
          expiresAt: at + 7_200_000,
          fetchedAt: at,
          version: 1,
        });
      });

      it('lets exactly one of 20 concurrent writers from the same version win', async () => {
        const key = k('cas-race');
        await a.compareAndSetCredential(key, 0, cred('base'));
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            both[i % both.length]!.compareAndSetCredential(key, 1, cred(`w${i}`)),
          ),
        );
        const winners = results.filter((r) => r !== null);
        expect(winners).toHaveLength(1);
        expect(winners[0]?.version).toBe(2);
        expect(await a.getCredential(key)).toEqual(winners[0]);
      });

      it('lets exactly one of 20 concurrent first writers (version 0) win', async () => {
        const key = k('cas-race0');
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            both[i % both.length]!.compareAndSetCredential(key, 0, cred(`w${i}`)),
          ),
        );
        const winners = results.filter((r) => r !== null);
        expect(winners).toHaveLength(1);
        expect(await b.getCredential(key)).toEqual(winners[0]);
      });

      it.runIf(options.shared)('shares writes between two instances on the same backend', async () => {
        const key = k('cas-shared');
        await a.compareAndSetCredential(key, 0, cred('from-a'));
        expect(await b.getCredential(key)).toMatchObject({ value: 'from-a', version: 1 });
        expect(await b.compareAndSetCredential(key, 0, cred('b-stale'))).toBeNull();
        expect((await b.compareAndSetCredential(key, 1, cred('from-b')))?.version).toBe(2);
        expect(await a.getCredential(key)).toMatchObject({ value: 'from-b', version: 2 });
        expect(await a.compareAndSetCredential(key, 1, cred('a-stale'))).toBeNull();
      });

      it('deletes a record; the next write starts again from version 0', async () => {
        const key = k('del');
        await a.compareAndSetCredential(key, 0, cred('v1'));
        await a.compareAndSetCredential(key, 1, cred('v2'));
        await b.deleteCredential(key);
        expect(await a.getCredential(key)).toBeNull();
        expect(await a.compareAndSetCredential(key, 2, cred('late'))).toBeNull();
        expect((await a.compareAndSetCredential(key, 0, cred('fresh')))?.version).toBe(1);
        await a.deleteCredential(k('never-written'));
      });

      it('keeps keys apart', async () => {
        const [x, y] = [k('x'), k('y')];
        await a.compareAndSetCredential(x, 0, cred('x'));
        expect(await a.getCredential(y)).toBeNull();
        expect((await a.compareAndSetCredential(y, 0, cred('y')))?.version).toBe(1);
        expect((await a.getCredential(x))?.value).toBe('x');
      });
    });

    describe('leases', () => {
      it('gives a free lease to its first owner and refuses everyone else', async () => {
        const lease = k('lease');
        expect(await a.acquireLease(lease, 'owner-1', 5000)).toBe(true);
        expect(await b.acquireLease(lease, 'owner-2', 5000)).toBe(false);
        expect(await a.acquireLease(lease, 'owner-2', 5000)).toBe(false);
        expect(await b.acquireLease(k('other-lease'), 'owner-2', 5000)).toBe(true);
      });

      it('renews for the same owner and extends the TTL', async () => {
        await decisively(async (ttl) => {
          const lease = k('lease-renew');
          const takenFrom = performance.now();
          expect(await a.acquireLease(lease, 'owner-1', ttl)).toBe(true);
          const firstOverAt = performance.now() + ttl; // the first TTL has run out by then
          await sleep(ttl / 2);
          const renewedFrom = performance.now(); // the renewed TTL runs at least until renewedFrom + ttl
          expect(await b.acquireLease(lease, 'owner-1', ttl)).toBe(true);
          const renewedBy = performance.now();
          await sleepUntil(firstOverAt + 20);
          const other = await b.acquireLease(lease, 'owner-2', ttl);
          const checkedBy = performance.now();
          // Decidable only if the renewal came inside the first TTL and the check inside the renewed one.
          const decidable = renewedBy < takenFrom + ttl && checkedBy < renewedFrom + ttl;
          if (decidable) expect(other, 'past the first TTL, inside the renewed one').toBe(false);
          await sleepUntil(renewedBy + ttl + 20);
          expect(await b.acquireLease(lease, 'owner-2', ttl)).toBe(true);
          return decidable;
        }, 1000);
      });

      it('expires after its TTL, so a dead holder is taken over', async () => {
        await decisively(async (ttl) => {
          const lease = k('lease-ttl');
          const takenFrom = performance.now();
          expect(await a.acquireLease(lease, 'dead', ttl)).toBe(true);
          const expiredAt = performance.now() + ttl;
          const refused = await b.acquireLease(lease, 'alive', ttl);
          const decidable = performance.now() < takenFrom + ttl;
          if (decidable) expect(refused, 'inside the TTL').toBe(false);
          await sleepUntil(expiredAt + 20);
          expect(await b.acquireLease(lease, 'alive', 5000)).toBe(true);
          expect(await a.releaseLease(lease, 'dead')).toBe(false);
          expect(await a.acquireLease(lease, 'dead', 5000)).toBe(false);
          return decidable;
        }, 500);
      });

      it('is not released by its owner once expired: an expired lease is no longer held', async () => {
        const lease = k('lease-release-expired');
        expect(await a.acquireLease(lease, 'owner-1', 150)).toBe(true);
        await sleep(300);
        expect(await b.releaseLease(lease, 'owner-1')).toBe(false);
      });

      it('is released only by its owner; then another owner can take it', async () => {
        const lease = k('lease-release');
        expect(await a.acquireLease(lease, 'owner-1', 5000)).toBe(true);
        expect(await b.releaseLease(lease, 'owner-2')).toBe(false);
        expect(await b.acquireLease(lease, 'owner-2', 5000)).toBe(false);
        expect(await b.releaseLease(lease, 'owner-1')).toBe(true);
        expect(await a.releaseLease(lease, 'owner-1')).toBe(false);
        expect(await b.acquireLease(lease, 'owner-2', 5000)).toBe(true);
        expect(await a.releaseLease(k('never-taken'), 'owner-1')).toBe(false);
      });

      it('goes to exactly one of 20 concurrent owners', async () => {
        const lease = k('lease-race');
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            both[i % both.length]!.acquireLease(lease, `owner-${i}`, 5000),
          ),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
      });
    });

    describe('counters', () => {
      it('adds `by`, starts unknown counters at 0 and keeps windows apart', async () => {
        const name = k('quota');
        expect(await a.getCounter(name, '2026-11-21')).toBe(0);
        expect(await a.incrementCounter(name, '2026-11-21')).toBe(1);
        expect(await b.incrementCounter(name, '2026-11-21', 5)).toBe(6);
        expect(await a.incrementCounter(name, '2026-11-22', 2)).toBe(2);
        expect(await b.getCounter(name, '2026-11-21')).toBe(6);
        expect(await b.getCounter(name, '2026-11-22')).toBe(2);
        expect(await a.getCounter(`${name}-other`, '2026-11-21')).toBe(0);
        expect(await a.getCounter(name, '2026-11-23')).toBe(0);
      });

      it('does not confuse names and windows that share separators', async () => {
        const name = k('sep');
        await a.incrementCounter(`${name}:a`, 'b', 1);
        await a.incrementCounter(name, 'a:b', 10);
        expect(await a.getCounter(`${name}:a`, 'b')).toBe(1);
        expect(await a.getCounter(name, 'a:b')).toBe(10);
      });

      it('sums concurrent increments exactly', async () => {
        const name = k('quota-race');
        const totals = await Promise.all(
          Array.from({ length: 40 }, (_, i) => both[i % both.length]!.incrementCounter(name, 'day')),
        );
        expect(await a.getCounter(name, 'day')).toBe(40);
        expect([...totals].sort((x, y) => x - y)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
      });

      it('starts an expired window again from zero on the next increment', async () => {
        const name = k('quota-restart');
        expect(await a.incrementCounter(name, 'day', 3, 150)).toBe(3);
        await sleep(300);
        expect(await b.incrementCounter(name, 'day', 2, 5000)).toBe(2);
      });

      it("restarts the window's TTL on every increment", async () => {
        await decisively(async (ttl) => {
          const name = k('quota-renew');
          const firstFrom = performance.now();
          expect(await a.incrementCounter(name, 'day', 1, ttl)).toBe(1);
          const firstOverAt = performance.now() + ttl;
          await sleep(ttl / 2);
          const secondFrom = performance.now();
          expect(await b.incrementCounter(name, 'day', 1, ttl)).toBe(2);
          const secondBy = performance.now();
          await sleepUntil(firstOverAt + 20);
          const total = await a.getCounter(name, 'day');
          const decidable = secondBy < firstFrom + ttl && performance.now() < secondFrom + ttl;
          if (decidable) expect(total, 'past the first TTL, inside the one the second increment set').toBe(2);
          return decidable;
        }, 1000);
      });

      it('drops a window after its TTL', async () => {
        const name = k('quota-ttl');
        expect(await a.incrementCounter(name, 'day', 3, 150)).toBe(3);
        await sleep(300);
        expect(await b.getCounter(name, 'day')).toBe(0);
        expect(await b.incrementCounter(name, 'day', 2, 5000)).toBe(2);
      });
    });

    describe('single-use keys', () => {
      it('puts only when absent (NX) and takes once', async () => {
        const key = k('once');
        expect(await a.putOnce(key, 'state-1', 5000)).toBe(true);
        expect(await b.putOnce(key, 'state-2', 5000)).toBe(false);
        expect(await b.takeOnce(key)).toBe('state-1');
        expect(await a.takeOnce(key)).toBeNull();
        expect(await a.takeOnce(k('never-put'))).toBeNull();
        expect(await a.putOnce(key, 'after-take', 5000)).toBe(true);
        expect(await a.takeOnce(key)).toBe('after-take');
      });

      it('hands the value to exactly one of 20 concurrent takers', async () => {
        const key = k('once-race');
        await a.putOnce(key, 'ticket', 5000);
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) => both[i % both.length]!.takeOnce(key)),
        );
        expect(results.filter((r) => r !== null)).toEqual(['ticket']);
      });

      it('expires after its TTL, then the key can be put again', async () => {
        const key = k('once-ttl');
        expect(await a.putOnce(key, 'short', 150)).toBe(true);
        await sleep(300);
        expect(await b.takeOnce(key)).toBeNull();
        expect(await b.putOnce(key, 'again', 150)).toBe(true);
        await sleep(300);
        expect(await a.putOnce(key, 'third', 5000)).toBe(true);
        expect(await a.takeOnce(key)).toBe('third');
      });
    });

    describe('documents', () => {
      it('sets, overwrites, reads without using up, and deletes', async () => {
        const key = k('doc');
        expect(await a.getDocument(key)).toBeNull();
        await a.setDocument(key, '{"v":1}', 5000);
        expect(await b.getDocument(key)).toBe('{"v":1}');
        expect(await b.getDocument(key)).toBe('{"v":1}');
        await b.setDocument(key, '{"v":2}', 5000);
        expect(await a.getDocument(key)).toBe('{"v":2}');
        await a.deleteDocument(key);
        expect(await b.getDocument(key)).toBeNull();
        await b.deleteDocument(key);
      });

      it('expires after its TTL, and a rewrite sets a new TTL', async () => {
        const key = k('doc-ttl');
        await a.setDocument(key, 'short', 150);
        await a.setDocument(key, 'long', 5000);
        await sleep(300);
        expect(await b.getDocument(key)).toBe('long');
        await b.setDocument(key, 'short-again', 150);
        await sleep(300);
        expect(await a.getDocument(key)).toBeNull();
      });

      it('shares the single-use keyspace: getDocument reads a putOnce value without taking it', async () => {
        // Follow-to-log-in relies on it: put once, read on every poll, taken once at the end.
        const key = k('doc-once');
        expect(await a.putOnce(key, 'record', 5000)).toBe(true);
        expect(await b.getDocument(key)).toBe('record');
        expect(await a.getDocument(key)).toBe('record');
        expect(await b.takeOnce(key)).toBe('record');
        expect(await a.getDocument(key)).toBeNull();
      });

      it('refuses bad arguments with WXHUB_ERR_INVALID_ARGUMENT', async () => {
        const bad = [
          () => a.setDocument('', 'x', 1000),
          () => a.setDocument(k('doc-bad'), 1 as unknown as string, 1000),
          () => a.setDocument(k('doc-bad'), 'x', 0),
          () => a.getDocument(''),
          () => a.deleteDocument(''),
        ];
        for (const call of bad) {
          const err = await call().catch((e: unknown) => e);
          expect(isWxhubError(err, 'WXHUB_ERR_INVALID_ARGUMENT')).toBe(true);
        }
      });
    });

    describe('watchCredentials', () => {
      it('tells a watcher about writes and deletes by this instance', async () => {
        const key = k('watch-local');
        const seen: string[] = [];
        const unsubscribe = await a.watchCredentials((changed) => seen.push(changed));
        try {
          await a.compareAndSetCredential(key, 0, cred('v1'));
          expect(await eventually(() => seen.includes(key), DELIVERY_MS)).toBe(true);
          seen.length = 0;
          await a.deleteCredential(key);
          expect(await eventually(() => seen.includes(key), DELIVERY_MS)).toBe(true);
        } finally {
          unsubscribe();
        }
      });

      it(`delivers another instance's writes within ${options.watchBoundMs} ms; unsubscribe stops them`, async () => {
        const key = k('watch');
        const arrivals: { key: string; at: number }[] = [];
        const unsubscribe = await a.watchCredentials((changed) =>
          arrivals.push({ key: changed, at: performance.now() }),
        );
        const latencies: number[] = [];
        for (let version = 0; version < 5; version++) {
          const start = performance.now();
          expect(await b.compareAndSetCredential(key, version, cred(`v${version + 1}`))).not.toBeNull();
          const arrived = await eventually(
            () => arrivals.some((e) => e.key === key && e.at >= start),
            options.watchBoundMs * 3,
          );
          expect(arrived, `write ${version + 1} within ${options.watchBoundMs * 3} ms`).toBe(true);
          const at = arrivals.find((e) => e.key === key && e.at >= start)!.at;
          latencies.push(Math.round((at - start) * 10) / 10);
          arrivals.length = 0;
        }
        measuredWatchLatencies.set(name, latencies);
        console.info(
          `[store watch] ${name}: latencies ${latencies.join(', ')} ms (bound ${options.watchBoundMs})`,
        );
        // The median holds the documented bound; a single delivery may take up to three times it
        // on a busy machine (each is already capped at that above).
        const median = [...latencies].sort((x, y) => x - y)[2]!;
        expect(median).toBeLessThanOrEqual(options.watchBoundMs);

        const start = performance.now();
        await b.deleteCredential(key);
        expect(
          await eventually(
            () => arrivals.some((e) => e.key === key && e.at >= start),
            options.watchBoundMs * 3,
          ),
        ).toBe(true);

        unsubscribe();
        unsubscribe();
        arrivals.length = 0;
        // A listener added after the unsubscribe sees both writes; the removed one, called in the
        // same delivery, would have seen them by then.
        const after: string[] = [];
        const sentinel = await a.watchCredentials((changed) => after.push(changed));
        try {
          const delivered = (n: number) =>
            eventually(() => after.filter((changed) => changed === key).length >= n, DELIVERY_MS);
          await b.compareAndSetCredential(key, 0, cred('after-unsubscribe'));
          expect(await delivered(1)).toBe(true);
          await a.compareAndSetCredential(key, 1, cred('after-unsubscribe-local'));
          expect(await delivered(2)).toBe(true);
          expect(arrivals).toEqual([]);
        } finally {
          sentinel();
        }
      });

      it('keeps other listeners and the write going when a listener throws', async () => {
        const key = k('watch-throw');
        const seen: string[] = [];
        const warnings: string[] = [];
        // Asserted here instead of printed: the process's own warning printer is set aside meanwhile.
        const printers = process.listeners('warning');
        process.removeAllListeners('warning');
        const onWarning = (w: Error) => warnings.push(w.message);
        process.on('warning', onWarning);
        const bad = await a.watchCredentials(() => {
          throw new Error('listener bug');
        });
        const good = await a.watchCredentials((changed) => seen.push(changed));
        try {
          expect((await a.compareAndSetCredential(key, 0, cred('v1')))?.version).toBe(1);
          expect(await eventually(() => seen.includes(key), DELIVERY_MS)).toBe(true);
          expect(await eventually(() => warnings.some((w) => w.includes('listener bug')), DELIVERY_MS)).toBe(
            true,
          );
        } finally {
          bad();
          good();
          process.off('warning', onWarning);
          for (const printer of printers) process.on('warning', printer);
        }
      });
    });

    describe('arguments', () => {
      it('rejects bad TTLs, amounts and versions with WXHUB_ERR_INVALID_ARGUMENT', async () => {
        const invalid = (p: Promise<unknown>) =>
          p.then(
            () => expect.fail('should have rejected'),
            (err) => expect(isWxhubError(err, 'WXHUB_ERR_INVALID_ARGUMENT')).toBe(true),
          );
        await invalid(a.acquireLease(k('l'), 'o', 0));
        await invalid(a.acquireLease(k('l'), '', 1000));
        await invalid(a.putOnce(k('o'), 'v', 1.5));
        await invalid(a.incrementCounter(k('c'), 'day', 0.5));
        await invalid(a.compareAndSetCredential(k('c'), -1, cred('v')));
        await invalid(a.compareAndSetCredential('', 0, cred('v')));
      });
    });

    describe('close', () => {
      it('closes a store with watchers, and closing twice is harmless', async () => {
        const store = await makeStore();
        const key = k('close');
        await store.watchCredentials(() => undefined);
        await store.compareAndSetCredential(key, 0, cred('v1'));
        await store.close();
        await store.close();
        if (options.shared) expect((await a.getCredential(key))?.value).toBe('v1');
      });
    });
  });
}
