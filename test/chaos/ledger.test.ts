import { describe, expect, it } from 'vitest';
import { accountFetches, type LedgerEntry } from '../../bench/chaos/ledger.js';

const S = 1000;
let seq = 0;
function entry(fields: Partial<LedgerEntry> & { at: number; hash: string }): LedgerEntry {
  return {
    seq: seq++,
    appid: 'wxA',
    call: 'token',
    issuedAt: fields.at,
    expiresAt: fields.at + 7200 * S,
    diesAt: null,
    used: true,
    ...fields,
  };
}
const none = new Set<string>();

describe('accountFetches: was each upstream token fetch needed?', () => {
  it('counts the first fetch, rotations at the refresh age, and fetches forced by a dead token', () => {
    const entries = [
      entry({ at: 0, hash: 't1', diesAt: 3000 * S }),
      // the rogue fetched at 2700 s: t1 dies 300 s later; the fleet refetched when callers saw 40001
      entry({ at: 2700 * S, hash: 'rogue', used: false }),
      entry({ at: 3001 * S, hash: 't2' }),
      entry({ at: (3001 + 6600) * S, hash: 't3' }),
    ];
    const got = accountFetches(entries, {
      appid: 'wxA',
      mode: 'classic',
      rogueHashes: new Set(['rogue']),
      kills: [],
    });
    expect(got.verdicts).toEqual({ initial: 1, rotation: 1, forced: 1, 'lost-to-kill': 0, wasted: 0 });
    expect(got.hubFetches).toBe(3);
    expect(got.needed).toBe(3);
    expect(got.rogueFetches).toBe(1);
    expect(got.tokensLost).toBe(0);
  });

  it('calls a fetch of a token still young and alive wasted', () => {
    const entries = [entry({ at: 0, hash: 't1' }), entry({ at: 600 * S, hash: 't2' })];
    const got = accountFetches(entries, { appid: 'wxA', mode: 'classic', rogueHashes: none, kills: [] });
    expect(got.verdicts.wasted).toBe(1);
    expect(got.fetches[1]!.why).toMatch(/600 s old/);
  });

  it('charges a token nobody used to a SIGKILL in flight, else calls it wasted', () => {
    const entries = [
      entry({ at: 0, hash: 't1' }),
      entry({ at: 6600 * S, hash: 'dead-hub', used: false }),
      entry({ at: 6660 * S, hash: 't2' }),
      entry({ at: 20_000 * S, hash: 'nobody', used: false }),
    ];
    const got = accountFetches(entries, {
      appid: 'wxA',
      mode: 'classic',
      rogueHashes: none,
      kills: [6599 * S],
    });
    expect(got.verdicts).toEqual({ initial: 1, rotation: 1, forced: 0, 'lost-to-kill': 1, wasted: 1 });
    expect(got.tokensLost).toBe(2);
  });

  it('stable: a call answering the token the fleet already has is wasted; the rogue force makes the next one forced', () => {
    const entries = [
      entry({ at: 0, hash: 's1', call: 'stable_token', diesAt: 4000 * S }),
      entry({ at: 100 * S, hash: 's1', call: 'stable_token', issuedAt: 0 }),
      entry({ at: 4000 * S, hash: 'rogue', call: 'stable_token:force' }),
      entry({ at: 4001 * S, hash: 'rogue', call: 'stable_token', issuedAt: 4000 * S }),
      entry({ at: (4000 + 6960) * S, hash: 's2', call: 'stable_token' }),
    ];
    const got = accountFetches(entries, {
      appid: 'wxA',
      mode: 'stable',
      rogueHashes: new Set(['rogue']),
      kills: [],
    });
    expect(got.verdicts).toEqual({ initial: 1, rotation: 1, forced: 1, 'lost-to-kill': 0, wasted: 1 });
    expect(got.rogueFetches).toBe(1);
  });

  it('ignores other accounts', () => {
    const entries = [entry({ at: 0, hash: 'x', appid: 'wxB' })];
    expect(
      accountFetches(entries, { appid: 'wxA', mode: 'classic', rogueHashes: none, kills: [] }).hubFetches,
    ).toBe(0);
  });
});
