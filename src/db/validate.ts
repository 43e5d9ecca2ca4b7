import { WxhubError } from '../errors/index.js';
import { type ClientKeyRecord, SCOPES } from './database.js';

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
