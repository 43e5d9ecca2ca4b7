import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { RefreshEvent, TokenManager, UpstreamEvent } from '../../tokens/index.js';
import type { Clock } from '../../util/clock.js';
import { GatewayMetrics } from './gateway-metrics.js';
import { upstreamPathLabel } from './path-label.js';
import { RequestHistogram } from './request-histogram.js';

/** A scrape never waits longer than this on the store for quota counters, ms. */
const QUOTA_READ_TIMEOUT_MS = 1000;

/**
 * The hub's Prometheus metrics, in a Registry of its own (several hubs in one process, as in
 * tests, do not collide). Labels are appids, route patterns, named WeChat paths and codes: never
 * a key, token or secret, and never text a caller chose.
 */
export class HubMetrics {
  readonly registry = new Registry();
  /** The callback gateway's metrics and the dashboard's live numbers. */
  readonly gateway: GatewayMetrics;
  readonly #requests: RequestHistogram;
  readonly #upstream: Counter<'appid' | 'path' | 'errcode'>;
  readonly #refreshes: Counter<'appid' | 'kind' | 'reason' | 'outcome'>;
  readonly #authFailures: Counter<'reason'>;
  readonly #hubErrors: Counter<'route' | 'code'>;
  readonly #rateLimited: Counter<'kind'>;
  readonly #proxyRetries: Counter<'appid'>;
  readonly #standIns: Counter<'appid'>;

  constructor(manager: TokenManager, clock: Clock) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'wxhub_' });
    this.gateway = new GatewayMetrics(this.registry, clock);
    this.#requests = new RequestHistogram(
      'wxhub_http_request_duration_seconds',
      'Hub HTTP requests by route pattern, method and status',
      [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      this.registry,
    );
    this.#upstream = new Counter({
      name: 'wxhub_upstream_calls_total',
      help: 'Calls to WeChat by appid, path and errcode (0 ok, -2 no answer)',
      labelNames: ['appid', 'path', 'errcode'],
      registers,
    });
    this.#refreshes = new Counter({
      name: 'wxhub_refreshes_total',
      help: 'Credential refreshes this hub made, by appid, kind, reason and outcome',
      labelNames: ['appid', 'kind', 'reason', 'outcome'],
      registers,
    });
    this.#authFailures = new Counter({
      name: 'wxhub_auth_failures_total',
      help: 'Requests refused for credentials, by reason',
      labelNames: ['reason'],
      registers,
    });
    this.#hubErrors = new Counter({
      name: 'wxhub_hub_errors_total',
      help: 'Answers the hub gave an error of its own (X-Wxhub-Error), by route pattern and code',
      labelNames: ['route', 'code'],
      registers,
    });
    this.#rateLimited = new Counter({
      name: 'wxhub_rate_limited_total',
      help: 'Requests refused by a rate limit, by API kind (v1, drop-in)',
      labelNames: ['kind'],
      registers,
    });
    this.#proxyRetries = new Counter({
      name: 'wxhub_proxy_token_retries_total',
      help: 'Proxied calls retried once after WeChat reported the token dead',
      labelNames: ['appid'],
      registers,
    });
    this.#standIns = new Counter({
      name: 'wxhub_standin_tokens_issued_total',
      help: 'Stand-in tokens handed out by the drop-in /cgi-bin/token',
      labelNames: ['appid'],
      registers,
    });
    new Gauge({
      name: 'wxhub_token_age_seconds',
      help: 'Age of the access_token this hub holds, per appid',
      labelNames: ['appid'],
      registers,
      collect() {
        this.reset();
        for (const appid of manager.appids()) {
          const token = manager.status(appid).token;
          if (token) this.set({ appid }, Math.max(0, (clock.now() - token.fetchedAt) / 1000));
        }
      },
    });
    new Gauge({
      name: 'wxhub_token_expires_in_seconds',
      help: 'Seconds until the access_token this hub holds expires, per appid',
      labelNames: ['appid'],
      registers,
      collect() {
        this.reset();
        for (const appid of manager.appids()) {
          const token = manager.status(appid).token;
          if (token) this.set({ appid }, (token.expiresAt - clock.now()) / 1000);
        }
      },
    });
    new Gauge({
      name: 'wxhub_quota_used_today',
      help: 'WeChat token calls the fleet made today (Beijing day), per appid and counter',
      labelNames: ['appid', 'counter'],
      registers,
      async collect() {
        this.reset();
        const reads = manager.appids().flatMap((appid) =>
          (['token', 'stable', 'ticket'] as const).map(async (counter) => {
            const used = await withTimeout(manager.quotaUsed(appid, counter), QUOTA_READ_TIMEOUT_MS);
            if (used !== undefined) this.set({ appid, counter }, used);
          }),
        );
        await Promise.allSettled(reads);
      },
    });
    new Gauge({
      name: 'wxhub_account_disabled',
      help: '1 while refreshing is stopped for an account after a configuration error',
      labelNames: ['appid'],
      registers,
      collect() {
        for (const appid of manager.appids()) {
          const until = manager.status(appid).disabledUntil;
          this.set({ appid }, until !== null && until > clock.now() ? 1 : 0);
        }
      },
    });
    manager.on('refresh', (e: RefreshEvent) =>
      this.#refreshes.inc({ appid: e.appid, kind: e.kind, reason: e.reason, outcome: e.outcome }),
    );
    manager.on('upstream', (e: UpstreamEvent) => this.upstream(e.appid, e.path, e.errcode));
  }

  request(route: string, method: string, status: number, seconds: number): void {
    this.#requests.observe(route, method, status, seconds);
  }

  /** request() for one fixed label set, found once: for the hub's hottest path. */
  requestRecorder(route: string, method: string, status: number): (seconds: number) => void {
    const series = this.#requests.series(route, method, status);
    return (seconds) => this.#requests.observeSeries(series, seconds);
  }

  upstream(appid: string, path: string, errcode: number): void {
    this.#upstream.inc({ appid, path: upstreamPathLabel(path), errcode: String(errcode) });
  }

  authFailure(reason: string): void {
    this.#authFailures.inc({ reason });
  }

  /** An answer carrying `X-Wxhub-Error: code` (a registry code) on a route pattern. */
  hubError(route: string, code: string): void {
    this.#hubErrors.inc({ route, code });
  }

  rateLimited(kind: 'v1' | 'drop-in'): void {
    this.#rateLimited.inc({ kind });
  }

  proxyRetry(appid: string): void {
    this.#proxyRetries.inc({ appid });
  }

  standInIssued(appid: string): void {
    this.#standIns.inc({ appid });
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([promise.catch(() => undefined), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
