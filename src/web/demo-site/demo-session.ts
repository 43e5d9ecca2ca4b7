import { toEpochMs } from '../html/format.js';
import type { RedeemedLogin } from './ticket-redeemer.js';

/** What the demo app keeps in its session cookie after a login: the redeemed login, flattened. */
export interface DemoSession {
  readonly appid: string;
  readonly openid: string;
  readonly unionid: string | null;
  readonly nickname: string | null;
  readonly headimgurl: string | null;
  readonly subscribe: 0 | 1;
  readonly snapshot: boolean;
  readonly userId: string | null;
  /** Epoch ms, or null when the hub did not say. */
  readonly firstLoginAt: number | null;
  readonly lastLoginAt: number | null;
  readonly userCreatedAt: number | null;
  readonly isNew: boolean;
}

export function sessionFromLogin(login: RedeemedLogin): DemoSession {
  const { identity, user } = login;
  return {
    appid: identity.appid,
    openid: identity.openid,
    unionid: identity.unionid ?? user?.unionid ?? null,
    nickname: identity.nickname ?? null,
    headimgurl: identity.headimgurl ?? null,
    subscribe: identity.subscribe === 1 ? 1 : 0,
    snapshot: identity.is_snapshotuser === 1 || identity.is_snapshotuser === true,
    userId: user?.id ?? null,
    firstLoginAt: toEpochMs(identity.first_login_at),
    lastLoginAt: toEpochMs(identity.last_login_at),
    userCreatedAt: toEpochMs(user?.created_at),
    isNew: login.is_new,
  };
}

const s = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const n = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** A session read back from a verified cookie payload; null when its shape is not a session. */
export function sessionFromPayload(payload: Record<string, unknown>): DemoSession | null {
  const appid = s(payload.appid);
  const openid = s(payload.openid);
  if (!appid || !openid) return null;
  return {
    appid,
    openid,
    unionid: s(payload.unionid),
    nickname: s(payload.nickname),
    headimgurl: s(payload.headimgurl),
    subscribe: payload.subscribe === 1 ? 1 : 0,
    snapshot: payload.snapshot === true,
    userId: s(payload.userId),
    firstLoginAt: n(payload.firstLoginAt),
    lastLoginAt: n(payload.lastLoginAt),
    userCreatedAt: n(payload.userCreatedAt),
    isNew: payload.isNew === true,
  };
}
