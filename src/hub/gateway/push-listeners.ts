import type { PushEvent } from '../../gateway/receive/push-event.js';
import { type Logger, silentLogger } from '../../util/logger.js';

/** Told of each new push once it is in the event log; may be async. */
export type PushListener = (event: PushEvent) => void | Promise<void>;

/**
 * The hub's hook point for parts that follow pushes as they arrive (live follower state, the
 * follow-to-log-in QR scenes): `hub.services.events.on(listener)`, one line per listener. A
 * listener runs after the push is durably logged and never decides WeChat's answer: one that
 * throws or rejects is logged and forgotten, and the others still run. Listeners see each push
 * once on the hub that received it (a retry WeChat sends to another hub is a duplicate there);
 * what must not miss an event across restarts reads the event log or subscribes instead.
 */
export class PushListeners {
  readonly #listeners = new Set<PushListener>();
  readonly #logger: Logger;

  constructor(logger: Logger = silentLogger) {
    this.#logger = logger;
  }

  /** Adds `listener`; the returned function removes it. */
  on(listener: PushListener): () => void {
    const entry: PushListener = (event) => listener(event);
    this.#listeners.add(entry);
    return () => {
      this.#listeners.delete(entry);
    };
  }

  get size(): number {
    return this.#listeners.size;
  }

  /** Tells every listener of `event`; never throws. */
  emit(event: PushEvent): void {
    for (const listener of this.#listeners) {
      try {
        const result = listener(event);
        if (result && typeof result.then === 'function') {
          result.then(undefined, (err: unknown) => this.#failed(event, err));
        }
      } catch (err) {
        this.#failed(event, err);
      }
    }
  }

  #failed(event: PushEvent, err: unknown): void {
    this.#logger.warn(
      { appid: event.appid, event: event.id, err: err instanceof Error ? err.message : String(err) },
      'a push listener failed',
    );
  }
}
