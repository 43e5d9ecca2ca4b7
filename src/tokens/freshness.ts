import type { CredentialRecord } from '../store/store.js';

/** Why a refresh ran: nothing stored, stored one expired, due before expiry, reported dead. */
export type RefreshReason = 'missing' | 'expired' | 'proactive' | 'stale';

/**
 * What a stored credential (or its absence) is worth to one caller: `ok`, or the reason it must be
 * replaced, which is the reason the refresh then reports.
 */
export type Freshness = 'ok' | RefreshReason;

/**
 * What a caller needs of the store, one case per policy below. Data, not a closure, so the same
 * question is asked the same way by the caller, by the re-check under the lease and by the fetch.
 */
export type Demand =
  /** A plain read: any credential still usable. */
  | { readonly policy: 'read' }
  /** A proactive refresh of `seen`: any other usable credential answers it. */
  | { readonly policy: 'renew'; readonly seen: CredentialRecord }
  /** A caller saw `stale` rejected at `reportedAt` (refresh-if-current). */
  | { readonly policy: 'report'; readonly stale: string; readonly reportedAt: number };

/** The last instant a credential is handed out: its expiry less the safety margin. */
export function serveUntil(record: CredentialRecord, marginMs: number): number {
  return record.expiresAt - marginMs;
}

/** True when `record` may still be handed out at `now`. */
export function isUsable(
  record: CredentialRecord | null,
  now: number,
  marginMs: number,
): record is CredentialRecord {
  return record !== null && now < serveUntil(record, marginMs);
}

/** A plain read's policy: anything usable is ok. */
export function freshForRead(record: CredentialRecord | null, now: number, marginMs: number): Freshness {
  if (record === null) return 'missing';
  return isUsable(record, now, marginMs) ? 'ok' : 'expired';
}

/** A proactive refresh's policy: it is not done while the store holds the very copy it set out to replace. */
export function isSeenCopy(record: CredentialRecord, seen: CredentialRecord): boolean {
  return record.version === seen.version && record.fetchedAt === seen.fetchedAt;
}

/**
 * Refresh-if-current's policy: a report of `stale` is not answered while the store holds `stale`
 * fetched no later than the report (WeChat may hand back the same value; one fetched after the
 * report answers it). The same millisecond counts as before: it may be the copy the caller saw.
 */
export function isReportedCopy(record: CredentialRecord, stale: string, reportedAt: number): boolean {
  return record.value === stale && record.fetchedAt <= reportedAt;
}

/** The freshness of `record` for `demand`: usable at all, then the demand's own policy. */
export function freshness(
  demand: Demand,
  record: CredentialRecord | null,
  now: number,
  marginMs: number,
): Freshness {
  const read = freshForRead(record, now, marginMs);
  if (read !== 'ok' || record === null) return read;
  switch (demand.policy) {
    case 'read':
      return 'ok';
    case 'renew':
      return isSeenCopy(record, demand.seen) ? 'proactive' : 'ok';
    case 'report':
      return isReportedCopy(record, demand.stale, demand.reportedAt) ? 'stale' : 'ok';
  }
}
