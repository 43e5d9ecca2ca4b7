import { describe, expect, it } from 'vitest';
import { checkUrlProtocol, redactUrlPassword, urlSecrets } from '../../src/sql/connection-url.js';
import { carriesSecret, driverCode, driverError, scrubSecrets } from '../../src/sql/driver-error.js';

const URL_WITH_SECRET = 'postgres://wx:p%40ss%2Fw0rd@db.internal:5432/wxhub?password=q-param-secret';
const secrets = urlSecrets(URL_WITH_SECRET);
const target = { backend: 'postgres', where: redactUrlPassword(URL_WITH_SECRET), secrets };

/** Every form the secrets take, for "appears nowhere" checks. */
const FORMS = ['p@ss/w0rd', 'p%40ss%2Fw0rd', 'q-param-secret'];
const leaks = (text: string) => FORMS.filter((f) => text.includes(f));

describe('connection URLs', () => {
  it('redacts the userinfo password and a password= parameter', () => {
    expect(target.where).toBe('postgres://wx:***@db.internal:5432/wxhub?password=***');
    expect(leaks(target.where)).toEqual([]);
  });

  it('lists the password decoded, as written, and from the query', () => {
    expect(new Set(secrets)).toEqual(new Set(FORMS));
    expect(urlSecrets('postgres://db/x')).toEqual([]);
  });

  it('checks the protocol, naming it and never the URL', () => {
    expect(() => checkUrlProtocol('mysql://u:hunter2@h/x', ['postgres:'])).toThrow(/not mysql:/);
    expect(() => checkUrlProtocol('mysql://u:hunter2@h/x', ['postgres:'])).not.toThrow(/hunter2/);
    expect(() => checkUrlProtocol('', ['postgres:'])).toThrow(/non-empty/);
  });
});

describe('driverError', () => {
  it('scrubs the message and keeps a clean driver error as the cause', () => {
    const clean = Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const err = driverError('WXHUB_ERR_STORE_UNAVAILABLE', target, clean);
    expect(err.cause).toBe(clean);
    expect(driverCode(err)).toBe('ECONNREFUSED');
    expect(err.message).toContain('postgres postgres://wx:***@db.internal:5432/wxhub?password=***');
  });

  it.each([
    ['the message', () => new Error('password authentication failed: p@ss/w0rd')],
    ['the stack only', () => Object.assign(new Error('boom'), { stack: 'Error: boom\n at p%40ss%2Fw0rd' })],
    ["pg's detail field", () => Object.assign(new Error('syntax'), { detail: 'near q-param-secret' })],
    [
      'a non-enumerable field',
      () => Object.defineProperty(new Error('x'), 'internalQuery', { value: 'p@ss/w0rd' }),
    ],
    ['the cause chain', () => new Error('outer', { cause: new Error('inner p@ss/w0rd') })],
    [
      "an AggregateError's errors",
      () => new AggregateError([new Error('conn to p%40ss%2Fw0rd')], 'all failed'),
    ],
  ])('drops the cause when the secret hides in %s, and shows it nowhere', (_, make) => {
    const raw = make();
    expect(carriesSecret(raw, secrets)).toBe(true);
    const err = driverError('WXHUB_ERR_DATABASE_UNAVAILABLE', target, raw);
    expect(err.cause).toBeUndefined();
    expect(leaks(err.message)).toEqual([]);
    expect(leaks(String(err.stack))).toEqual([]);
    expect(leaks(JSON.stringify(err))).toEqual([]);
  });

  it('scrubs every occurrence of every secret', () => {
    expect(scrubSecrets('a p@ss/w0rd b p@ss/w0rd c q-param-secret', secrets)).toBe('a *** b *** c ***');
  });
});
