import { type Clock, systemClock } from '../../util/clock.js';

/**
 * The simulator's notion of now: a base clock (real time by default) plus an offset that only
 * grows. Tests cross a 7200 s expiry by advancing the offset instead of waiting.
 */
export class VirtualClock implements Clock {
  readonly #base: Clock;
  #offsetMs = 0;

  constructor(base: Clock = systemClock) {
    this.#base = base;
  }

  now(): number {
    return this.#base.now() + this.#offsetMs;
  }

  /** Moves virtual time forward; negative values are refused so expiries stay monotonic. */
  advance(seconds: number): number {
    if (!Number.isFinite(seconds) || seconds < 0) {
      throw new RangeError(`advanceSeconds must be a finite number >= 0; got ${String(seconds)}`);
    }
    this.#offsetMs += Math.round(seconds * 1000);
    return this.now();
  }

  get offsetMs(): number {
    return this.#offsetMs;
  }

  reset(): void {
    this.#offsetMs = 0;
  }
}
