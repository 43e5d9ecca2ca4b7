import { WxhubError } from '../errors/index.js';
import { type AccountPatch, type AccountRecord, type ClientKeyRecord, SCOPES } from './database.js';

/** Checks a record at the Database boundary, so every backend stores the same shapes. */
export function checkKeyRecord(record: ClientKeyRecord): void {
  const bad = (what: string) => new WxhubError('WXHUB_ERR_INVALID_ARGUMENT', `client key ${what}`);
  if (!record || typeof record !== 'object') throw bad('record must be an object');
  if (typeof record.id !== 'string' || !/^[A-Za-z0-9]{1,64}$/.test(record.id))
    throw bad('id must be 1-64 of [A-Za-z0-9]');
  if (typeof record.name !== 'string' || record.name.length === 0 || record.name.length > 200)
    throw bad('name must be 1-200 characters');
  if (typeof record.secretHash !== 'string' || !/^[0-9a-f]{64}$/.test(record.secretHash))
    throw bad('secretHash must be a hex SHA-256');
  if (!Array.isArray(record.appids) || record.appids.some((a) => typeof a !== 'string' || a.length === 0))
    throw bad('appids must be a list of appids');
  if (!Array.isArray(record.scopes) || record.scopes.some((s) => !SCOPES.includes(s))) {
    throw bad(`scopes must be among ${SCOPES.join(', ')}`);
  }
  if (record.rateLimit !== null) {
    const { perSecond, burst } = record.rateLimit ?? {};
    if (!(typeof perSecond === 'number' && perSecond > 0 && typeof burst === 'number' && burst >= 1))
      throw bad('rateLimit must be null or {perSecond > 0, burst >= 1}');
  }
  if (!Number.isSafeInteger(record.createdAt)) throw bad('createdAt must be epoch ms');
  if (record.revokedAt !== null && !Number.isSafeInteger(record.revokedAt))
    throw bad('revokedAt must be null or epoch ms');
}

export function checkSettingName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || !/^[A-Za-z0-9_.:-]{1,100}$/.test(name))
    throw new WxhubError('WXHUB_ERR_INVALID_ARGUMENT', 'setting name must be 1-100 of [A-Za-z0-9_.:-]');
}

export function checkSettingValue(value: unknown): asserts value is string {
  if (typeof value !== 'string')
    throw new WxhubError('WXHUB_ERR_INVALID_ARGUMENT', 'setting value must be a string');
}

const APPID = /^wx[0-9a-f]{16}$/;
/** `v1.<key id>.<base64url(12-byte IV | ciphertext | 16-byte tag)>`: 38 characters hold 28 bytes. */
const SEALED = /^v1\.[0-9a-f]{8}\.[A-Za-z0-9_-]{38,2000}$/;

function accountProblem(what: string): WxhubError {
  return new WxhubError('WXHUB_ERR_INVALID_ARGUMENT', `account ${what}`);
}

/** Checks an appid at the Database boundary: WeChat's form, `wx` and 16 hex digits. */
export function checkAccountAppid(appid: unknown): asserts appid is string {
  if (typeof appid !== 'string' || !APPID.test(appid))
    throw accountProblem('appid must be wx and 16 hex digits');
}

/** Checks the fields an insert or an update writes, so every backend stores the same shapes. */
export function checkAccountPatch(patch: AccountPatch): void {
  if (!patch || typeof patch !== 'object') throw accountProblem('patch must be an object');
  const { sealedSecret, sealedCallback, enabled, name, tokenMode, returnTo } = patch;
  // A sealed value only: a plaintext appsecret must never reach the table.
  if (sealedSecret !== undefined && (typeof sealedSecret !== 'string' || !SEALED.test(sealedSecret)))
    throw accountProblem('sealedSecret must be a sealed value (v1.<key id>.<data>)');
  // Null removes the callback; a value is sealed, never the Token or EncodingAESKey in clear.
  if (
    sealedCallback !== undefined &&
    sealedCallback !== null &&
    (typeof sealedCallback !== 'string' || !SEALED.test(sealedCallback))
  )
    throw accountProblem('sealedCallback must be null or a sealed value (v1.<key id>.<data>)');
  if (enabled !== undefined && typeof enabled !== 'boolean')
    throw accountProblem('enabled must be a boolean');
  if (
    name !== undefined &&
    name !== null &&
    (typeof name !== 'string' || name.length === 0 || name.length > 200)
  )
    throw accountProblem('name must be null or 1-200 characters');
  if (tokenMode !== undefined && tokenMode !== 'stable' && tokenMode !== 'classic')
    throw accountProblem('tokenMode must be "stable" or "classic"');
  if (
    returnTo !== undefined &&
    (!Array.isArray(returnTo) ||
      returnTo.length > 100 ||
      returnTo.some((r) => typeof r !== 'string' || r.length > 2000))
  )
    throw accountProblem('returnTo must be a list of at most 100 URLs');
}

/** Checks a whole record before an insert. */
export function checkAccountRecord(record: AccountRecord): void {
  if (!record || typeof record !== 'object') throw accountProblem('record must be an object');
  checkAccountAppid(record.appid);
  if (record.kind !== 'official' && record.kind !== 'website')
    throw accountProblem('kind must be "official" or "website"');
  if (record.sealedSecret === undefined) throw accountProblem('sealedSecret is required');
  checkAccountPatch(record);
  if (typeof record.enabled !== 'boolean' || !Array.isArray(record.returnTo))
    throw accountProblem('enabled and returnTo are required');
  if (!Number.isSafeInteger(record.createdAt) || !Number.isSafeInteger(record.updatedAt))
    throw accountProblem('createdAt and updatedAt must be epoch ms');
  if (record.version !== 1) throw accountProblem('version of a new account must be 1');
}
