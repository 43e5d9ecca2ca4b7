import type { Store } from '../../store/store.js';
import type { Position } from '../log/event-log.js';

/** A slot's lease this process still holds after a run, and what it knows under it. */
export interface KeptLease {
  /** The lease's name in the store. */
  readonly name: string;
  /** When it was last taken or renewed (asked for), epoch ms of the workers' clock. */
  readonly renewed: number;
  /** The consumer's position in the partition as this process last wrote (or read) it. */
  readonly position: Position;
}

/**
 * Delivery leases kept between runs of a slot (consumer × partition) for a moment, instead of
 * being released at the end of each run and taken again at the next: under steady pushes a
 * slot runs many times a second, and each take and release is a store write. A run that claims
 * a kept lease also skips reading the position, which nobody else can have moved while the
 * lease was ours.
 *
 * A kept lease is trusted until `freshMs` after its renewal (the workers' renewal interval, a
 * tenth of the TTL at most), then released: a later run takes it again the ordinary way. The
 * cost: a hub killed while it keeps a lease holds that slot until the lease's TTL runs out, as
 * one killed mid-delivery always did.
 */
export class KeptLeases {
  readonly #store: Store;
  readonly #owner: string;
  readonly #freshMs: number;
  readonly #now: () => number;
  readonly #kept = new Map<string, { lease: KeptLease; timer: NodeJS.Timeout }>();

  constructor(options: {
    store: Store;
    owner: string;
    freshMs: number;
    now: () => number;
  }) {
    this.#store = options.store;
    this.#owner = options.owner;
    this.#freshMs = options.freshMs;
    this.#now = options.now;
  }

  /**
   * The kept lease of `slot`, for a run starting now, if it is still fresh; it is no longer
   * kept (the run keeps it again, or releases it, when it ends). One gone stale is released
   * (its timer had not fired yet) before this resolves, so the run can take it anew.
   */
  async claim(slot: string): Promise<KeptLease | undefined> {
    const entry = this.#kept.get(slot);
    if (!entry) return undefined;
    if (this.#now() - entry.lease.renewed >= this.#freshMs) {
      await this.#release(slot);
      return undefined;
    }
    clearTimeout(entry.timer);
    this.#kept.delete(slot);
    return entry.lease;
  }

  /** Keeps `lease` for the next run of `slot`, until it is no longer fresh. */
  keep(slot: string, lease: KeptLease): void {
    const previous = this.#kept.get(slot);
    if (previous) clearTimeout(previous.timer);
    const left = Math.max(0, lease.renewed + this.#freshMs - this.#now());
    const timer = setTimeout(() => void this.#release(slot), left);
    timer.unref();
    this.#kept.set(slot, { lease, timer });
  }

  /** Releases the kept leases of the slots `which` selects (all by default), now. */
  async releaseAll(which: (slot: string) => boolean = () => true): Promise<void> {
    await Promise.all([...this.#kept.keys()].filter(which).map((slot) => this.#release(slot)));
  }

  async #release(slot: string): Promise<void> {
    const entry = this.#kept.get(slot);
    if (!entry) return;
    clearTimeout(entry.timer);
    this.#kept.delete(slot);
    // A failed release only leaves the lease to expire: nobody waits on it but other hubs.
    await this.#store.releaseLease(entry.lease.name, this.#owner).catch(() => undefined);
  }
}
