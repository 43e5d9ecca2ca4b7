import { newAccessToken } from '../ids.js';
import { ExpiringMap } from './expiring-map.js';

/** Every global access_token lives 7200 s. */
export const TOKEN_LIFETIME_MS = 7_200_000;
/** The stable token rotates in the last 5 minutes of its life. */
export const STABLE_ROTATE_BEFORE_MS = 300_000;
/** A force_refresh within 30 s of the previous one returns the current token. */
export const FORCE_SPACING_MS = 30_000;
/** Dead tokens are remembered a day after expiry (so they answer 40001/42001, not "unknown"). */
const RETENTION_MS = TOKEN_LIFETIME_MS + 86_400_000;
const MAX_TOKENS = 200_000;

export type TokenKind = 'classic' | 'stable';

/** A global access_token of `/cgi-bin/token` (classic) or `/cgi-bin/stable_token` (stable). */
export interface GlobalToken {
  readonly value: string;
  readonly appid: string;
  readonly kind: TokenKind;
  readonly issuedAt: number;
  readonly expiresAt: number;
  /** When it was (or will be) invalidated by a newer fetch; Infinity while it is the latest. */
  diesAt: number;
}

/** 0 for a usable token, else the errcode WeChat answers: 40001 invalidated, 42001 expired. */
export function tokenDeadCode(token: { diesAt: number; expiresAt: number }, now: number): 0 | 40001 | 42001 {
  if (token.diesAt <= now && token.diesAt < token.expiresAt) return 40001;
  if (token.expiresAt <= now) return 42001;
  return 0;
}

interface AccountTokens {
  /** Classic tokens not yet dead (the latest plus those inside their overlap). */
  classic: GlobalToken[];
  /** Stable tokens not yet dead (the current plus a rotated one finishing its life). */
  stable: GlobalToken[];
  stableCurrent: GlobalToken | undefined;
  lastForceAt: number | undefined;
}

/**
 * The global access_tokens of every account. Classic and stable tokens are separate families
 * (neither invalidates the other) but both open every API, so they share one lookup table.
 */
export class GlobalTokens {
  readonly #all = new ExpiringMap<GlobalToken>(RETENTION_MS, MAX_TOKENS);
  readonly #byAccount = new Map<string, AccountTokens>();

  lookup(value: string): GlobalToken | undefined {
    return this.#all.get(value);
  }

  get size(): number {
    return this.#all.size;
  }

  /** `/cgi-bin/token`: a new token; the previous ones die `overlapMs` from now. */
  issueClassic(appid: string, overlapMs: number, now: number): GlobalToken {
    const family = this.#family(appid, now);
    killAfter(family.classic, now + overlapMs);
    const token = this.#issue(appid, 'classic', now);
    family.classic.push(token);
    return token;
  }

  /**
   * `/cgi-bin/stable_token` in normal mode: the current token during its life; from 5 minutes
   * before its expiry, the next one (the old one keeps working until it expires).
   */
  stable(appid: string, now: number): GlobalToken {
    const family = this.#family(appid, now);
    const current = family.stableCurrent;
    if (current && tokenDeadCode(current, now) === 0 && now < current.expiresAt - STABLE_ROTATE_BEFORE_MS) {
      return current;
    }
    return this.#newStable(family, appid, now);
  }

  /**
   * `/cgi-bin/stable_token` with force_refresh: a new token that kills the previous stable tokens at
   * once; inside 30 s of the previous force, the current token without refreshing. `allowForce`
   * is asked only when a refresh would really happen (it counts the 20-a-day limit); false → null.
   */
  forceStable(appid: string, now: number, allowForce: () => boolean): GlobalToken | null {
    const family = this.#family(appid, now);
    const current = family.stableCurrent;
    if (
      current &&
      family.lastForceAt !== undefined &&
      now - family.lastForceAt < FORCE_SPACING_MS &&
      tokenDeadCode(current, now) === 0
    ) {
      return current;
    }
    if (!allowForce()) return null;
    killAfter(family.stable, now);
    family.lastForceAt = now;
    return this.#newStable(family, appid, now);
  }

  /** As if someone else fetched: live tokens of that kind die `delayMs` from now. */
  invalidate(appid: string, kinds: readonly TokenKind[], delayMs: number, now: number): number {
    const family = this.#family(appid, now);
    let count = 0;
    if (kinds.includes('classic')) count += killAfter(family.classic, now + delayMs);
    if (kinds.includes('stable')) count += killAfter(family.stable, now + delayMs);
    return count;
  }

  clear(): void {
    this.#all.clear();
    this.#byAccount.clear();
  }

  #newStable(family: AccountTokens, appid: string, now: number): GlobalToken {
    const token = this.#issue(appid, 'stable', now);
    family.stable.push(token);
    family.stableCurrent = token;
    return token;
  }

  #issue(appid: string, kind: TokenKind, now: number): GlobalToken {
    const token: GlobalToken = {
      value: newAccessToken(),
      appid,
      kind,
      issuedAt: now,
      expiresAt: now + TOKEN_LIFETIME_MS,
      diesAt: Number.POSITIVE_INFINITY,
    };
    this.#all.set(token.value, token, now);
    return token;
  }

  /** The account's live tokens, with the dead ones dropped from the live lists. */
  #family(appid: string, now: number): AccountTokens {
    let family = this.#byAccount.get(appid);
    if (!family) {
      family = { classic: [], stable: [], stableCurrent: undefined, lastForceAt: undefined };
      this.#byAccount.set(appid, family);
    }
    family.classic = family.classic.filter((t) => tokenDeadCode(t, now) === 0);
    family.stable = family.stable.filter((t) => tokenDeadCode(t, now) === 0);
    return family;
  }
}

/** Moves the death of every token in the list to `at` at the latest; returns how many changed. */
function killAfter(tokens: GlobalToken[], at: number): number {
  let changed = 0;
  for (const token of tokens) {
    if (token.diesAt > at) {
      token.diesAt = at;
      changed++;
    }
  }
  return changed;
}
