import { randomBytes } from 'node:crypto';
import type { BindResult } from '../db/index.js';
import { WxhubError } from '../errors/index.js';
import type { Store } from '../store/store.js';
import type { Clock } from '../util/clock.js';

/**
 * Login tickets: what the callback hands the business app (`return_to?wxhub_ticket=T`) and what
 * `POST /v1/oauth/tickets/redeem` trades, once, for the login's outcome. A ticket is 256 random
 * bits in the Store (shared by a fleet) for `oauth.ticketTtlSeconds` (60 s by default).
 */

/** The body `POST /v1/oauth/tickets/redeem` answers; times are ISO 8601 strings. */
export interface TicketBody {
  /** Null for a snapshot-page user, who is never bound to a user. */
  readonly user: { id: string; unionid?: string; created_at: string } | null;
  readonly identity: {
    appid: string;
    openid: string;
    unionid?: string;
    nickname?: string;
    headimgurl?: string;
    subscribe: 0 | 1;
    first_login_at: string;
    last_login_at: string;
    /** Present (1) only for a snapshot-page user. */
    is_snapshotuser?: 1;
  };
  readonly is_new: boolean;
}

interface StoredTicket {
  readonly appid: string;
  readonly expiresAt: number;
  readonly body: TicketBody;
}

export const TICKET_PATTERN = /^[A-Za-z0-9_-]{20,128}$/;
const ticketKey = (ticket: string) => `oauth:ticket:${ticket}`;
const iso = (ms: number) => new Date(ms).toISOString();

/** The redeem body of a bound login; absent fields are left out, not null. */
export function ticketBody(bound: BindResult): TicketBody {
  const { user, identity } = bound;
  return {
    user: {
      id: user.id,
      ...(user.unionid !== null ? { unionid: user.unionid } : {}),
      created_at: iso(user.createdAt),
    },
    identity: {
      appid: identity.appid,
      openid: identity.openid,
      ...(identity.unionid !== null ? { unionid: identity.unionid } : {}),
      ...(identity.nickname !== null ? { nickname: identity.nickname } : {}),
      ...(identity.headimgurl !== null ? { headimgurl: identity.headimgurl } : {}),
      subscribe: identity.subscribe,
      first_login_at: iso(identity.firstLoginAt),
      last_login_at: iso(identity.lastLoginAt),
    },
    is_new: bound.isNew,
  };
}

/**
 * The redeem body of a snapshot-page user (`is_snapshotuser: 1`): a virtual openid WeChat makes up
 * for one visit, so nothing is stored and no user is bound; the app should show a "open in WeChat
 * and allow" hint rather than a profile.
 */
export function snapshotBody(appid: string, openid: string, at: number): TicketBody {
  return {
    user: null,
    identity: {
      appid,
      openid,
      subscribe: 0,
      first_login_at: iso(at),
      last_login_at: iso(at),
      is_snapshotuser: 1,
    },
    is_new: false,
  };
}

/** Stores a new ticket for `body`; resolves the ticket. */
export async function issueTicket(
  store: Store,
  appid: string,
  body: TicketBody,
  ttlMs: number,
  clock: Clock,
): Promise<string> {
  for (;;) {
    const ticket = randomBytes(32).toString('base64url');
    const stored: StoredTicket = { appid, expiresAt: clock.now() + ttlMs, body };
    if (await store.putOnce(ticketKey(ticket), JSON.stringify(stored), ttlMs)) return ticket;
  }
}

/**
 * Redeems a ticket once. `mayRedeem(appid)` decides whether the caller may have a ticket of that
 * account: when it may not, the ticket is put back (the rightful app can still redeem it) and the
 * call rejects with `WXHUB_ERR_FORBIDDEN`. Unknown, used or expired: `WXHUB_ERR_OAUTH_TICKET`.
 */
export async function redeemTicket(
  store: Store,
  ticket: string,
  clock: Clock,
  mayRedeem: (appid: string) => boolean,
): Promise<TicketBody> {
  const unknown = () => new WxhubError('WXHUB_ERR_OAUTH_TICKET', 'log the user in again');
  if (!TICKET_PATTERN.test(ticket)) throw unknown();
  const raw = await store.takeOnce(ticketKey(ticket));
  if (raw === null) throw unknown();
  const stored = JSON.parse(raw) as StoredTicket;
  if (!mayRedeem(stored.appid)) {
    const left = stored.expiresAt - clock.now();
    if (left > 0) await store.putOnce(ticketKey(ticket), raw, left);
    throw new WxhubError('WXHUB_ERR_FORBIDDEN', `the client key is not for appid ${stored.appid}`);
  }
  return stored.body;
}
