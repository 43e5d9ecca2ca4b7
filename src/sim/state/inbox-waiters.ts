import { EventEmitter, once } from 'node:events';

/**
 * Long polls on inboxes: `GET …/inbox?wait=SECONDS` waits here until a message arrives for
 * that user or the time runs out, so tests wait on the event instead of sleeping.
 */
export class InboxWaiters {
  readonly #arrivals = new EventEmitter().setMaxListeners(0);

  /** The inbox keys waited on (`once` also listens for 'error', which no inbox key equals). */
  #keys(): Array<string | symbol> {
    return this.#arrivals.eventNames().filter((key) => key !== 'error');
  }

  /** Resolves when `notify(key)` is called, or after `ms` real milliseconds. */
  async wait(key: string, ms: number): Promise<void> {
    try {
      await once(this.#arrivals, key, { signal: AbortSignal.timeout(ms) });
    } catch {
      // The time ran out: the caller answers with what there is.
    }
  }

  /** Waits in progress (tests wait for a poll to be parked before acting). */
  get pending(): number {
    let count = 0;
    for (const key of this.#keys()) count += this.#arrivals.listenerCount(key);
    return count;
  }

  notify(key: string): void {
    this.#arrivals.emit(key);
  }

  /** Ends every wait (the server is closing). */
  releaseAll(): void {
    for (const key of this.#keys()) this.#arrivals.emit(key);
  }
}

/** The key of one user's inbox. */
export function inboxKey(appid: string, openid: string): string {
  return `${appid}\n${openid}`;
}
