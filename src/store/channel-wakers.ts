/**
 * @internal Wake-ups per pub/sub channel that a store carries beside its credential channel, on
 * the same subscriber (Redis) or LISTEN (PostgreSQL) connection: the gateway's event log. A
 * wake-up carries nothing; after the connection was reopened every channel is woken once, since
 * messages sent meanwhile are gone.
 */
export class ChannelWakers {
  readonly #channels = new Map<string, Set<() => void>>();

  /** The channels listened to, for a connection being (re)opened. */
  get channels(): string[] {
    return [...this.#channels.keys()];
  }

  /**
   * Adds `wake` on `channel`. A new channel is first subscribed with `subscribe`; if that fails
   * the channel is forgotten and the error thrown. Resolves a function that removes `wake`.
   */
  async add(channel: string, wake: () => void, subscribe: () => Promise<unknown>): Promise<() => void> {
    let wakers = this.#channels.get(channel);
    if (!wakers) {
      const fresh = new Set<() => void>();
      this.#channels.set(channel, fresh);
      wakers = fresh;
      try {
        await subscribe();
      } catch (err) {
        this.#channels.delete(channel);
        throw err;
      }
    }
    const entry = () => wake();
    wakers.add(entry);
    return () => {
      wakers.delete(entry);
    };
  }

  wake(channel: string): void {
    for (const wake of [...(this.#channels.get(channel) ?? [])]) wake();
  }

  wakeAll(): void {
    for (const channel of this.#channels.keys()) this.wake(channel);
  }

  clear(): void {
    this.#channels.clear();
  }
}
