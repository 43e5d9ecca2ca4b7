import { performance } from 'node:perf_hooks';
import type { HubSlot, HubStatus } from './fleet.js';
import type { SimClient } from './sim-client.js';

export interface ClockDriverOptions {
  readonly sim: SimClient;
  readonly hubs: readonly HubSlot[];
  /** Also follows the clock (the clients process). */
  readonly followers: readonly { setClock(offsetMs: number): Promise<void> }[];
  /** Real ms between steps. */
  readonly tickMs: number;
  /**
   * Largest step, virtual seconds. It bounds how far apart two processes' clocks can be while a
   * step is being broadcast: below the 60 s margin HubTokenProvider keeps, and far below the
   * 200 s between a legacy client's 7000 s cache and a stand-in's 7200 s life.
   */
  readonly maxStepSeconds: number;
  /** How long the clock stays at real speed at a refresh point before creeping on, real ms. */
  readonly creepAfterMs: number;
  /** Creep speed, virtual ms per real ms (a refresh whose retries run long still sees time pass). */
  readonly creepRate: number;
  /** Speed while an account's refresh point passes with its quota spent, virtual ms per real ms. */
  readonly exhaustedRate: number;
  /** Called once per refresh point the clock stops at, before the hubs act on it. */
  readonly onRefreshDue?: (appid: string) => Promise<void>;
}

export interface ClockStats {
  steps: number;
  /** Real ms the clock ran at real speed (or crept) because a refresh was due or a fetch in flight. */
  heldAtRefreshMs: number;
}

/**
 * Moves the simulator's virtual clock forward in small steps and tells every hub and client the
 * new offset (sim first, then everyone at once). Time runs fast only while nothing is due: the
 * engine's retries, timeouts and leases are real-time, so a fast clock would shrink a refresh's
 * runway (540 s for classic tokens, 120-180 s for stable ones) to a fraction of a second. So:
 * - the clock steps up to the earliest refresh point any live hub holds, then runs at real speed
 *   until that token is renewed (after `creepAfterMs` it creeps at `creepRate`); so it does while
 *   any hub holds a refresh lease (a fetch in flight, e.g. after a rogue killed the token);
 * - it runs at real speed while a hub restarts or Redis is down (`hold(reason)`), as time does
 *   during a real incident;
 * - for an account whose quota is spent (`exhausted`), its refresh point does not stop the clock,
 *   which passes at `exhaustedRate` (the cached token must carry the callers to the next day).
 */
export class ClockDriver {
  offsetMs = 0;
  readonly stats: ClockStats = { steps: 0, heldAtRefreshMs: 0 };
  readonly exhausted = new Set<string>();
  readonly #holds = new Set<string>();
  readonly #options: ClockDriverOptions;
  #refreshHoldSince: number | undefined;
  readonly #announced = new Set<string>();

  constructor(options: ClockDriverOptions) {
    this.#options = options;
  }

  /** Virtual now, ms. */
  now(): number {
    return Date.now() + this.offsetMs;
  }

  /** Reads the simulator's offset (at start, before anything follows it). */
  async sync(): Promise<void> {
    this.offsetMs = (await this.#options.sim.clock()).offsetMs;
  }

  /** Runs the clock at real speed until `release(reason)`. */
  hold(reason: string): void {
    this.#holds.add(reason);
  }

  release(reason: string): void {
    this.#holds.delete(reason);
  }

  /** Advances virtual time by `seconds` (as fast as the rules allow). */
  advance(seconds: number, timeoutMs = 120_000): Promise<void> {
    const target = this.now() + seconds * 1000;
    return this.until(() => this.now() >= target, { target, timeoutMs });
  }

  /** Advances to virtual time `target` (ms). */
  advanceTo(target: number, timeoutMs = 120_000): Promise<void> {
    return this.until(() => this.now() >= target, { target, timeoutMs });
  }

  /**
   * Ticks until `done()` holds: stepping toward `target` when given, else only holding (time at
   * real speed, creeping after a while at a refresh point). Rejects after `timeoutMs` real.
   */
  async until(
    done: () => boolean | Promise<boolean>,
    { target, timeoutMs = 60_000 }: { target?: number; timeoutMs?: number } = {},
  ): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (!(await done())) {
      if (performance.now() > deadline) throw new Error(`clock: condition not reached in ${timeoutMs} ms`);
      const t0 = performance.now();
      await sleep(this.#options.tickMs);
      await this.#tick(target);
      if (this.#holds.size === 0 && this.#refreshHoldSince !== undefined)
        this.stats.heldAtRefreshMs += performance.now() - t0;
    }
  }

  /** Every live hub's status (hubs that die meanwhile are skipped). */
  async statuses(): Promise<HubStatus[]> {
    const live = this.#options.hubs.filter((h) => h.alive);
    const all = await Promise.all(live.map((h) => h.status().catch(() => undefined)));
    return all.filter((s): s is HubStatus => s !== undefined);
  }

  async #tick(target: number | undefined): Promise<void> {
    if (this.#holds.size > 0) return;
    const { maxStepSeconds, tickMs, creepAfterMs, creepRate, exhaustedRate } = this.#options;
    const now = this.now();
    const statuses = await this.statuses();
    if (statuses.length < this.#options.hubs.filter((h) => h.alive).length) return;
    let due = Number.POSITIVE_INFINITY;
    let dueAppid: string | undefined;
    let exhaustedDue = false;
    for (const status of statuses) {
      for (const [appid, account] of Object.entries(status.accounts)) {
        // A hub without a token (just started) is reading or fetching one: wait for it too.
        const refreshAt = account.token?.refreshAt ?? now;
        if (this.exhausted.has(appid)) exhaustedDue ||= now >= refreshAt;
        else if (refreshAt < due) [due, dueAppid] = [refreshAt, account.token ? appid : undefined];
      }
    }
    // A hub holding a refresh lease is fetching: that fetch must see time pass at real speed too,
    // or its retries (real seconds) would span minutes of token life.
    const fetching = statuses.some((s) => s.leases.length > 0);
    let step = maxStepSeconds * 1000;
    if (target !== undefined) step = Math.min(step, target - now);
    if (exhaustedDue) step = Math.min(step, exhaustedRate * tickMs);
    if (due <= now || fetching) {
      if (dueAppid && due <= now) await this.#announce(dueAppid, due);
      this.#refreshHoldSince ??= performance.now();
      if (performance.now() - this.#refreshHoldSince < creepAfterMs) return;
      step = Math.min(step, creepRate * tickMs);
    } else {
      this.#refreshHoldSince = undefined;
      // Only waiting (no target): time runs at real speed.
      if (target === undefined) return;
      step = Math.min(step, due - now);
      // Announced before the step that reaches it: a hub acts on a refresh point within milliseconds.
      if (dueAppid && now + step >= due) await this.#announce(dueAppid, due);
    }
    if (step > 0) await this.#step(step);
  }

  async #announce(appid: string, due: number): Promise<void> {
    const key = `${appid} ${due}`;
    if (!this.#options.onRefreshDue || this.#announced.has(key)) return;
    this.#announced.add(key);
    await this.#options.onRefreshDue(appid);
  }

  async #step(ms: number): Promise<void> {
    const { offsetMs } = await this.#options.sim.advance(ms / 1000);
    this.offsetMs = offsetMs;
    this.stats.steps++;
    await Promise.all([
      ...this.#options.hubs.map((h) => h.setClock(offsetMs)),
      ...this.#options.followers.map((f) => f.setClock(offsetMs)),
    ]);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
