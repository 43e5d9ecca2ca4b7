import type { Dispatcher } from 'undici';
import type { Config } from '../../config/index.js';
import type { Database } from '../../db/index.js';
import type { DeliveryOutcome, DeliveryWorkersOptions } from '../../gateway/deliver/delivery-workers.js';
import { Gateway } from '../../gateway/gateway.js';
import type { EventLog } from '../../gateway/log/event-log.js';
import { openEventLog } from '../../gateway/log/open-event-log.js';
import { RuntimeSubscribers } from '../../gateway/subscribers/runtime-subscribers.js';
import type { OAuthContext } from '../../oauth/oauth-context.js';
import type { Store } from '../../store/store.js';
import type { Clock } from '../../util/clock.js';
import type { Logger } from '../../util/logger.js';
import { accountCodecs } from './account-codecs.js';
import { PushListeners } from './push-listeners.js';
import { SUBSCRIBER_SYNC_MS, SubscriberSync } from './subscriber-sync.js';

/** Tuning of the hub's gateway that the configuration does not carry (tests, benchmarks). */
export interface HubGatewayTuning {
  readonly retryStrategy?: DeliveryWorkersOptions['retryStrategy'];
  readonly pollMs?: number;
  /** Where webhooks go instead of the gateway's own pools. */
  readonly dispatcher?: Dispatcher;
  /** How often events older than `gateway.retentionDays` are dropped, ms. Default: an hour. */
  readonly trimIntervalMs?: number;
  /** How often runtime subscribers are re-read from the database, ms. Default 2000. */
  readonly subscriberSyncMs?: number;
  /** Run the delivery workers (default true); `wxhub events` opens the gateway without them. */
  readonly deliver?: boolean;
}

export interface HubGatewayOptions extends HubGatewayTuning {
  readonly config: Config;
  readonly store: Store;
  /** Where runtime subscribers are kept (its settings). */
  readonly database: Pick<Database, 'settings'>;
  readonly clock: Clock;
  readonly logger: Logger;
  /**
   * The web login's WeChat clients, on the hub's token engine (late replies go out through
   * them), its cipher (runtime subscribers' secrets are sealed with it), and its lookup of the
   * served accounts (the registry: pushes find their account's callback settings there).
   */
  readonly login: Pick<OAuthContext, 'client' | 'cipher' | 'account'>;
  readonly onDelivery?: (outcome: DeliveryOutcome) => void;
}

/** The callback gateway as the hub runs it. */
export interface HubGateway {
  readonly gateway: Gateway;
  readonly log: EventLog;
  /** The hook point for parts that follow pushes (`events.on(listener)`). */
  readonly events: PushListeners;
  /** Subscribers from the config and those registered at runtime (`/v1/admin/subscribers`). */
  readonly subscribers: SubscriberSync;
  /** Starts the delivery workers and the retention trim. */
  start(): Promise<void>;
  /** Stops delivering, waits for late replies, closes sinks and the log's own watchers; the store stays open. */
  close(): Promise<void>;
}

const DAY_MS = 86_400_000;
const TRIM_INTERVAL_MS = 3_600_000;

/** The path late replies are sent to (§13). */
export const CUSTOM_SEND_PATH = '/cgi-bin/message/custom/send';

/**
 * Builds the hub's callback gateway from its configuration: the event log on the hub's store
 * (so a fleet on one store shares dedup, partitions and positions), the accounts' codecs (looked
 * up in the account registry on every push: config-file and runtime accounts alike), the
 * subscribers, and late replies sent as customer-service messages through the token engine
 * (WeChat's refusals, 45015 outside the 48 h window, stay WeChatErrors so the reply subscriber
 * dead-letters them). Built on every hub, with or without callbacks: the pull API, runtime
 * subscribers and the `/callback` route's "not configured" answer need it.
 */
export function openHubGateway(options: HubGatewayOptions): HubGateway {
  const { config, clock } = options;
  const retentionMs = config.gateway.retentionDays * DAY_MS;
  const log = openEventLog(options.store, { retentionMs, clock });
  const events = new PushListeners(options.logger);
  const gateway = new Gateway({
    // The config file's accounts: their codecs and reply subscribers are checked at start.
    accounts: config.accounts,
    codec: accountCodecs(options.login.account, config.gateway.maxSkewSeconds, options.logger),
    reply: (appid) => options.login.account(appid)?.callback?.reply,
    subscribers: config.subscribers,
    settings: config.gateway,
    store: options.store,
    log,
    clock,
    logger: options.logger,
    sendCustomMessage: async (appid, body) => {
      await options.login.client(appid).call('POST', CUSTOM_SEND_PATH, { body });
    },
    onEvent: (event) => events.emit(event),
    ...(options.onDelivery ? { onDelivery: options.onDelivery } : {}),
    ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
    delivery: {
      ...(options.retryStrategy ? { retryStrategy: options.retryStrategy } : {}),
      ...(options.pollMs ? { pollMs: options.pollMs } : {}),
    },
  });
  const subscribers = new SubscriberSync(
    gateway,
    new RuntimeSubscribers(options.database.settings, options.login.cipher, clock),
    config.subscribers,
    options.logger,
  );
  let trimTimer: NodeJS.Timeout | undefined;
  const trim = () =>
    void log.trim(clock.now() - retentionMs).catch((err: unknown) => {
      options.logger.warn({ err: String(err) }, 'event log trim failed; the next one tries again');
    });
  return {
    gateway,
    log,
    events,
    subscribers,
    async start() {
      await subscribers.start(options.subscriberSyncMs ?? SUBSCRIBER_SYNC_MS);
      if (options.deliver === false) return;
      await gateway.start();
      trimTimer = setInterval(trim, options.trimIntervalMs ?? TRIM_INTERVAL_MS);
      trimTimer.unref();
    },
    async close() {
      clearInterval(trimTimer);
      await subscribers.stop();
      await gateway.close();
      await log.close();
    },
  };
}
