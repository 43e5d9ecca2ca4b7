import { WxhubError } from '../errors/index.js';

/** How an account's access_token is obtained. */
export type TokenMode = 'stable' | 'classic';

/** One Official Account the engine manages. */
export interface AccountSpec {
  readonly appid: string;
  readonly secret: string;
  /**
   * `stable` (default) uses `/cgi-bin/stable_token`, which does not kill tokens other holders
   * fetched; `classic` uses `/cgi-bin/token`, where every fetch kills the previous token.
   */
  readonly tokenMode?: TokenMode;
  /**
   * Refresh this long before expiry, seconds. Default 600 for classic; 240 for stable, since a
   * stable token only rotates in its last 300 s (earlier calls return the same token).
   */
  readonly refreshMarginSeconds?: number;
  /** Upstream token fetches allowed per Beijing day (WeChat's quota is 2000). Default 2000. */
  readonly dailyBudget?: number;
}

/** An AccountSpec with every default filled in, validated once. */
export interface Account {
  readonly appid: string;
  readonly secret: string;
  readonly tokenMode: TokenMode;
  readonly refreshMarginMs: number;
  readonly dailyBudget: number;
}

const APPID = /^[A-Za-z0-9_-]{1,64}$/;

/** Every problem with an AccountSpec, each naming its field; empty when it is valid. */
export function accountProblems(spec: AccountSpec): string[] {
  if (typeof spec !== 'object' || spec === null) return ['must be an object {appid, secret, ...}'];
  const problems: string[] = [];
  if (typeof spec.appid !== 'string' || !APPID.test(spec.appid)) {
    problems.push('appid must be 1-64 of [A-Za-z0-9_-]');
  }
  if (typeof spec.secret !== 'string' || spec.secret.length === 0) problems.push('secret is required');
  const tokenMode = spec.tokenMode ?? 'stable';
  if (tokenMode !== 'stable' && tokenMode !== 'classic') {
    problems.push('tokenMode must be "stable" or "classic"');
  } else {
    const margin = spec.refreshMarginSeconds ?? defaultMargin(tokenMode);
    const maxMargin = tokenMode === 'stable' ? 299 : 3600;
    if (typeof margin !== 'number' || !Number.isFinite(margin) || margin < 30 || margin > maxMargin) {
      problems.push(`refreshMarginSeconds must be 30..${maxMargin} for ${tokenMode} tokens`);
    }
  }
  const dailyBudget = spec.dailyBudget ?? 2000;
  if (!Number.isInteger(dailyBudget) || dailyBudget < 1)
    problems.push('dailyBudget must be a positive integer');
  return problems;
}

/** Validates an AccountSpec and fills in its defaults; the error names every bad field. */
export function resolveAccount(spec: AccountSpec): Account {
  const problems = accountProblems(spec);
  if (problems.length > 0) {
    const where = `account ${JSON.stringify(spec?.appid ?? '?')}`;
    throw new WxhubError('WXHUB_ERR_INVALID_ARGUMENT', `${where}: ${problems.join('; ')}`);
  }
  const tokenMode = spec.tokenMode ?? 'stable';
  return Object.freeze({
    appid: spec.appid,
    secret: spec.secret,
    tokenMode,
    refreshMarginMs: (spec.refreshMarginSeconds ?? defaultMargin(tokenMode)) * 1000,
    dailyBudget: spec.dailyBudget ?? 2000,
  });
}

/** Stable tokens rotate only in their last 300 s, so they refresh inside that window. */
function defaultMargin(tokenMode: TokenMode): number {
  return tokenMode === 'stable' ? 240 : 600;
}
