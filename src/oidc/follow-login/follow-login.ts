import { randomBytes } from 'node:crypto';
import type { RateLimit } from '../../db/index.js';
import { WxhubError } from '../../errors/index.js';
import type { PushEvent } from '../../gateway/receive/push-event.js';
import { qrScene } from '../../gateway/receive/push-event.js';
import { newState } from '../../oauth/login-state.js';
import { addressBucket, type RateDecision } from '../../server/index.js';
import type { Store } from '../../store/store.js';
import type { Clock } from '../../util/clock.js';
import { type Logger, silentLogger } from '../../util/logger.js';
import { PATHS } from '../../wechat/paths.js';
import {
  bindingHash,
  bindingMatches,
  claimKey,
  doneKey,
  type FollowOutcome,
  type FollowRecord,
  loginKey,
  parseOutcome,
  parseRecord,
  sceneKey,
} from './follow-records.js';

/** Where the follow-to-log-in pages are mounted on the hub. */
export const FOLLOW_LOGIN_PREFIX = '/login/follow';
/** Default life of the QR code, seconds (WeChat allows up to 30 days; a login needs minutes). */
export const DEFAULT_EXPIRE_SECONDS = 300;
/** How long after expiry the page still says "expired" (rather than "unknown") and a late push counts. */
const RECORD_GRACE_MS = 10 * 60_000;
/** A scan just before expiry may be pushed a little later (WeChat retries within 15 s). */
const SCAN_GRACE_MS = 30_000;
/** Every scene of ours starts with this: other QR codes' events are ignored without a store call. */
export const SCENE_PREFIX = 'wxl_';
/** A login id: 32 of `[A-Za-z0-9]` (about 190 random bits). */
export const FOLLOW_ID_PATTERN = /^[A-Za-z0-9]{32}$/;
const CONTINUE_URL_MAX = 2048;

/** The slice of a WeChatClient a follow-to-log-in uses: `call`, through the hub's token engine. */
export interface QrCodeCaller {
  call(method: 'POST', path: string, options: { body: unknown }): Promise<Record<string, unknown>>;
}

export interface FollowLoginOptions {
  /** The hub's store: records, scenes and outcomes live there, shared by a fleet. */
  readonly store: Store;
  readonly clock: Clock;
  /** The account's WeChatClient on the hub's tokens (`OAuthContext.client`); throws for an unknown appid. */
  readonly client: (appid: string) => QrCodeCaller;
  /** mp.weixin.qq.com (or the simulator): where a browser loads the QR image. */
  readonly mpBase: string;
  /** The hub's public base URL; page URLs are absolute paths on the hub without it. */
  readonly publicUrl?: string;
  /** The QR code's life, seconds. Default 300. */
  readonly expireSeconds?: number;
  /** Bounds login starts per client address when `start` is told the address (each costs a `qrcode/create`). */
  readonly limiter?: { take(bucket: string, limit: RateLimit | null): RateDecision };
  readonly rateLimit?: RateLimit | null;
  /**
   * Whether the hub receives the account's pushes (it has a `callback` block): without them no
   * scan can ever complete a login. Default: every account.
   */
  readonly receivesPushes?: (appid: string) => boolean;
  readonly logger?: Logger;
}

export interface FollowLoginStartOptions {
  /**
   * Where the browser goes once the scan's event arrived: an absolute path on the hub
   * (`/oidc/interaction/…`) or an absolute http(s) URL. The "log in again" button of the
   * expired page leads there too, where `result` is null: start again.
   */
  readonly continueUrl: string;
  /** The browser's address, to apply the hub's login-start rate limit. */
  readonly clientIp?: string;
}

/** A started follow-to-log-in. */
export interface FollowLoginStart {
  readonly id: string;
  /**
   * Send the browser here (302). Its first visit claims the page: the browser gets the binding
   * cookie, and only a browser with it is ever sent on to `continueUrl`.
   */
  readonly pageUrl: string;
  readonly ticket: string;
  /** Epoch ms when the QR code stops working. */
  readonly expiresAt: number;
}

/** `pending` until a matching push arrived (`scanned`); `expired` when the code ran out first. */
export type FollowStatus = 'pending' | 'scanned' | 'expired';

/** What the page shows for one request. */
export interface FollowView {
  readonly record: FollowRecord;
  readonly status: FollowStatus;
  /** True when the request carries the binding cookie of the browser that claimed the page. */
  readonly bound: boolean;
  /** The clock's now when the view was read (epoch ms). */
  readonly now: number;
}

/** The login's outcome, handed out once. */
export type FollowResult = FollowOutcome;

function checkContinueUrl(url: unknown): string {
  const bad = (why: string) => new WxhubError('WXHUB_ERR_INVALID_ARGUMENT', `continueUrl ${why}`);
  if (typeof url !== 'string' || url === '') throw bad('must be a non-empty string');
  if (url.length > CONTINUE_URL_MAX) throw bad(`must be at most ${CONTINUE_URL_MAX} characters`);
  if (/[\s\\\u0000-\u001f\u007f]/.test(url)) throw bad('must not contain spaces, controls or backslashes');
  if (url.startsWith('/') && !url.startsWith('//')) return url;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw bad('must be an absolute path or an absolute http(s) URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw bad('must be an absolute path or an absolute http(s) URL');
  return url;
}

/**
 * Follow to log in (关注公众号登录), for a desktop without an Open Platform website app: a
 * temporary parametric QR code (§12, `QR_STR_SCENE` with a one-time random scene) that a person
 * scans with WeChat; WeChat pushes `subscribe` (`EventKey=qrscene_SCENE`, a new follower) or
 * `SCAN` (`EventKey=SCENE`) to the account's server URL, the gateway hands the event to
 * `observe`, and the page the browser waits on sends it on to `continueUrl`, where the caller
 * takes the openid once with `result`. Everything lives in the hub's store, so a fleet is one.
 * @see https://developers.weixin.qq.com/doc/offiaccount/Account_Management/Generating_a_Parametric_QR_Code.html
 */
export class FollowLogin {
  readonly #options: FollowLoginOptions;
  readonly #expireSeconds: number;
  readonly #logger: Logger;

  constructor(options: FollowLoginOptions) {
    const expireSeconds = options.expireSeconds ?? DEFAULT_EXPIRE_SECONDS;
    if (!Number.isSafeInteger(expireSeconds) || expireSeconds < 30 || expireSeconds > 2_592_000) {
      throw new WxhubError(
        'WXHUB_ERR_INVALID_ARGUMENT',
        'expireSeconds must be an integer from 30 to 2592000',
      );
    }
    this.#options = options;
    this.#expireSeconds = expireSeconds;
    this.#logger = options.logger ?? silentLogger;
  }

  /** True when a follow-to-log-in on `appid` can complete: the hub receives its pushes. */
  available(appid: string): boolean {
    return this.#options.receivesPushes?.(appid) ?? true;
  }

  /** The page of login `id` (absolute with `publicUrl`, else an absolute path on the hub). */
  pagePath(id: string): string {
    return `${this.#options.publicUrl ?? ''}${FOLLOW_LOGIN_PREFIX}/${id}`;
  }

  /** The QR code's image: `{mpBase}/cgi-bin/showqrcode?ticket=…` (no token). */
  imageUrl(ticket: string): string {
    return `${this.#options.mpBase}${PATHS.showQrcode}?ticket=${encodeURIComponent(ticket)}`;
  }

  /**
   * Creates the QR code (`POST /cgi-bin/qrcode/create` through the token engine) and stores the
   * login. Rejects with WeChat's error, `WXHUB_ERR_UNKNOWN_ACCOUNT`,
   * `WXHUB_ERR_CALLBACK_NOT_CONFIGURED` (the hub would never see the scan), `WXHUB_ERR_RATE_LIMITED`
   * (with `clientIp`), `WXHUB_ERR_INVALID_ARGUMENT` for a bad `continueUrl`, or the store's error.
   */
  async start(appid: string, options: FollowLoginStartOptions): Promise<FollowLoginStart> {
    const continueUrl = checkContinueUrl(options?.continueUrl);
    const { store, clock, limiter } = this.#options;
    if (!this.available(appid)) {
      throw new WxhubError(
        'WXHUB_ERR_CALLBACK_NOT_CONFIGURED',
        `${String(appid).slice(0, 64)}: follow to log in needs the account's pushes (a callback block)`,
      );
    }
    if (options.clientIp !== undefined && limiter) {
      const decision = limiter.take(
        `follow:${addressBucket(options.clientIp)}`,
        this.#options.rateLimit ?? null,
      );
      if (!decision.ok) {
        throw new WxhubError('WXHUB_ERR_RATE_LIMITED', `retry in ${decision.retryAfterSeconds} s`);
      }
    }
    const client = this.#options.client(appid);
    const scene = `${SCENE_PREFIX}${newState()}`;
    const answer = await client.call('POST', PATHS.qrcodeCreate, {
      body: {
        expire_seconds: this.#expireSeconds,
        action_name: 'QR_STR_SCENE',
        action_info: { scene: { scene_str: scene } },
      },
    });
    const ticket = answer.ticket;
    if (typeof ticket !== 'string' || ticket === '' || ticket.length > 1024) {
      throw new WxhubError('WXHUB_ERR_UPSTREAM_BODY', 'qrcode/create answered without a ticket');
    }
    // WeChat may grant less than asked; never more than asked is used.
    const granted = Number(answer.expire_seconds);
    const seconds =
      Number.isFinite(granted) && granted > 0 ? Math.min(granted, this.#expireSeconds) : this.#expireSeconds;
    const now = clock.now();
    const expiresAt = now + seconds * 1000;
    const secret = randomBytes(32).toString('base64url');
    const record: FollowRecord = {
      appid,
      scene,
      ticket,
      continueUrl,
      expiresAt,
      binding: bindingHash(secret),
    };
    const recordTtl = seconds * 1000 + RECORD_GRACE_MS;
    let id: string;
    do id = newState();
    while (!(await store.putOnce(loginKey(id), JSON.stringify(record), recordTtl)));
    await store.putOnce(claimKey(id), '1', recordTtl);
    await store.putOnce(sceneKey(appid, scene), id, seconds * 1000 + SCAN_GRACE_MS);
    return { id, pageUrl: `${this.pagePath(id)}?claim=${secret}`, ticket, expiresAt };
  }

  /**
   * Gives the page to the first browser that presents its claim (the secret in `pageUrl`): the
   * record once, for that browser, which then keeps `secret` as its binding cookie; else null.
   */
  async claim(id: string, secret: string): Promise<FollowRecord | null> {
    if (!FOLLOW_ID_PATTERN.test(id)) return null;
    const record = parseRecord(await this.#options.store.getDocument(loginKey(id)));
    if (!record || !bindingMatches(record, secret)) return null;
    return (await this.#options.store.takeOnce(claimKey(id))) === null ? null : record;
  }

  /** Seconds a binding cookie for `record` should live: as long as the page may be shown. */
  cookieSeconds(record: Pick<FollowRecord, 'expiresAt'>): number {
    return Math.max(1, Math.ceil((record.expiresAt + RECORD_GRACE_MS - this.#options.clock.now()) / 1000));
  }

  /**
   * Records who scanned when `event` is the `subscribe` (`qrscene_SCENE`) or `SCAN` (`SCENE`)
   * push of a live follow-to-log-in of its appid; the first such push wins. Anything else is
   * ignored. Never throws (it runs on the gateway's path): resolves true when it completed a login.
   */
  async observe(
    event: Pick<PushEvent, 'appid' | 'openid' | 'type' | 'event' | 'event_key'>,
  ): Promise<boolean> {
    try {
      if (event?.type !== 'event' || typeof event.appid !== 'string' || typeof event.openid !== 'string')
        return false;
      const scene = qrScene(event);
      if (!scene?.startsWith(SCENE_PREFIX)) return false;
      const { store } = this.#options;
      const id = await store.getDocument(sceneKey(event.appid, scene));
      if (id === null || !FOLLOW_ID_PATTERN.test(id)) return false;
      const record = parseRecord(await store.getDocument(loginKey(id)));
      if (!record || record.appid !== event.appid) return false;
      const outcome: FollowOutcome = {
        appid: event.appid,
        openid: event.openid,
        event: event.event === 'subscribe' ? 'subscribe' : 'SCAN',
      };
      const ttl = Math.max(1, record.expiresAt + RECORD_GRACE_MS - this.#options.clock.now());
      return await store.putOnce(doneKey(id), JSON.stringify(outcome), ttl);
    } catch (err) {
      this.#logger.warn(
        { appid: event?.appid, err: err instanceof Error ? err.message : String(err) },
        'follow-to-log-in: a push could not be recorded',
      );
      return false;
    }
  }

  /** The page's view of login `id` for a browser presenting `binding`; null when unknown, used or long expired. */
  async view(id: string, binding: string | undefined): Promise<FollowView | null> {
    if (!FOLLOW_ID_PATTERN.test(id)) return null;
    const { store, clock } = this.#options;
    const record = parseRecord(await store.getDocument(loginKey(id)));
    if (!record) return null;
    const done = (await store.getDocument(doneKey(id))) !== null;
    const now = clock.now();
    const status: FollowStatus = done ? 'scanned' : now >= record.expiresAt ? 'expired' : 'pending';
    return { record, status, bound: bindingMatches(record, binding), now };
  }

  /**
   * Who scanned login `id`, once: the first call after the push takes it (and ends the login, so
   * its page no longer works); later calls, and calls before the push, resolve null.
   */
  async result(id: string): Promise<FollowResult | null> {
    if (!FOLLOW_ID_PATTERN.test(id)) return null;
    const { store } = this.#options;
    const outcome = parseOutcome(await store.takeOnce(doneKey(id)));
    if (!outcome) return null;
    const record = parseRecord(await store.takeOnce(loginKey(id)));
    if (record) await store.takeOnce(sceneKey(record.appid, record.scene));
    return { appid: outcome.appid, openid: outcome.openid, event: outcome.event };
  }
}
