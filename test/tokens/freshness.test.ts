import { describe, expect, it } from 'vitest';
import type { CredentialRecord } from '../../src/store/store.js';
import { freshness, isUsable, serveUntil } from '../../src/tokens/freshness.js';

const MARGIN = 60_000;
const record: CredentialRecord = { value: 'v1', fetchedAt: 1_000, expiresAt: 7_201_000, version: 3 };
const beforeMargin = record.expiresAt - MARGIN - 1;

describe('freshness', () => {
  it('is usable until the margin before expiry, not at it', () => {
    expect(serveUntil(record, MARGIN)).toBe(7_141_000);
    expect(isUsable(record, 7_140_999, MARGIN)).toBe(true);
    expect(isUsable(record, 7_141_000, MARGIN)).toBe(false);
    expect(isUsable(null, 0, MARGIN)).toBe(false);
  });

  it('a read wants anything usable', () => {
    expect(freshness({ policy: 'read' }, null, 0, MARGIN)).toBe('missing');
    expect(freshness({ policy: 'read' }, record, 7_141_000, MARGIN)).toBe('expired');
    expect(freshness({ policy: 'read' }, record, beforeMargin, MARGIN)).toBe('ok');
  });

  it('a renewal wants any copy but the one it saw', () => {
    const renew = { policy: 'renew', seen: record } as const;
    expect(freshness(renew, record, beforeMargin, MARGIN)).toBe('proactive');
    expect(freshness(renew, { ...record, version: 4 }, beforeMargin, MARGIN)).toBe('ok');
    expect(freshness(renew, { ...record, fetchedAt: 1_001 }, beforeMargin, MARGIN)).toBe('ok');
    expect(freshness(renew, null, beforeMargin, MARGIN)).toBe('missing');
    expect(freshness(renew, record, 7_141_000, MARGIN)).toBe('expired');
  });

  it('a report wants another value, or the same fetched after the report (the same ms is before)', () => {
    const report = (reportedAt: number) => ({ policy: 'report', stale: 'v1', reportedAt }) as const;
    expect(freshness(report(5_000), record, beforeMargin, MARGIN)).toBe('stale');
    expect(freshness(report(1_000), record, beforeMargin, MARGIN)).toBe('stale');
    expect(freshness(report(999), record, beforeMargin, MARGIN)).toBe('ok');
    expect(freshness(report(5_000), { ...record, value: 'v2' }, beforeMargin, MARGIN)).toBe('ok');
    expect(freshness(report(5_000), record, 7_141_000, MARGIN)).toBe('expired');
  });
});
