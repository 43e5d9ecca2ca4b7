import { describe, expect, it } from 'vitest';
import { MemoryDatabase } from '../../src/db/index.js';
import { SIGNING_KEYS_SETTING, SigningKeyRing } from '../../src/hub/drop-in/signing-key-ring.js';
import { rotateSigningKey, StandInTokens } from '../../src/hub/index.js';
import { ManualClock } from '../../src/util/clock.js';

/**
 * StandInTokens remembers the stand-ins it verified (an HMAC per proxied call was the proxy's
 * largest cost). The memory must never outlive what made the stand-in valid: its age, and its
 * signing key being in the ring.
 */
describe('verified stand-ins are remembered, never beyond their validity', () => {
  it('a remembered stand-in is refused once its signing key is removed from the ring', async () => {
    const database = new MemoryDatabase();
    const clock = new ManualClock();
    const ring = await SigningKeyRing.open({ kind: 'database', database, clock });
    const standIns = new StandInTokens(ring, clock);
    const token = standIns.issue('wxaaaa', 'k1');
    expect(await standIns.verify(token)).toMatchObject({ appid: 'wxaaaa', keyId: 'k1' });
    expect(await standIns.verify(token)).toMatchObject({ appid: 'wxaaaa', keyId: 'k1' });

    // The key leaked: rotate, then drop the old key at once (docs/operations.md).
    await rotateSigningKey(database, clock);
    await ring.reload();
    expect(await standIns.verify(token), 'retired keys still verify').not.toBeNull();
    const stored = (await database.settings.get(SIGNING_KEYS_SETTING))!;
    const [current] = JSON.parse(stored) as unknown[];
    expect(
      await database.settings.compareAndSet(SIGNING_KEYS_SETTING, stored, JSON.stringify([current])),
    ).toBe(true);
    await ring.reload();
    expect(await standIns.verify(token)).toBeNull();
  });

  it('a remembered stand-in still dies at 7200 s', async () => {
    const clock = new ManualClock();
    const ring = await SigningKeyRing.open({ kind: 'config', current: 'c'.repeat(40), previous: [] });
    const standIns = new StandInTokens(ring, clock);
    const token = standIns.issue('wxaaaa', null);
    expect(await standIns.verify(token)).not.toBeNull();
    clock.advance(7_199_000);
    expect(await standIns.verify(token)).not.toBeNull();
    clock.advance(1000);
    expect(await standIns.verify(token)).toBeNull();
  });

  it('a forged variant of a remembered stand-in is still refused', async () => {
    const clock = new ManualClock();
    const ring = await SigningKeyRing.open({ kind: 'config', current: 'c'.repeat(40), previous: [] });
    const standIns = new StandInTokens(ring, clock);
    const token = standIns.issue('wxaaaa', null);
    expect(await standIns.verify(token)).not.toBeNull();
    const bytes = Buffer.from(token, 'base64url');
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 1;
    expect(await standIns.verify(bytes.toString('base64url'))).toBeNull();
  });
});
