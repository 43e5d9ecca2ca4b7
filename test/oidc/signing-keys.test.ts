import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/index.js';
import { TokenCipher } from '../../src/oauth/token-cipher.js';
import { SealedSetting } from '../../src/oidc/sealed-setting.js';
import { newSigningKey, SIGNING_KEYS_SETTING, SigningKeys } from '../../src/oidc/signing-keys.js';
import { ManualClock } from '../../src/util/clock.js';

function setup() {
  const database = openDatabase('memory:');
  const cipher = new TokenCipher(randomBytes(32));
  const clock = new ManualClock();
  return { database, cipher, clock, keys: new SigningKeys(database, cipher, clock) };
}

const algs = (keys: readonly { alg: string }[]) => keys.map((k) => k.alg);

describe('SigningKeys', () => {
  it('creates an RS256 key (first: the default signer) and an ES256 key, the same for every hub', async () => {
    const { database, cipher, clock, keys } = setup();
    try {
      const first = await keys.load();
      expect(algs(first)).toEqual(['RS256', 'ES256']);
      expect(first[1]).toMatchObject({ kty: 'EC', crv: 'P-256', use: 'sig' });
      expect(await new SigningKeys(database, cipher, clock).load()).toEqual(first);
    } finally {
      await database.close();
    }
  });

  it('rotates every algorithm, newest first, keeping three keys of each', async () => {
    const { database, keys } = setup();
    try {
      const first = await keys.load();
      let rotated = await keys.rotate();
      expect(algs(rotated)).toEqual(['RS256', 'ES256', 'RS256', 'ES256']);
      expect(rotated.slice(2)).toEqual(first);
      for (let i = 0; i < 3; i++) rotated = await keys.rotate();
      expect(algs(rotated)).toEqual(['RS256', 'ES256', 'RS256', 'ES256', 'RS256', 'ES256']);
      expect(rotated.map((k) => k.kid)).not.toContain(first[0]!.kid);
    } finally {
      await database.close();
    }
  });

  it('adds an ES256 key to a set written before ES256, keeping its RSA key the RS256 signer', async () => {
    const { database, cipher, clock, keys } = setup();
    try {
      const old = newSigningKey(clock, 'RS256');
      await new SealedSetting(database, cipher, SIGNING_KEYS_SETTING).getOrCreate(() => ({ keys: [old] }));
      const loaded = await keys.load();
      expect(algs(loaded)).toEqual(['ES256', 'RS256']);
      expect(loaded.find((k) => k.alg === 'RS256')).toEqual(old);
      expect(await keys.load()).toEqual(loaded);
    } finally {
      await database.close();
    }
  });
});
