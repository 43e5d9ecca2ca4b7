import { randomUUID } from 'node:crypto';
import { WxhubError } from '../errors/index.js';
import type { CredentialInput, CredentialRecord, Store } from '../store/store.js';
import type { ChangeFeed } from './change-feed.js';

/** One refresh to be done for the whole fleet: which key, when the stored value is bad, how to fetch. */
export interface RefreshPlan {
  readonly key: string;
  /** True while the stored record (or its absence) still needs replacing. */
  needsRefresh(record: CredentialRecord | null): boolean;
  /**
   * Fetches the replacement; called only by the lease holder. `keepLease` renews the lease and
   * must be awaited before each upstream attempt, so a slow retry loop does not lose it (the first
   * call costs nothing: the lease was just taken).
   */
  fetch(current: CredentialRecord | null, keepLease: () => Promise<void>): Promise<CredentialInput>;
}

export interface RefreshResult {
  readonly record: CredentialRecord;
  /** True when this process fetched from WeChat; false when it got another process's result. */
  readonly fetched: boolean;
}

export interface RefresherOptions {
  readonly store: Store;
  readonly changes: ChangeFeed;
  /** Lease lifetime, ms; a holder that died is taken over after this. Default 15000. */
  readonly leaseTtlMs?: number;
  /** How long a caller waits for another holder before giving up, ms. Default 20000. */
  readonly waitTimeoutMs?: number;
  /** Fallback poll while waiting, for stores whose change feed lags. Default 200. */
  readonly pollMs?: number;
  /** This process's lease owner id. */
  readonly owner?: string;
}

/** A lease holder that died is taken over after this long, ms. */
export const DEFAULT_LEASE_TTL_MS = 15_000;
/** A caller waiting on another process's refresh gives up after this long, ms. */
export const DEFAULT_WAIT_TIMEOUT_MS = 20_000;

/** Raised inside a fetch when the lease could not be renewed (it expired and someone took it). */
class LeaseLost extends Error {}

/**
 * The fleet-wide single refresh: a lease in the store, a re-check, the fetch, a compare-and-set
 * write, the lease released. Callers in one process share one attempt per key; callers in other
 * processes wait for the holder's write. A storm of callers therefore causes one upstream fetch.
 */
export class Refresher {
  readonly #store: Store;
  readonly #changes: ChangeFeed;
  readonly #leaseTtlMs: number;
  readonly #waitTimeoutMs: number;
  readonly #pollMs: number;
  readonly #owner: string;
  readonly #inflight = new Map<string, Promise<RefreshResult>>();

  constructor(options: RefresherOptions) {
    this.#store = options.store;
    this.#changes = options.changes;
    this.#leaseTtlMs = options.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS;
    this.#waitTimeoutMs = options.waitTimeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS;
    this.#pollMs = options.pollMs ?? 200;
    this.#owner = options.owner ?? randomUUID();
  }

  /** Resolves a record for which `plan.needsRefresh` is false, fetching at most once fleet-wide. */
  async refresh(plan: RefreshPlan): Promise<RefreshResult> {
    // Join the attempt in flight; its failure is ours too, so a storm never turns into a queue of
    // retries. Only a success that answers someone else's question sends us round again.
    for (let running = this.#inflight.get(plan.key); running; running = this.#inflight.get(plan.key)) {
      const { record } = await running;
      if (!plan.needsRefresh(record)) return { record, fetched: false };
    }
    const attempt = this.#run(plan).finally(() => this.#inflight.delete(plan.key));
    this.#inflight.set(plan.key, attempt);
    return attempt;
  }

  async #run(plan: RefreshPlan): Promise<RefreshResult> {
    const lease = `lease:${plan.key}`;
    const deadline = Date.now() + this.#waitTimeoutMs;
    for (;;) {
      const current = await this.#store.getCredential(plan.key);
      if (!plan.needsRefresh(current)) return { record: current as CredentialRecord, fetched: false };
      if (await this.#store.acquireLease(lease, this.#owner, this.#leaseTtlMs)) {
        try {
          return await this.#holdAndFetch(plan, lease);
        } catch (err) {
          if (!(err instanceof LeaseLost)) throw err;
        } finally {
          await this.#store.releaseLease(lease, this.#owner).catch(() => undefined);
        }
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new WxhubError(
          'WXHUB_ERR_LEASE_TIMEOUT',
          `${plan.key}: another process was refreshing it and stored no new one within ${this.#waitTimeoutMs} ms`,
        );
      }
      await this.#changes.waitFor(plan.key, Math.min(this.#pollMs, left));
    }
  }

  async #holdAndFetch(plan: RefreshPlan, lease: string): Promise<RefreshResult> {
    // Someone may have written between our read and our lease: look again before spending quota.
    const current = await this.#store.getCredential(plan.key);
    if (!plan.needsRefresh(current)) return { record: current as CredentialRecord, fetched: false };
    // Taken a moment ago (only the re-check above came between): the first attempt needs no renewal.
    let justTaken = true;
    const keepLease = async () => {
      if (justTaken) {
        justTaken = false;
        return;
      }
      if (!(await this.#store.acquireLease(lease, this.#owner, this.#leaseTtlMs))) throw new LeaseLost();
    };
    const next = await plan.fetch(current, keepLease);
    const written = await this.#store.compareAndSetCredential(plan.key, current?.version ?? 0, next);
    if (written) return { record: written, fetched: true };
    // Our lease lapsed and another holder wrote first: theirs stands, ours is dropped.
    const winner = await this.#store.getCredential(plan.key);
    if (winner && !plan.needsRefresh(winner)) return { record: winner, fetched: true };
    throw new LeaseLost();
  }
}
