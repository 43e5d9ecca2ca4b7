import { describe, expect, it } from 'vitest';
import { isWxhubError } from '../../src/errors/index.js';
import { driverCode } from '../../src/sql/driver-error.js';
import {
  classifyPostgresError,
  classifySqliteError,
  DATABASE_ROLE,
  STORE_ROLE,
  sqlError,
} from '../../src/sql/sql-failure.js';

const coded = (code: string, message = `driver says ${code}`) => Object.assign(new Error(message), { code });
const target = { backend: 'postgres', where: 'postgres://wx:***@db/x', secrets: ['pw'] };

describe('classifyPostgresError', () => {
  it.each([
    ['08006', 'connection failure'],
    ['08001', 'could not establish a connection'],
    ['57P01', 'admin shutdown (pg_terminate_backend, a restart)'],
    ['57P02', 'crash shutdown'],
    ['57P03', 'cannot connect now (starting up)'],
    ['57014', 'query canceled by statement_timeout'],
    ['53300', 'too many connections'],
    ['53100', 'disk full'],
    ['28P01', 'wrong password'],
    ['3D000', 'no such database'],
    ['40001', 'serialization failure: try again'],
    ['40P01', 'deadlock: try again'],
    ['55P03', 'lock timeout'],
    ['42501', 'no privilege: an operator fixes it'],
    ['58030', 'I/O error'],
    ['XX000', 'server internal error'],
  ])('SQLSTATE %s (%s) is an outage', (code) => {
    expect(classifyPostgresError(coded(code))).toBe('unavailable');
  });

  it.each([
    ['23505', 'unique violation'],
    ['23503', 'foreign key violation'],
    ['23502', 'not null violation'],
    ['42601', 'syntax error'],
    ['42P01', 'undefined table'],
    ['42703', 'undefined column'],
    ['22P02', 'invalid text representation'],
    ['0A000', 'feature not supported'],
  ])('SQLSTATE %s (%s) is a bug, not an outage', (code) => {
    expect(classifyPostgresError(coded(code))).toBe('bug');
  });

  it('calls network and pool failures without an SQLSTATE outages', () => {
    for (const err of [
      coded('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432'),
      coded('ECONNRESET'),
      coded('ETIMEDOUT'),
      coded('ENOTFOUND', 'getaddrinfo ENOTFOUND db'),
      Object.assign(new AggregateError([coded('ECONNREFUSED')], ''), { code: 'ECONNREFUSED' }),
      new Error('Connection terminated unexpectedly'),
      new Error('timeout exceeded when trying to connect'),
      new Error('Query read timeout'),
    ])
      expect(classifyPostgresError(err), String(err)).toBe('unavailable');
  });

  it('calls a driver rejecting what we passed it a bug', () => {
    expect(classifyPostgresError(new TypeError('Client was passed a null or undefined query'))).toBe('bug');
    expect(classifyPostgresError(new RangeError('bad'))).toBe('bug');
  });
});

describe('classifySqliteError', () => {
  it.each([
    'SQLITE_BUSY',
    'SQLITE_BUSY_SNAPSHOT',
    'SQLITE_LOCKED',
    'SQLITE_CANTOPEN',
    'SQLITE_IOERR_WRITE',
    'SQLITE_FULL',
    'SQLITE_READONLY_DBMOVED',
    'SQLITE_CORRUPT',
    'SQLITE_NOTADB',
    'SQLITE_PERM',
    'ENOTDIR',
    'EACCES',
  ])('%s is an outage', (code) => {
    expect(classifySqliteError(coded(code))).toBe('unavailable');
  });

  it.each([
    'SQLITE_CONSTRAINT_PRIMARYKEY',
    'SQLITE_CONSTRAINT_FOREIGNKEY',
    'SQLITE_ERROR',
    'SQLITE_MISMATCH',
    'SQLITE_RANGE',
    'SQLITE_MISUSE',
  ])('%s is a bug, not an outage', (code) => {
    expect(classifySqliteError(coded(code))).toBe('bug');
  });

  it('calls a driver rejecting what we passed it a bug', () => {
    expect(classifySqliteError(new RangeError('Too few parameter values were provided'))).toBe('bug');
    expect(classifySqliteError(new TypeError('The database connection is not open'))).toBe('bug');
  });
});

describe('sqlError', () => {
  it("gives an outage the role's own code: the store's or the database's", () => {
    const store = sqlError(STORE_ROLE, target, coded('57P01'), classifyPostgresError);
    const database = sqlError(DATABASE_ROLE, target, coded('57P01'), classifyPostgresError);
    expect(isWxhubError(store, 'WXHUB_ERR_STORE_UNAVAILABLE')).toBe(true);
    expect(isWxhubError(database, 'WXHUB_ERR_DATABASE_UNAVAILABLE')).toBe(true);
    expect(store.statusCode).toBe(503);
    expect(store.message).toContain('postgres postgres://wx:***@db/x: driver says 57P01');
  });

  it('reports a bug as WXHUB_ERR_INTERNAL that says so and keeps the driver code for callers', () => {
    const err = sqlError(DATABASE_ROLE, target, coded('23505', 'duplicate key value'), classifyPostgresError);
    expect(isWxhubError(err, 'WXHUB_ERR_INTERNAL')).toBe(true);
    expect(err.statusCode).toBe(500);
    expect(err.message).toMatch(/duplicate key value \(23505: .*a bug, not an outage\)/);
    expect(driverCode(err)).toBe('23505');
    expect(Object.keys(err)).not.toContain('driverCode'); // not serialized into logs twice
  });

  it('passes a WxhubError through unchanged', () => {
    const own = sqlError(STORE_ROLE, target, coded('08006'), classifyPostgresError);
    expect(sqlError(STORE_ROLE, target, own, classifyPostgresError)).toBe(own);
  });
});
