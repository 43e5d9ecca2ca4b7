import { type SubscriberConfig, subscriberSchema } from '../../config/gateway-schema.js';
import type { SettingsTable } from '../../db/database.js';
import { WxhubError } from '../../errors/index.js';
import type { Clock } from '../../util/clock.js';

/** The database setting that holds the runtime subscribers of the fleet. */
export const SUBSCRIBERS_SETTING = 'gateway.subscribers';

/** Seals a secret for the database (src/oauth/token-cipher.ts), bound to a context. */
export interface SecretSealer {
  seal(plaintext: string, context: string): string;
  open(sealed: string | null | undefined, context: string): string | null;
}

/** What anyone with the admin scope may see of a subscriber: no secret, no URL user info or query. */
export interface SubscriberView {
  readonly name: string;
  readonly kind: 'webhook' | 'amqp' | 'nats';
  /** Where it delivers: a webhook's origin and path, a broker's host and exchange or subject. */
  readonly target: string;
  readonly appids?: readonly string[];
  readonly filter: SubscriberConfig['filter'];
}

/** A runtime subscriber as the setting keeps it: the view in clear, the configuration sealed. */
export interface StoredSubscriber extends SubscriberView {
  /** Epoch ms; also tells a re-added name from the one removed before it. */
  readonly created_at: number;
  readonly sealed: string;
}

const context = (name: string, createdAt: number) => `gateway-subscriber:${name}:${createdAt}`;

/** The view of a subscriber's configuration. */
export function subscriberView(config: SubscriberConfig): SubscriberView {
  const common = {
    name: config.name,
    ...(config.appids ? { appids: config.appids } : {}),
    filter: config.filter,
  };
  if ('url' in config) return { ...common, kind: 'webhook', target: shownUrl(config.url) };
  if ('amqp' in config)
    return { ...common, kind: 'amqp', target: `${shownUrl(config.amqp)} exchange ${config.exchange}` };
  return { ...common, kind: 'nats', target: `${shownUrl(config.nats)} subject ${config.subject}` };
}

/** A URL without user info, query or fragment (they may hold credentials). */
function shownUrl(text: string): string {
  try {
    const url = new URL(text);
    return `${url.protocol}//${url.host}${url.pathname === '/' ? '' : url.pathname}`;
  } catch {
    return '(unparsable URL)';
  }
}

/** The runtime subscribers in the database, oldest first, as lists show them (nothing to open). */
export async function storedSubscribers(settings: SettingsTable): Promise<StoredSubscriber[]> {
  return parseStored(await settings.get(SUBSCRIBERS_SETTING));
}

/**
 * Subscribers registered at runtime (`/v1/admin/subscribers`), kept for the whole fleet in one
 * database setting as JSON, written with compare-and-set so two hubs adding at once both land.
 * Each configuration (its secret, a broker URL's password) is sealed with the hub's cipher; the
 * view beside it is what lists show.
 */
export class RuntimeSubscribers {
  readonly #settings: SettingsTable;
  readonly #sealer: SecretSealer;
  readonly #clock: Clock;

  constructor(settings: SettingsTable, sealer: SecretSealer, clock: Clock) {
    this.#settings = settings;
    this.#sealer = sealer;
    this.#clock = clock;
  }

  /** Every runtime subscriber, oldest first. */
  list(): Promise<StoredSubscriber[]> {
    return storedSubscribers(this.#settings);
  }

  /** The configuration of a stored subscriber, or null when it cannot be opened (another key). */
  open(stored: StoredSubscriber): SubscriberConfig | null {
    const json = this.#sealer.open(stored.sealed, context(stored.name, stored.created_at));
    if (json === null) return null;
    const parsed = subscriberSchema.safeParse(JSON.parse(json));
    return parsed.success ? parsed.data : null;
  }

  /** Stores `config`; `WXHUB_ERR_SUBSCRIBER_EXISTS` when the name is taken. */
  async add(config: SubscriberConfig): Promise<StoredSubscriber> {
    const createdAt = this.#clock.now();
    const stored: StoredSubscriber = {
      ...subscriberView(config),
      created_at: createdAt,
      sealed: this.#sealer.seal(JSON.stringify(config), context(config.name, createdAt)),
    };
    await this.#update((list) => {
      if (list.some((s) => s.name === config.name))
        throw new WxhubError('WXHUB_ERR_SUBSCRIBER_EXISTS', config.name);
      return [...list, stored];
    });
    return stored;
  }

  /** Removes the subscriber named `name`; false when there was none. */
  async remove(name: string): Promise<boolean> {
    let found = false;
    await this.#update((list) => {
      found = list.some((s) => s.name === name);
      return list.filter((s) => s.name !== name);
    });
    return found;
  }

  async #update(change: (list: StoredSubscriber[]) => StoredSubscriber[]): Promise<void> {
    for (let tries = 0; tries < 20; tries++) {
      const current = await this.#settings.putIfAbsent(SUBSCRIBERS_SETTING, '[]');
      const next = JSON.stringify(change(parseStored(current)));
      if (next === current || (await this.#settings.compareAndSet(SUBSCRIBERS_SETTING, current, next)))
        return;
    }
    throw new WxhubError('WXHUB_ERR_DATABASE_UNAVAILABLE', 'too many concurrent changes to the subscribers');
  }
}

function parseStored(json: string | null): StoredSubscriber[] {
  if (!json) return [];
  try {
    const list = JSON.parse(json) as unknown;
    return Array.isArray(list) ? (list as StoredSubscriber[]) : [];
  } catch {
    return [];
  }
}
