import { randomUUID } from 'node:crypto';
import { WxhubError } from '../../errors/index.js';
import type { Store } from '../../store/store.js';
import { exponentialBackoff, type RetryStrategy } from '../../tokens/retry.js';
import { type Clock, systemClock } from '../../util/clock.js';
import { type Logger, silentLogger } from '../../util/logger.js';
import type { EventLog, LoggedEvent, PositionInput } from '../log/event-log.js';
import type { PushEvent } from '../receive/push-event.js';
import { accepts, type Consumer } from './consumer.js';
import { type KeptLease, KeptLeases } from './kept-leases.js';

/** What happened to one delivery attempt, for metrics and the dashboard. */
export interface DeliveryOutcome {
  readonly consumer: string;
  readonly event: PushEvent;
  readonly outcome: 'delivered' | 'failed' | 'dead';
  readonly attempts: number;
  readonly durationMs: number;
  readonly error?: string;
}

export interface DeliveryWorkersOptions {
  readonly log: EventLog;
  /** Where the partition leases live: the same store as every other hub of the fleet. */
  readonly store: Store;
  readonly consumers: readonly Consumer[];
  readonly partitions: number;
  /**
   * How long a hub holds a consumer's partition without renewing it, ms: the visibility timeout.
   * A hub killed mid-delivery loses the partition after this, and another hub delivers again
   * what it had not confirmed. Default 30000 (longer than a delivery's 10 s timeout).
   */
  readonly leaseTtlMs?: number;
  /** Delay before retry n (1-based), or null to dead-letter. Default: 1 s doubling to 10 min, 15 retries (~70 min). */
  readonly retryStrategy?: RetryStrategy;
  /** Look for work at least this often without a wake-up from the log, ms. Default 1000. */
  readonly pollMs?: number;
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly owner?: string;
  readonly onOutcome?: (outcome: DeliveryOutcome) => void;
}

/** Events read from a partition per store round trip. */
const BATCH = 50;
/** How long after a failed watch of the log it is tried again, ms. */
const WATCH_RETRY_MS = 5000;
/** Wake-ups that name no partition within this window share one scan of all partitions, ms. */
const SCAN_COALESCE_MS = 20;

/**
 * Delivers the event log to every consumer, at least once and in order per openid, across a
 * fleet: each (consumer, partition) is worked by one hub at a time, under a lease in the store.
 * The holder delivers the partition's events one after another from the consumer's position,
 * writing the position after each batch of them (compare-and-set, so a hub that lost its lease
 * cannot move it back); a failure keeps the position and sets when to try again; past the
 * retries the event becomes a dead letter and the partition moves on. Between runs a lease is
 * kept for a moment (kept-leases.ts) rather than released and taken again.
 */
export class DeliveryWorkers {
  readonly #log: EventLog;
  readonly #store: Store;
  /** By name; changes at runtime (`add`, `remove`): subscribers registered through the API. */
  readonly #consumers = new Map<string, Consumer>();
  readonly #partitions: number;
  readonly #leaseTtlMs: number;
  /** How long after taking or renewing its lease a drain renews it before the next event, ms. */
  readonly #renewAfterMs: number;
  readonly #retry: RetryStrategy;
  readonly #pollMs: number;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #owner: string;
  readonly #onOutcome: (outcome: DeliveryOutcome) => void;
  /** Slots (consumer × partition) being worked by this process, and their runs. */
  readonly #running = new Map<string, Promise<void>>();
  /** Slots whose next attempt waits for a backoff: not looked at again before then. */
  readonly #sleeping = new Map<string, number>();
  /** Slots to run again when their current run ends (work arrived while it ran). */
  readonly #again = new Set<string>();
  readonly #kept: KeptLeases;
  #timer: NodeJS.Timeout | undefined;
  #scan: NodeJS.Timeout | undefined;
  #unwatch: (() => void) | undefined;
  #rewatch: NodeJS.Timeout | undefined;
  #stopped = true;

  constructor(options: DeliveryWorkersOptions) {
    this.#log = options.log;
    this.#store = options.store;
    for (const consumer of options.consumers) this.add(consumer);
    this.#partitions = options.partitions;
    this.#leaseTtlMs = options.leaseTtlMs ?? 30_000;
    this.#renewAfterMs = Math.min(this.#leaseTtlMs / 10, 1000);
    this.#retry = options.retryStrategy ?? exponentialBackoff({ retries: 15, baseMs: 1000, capMs: 600_000 });
    this.#pollMs = options.pollMs ?? 1000;
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? silentLogger;
    this.#owner = options.owner ?? randomUUID();
    this.#onOutcome = options.onOutcome ?? (() => undefined);
    this.#kept = new KeptLeases({
      store: this.#store,
      owner: this.#owner,
      freshMs: this.#renewAfterMs,
      now: () => this.#clock.now(),
    });
  }

  /**
   * Starts polling and watching the log. A store that cannot be watched yet (Redis or
   * PostgreSQL away while the hub starts) does not stop the start: the poll delivers meanwhile
   * and the watch is tried again.
   */
  async start(): Promise<void> {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#listen();
  }

  /**
   * Polls and watches the log once there is someone to deliver to: a hub without subscribers
   * (most hubs, until one is configured or registered) costs the store nothing.
   */
  #listen(): void {
    if (this.#stopped || this.#timer || this.#consumers.size === 0) return;
    this.#timer = setInterval(() => this.#scheduleScan(), this.#pollMs);
    this.#timer.unref();
    this.#scheduleScan();
    // Not awaited: a store slow to answer (a Redis that is restarting) would hold the hub's start.
    void this.#watch();
  }

  async #watch(): Promise<void> {
    try {
      // Another hub's append names no partition: one scan of all, coalesced.
      const unwatch = await this.#log.watch(() => this.#scheduleScan());
      if (this.#stopped) unwatch();
      else this.#unwatch = unwatch;
    } catch (err) {
      this.#logger.warn({ err: String(err) }, 'event log watch unavailable; polling, and trying again');
      if (this.#stopped) return;
      this.#rewatch = setTimeout(() => void this.#watch(), WATCH_RETRY_MS);
      this.#rewatch.unref();
    }
  }

  /** The consumers delivered to, in the order they were added. */
  get consumers(): Consumer[] {
    return [...this.#consumers.values()];
  }

  /** Starts delivering to `consumer` too, from its stored positions (a new name: the oldest event kept). */
  add(consumer: Consumer): void {
    if (this.#consumers.has(consumer.name)) {
      throw new WxhubError(
        'WXHUB_ERR_INVALID_ARGUMENT',
        `a consumer named ${consumer.name} is delivered to already`,
      );
    }
    this.#consumers.set(consumer.name, consumer);
    this.#listen();
    this.#scheduleScan();
  }

  /**
   * Stops delivering to the consumer named `name` and waits for its deliveries in flight; its
   * positions and dead letters stay in the log. Resolves the consumer removed (to close it), or
   * undefined.
   */
  async remove(name: string): Promise<Consumer | undefined> {
    const consumer = this.#consumers.get(name);
    if (!consumer) return undefined;
    this.#consumers.delete(name);
    const ofIt = (slot: string) => slot.startsWith(`${name}\n`);
    await Promise.allSettled([...this.#running].filter(([slot]) => ofIt(slot)).map(([, run]) => run));
    await this.#kept.releaseAll(ofIt);
    return consumer;
  }

  /** Looks for work in `partition` now (this process appended to it, or an operator replayed). */
  wake(partition: number): void {
    if (this.#stopped) return;
    for (const consumer of this.#consumers.values()) this.#startSlot(consumer, partition);
  }

  #scheduleScan(): void {
    if (this.#stopped || this.#scan) return;
    this.#scan = setTimeout(() => {
      this.#scan = undefined;
      for (let partition = 0; partition < this.#partitions; partition++) this.wake(partition);
    }, SCAN_COALESCE_MS);
    this.#scan.unref();
  }

  #startSlot(consumer: Consumer, partition: number): void {
    const slot = `${consumer.name}\n${partition}`;
    if ((this.#sleeping.get(slot) ?? 0) > this.#clock.now()) return;
    if (this.#running.has(slot)) {
      this.#again.add(slot);
      return;
    }
    const run = this.#work(consumer, partition, slot).finally(() => {
      this.#running.delete(slot);
      if (this.#again.delete(slot) && !this.#stopped && this.#active(consumer))
        this.#startSlot(consumer, partition);
    });
    this.#running.set(slot, run);
  }

  /** Stops taking work and waits for deliveries in flight; leases are released. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.#scan) clearTimeout(this.#scan);
    clearTimeout(this.#rewatch);
    this.#unwatch?.();
    this.#unwatch = undefined;
    await Promise.allSettled(this.#running.values());
    await this.#kept.releaseAll();
  }

  async #work(consumer: Consumer, partition: number, slot: string): Promise<void> {
    const name = `deliver:${consumer.name}:${partition}`;
    let held = false;
    let keep: KeptLease | undefined;
    try {
      const kept = await this.#kept.claim(slot);
      held = kept !== undefined;
      const start = kept ? { lease: kept, first: null } : await this.#take(consumer, partition, slot, name);
      if (!start) return;
      held = true;
      keep = await this.#drain(consumer, partition, slot, start.lease, start.first);
    } catch (err) {
      // A store or log outage: the next wake tries again from the last written position.
      this.#logger.warn({ consumer: consumer.name, partition, err: String(err) }, 'delivery pass failed');
    } finally {
      if (keep && !this.#stopped && this.#active(consumer)) this.#kept.keep(slot, keep);
      else if (held) await this.#store.releaseLease(name, this.#owner).catch(() => undefined);
    }
  }

  /**
   * Takes the slot's lease when there is work for it. Idle partitions (the common case on a
   * wake-up) cost two reads and no lease write. Resolves the lease with the position read under
   * it and, when nobody moved that position meanwhile, the events already read.
   */
  async #take(
    consumer: Consumer,
    partition: number,
    slot: string,
    name: string,
  ): Promise<{ lease: KeptLease; first: LoggedEvent[] | null } | undefined> {
    const seen = await this.#log.getPosition(consumer.name, partition);
    if (seen.notBefore > this.#clock.now()) {
      this.#sleeping.set(slot, seen.notBefore);
      return undefined;
    }
    const batch = await this.#log.readPartition(partition, seen.cursor, BATCH);
    if (batch.length === 0) return undefined;
    const asked = this.#clock.now();
    if (!(await this.#store.acquireLease(name, this.#owner, this.#leaseTtlMs))) return undefined;
    try {
      // Another hub may have moved the position before the lease was ours: then read again.
      const position = await this.#log.getPosition(consumer.name, partition);
      return {
        lease: { name, renewed: asked, position },
        first: position.version === seen.version ? batch : null,
      };
    } catch (err) {
      await this.#store.releaseLease(name, this.#owner).catch(() => undefined);
      throw err;
    }
  }

  /**
   * Delivers from `lease.position` while the lease holds; `first`: the partition's next events
   * if already read. The position is written once per batch of events read, before each renewal
   * of the lease, and at once after a failed attempt, not after every event: a store write per
   * event and subscriber was most of a delivery's cost. So a hub killed mid-batch redelivers
   * the events it delivered since its last write (about a second's worth at most), each with
   * its same webhook-id. Resolves the lease to keep for the next run, or undefined when it was
   * lost (another hub took it, or wrote the position).
   */
  async #drain(
    consumer: Consumer,
    partition: number,
    slot: string,
    lease: KeptLease,
    first: LoggedEvent[] | null,
  ): Promise<KeptLease | undefined> {
    let { renewed, position } = lease;
    /** Where the consumer is past `position` (the last written), not written yet. */
    let done: PositionInput | null = null;
    const write = async (): Promise<boolean> => {
      if (!done) return true;
      if (!(await this.#log.setPosition(consumer.name, partition, position.version, done))) return false;
      position = { ...done, version: position.version + 1 };
      done = null;
      return true;
    };
    const kept = (): KeptLease => ({ name: lease.name, renewed, position });
    let pending = first;
    while (!this.#stopped && this.#active(consumer)) {
      if (position.notBefore > this.#clock.now()) {
        this.#sleeping.set(slot, position.notBefore);
        return kept();
      }
      const batch = pending ?? (await this.#log.readPartition(partition, position.cursor, BATCH));
      pending = null;
      if (batch.length === 0) return kept();
      for (const logged of batch) {
        if (this.#stopped || !this.#active(consumer)) break;
        // Renewed when a tenth of its TTL (at most a second) has gone, not before every event (a
        // store write each): an attempt starts with nine tenths of the TTL left, so only a hub
        // stalled nearly a whole TTL can deliver after another took over (a duplicate, same
        // webhook-id). Renewing is also the check that nobody else took the partition meanwhile;
        // the position's compare-and-set is the other.
        if (this.#clock.now() - renewed >= this.#renewAfterMs) {
          if (!(await write())) return undefined;
          const asked = this.#clock.now();
          if (!(await this.#store.acquireLease(lease.name, this.#owner, this.#leaseTtlMs))) return undefined;
          renewed = asked;
        }
        const next = await this.#attempt(consumer, logged, done ?? position);
        done = next;
        if (next.cursor !== logged.cursor) {
          // Retried after a backoff: the attempt count and the wait must survive a takeover.
          if (!(await write())) return undefined;
          this.#sleeping.set(slot, next.notBefore);
          return kept();
        }
      }
      if (!(await write())) return undefined;
      // A short batch was the partition's end when read; events logged since woke the slot again.
      if (batch.length < BATCH) return kept();
    }
    return kept();
  }

  /** Still delivered to: not removed (nor replaced by a consumer of the same name) meanwhile. */
  #active(consumer: Consumer): boolean {
    return this.#consumers.get(consumer.name) === consumer;
  }

  /** One event for one consumer: the position to write afterwards. */
  async #attempt(consumer: Consumer, logged: LoggedEvent, position: PositionInput): Promise<PositionInput> {
    const done = { cursor: logged.cursor, attempts: 0, notBefore: 0, lastError: null };
    if (!accepts(consumer.filter, logged.event)) return done;
    const attempts = position.attempts + 1;
    const started = this.#clock.now();
    try {
      await consumer.deliver(logged.event);
      this.#report(consumer, logged.event, 'delivered', attempts, started);
      return done;
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      const delay = this.#retry(attempts);
      if (delay === null) {
        await this.#log.addDeadLetter({
          consumer: consumer.name,
          event: logged.event,
          error,
          attempts,
          at: this.#clock.now(),
        });
        this.#report(consumer, logged.event, 'dead', attempts, started, error);
        return { ...done, lastError: error };
      }
      this.#report(consumer, logged.event, 'failed', attempts, started, error);
      return { cursor: position.cursor, attempts, notBefore: this.#clock.now() + delay, lastError: error };
    }
  }

  #report(
    consumer: Consumer,
    event: PushEvent,
    outcome: DeliveryOutcome['outcome'],
    attempts: number,
    started: number,
    error?: string,
  ): void {
    const durationMs = this.#clock.now() - started;
    this.#onOutcome({
      consumer: consumer.name,
      event,
      outcome,
      attempts,
      durationMs,
      ...(error ? { error } : {}),
    });
  }
}
