/**
 * Token accounting from WeChat's side (the simulator's ledger): which upstream token fetches the
 * fleet made, and whether each one was needed. Pure functions, so the rules are unit-tested.
 */

/** One successful token answer of the simulator (bench/chaos/sim-process.ts records them). */
export interface LedgerEntry {
  readonly seq: number;
  readonly appid: string;
  readonly call: 'token' | 'stable_token' | 'stable_token:force';
  /** Virtual time of the answer, ms. */
  readonly at: number;
  /** SHA-256 prefix of the token handed out. */
  readonly hash: string;
  /** When the simulator created that token (a stable call may return an older one), ms. */
  readonly issuedAt: number;
  readonly expiresAt: number;
  /** When a newer fetch (or an invalidation) killed it, ms; null while it lives out its 7200 s. */
  readonly diesAt: number | null;
  /** True once an API call presented it: the fleet adopted it. */
  readonly used: boolean;
}

export interface SimLedger {
  readonly now: number;
  readonly entries: readonly LedgerEntry[];
  /** Successful `/cgi-bin/token` calls (anyone's) per appid and Beijing day: WeChat's quota count. */
  readonly quota: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

/**
 * Why a fetch happened:
 * - `initial`: the fleet had no token;
 * - `rotation`: the token in use had reached its refresh point (age ≥ the engine's refresh age);
 * - `forced`: someone else had killed the token in use (a rogue fetch, a force_refresh, an invalidation);
 * - `lost-to-kill`: a hub was SIGKILLed while this fetch was in flight, so the fleet never got it;
 * - `wasted`: none of the above, a fetch the fleet did not need.
 */
export type FetchVerdict = 'initial' | 'rotation' | 'forced' | 'lost-to-kill' | 'wasted';

export interface FetchAccounting {
  readonly appid: string;
  readonly mode: 'classic' | 'stable';
  /** Successful token calls the hubs made (the rogue's excluded). */
  readonly hubFetches: number;
  readonly verdicts: Readonly<Record<FetchVerdict, number>>;
  /** `initial + rotation + forced`: what any correct fleet had to fetch. */
  readonly needed: number;
  /** Successful token calls of the rogue fetcher. */
  readonly rogueFetches: number;
  /** Tokens WeChat handed to the hubs that no caller ever used. */
  readonly tokensLost: number;
  readonly fetches: readonly { readonly at: number; readonly verdict: FetchVerdict; readonly why: string }[];
}

export interface AccountingOptions {
  readonly appid: string;
  readonly mode: 'classic' | 'stable';
  /** Hashes of the tokens the rogue fetcher obtained (the first ledger entry of each is the rogue's). */
  readonly rogueHashes: ReadonlySet<string>;
  /** Virtual times (ms) of hub SIGKILLs. */
  readonly kills: readonly number[];
}

/** The engine refreshes a classic token 600 s before expiry (minus up to 60 s of jitter): at age ≥ 6600 s. */
export const CLASSIC_REFRESH_AGE_MS = 6_600_000;
/** A stable token rotates at WeChat only in its last 300 s: at age ≥ 6900 s. */
export const STABLE_ROTATE_AGE_MS = 6_900_000;
/**
 * Tolerance on those ages: the engine stamps a fetch when it starts, the simulator when it answers,
 * and retries (real seconds) can sit between the two.
 */
export const AGE_TOLERANCE_MS = 120_000;
/** A fetch answered this long before or after a SIGKILL may be the dead hub's. */
export const KILL_WINDOW_BEFORE_MS = 60_000;
export const KILL_WINDOW_AFTER_MS = 300_000;

/** Classifies every successful token call of one account, oldest first. */
export function accountFetches(entries: readonly LedgerEntry[], options: AccountingOptions): FetchAccounting {
  const { appid, mode, rogueHashes, kills } = options;
  const verdicts: Record<FetchVerdict, number> = {
    initial: 0,
    rotation: 0,
    forced: 0,
    'lost-to-kill': 0,
    wasted: 0,
  };
  const fetches: { at: number; verdict: FetchVerdict; why: string }[] = [];
  const seen = new Set<string>();
  const rotateAge = (mode === 'classic' ? CLASSIC_REFRESH_AGE_MS : STABLE_ROTATE_AGE_MS) - AGE_TOLERANCE_MS;
  const nearKill = (at: number) =>
    kills.some((k) => at >= k - KILL_WINDOW_BEFORE_MS && at <= k + KILL_WINDOW_AFTER_MS);
  let rogueFetches = 0;
  let tokensLost = 0;
  let adopted: LedgerEntry | undefined;
  let previousHash: string | undefined;

  for (const entry of [...entries].sort((a, b) => a.seq - b.seq)) {
    if (entry.appid !== appid) continue;
    const firstTime = !seen.has(entry.hash);
    seen.add(entry.hash);
    if (firstTime && rogueHashes.has(entry.hash)) {
      rogueFetches++;
      continue;
    }
    const judge = (verdict: FetchVerdict, why: string) => {
      verdicts[verdict]++;
      fetches.push({ at: entry.at, verdict, why });
    };
    if (entry.hash === previousHash || entry.hash === adopted?.hash) {
      // The fleet already had this token: only a dead hub's lost answer explains asking again.
      if (nearKill(entry.at)) judge('lost-to-kill', 'same token again after a hub was killed mid-fetch');
      else judge('wasted', 'WeChat answered the token the fleet already had');
      continue;
    }
    previousHash = entry.hash;
    if (!entry.used) {
      tokensLost++;
      if (nearKill(entry.at)) judge('lost-to-kill', 'a hub was killed while this fetch was in flight');
      else judge('wasted', 'no caller ever used this token');
      continue;
    }
    if (!adopted) judge('initial', 'the fleet had no token');
    else if (adopted.diesAt !== null && adopted.diesAt <= entry.at)
      judge('forced', 'the token in use had been killed by someone else');
    else if (entry.at - adopted.issuedAt >= rotateAge)
      judge('rotation', `the token in use was ${Math.round((entry.at - adopted.issuedAt) / 1000)} s old`);
    else
      judge(
        'wasted',
        `the token in use was only ${Math.round((entry.at - adopted.issuedAt) / 1000)} s old and alive`,
      );
    adopted = entry;
  }
  const hubFetches = Object.values(verdicts).reduce((a, b) => a + b, 0);
  return {
    appid,
    mode,
    hubFetches,
    verdicts,
    needed: verdicts.initial + verdicts.rotation + verdicts.forced,
    rogueFetches,
    tokensLost,
    fetches,
  };
}
