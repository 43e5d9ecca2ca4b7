import { describe, expect, it } from 'vitest';
import { KeptLeases } from '../../src/gateway/deliver/kept-leases.js';
import { START_POSITION } from '../../src/gateway/log/log-rows.js';
import { MemoryStore } from '../../src/store/index.js';
import { ManualClock } from '../../src/util/clock.js';

function setup(freshMs = 1000) {
  const clock = new ManualClock(Date.now());
  const store = new MemoryStore({ clock });
  const leases = new KeptLeases({ store, owner: 'hub-a', freshMs, now: () => clock.now() });
  const take = async (name: string) => {
    expect(await store.acquireLease(name, 'hub-a', 30_000)).toBe(true);
    return { name, renewed: clock.now(), position: START_POSITION };
  };
  /** Whether another hub could take `name` now (it takes it, so ask once per name). */
  const free = (name: string) => store.acquireLease(name, 'hub-b', 30_000);
  return { clock, leases, take, free };
}

describe('KeptLeases', () => {
  it('hands a kept lease to the next run of its slot while it is fresh, without releasing it', async () => {
    const { leases, take, free, clock } = setup();
    const lease = await take('deliver:crm:1');
    leases.keep('crm\n1', lease);
    clock.advance(999);
    expect(await leases.claim('crm\n1')).toEqual(lease);
    expect(await leases.claim('crm\n1')).toBeUndefined(); // claimed: no longer kept
    expect(await free('deliver:crm:1')).toBe(false);
  });

  it('releases a lease gone stale when a run claims it, so the run takes it anew', async () => {
    const { leases, take, free, clock } = setup();
    leases.keep('crm\n1', await take('deliver:crm:1'));
    clock.advance(1000);
    expect(await leases.claim('crm\n1')).toBeUndefined();
    expect(await free('deliver:crm:1')).toBe(true);
  });

  it('releases a kept lease on its own once it is no longer fresh', async () => {
    const { leases, take, free } = setup(30);
    leases.keep('crm\n1', await take('deliver:crm:1'));
    await new Promise((r) => setTimeout(r, 80));
    expect(await free('deliver:crm:1')).toBe(true);
    expect(await leases.claim('crm\n1')).toBeUndefined();
  });

  it('releases now the kept leases of the slots asked for, and only those', async () => {
    const { leases, take, free } = setup();
    leases.keep('crm\n1', await take('deliver:crm:1'));
    leases.keep('bot\n1', await take('deliver:bot:1'));
    await leases.releaseAll((slot) => slot.startsWith('crm\n'));
    expect(await free('deliver:crm:1')).toBe(true);
    expect(await free('deliver:bot:1')).toBe(false);
    await leases.releaseAll();
    expect(await free('deliver:bot:1')).toBe(true);
  });
});
