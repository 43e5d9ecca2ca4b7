/**
 * Long polls on inboxes: `GET …/inbox?wait=SECONDS` waits here until a message arrives for
 * that user or the time runs out, so tests wait on the event instead of sleeping.
 */
export class InboxWaiters {
  readonly #waiting = new Map<string, Set<() => void>>();

  /** Resolves when `notify(key)` is called, or after `ms` real milliseconds. */
  wait(key: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      let waiters = this.#waiting.get(key);
      if (!waiters) {
        waiters = new Set();
        this.#waiting.set(key, waiters);
      }
      const set = waiters;
      const done = (): void => {
        clearTimeout(timer);
        set.delete(done);
        if (set.size === 0 && this.#waiting.get(key) === set) this.#waiting.delete(key);
        resolve();
      };
      const timer = setTimeout(done, ms);
      set.add(done);
    });
  }

  /** Waits in progress (tests wait for a poll to be parked before acting). */
  get pending(): number {
    let count = 0;
    for (const waiters of this.#waiting.values()) count += waiters.size;
    return count;
  }

  notify(key: string): void {
    const waiters = this.#waiting.get(key);
    if (waiters) for (const done of [...waiters]) done();
  }

  /** Ends every wait (the server is closing). */
  releaseAll(): void {
    for (const waiters of [...this.#waiting.values()]) for (const done of [...waiters]) done();
  }
}

/** The key of one user's inbox. */
export function inboxKey(appid: string, openid: string): string {
  return `${appid}\n${openid}`;
}
