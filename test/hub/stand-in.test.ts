import { describe, expect, it } from 'vitest';
import { MemoryDatabase } from '../../src/db/index.js';
import { SigningKeyRing } from '../../src/hub/drop-in/signing-key-ring.js';
import { rotateSigningKey, StandInTokens } from '../../src/hub/index.js';
import { ManualClock } from '../../src/util/clock.js';

async function tokens(database = new MemoryDatabase(), clock = new ManualClock()) {
  const ring = await SigningKeyRing.open({ kind: 'database', database, clock });
  return { standIns: new StandInTokens(ring, clock), ring, database, clock };
}

function flip(token: string, at: number): string {
  const bytes = Buffer.from(token, 'base64url');
  bytes[at] = (bytes[at] ?? 0) ^ 1;
  return bytes.toString('base64url');
}

describe('stand-in tokens', () => {
  it('are 100+ URL-safe characters that carry appid, issue time and key id', async () => {
    const { standIns, clock } = await tokens();
    for (const [appid, keyId] of [
      ['w', null],
      ['wx1234567890abcdef', 'ffffffffffffffff'],
      ['x'.repeat(64), '0'.repeat(16)],
    ] as const) {
      const token = standIns.issue(appid, keyId);
      expect(token).toMatch(/^[A-Za-z0-9_-]{100,512}$/);
      expect(await standIns.verify(token)).toEqual({
        appid,
        keyId,
        issuedAt: Math.floor(clock.now() / 1000),
      });
    }
    expect(standIns.issue('wx1', null)).not.toBe(standIns.issue('wx1', null));
  });

  it('refuse a forged signature, a changed appid, and junk', async () => {
    const { standIns } = await tokens();
    const token = standIns.issue('wxaaaa', 'k1');
    const bytes = Buffer.from(token, 'base64url');
    expect(await standIns.verify(flip(token, bytes.length - 1))).toBeNull(); // MAC
    expect(await standIns.verify(flip(token, bytes.length - 33))).toBeNull(); // last byte of the appid
    expect(await standIns.verify(flip(token, 10))).toBeNull(); // issue time
    expect(await standIns.verify(`${token}A`)).toBeNull();
    expect(await standIns.verify(token.slice(0, -1))).toBeNull();
    expect(await standIns.verify('x'.repeat(120))).toBeNull();
    expect(await standIns.verify('')).toBeNull();
  });

  it('refuse a stand-in signed with another key (another fleet)', async () => {
    const ours = await tokens();
    const theirs = await tokens();
    expect(await ours.standIns.verify(theirs.standIns.issue('wxaaaa', null))).toBeNull();
  });

  it('live exactly 7200 s by the clock, and are refused from the future', async () => {
    const { standIns, clock } = await tokens();
    const token = standIns.issue('wxaaaa', null);
    clock.advance(7199_000);
    expect(await standIns.verify(token)).not.toBeNull();
    clock.advance(1000);
    expect(await standIns.verify(token)).toBeNull();
    const future = await tokens(new MemoryDatabase(), new ManualClock(Date.now() + 3_600_000));
    const fromFuture = future.standIns.issue('wxaaaa', null);
    const nowRing = await SigningKeyRing.open({
      kind: 'database',
      database: future.database,
      clock: new ManualClock(Date.now()),
    });
    expect(await new StandInTokens(nowRing, new ManualClock(Date.now())).verify(fromFuture)).toBeNull();
  });

  it('agree across hubs sharing a database: the first hub generates the key, others read it', async () => {
    const database = new MemoryDatabase();
    const a = await tokens(database);
    const b = await tokens(database);
    expect(await b.standIns.verify(a.standIns.issue('wxaaaa', 'k'))).toMatchObject({ appid: 'wxaaaa' });
  });

  it('survive a rotation: old stand-ins verify, new ones use the new key, other hubs pick it up', async () => {
    const database = new MemoryDatabase();
    const clock = new ManualClock();
    const a = await tokens(database, clock);
    const b = await tokens(database, clock);
    const before = a.standIns.issue('wxaaaa', null);
    await rotateSigningKey(database, clock);
    await a.ring.reload();
    const after = a.standIns.issue('wxaaaa', null);
    expect(Buffer.from(after, 'base64url').subarray(1, 9)).not.toEqual(
      Buffer.from(before, 'base64url').subarray(1, 9),
    );
    expect(await a.standIns.verify(before)).not.toBeNull();
    // Hub b has not reloaded yet; meeting an unknown kid makes it re-read the database (at most
    // every 5 s, so junk kids cannot hammer it).
    expect(await b.standIns.verify(after)).toBeNull();
    clock.advance(5000);
    expect(await b.standIns.verify(after)).not.toBeNull();
    // Two rotations later, a key retired more than 2 h ago is gone.
    clock.advance(7600_000);
    await rotateSigningKey(database, clock);
    await rotateSigningKey(database, clock);
    await a.ring.reload();
    expect(JSON.parse((await database.settings.get('dropin.signing_keys'))!)).toHaveLength(3);
  });

  it('use the configured key when set, so hubs need not share a database', async () => {
    const clock = new ManualClock();
    const configured = { kind: 'config', current: 'k'.repeat(40), previous: ['p'.repeat(40)] } as const;
    const a = new StandInTokens(await SigningKeyRing.open(configured), clock);
    const b = new StandInTokens(await SigningKeyRing.open(configured), clock);
    expect(await b.verify(a.issue('wxaaaa', null))).not.toBeNull();
    const old = new StandInTokens(
      await SigningKeyRing.open({ kind: 'config', current: 'p'.repeat(40), previous: [] }),
      clock,
    );
    expect(await b.verify(old.issue('wxaaaa', null))).not.toBeNull();
    const other = new StandInTokens(
      await SigningKeyRing.open({ kind: 'config', current: 'o'.repeat(40), previous: [] }),
      clock,
    );
    expect(await b.verify(other.issue('wxaaaa', null))).toBeNull();
  });
});
