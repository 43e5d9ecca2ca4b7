import { WxhubError } from '../errors/index.js';
import type { HttpClient } from '../http/index.js';
import type { Store } from '../store/store.js';
import { type Clock, systemClock } from '../util/clock.js';
import { type Logger, silentLogger } from '../util/logger.js';
import { type Endpoints, WECHAT_ENDPOINTS } from '../wechat/paths.js';
import { type Account, type AccountSpec, accountProblems, resolveAccount } from './account.js';
import { DEFAULT_LEASE_TTL_MS, DEFAULT_WAIT_TIMEOUT_MS } from './refresher.js';
import { exponentialBackoff, type RetryStrategy } from './retry.js';

export interface TokenManagerOptions {
  readonly store: Store;
  readonly accounts: readonly AccountSpec[];
  /** WeChat's hosts; one setting moves every call (e.g. to the simulator). */
  readonly endpoints?: Partial<Endpoints>;
  readonly http?: HttpClient;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Backoff between attempts on -1, 45011 and transport errors. Default: 3 retries, 200 ms doubling to 3 s. */
  readonly retryStrategy?: RetryStrategy;
  /** A token closer than this to expiry is not handed out, ms. Default 60000. */
  readonly expiryMarginMs?: number;
  /** Spread of proactive refreshes across processes, ms (subtracted from the margin). Default 60000. */
  readonly jitterMs?: number;
  /** Re-read the store at least this often even without a change notice, ms. Default 5000. */
  readonly revalidateMs?: number;
  /** After a configuration errcode, try again only after this long, ms. Default 300000. */
  readonly configErrorCooldownMs?: number;
  /** After a failed proactive refresh, wait this long before the next one, ms. Default 30000. */
  readonly retryAfterFailureMs?: number;
  /** A lease holder that died is taken over after this, ms. Default 15000. */
  readonly leaseTtlMs?: number;
  /** A caller waiting on another process's refresh gives up after this, ms. Default 20000. */
  readonly waitTimeoutMs?: number;
  /**
   * Refreshes (and first fetches) one proactive pass runs at once. Default 64: a burst of due
   * credentials (many accounts fetched together) never opens more than this many upstream calls,
   * leaving the HTTP pool's other connections to business calls.
   */
  readonly refreshConcurrency?: number;
}

/** TokenManagerOptions checked once, every default filled in, frozen. */
export interface TokenManagerSettings {
  readonly store: Store;
  readonly accounts: readonly Account[];
  readonly endpoints: Endpoints;
  /** Absent: the manager opens (and closes) a client of its own. */
  readonly http: HttpClient | undefined;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly retryStrategy: RetryStrategy;
  readonly expiryMarginMs: number;
  readonly jitterMs: number;
  readonly revalidateMs: number;
  readonly configErrorCooldownMs: number;
  readonly retryAfterFailureMs: number;
  readonly leaseTtlMs: number;
  readonly waitTimeoutMs: number;
  readonly refreshConcurrency: number;
}

type NumberOption = keyof {
  [K in keyof TokenManagerSettings as TokenManagerSettings[K] extends number ? K : never]: true;
};

interface NumberRule {
  readonly default: number;
  readonly min: number;
  /** Absent: no upper bound. */
  readonly max?: number;
  readonly integer?: boolean;
}

/** The numeric options: default and range. Every duration is in ms. */
const NUMBERS: Readonly<Record<NumberOption, NumberRule>> = {
  // Up to an hour: a margin near a token's 7200 s life would hand out nothing and fetch on every read.
  expiryMarginMs: { default: 60_000, min: 0, max: 3_600_000 },
  jitterMs: { default: 60_000, min: 0 },
  revalidateMs: { default: 5_000, min: 0 },
  configErrorCooldownMs: { default: 300_000, min: 0 },
  retryAfterFailureMs: { default: 30_000, min: 0 },
  // Stores take lease lifetimes in whole milliseconds (Redis PX).
  leaseTtlMs: { default: DEFAULT_LEASE_TTL_MS, min: 1, integer: true },
  waitTimeoutMs: { default: DEFAULT_WAIT_TIMEOUT_MS, min: 1, integer: true },
  // A pass starts this many workers at once.
  refreshConcurrency: { default: 64, min: 1, max: 100_000, integer: true },
};

const STORE_METHODS = [
  'getCredential',
  'compareAndSetCredential',
  'acquireLease',
  'releaseLease',
  'incrementCounter',
  'getCounter',
  'watchCredentials',
] as const;
const LOGGER_METHODS = ['debug', 'info', 'warn', 'error'] as const;

const KNOWN = new Set<string>([
  'store',
  'accounts',
  'endpoints',
  'http',
  'clock',
  'logger',
  'retryStrategy',
  ...Object.keys(NUMBERS),
]);

/**
 * Checks TokenManager's options once, at construction, like the configuration file: every problem
 * is reported at once in one WXHUB_ERR_INVALID_ARGUMENT naming each option, and the result, with
 * its defaults, is frozen.
 */
export function resolveTokenManagerOptions(options: TokenManagerOptions): TokenManagerSettings {
  if (typeof options !== 'object' || options === null) {
    throw new WxhubError('WXHUB_ERR_INVALID_ARGUMENT', 'TokenManager options must be an object');
  }
  const problems: string[] = [];
  const input = options as unknown as Record<string, unknown>;
  for (const name of Object.keys(input)) {
    if (!KNOWN.has(name) && input[name] !== undefined) problems.push(`${name}: unknown option`);
  }
  problems.push(...objectProblems('store', options.store, STORE_METHODS, true));
  problems.push(...accountListProblems(options.accounts));
  problems.push(...endpointProblems(options.endpoints));
  problems.push(...objectProblems('http', options.http, ['json']));
  problems.push(...objectProblems('clock', options.clock, ['now']));
  problems.push(...objectProblems('logger', options.logger, LOGGER_METHODS));
  if (options.retryStrategy !== undefined && typeof options.retryStrategy !== 'function') {
    problems.push('retryStrategy: must be a function (attempt) => delayMs | null');
  }
  const numbers = {} as Record<NumberOption, number>;
  for (const [name, rule] of Object.entries(NUMBERS) as [NumberOption, NumberRule][]) {
    const value = options[name] ?? rule.default;
    numbers[name] = value;
    const kind = rule.integer ? 'an integer' : 'a number';
    if (typeof value !== 'number' || Number.isNaN(value) || (rule.integer && !Number.isInteger(value))) {
      problems.push(`${name}: must be ${kind}`);
    } else if (value < rule.min || value > (rule.max ?? Number.POSITIVE_INFINITY)) {
      const range = rule.max === undefined ? `≥ ${rule.min}` : `in ${rule.min}..${rule.max}`;
      problems.push(`${name}: must be ${kind} ${range}`);
    }
  }
  if (problems.length > 0) {
    throw new WxhubError('WXHUB_ERR_INVALID_ARGUMENT', `TokenManager options: ${problems.join('; ')}`);
  }
  return Object.freeze({
    store: options.store,
    accounts: Object.freeze(options.accounts.map(resolveAccount)),
    endpoints: Object.freeze({
      api: options.endpoints?.api ?? WECHAT_ENDPOINTS.api,
      open: options.endpoints?.open ?? WECHAT_ENDPOINTS.open,
    }),
    http: options.http,
    clock: options.clock ?? systemClock,
    logger: options.logger ?? silentLogger,
    retryStrategy: options.retryStrategy ?? exponentialBackoff(),
    ...numbers,
  });
}

function objectProblems(
  name: string,
  value: unknown,
  methods: readonly string[],
  required = false,
): string[] {
  if (value === undefined) return required ? [`${name}: is required`] : [];
  if (typeof value !== 'object' || value === null) return [`${name}: must be an object`];
  const missing = methods.filter((m) => typeof (value as Record<string, unknown>)[m] !== 'function');
  return missing.length > 0 ? [`${name}: has no ${missing.join(', ')} method`] : [];
}

function accountListProblems(accounts: unknown): string[] {
  if (!Array.isArray(accounts)) return ['accounts: must be an array of {appid, secret, ...}'];
  const problems: string[] = [];
  const seen = new Map<string, number>();
  accounts.forEach((spec: AccountSpec, i) => {
    for (const p of accountProblems(spec)) problems.push(`accounts[${i}]: ${p}`);
    if (typeof spec?.appid !== 'string') return;
    const first = seen.get(spec.appid);
    if (first !== undefined) problems.push(`accounts[${i}]: appid is the same as accounts[${first}]'s`);
    else seen.set(spec.appid, i);
  });
  return problems;
}

function endpointProblems(endpoints: Partial<Endpoints> | undefined): string[] {
  if (endpoints === undefined) return [];
  if (typeof endpoints !== 'object' || endpoints === null)
    return ['endpoints: must be an object {api, open}'];
  const problems: string[] = [];
  for (const name of ['api', 'open'] as const) {
    const url = endpoints[name];
    if (url !== undefined && (typeof url !== 'string' || !/^https?:\/\/[^/]/.test(url))) {
      problems.push(`endpoints.${name}: must be an http(s) URL`);
    }
  }
  return problems;
}
