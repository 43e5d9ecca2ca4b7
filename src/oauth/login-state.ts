import { randomBytes } from 'node:crypto';
import type { OAuthScope } from '../db/index.js';
import type { Store } from '../store/store.js';

/**
 * The login `state`: random, single-use, short-lived and kept server-side (in the Store, shared by
 * a fleet), bound to the appid, the `return_to` and the scope. WeChat's in-app browser may drop
 * cookies, so the server-side record alone decides; a cookie carrying the state is checked only
 * when the browser sends it back (it then proves the callback lands in the browser that started).
 */

/** WeChat echoes `state` unchanged when it is at most 128 of `[a-zA-Z0-9]`. */
export const STATE_PATTERN = /^[A-Za-z0-9]{1,128}$/;
const STATE_LENGTH = 32;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export const STATE_COOKIE = 'wxhub_oauth_state';
/** States one browser may have in flight at once (several tabs). */
const COOKIE_STATES = 4;

/** What the Store keeps under a state until the callback takes it. */
export interface LoginState {
  readonly appid: string;
  readonly returnTo: string;
  readonly scope: OAuthScope;
  /** Epoch ms when the login started. */
  readonly startedAt: number;
  /**
   * Set when the OpenID Connect provider started the login (src/oidc): the interaction it
   * finishes. Only the provider's callback takes such a state; `/oauth/:appid/callback` refuses it.
   */
  readonly oidcInteraction?: string;
}

/** 32 characters of `[A-Za-z0-9]` (about 190 bits), without modulo bias. */
export function newState(): string {
  let out = '';
  while (out.length < STATE_LENGTH) {
    for (const byte of randomBytes(STATE_LENGTH)) {
      if (byte < 248 && out.length < STATE_LENGTH) out += ALPHABET[byte % 62];
    }
  }
  return out;
}

/**
 * The appid is part of the key, so a state presented at another account's callback is simply
 * not found there: it is refused without being used up, and the genuine callback still works.
 */
const stateKey = (appid: string, state: string) => `oauth:state:${appid}:${state}`;

/** Stores a new state for `login`; resolves the state. */
export async function putState(store: Store, login: LoginState, ttlMs: number): Promise<string> {
  for (;;) {
    const state = newState();
    if (await store.putOnce(stateKey(login.appid, state), JSON.stringify(login), ttlMs)) return state;
  }
}

/** Takes (and so uses up) a state of `appid`; null when unknown there, used or expired. */
export async function takeState(store: Store, appid: string, state: string): Promise<LoginState | null> {
  if (!STATE_PATTERN.test(state)) return null;
  const raw = await store.takeOnce(stateKey(appid, state));
  if (raw === null) return null;
  try {
    const parsed = JSON.parse(raw) as LoginState;
    return typeof parsed?.appid === 'string' && typeof parsed.returnTo === 'string' ? parsed : null;
  } catch {
    return null;
  }
}

/** The states in the request's state cookie (empty when it sent none). */
export function cookieStates(header: string | undefined): string[] {
  if (!header) return [];
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1 || part.slice(0, eq).trim() !== STATE_COOKIE) continue;
    return part
      .slice(eq + 1)
      .trim()
      .split('.')
      .filter((s) => STATE_PATTERN.test(s));
  }
  return [];
}

/** A `Set-Cookie` value holding `states` (newest last), or clearing the cookie when there are none. */
export function stateCookie(
  states: readonly string[],
  options: { path: string; maxAgeSeconds: number; secure: boolean },
): string {
  const kept = states.slice(-COOKIE_STATES);
  const attributes = [
    `Path=${options.path}`,
    'HttpOnly',
    'SameSite=Lax',
    `Max-Age=${kept.length > 0 ? options.maxAgeSeconds : 0}`,
    ...(options.secure ? ['Secure'] : []),
  ];
  return `${STATE_COOKIE}=${kept.join('.')}; ${attributes.join('; ')}`;
}
