/**
 * Whether the time `ClientKeys.verifyCached()` takes to refuse a wrong key tells which key ids
 * exist or were used recently: the same call, in one process, for a wrong secret of a key id
 * used a moment ago (its secret remembered), of one read but never matched, of a revoked one, of
 * an unknown id, and the right key (the only case allowed to be faster). Many calls per sample,
 * rounds interleaving the cases; the median per case is reported, with its gap to the unknown id.
 *
 *   node --import tsx bench/key-verify-timing.ts [--rounds 15] [--calls 20000]
 *
 * Target: every wrong-secret case within the noise of the unknown id (well under a microsecond).
 */
import { parseArgs } from 'node:util';
import { MemoryDatabase } from '../src/db/index.js';
import { ClientKeys } from '../src/hub/index.js';
import { runMain } from './lib/run-main.js';
import { median, round } from './lib/summary.js';
import { printTable } from './lib/table.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { rounds: { type: 'string', default: '15' }, calls: { type: 'string', default: '20000' } },
  });
  const rounds = Number(values.rounds);
  const calls = Number(values.calls);
  const keys = new ClientKeys(new MemoryDatabase(), { cacheTtlMs: 3_600_000, missTtlMs: 3_600_000 });
  const make = async () => (await keys.create({ name: 'bench', appids: ['wx1'], scopes: ['token'] })).key;
  const wrong = (key: string) => `${key.slice(0, -1)}${key.endsWith('x') ? 'y' : 'x'}`;
  const [used, unused, revoked] = [await make(), await make(), await make()];
  const unknown = `wxk_0123456789abcdef_${used.slice(-43)}`;
  // Fill the cache as a running hub would have it.
  await keys.verify(used);
  await keys.verify(wrong(unused));
  await keys.verify(revoked);
  await keys.revoke(revoked);
  await keys.verify(wrong(revoked));
  await keys.verify(unknown);

  // Every presented key a flat string built the same way, so V8's string shapes are no variable.
  const flat = (text: string) => Buffer.from(text, 'latin1').toString('latin1');
  const cases: Record<string, string> = {
    'unknown id': flat(unknown),
    'wrong secret, id used recently': flat(wrong(used)),
    'wrong secret, id never matched': flat(wrong(unused)),
    'wrong secret, revoked id': flat(wrong(revoked)),
    'right key, used recently': flat(used),
  };
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(cases).map((c) => [c, []]));
  for (let round = 0; round < rounds; round++) {
    const order = Object.keys(cases);
    if (round % 2) order.reverse();
    for (const name of order) {
      const presented = cases[name]!;
      const started = process.hrtime.bigint();
      for (let i = 0; i < calls; i++) keys.verifyCached(presented);
      samples[name]!.push(Number(process.hrtime.bigint() - started) / calls);
    }
  }
  const base = median(samples['unknown id']!);
  printTable(
    Object.entries(samples).map(([name, list]) => ({
      case: name,
      'median ns/call': round(median(list), 0),
      'vs unknown id, ns': round(median(list) - base, 0),
    })),
  );
}

runMain('key-verify-timing', main);
