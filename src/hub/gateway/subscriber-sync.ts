import type { SubscriberConfig } from '../../config/gateway-schema.js';
import { WxhubError } from '../../errors/index.js';
import { webhookKey } from '../../gateway/deliver/webhook-signature.js';
import type { Gateway } from '../../gateway/gateway.js';
import {
  type RuntimeSubscribers,
  type StoredSubscriber,
  type SubscriberView,
  subscriberView,
} from '../../gateway/subscribers/runtime-subscribers.js';
import type { Logger } from '../../util/logger.js';

/** How often each hub re-reads the runtime subscribers, ms: a change reaches the fleet within this. */
export const SUBSCRIBER_SYNC_MS = 2000;

/** A subscriber as `/v1/admin/subscribers` lists it. */
export interface ListedSubscriber extends SubscriberView {
  readonly source: 'config' | 'api';
  readonly created_at?: number;
}

/**
 * The runtime subscribers of the fleet, applied to this hub's gateway: registered and removed
 * through `/v1/admin/subscribers` on any hub, kept in the database, and picked up by every other
 * hub within SUBSCRIBER_SYNC_MS. Configuration-file subscribers are listed, never changed.
 */
export class SubscriberSync {
  readonly #gateway: Gateway;
  readonly #stored: RuntimeSubscribers;
  readonly #configured: readonly SubscriberConfig[];
  readonly #logger: Logger;
  /** Runtime subscribers this hub delivers to: name → created_at (a re-added name is another). */
  readonly #applied = new Map<string, number>();
  /** Stored subscribers this hub could not apply, warned about once. */
  readonly #skipped = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  constructor(
    gateway: Gateway,
    stored: RuntimeSubscribers,
    configured: readonly SubscriberConfig[],
    logger: Logger,
  ) {
    this.#gateway = gateway;
    this.#stored = stored;
    this.#configured = configured;
    this.#logger = logger;
  }

  /**
   * Applies the stored subscribers now, then every `intervalMs`. A database that is away at start
   * does not stop the hub: the configured subscribers run, and the next sync catches up.
   */
  async start(intervalMs = SUBSCRIBER_SYNC_MS): Promise<void> {
    await this.sync().catch((err: unknown) => {
      this.#logger.warn(
        { err: err instanceof Error ? err.message : String(err) },
        'runtime subscribers not read yet; retrying',
      );
    });
    this.#timer = setInterval(() => void this.sync().catch(() => undefined), intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#running?.catch(() => undefined);
  }

  /** Every subscriber: the configured ones, then the runtime ones, oldest first. */
  async list(): Promise<ListedSubscriber[]> {
    const runtime = await this.#stored.list();
    return [
      ...this.#configured.map((c): ListedSubscriber => ({ ...subscriberView(c), source: 'config' })),
      ...runtime.map(({ sealed: _sealed, ...view }): ListedSubscriber => ({ ...view, source: 'api' })),
    ];
  }

  /**
   * Registers a subscriber for the fleet: its positions start from now, then it is stored (other
   * hubs pick it up) and delivered to here at once.
   */
  async add(config: SubscriberConfig): Promise<StoredSubscriber> {
    if ('url' in config) webhookKey(config.secret, config.name);
    const taken =
      this.#configured.some((c) => c.name === config.name) ||
      (await this.#stored.list()).some((s) => s.name === config.name);
    if (taken) throw new WxhubError('WXHUB_ERR_SUBSCRIBER_EXISTS', config.name);
    await this.#gateway.startFromNow(config.name);
    const stored = await this.#stored.add(config);
    await this.#serialized(async () => {
      await this.#gateway.addSubscriber(config);
      this.#applied.set(stored.name, stored.created_at);
    });
    return stored;
  }

  /** Unregisters a runtime subscriber for the fleet; its dead letters stay readable. */
  async remove(name: string): Promise<void> {
    if (this.#configured.some((c) => c.name === name))
      throw new WxhubError('WXHUB_ERR_SUBSCRIBER_READ_ONLY', name);
    if (!(await this.#stored.remove(name))) throw new WxhubError('WXHUB_ERR_UNKNOWN_SUBSCRIBER', name);
    await this.#serialized(async () => {
      this.#applied.delete(name);
      await this.#gateway.removeSubscriber(name);
    });
  }

  /** Reads the stored subscribers and applies the difference to this hub's gateway. */
  sync(): Promise<void> {
    return this.#serialized(async () => {
      const stored = await this.#stored.list();
      const wanted = new Map(stored.map((s) => [s.name, s]));
      for (const [name, createdAt] of this.#applied) {
        if (wanted.get(name)?.created_at === createdAt) continue;
        this.#applied.delete(name);
        await this.#gateway.removeSubscriber(name);
      }
      for (const subscriber of stored) {
        if (this.#applied.has(subscriber.name)) continue;
        await this.#apply(subscriber, this.#stored.open(subscriber));
      }
    });
  }

  async #apply(stored: StoredSubscriber, config: SubscriberConfig | null): Promise<void> {
    const key = `${stored.name}@${stored.created_at}`;
    try {
      if (!config)
        throw new Error("its configuration cannot be opened with this hub's key (oauth.encryptionKey)");
      await this.#gateway.addSubscriber(config);
      this.#applied.set(stored.name, stored.created_at);
    } catch (err) {
      if (this.#skipped.has(key)) return;
      this.#skipped.add(key);
      this.#logger.error(
        { subscriber: stored.name, err: err instanceof Error ? err.message : String(err) },
        'runtime subscriber not applied on this hub',
      );
    }
  }

  /** One change at a time: a sync and an API call never interleave. */
  #serialized(work: () => Promise<void>): Promise<void> {
    const run = (this.#running ?? Promise.resolve()).catch(() => undefined).then(work);
    this.#running = run;
    return run;
  }
}
