import { describe, expect, it } from 'vitest';
import { storeAdapter } from '../../src/oidc/store-adapter.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { ManualClock } from '../../src/util/clock.js';

function setup() {
  const clock = new ManualClock();
  const store = new MemoryStore({ clock });
  const Adapter = storeAdapter(store, clock, async (id) =>
    id === 'known' ? { client_id: 'known' } : undefined,
  );
  return { clock, store, Adapter };
}

describe('storeAdapter (oidc-provider storage on the Store)', () => {
  it('keeps a model instance for its expiry, finds sessions by uid, and destroys', async () => {
    const { clock, Adapter } = setup();
    const sessions = new Adapter('Session');
    await sessions.upsert('s1', { uid: 'u1', accountId: 'a' }, 60);
    expect(await sessions.find('s1')).toEqual({ uid: 'u1', accountId: 'a' });
    expect(await sessions.findByUid('u1')).toEqual({ uid: 'u1', accountId: 'a' });
    expect(await new Adapter('AccessToken').find('s1')).toBeUndefined();
    clock.advance(61_000);
    expect(await sessions.find('s1')).toBeUndefined();
    expect(await sessions.findByUid('u1')).toBeUndefined();
    await sessions.upsert('s2', { accountId: 'b' }, 60);
    await sessions.destroy('s2');
    expect(await sessions.find('s2')).toBeUndefined();
  });

  it('marks a code consumed without extending its life', async () => {
    const { clock, Adapter } = setup();
    const codes = new Adapter('AuthorizationCode');
    await codes.upsert('c1', { grantId: 'g1' }, 60);
    clock.advance(30_000);
    await codes.consume('c1');
    expect((await codes.find('c1'))?.consumed).toBe(Math.floor(clock.now() / 1000));
    clock.advance(31_000);
    expect(await codes.find('c1')).toBeUndefined();
  });

  it("revokes every token of a grant, and nothing of another grant's", async () => {
    const { Adapter } = setup();
    const access = new Adapter('AccessToken');
    const refresh = new Adapter('RefreshToken');
    await access.upsert('t1', { grantId: 'g1' }, 3600);
    await refresh.upsert('r1', { grantId: 'g1' }, 3600);
    await access.upsert('t2', { grantId: 'g2' }, 3600);
    await access.revokeByGrantId('g1');
    expect(await access.find('t1')).toBeUndefined();
    expect(await refresh.find('r1')).toBeUndefined();
    expect(await access.find('t2')).toEqual({ grantId: 'g2' });
  });

  it("keeps an interaction that carries a revoked grant (a session replaced by another person's)", async () => {
    const { Adapter } = setup();
    const interactions = new Adapter('Interaction');
    const codes = new Adapter('AuthorizationCode');
    await interactions.upsert('i1', { grantId: 'g1', uid: 'i1' }, 600);
    await codes.upsert('c1', { grantId: 'g1' }, 60);
    await codes.revokeByGrantId('g1');
    expect(await interactions.find('i1')).toEqual({ grantId: 'g1', uid: 'i1' });
    expect(await codes.find('c1')).toBeUndefined();
  });

  it('looks clients up in the runtime list, and has no user codes', async () => {
    const { Adapter } = setup();
    const clients = new Adapter('Client');
    expect(await clients.find('known')).toEqual({ client_id: 'known' });
    expect(await clients.find('other')).toBeUndefined();
    expect(await new Adapter('DeviceCode').findByUserCode('ABCD')).toBeUndefined();
  });

  it('keeps a model saved without an expiry', async () => {
    const { clock, Adapter } = setup();
    const grants = new Adapter('Grant');
    await grants.upsert('g', { accountId: 'a' });
    clock.advance(30 * 24 * 3600 * 1000);
    expect(await grants.find('g')).toEqual({ accountId: 'a' });
  });
});
