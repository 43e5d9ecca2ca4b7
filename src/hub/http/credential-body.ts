import type { CredentialRecord } from '../../store/store.js';

/** Whole seconds a credential has left at `now`. */
export function secondsLeft(record: CredentialRecord, now: number): number {
  return Math.max(0, Math.floor((record.expiresAt - now) / 1000));
}

/** `expires_in` (whole seconds left at `now`) and `expires_at` (epoch seconds) of a credential. */
export function lifetime(record: CredentialRecord, now: number) {
  return {
    expires_in: secondsLeft(record, now),
    expires_at: Math.floor(record.expiresAt / 1000),
  };
}

/** The body of `GET /v1/accounts/:appid/access-token` and of its refresh. */
export function tokenBody(record: CredentialRecord, now: number) {
  return { access_token: record.value, ...lifetime(record, now) };
}
