import { isWxhubError } from '../../errors/index.js';
import type { HttpClient } from '../../http/index.js';

/**
 * What `POST /v1/oauth/tickets/redeem` answers (docs/hub-api.md): the user the WeChat identity is
 * bound to (null for a snapshot-page virtual user), the identity, and whether the user is new.
 */
export interface RedeemedLogin {
  readonly user: {
    readonly id: string;
    readonly unionid?: string | null;
    readonly created_at?: unknown;
  } | null;
  readonly identity: {
    readonly appid: string;
    readonly openid: string;
    readonly unionid?: string | null;
    readonly nickname?: string | null;
    readonly headimgurl?: string | null;
    readonly subscribe: number;
    readonly first_login_at?: unknown;
    readonly last_login_at?: unknown;
    readonly is_snapshotuser?: number | boolean;
  };
  readonly is_new: boolean;
}

/** A redeemed login, or why there is none (the hub's error code, or a transport failure). */
export type RedeemOutcome =
  | { readonly ok: true; readonly login: RedeemedLogin }
  | { readonly ok: false; readonly status: number; readonly code: string; readonly message: string };

/** Exchanges a `wxhub_ticket` for the login it stands for. */
export type TicketRedeemer = (ticket: string) => Promise<RedeemOutcome>;

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/** The answer's fields checked for the types the pages rely on; null when it is not a login. */
export function parseRedeemedLogin(body: Record<string, unknown>): RedeemedLogin | null {
  const identity = body.identity as Record<string, unknown> | undefined;
  if (typeof identity !== 'object' || identity === null) return null;
  const appid = str(identity.appid);
  const openid = str(identity.openid);
  if (!appid || !openid) return null;
  const user = body.user as Record<string, unknown> | null | undefined;
  const userId =
    user && (typeof user.id === 'string' || typeof user.id === 'number') ? String(user.id) : null;
  return {
    user: userId ? { id: userId, unionid: str(user!.unionid), created_at: user!.created_at } : null,
    identity: {
      appid,
      openid,
      unionid: str(identity.unionid),
      nickname: str(identity.nickname),
      headimgurl: str(identity.headimgurl),
      subscribe: identity.subscribe === 1 || identity.subscribe === true ? 1 : 0,
      first_login_at: identity.first_login_at,
      last_login_at: identity.last_login_at,
      is_snapshotuser: identity.is_snapshotuser === 1 || identity.is_snapshotuser === true ? 1 : 0,
    },
    is_new: body.is_new === true,
  };
}

export interface HttpTicketRedeemerOptions {
  readonly http: HttpClient;
  /** The hub's base URL, e.g. `http://127.0.0.1:3000`. */
  readonly hubUrl: string;
  /** A client key with the `oauth` scope for the accounts whose logins this app redeems. */
  readonly key: string;
}

/**
 * Redeems over the hub's public HTTP API, as any business app does: `POST
 * /v1/oauth/tickets/redeem` with its own client key (scope `oauth`).
 */
export function httpTicketRedeemer(options: HttpTicketRedeemerOptions): TicketRedeemer {
  const url = `${options.hubUrl.replace(/\/+$/, '')}/v1/oauth/tickets/redeem`;
  return async (ticket) => {
    try {
      const res = await options.http.json('POST', url, {
        json: { ticket },
        headers: { authorization: `Bearer ${options.key}` },
      });
      return redeemAnswer(res.status, res.body);
    } catch (err) {
      return {
        ok: false,
        status: 502,
        code: isWxhubError(err) ? err.code : 'WXHUB_ERR_TRANSPORT',
        message: err instanceof Error ? err.message : String(err),
      };
    }
  };
}

/** A redeem answer (status and JSON body) as an outcome. */
export function redeemAnswer(status: number, body: Record<string, unknown>): RedeemOutcome {
  if (status === 200) {
    const login = parseRedeemedLogin(body);
    if (login) return { ok: true, login };
    return { ok: false, status: 502, code: 'WXHUB_ERR_UPSTREAM_BODY', message: 'unexpected redeem answer' };
  }
  const error = (body.error ?? {}) as { code?: unknown; message?: unknown };
  return {
    ok: false,
    status,
    code: typeof error.code === 'string' ? error.code : `HTTP_${status}`,
    message: typeof error.message === 'string' ? error.message : `HTTP ${status}`,
  };
}
