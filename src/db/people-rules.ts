import { randomBytes } from 'node:crypto';
import { WxhubError } from '../errors/index.js';
import type { IdentityPatch, IdentityRecord, LoginInput, PageOptions, UserRecord } from './people.js';

/**
 * What every backend does the same way with people: argument checks, the binding decisions
 * (kept pure, so each backend only supplies reads and writes inside its own transaction), and the
 * row shape shared by the SQL backends.
 */

/** The typed error of a bad argument at the database boundary (the message names it). */
export const bad = (what: string) => new WxhubError('WXHUB_ERR_INVALID_ARGUMENT', what);

/** A new user id: 128 random bits, URL-safe. */
export function newUserId(): string {
  return randomBytes(16).toString('base64url');
}

/** A key column's value: a string of 1–128 characters. */
export function checkId(name: string, value: unknown): asserts value is string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 128)
    throw bad(`${name} must be a string of 1-128 characters`);
}

/** Null, or a string of at most `max` characters. */
export function checkNullableString(name: string, value: unknown, max = 2048): void {
  if (value !== null && (typeof value !== 'string' || value.length > max))
    throw bad(`${name} must be null or a string of at most ${max} characters`);
}

/** Epoch ms (a safe integer), or null when `nullable`. */
export function checkTime(name: string, value: unknown, nullable = false): void {
  if (nullable && value === null) return;
  if (!Number.isSafeInteger(value)) throw bad(`${name} must be ${nullable ? 'null or ' : ''}epoch ms`);
}

export function checkAppidOpenid(appid: unknown, openid: unknown): void {
  checkId('appid', appid);
  checkId('openid', openid);
}

export function checkLogin(login: LoginInput): void {
  if (!login || typeof login !== 'object') throw bad('login must be an object');
  checkAppidOpenid(login.appid, login.openid);
  checkNullableString('unionid', login.unionid, 128);
  if (login.scope !== 'snsapi_base' && login.scope !== 'snsapi_userinfo')
    throw bad('scope must be snsapi_base or snsapi_userinfo');
  if (login.nickname !== undefined) checkNullableString('nickname', login.nickname, 256);
  if (login.headimgurl !== undefined) checkNullableString('headimgurl', login.headimgurl);
  if (login.subscribe !== null && login.subscribe !== 0 && login.subscribe !== 1)
    throw bad('subscribe must be 0, 1 or null');
  checkNullableString('sealedWebToken', login.sealedWebToken, 4096);
  checkNullableString('sealedRefreshToken', login.sealedRefreshToken, 4096);
  checkTime('webTokenExpiresAt', login.webTokenExpiresAt, true);
  checkTime('refreshTokenExpiresAt', login.refreshTokenExpiresAt, true);
  checkTime('at', login.at);
}

const PATCH_FIELDS: Readonly<Record<keyof IdentityPatch, (value: unknown) => void>> = {
  unionid: (v) => checkNullableString('unionid', v, 128),
  nickname: (v) => checkNullableString('nickname', v, 256),
  headimgurl: (v) => checkNullableString('headimgurl', v),
  subscribe: (v) => {
    if (v !== 0 && v !== 1) throw bad('subscribe must be 0 or 1');
  },
  sealedWebToken: (v) => checkNullableString('sealedWebToken', v, 4096),
  webTokenExpiresAt: (v) => checkTime('webTokenExpiresAt', v, true),
  sealedRefreshToken: (v) => checkNullableString('sealedRefreshToken', v, 4096),
  refreshTokenExpiresAt: (v) => checkTime('refreshTokenExpiresAt', v, true),
};

/** The patch's fields, checked; unknown fields are refused by name. */
export function checkPatch(patch: IdentityPatch): (keyof IdentityPatch)[] {
  if (!patch || typeof patch !== 'object') throw bad('patch must be an object');
  const keys = Object.keys(patch).filter((k) => (patch as Record<string, unknown>)[k] !== undefined);
  for (const key of keys) {
    const check = PATCH_FIELDS[key as keyof IdentityPatch];
    if (!check) throw bad(`patch.${key} is not a field an update may change`);
    check((patch as Record<string, unknown>)[key]);
  }
  return keys as (keyof IdentityPatch)[];
}

/** `{limit, offset}` with defaults (50, 0), checked. */
export function pageOf(page: PageOptions | undefined): { limit: number; offset: number } {
  const limit = page?.limit ?? 50;
  const offset = page?.offset ?? 0;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > 1000) throw bad('limit must be an integer 1-1000');
  if (!Number.isSafeInteger(offset) || offset < 0) throw bad('offset must be an integer >= 0');
  return { limit, offset };
}

/** The identity a first login creates for `userId`. */
export function firstIdentity(login: LoginInput, userId: string): IdentityRecord {
  return {
    appid: login.appid,
    openid: login.openid,
    userId,
    unionid: login.unionid,
    nickname: login.nickname ?? null,
    headimgurl: login.headimgurl ?? null,
    subscribe: login.subscribe ?? 0,
    scope: login.scope,
    firstLoginAt: login.at,
    lastLoginAt: login.at,
    sealedWebToken: login.sealedWebToken,
    webTokenExpiresAt: login.webTokenExpiresAt,
    sealedRefreshToken: login.sealedRefreshToken,
    refreshTokenExpiresAt: login.refreshTokenExpiresAt,
  };
}

/** A known identity after another login: what this login learnt wins, the rest is kept. */
export function nextIdentity(existing: IdentityRecord, login: LoginInput): IdentityRecord {
  return {
    ...existing,
    unionid: login.unionid ?? existing.unionid,
    nickname: login.nickname ?? existing.nickname,
    headimgurl: login.headimgurl ?? existing.headimgurl,
    subscribe: login.subscribe ?? existing.subscribe,
    scope: login.scope,
    lastLoginAt: Math.max(existing.lastLoginAt, login.at),
    sealedWebToken: login.sealedWebToken,
    webTokenExpiresAt: login.webTokenExpiresAt,
    sealedRefreshToken: login.sealedRefreshToken,
    refreshTokenExpiresAt: login.refreshTokenExpiresAt,
  };
}

/** An identity with a patch applied. */
export function patched(existing: IdentityRecord, patch: IdentityPatch): IdentityRecord {
  const next: Record<string, unknown> = { ...existing };
  for (const [key, value] of Object.entries(patch)) if (value !== undefined) next[key] = value;
  return next as unknown as IdentityRecord;
}

/** The columns of `identities` in both SQL backends, in insert order. */
export const IDENTITY_COLUMNS = [
  'appid',
  'openid',
  'user_id',
  'unionid',
  'nickname',
  'headimgurl',
  'subscribe',
  'scope',
  'first_login_at',
  'last_login_at',
  'web_token_sealed',
  'web_token_expires_at',
  'refresh_token_sealed',
  'refresh_token_expires_at',
] as const;

/** Patch field → column. */
export const PATCH_COLUMNS: Readonly<Record<keyof IdentityPatch, string>> = {
  unionid: 'unionid',
  nickname: 'nickname',
  headimgurl: 'headimgurl',
  subscribe: 'subscribe',
  sealedWebToken: 'web_token_sealed',
  webTokenExpiresAt: 'web_token_expires_at',
  sealedRefreshToken: 'refresh_token_sealed',
  refreshTokenExpiresAt: 'refresh_token_expires_at',
};

/** A number as a driver may hand it back (PostgreSQL's bigint is a string). */
export type Num = number | string | bigint;
export type NullableNum = Num | null;

export interface IdentityRow {
  appid: string;
  openid: string;
  user_id: string;
  unionid: string | null;
  nickname: string | null;
  headimgurl: string | null;
  subscribe: Num;
  scope: string;
  first_login_at: Num;
  last_login_at: Num;
  web_token_sealed: string | null;
  web_token_expires_at: NullableNum;
  refresh_token_sealed: string | null;
  refresh_token_expires_at: NullableNum;
}

export interface UserRow {
  id: string;
  unionid: string | null;
  created_at: Num;
}

/** A nullable number column read back as a number. */
export const num = (v: NullableNum): number | null => (v === null || v === undefined ? null : Number(v));

export function identityToRow(r: IdentityRecord): IdentityRow {
  return {
    appid: r.appid,
    openid: r.openid,
    user_id: r.userId,
    unionid: r.unionid,
    nickname: r.nickname,
    headimgurl: r.headimgurl,
    subscribe: r.subscribe,
    scope: r.scope,
    first_login_at: r.firstLoginAt,
    last_login_at: r.lastLoginAt,
    web_token_sealed: r.sealedWebToken,
    web_token_expires_at: r.webTokenExpiresAt,
    refresh_token_sealed: r.sealedRefreshToken,
    refresh_token_expires_at: r.refreshTokenExpiresAt,
  };
}

export function identityFromRow(row: IdentityRow): IdentityRecord {
  return {
    appid: row.appid,
    openid: row.openid,
    userId: row.user_id,
    unionid: row.unionid,
    nickname: row.nickname,
    headimgurl: row.headimgurl,
    subscribe: Number(row.subscribe) === 1 ? 1 : 0,
    scope: row.scope === 'snsapi_userinfo' ? 'snsapi_userinfo' : 'snsapi_base',
    firstLoginAt: Number(row.first_login_at),
    lastLoginAt: Number(row.last_login_at),
    sealedWebToken: row.web_token_sealed,
    webTokenExpiresAt: num(row.web_token_expires_at),
    sealedRefreshToken: row.refresh_token_sealed,
    refreshTokenExpiresAt: num(row.refresh_token_expires_at),
  };
}

export function userFromRow(row: UserRow): UserRecord {
  return { id: row.id, unionid: row.unionid, createdAt: Number(row.created_at) };
}

/** Retries a bind whose write lost a race (a unique constraint another writer filled first). */
export const BIND_ATTEMPTS = 4;
