/**
 * The simulator for the scale bench, in its own process: `--accounts N` accounts named like the
 * bench's (`scaleAppid(i)`), and a base clock frozen at `--start` (epoch ms), so its virtual time
 * moves only through `POST /__sim/clock`, in step with the engine's ManualClock. Prints
 * `LISTENING URL` (bench/lib/child-server.ts).
 *
 *   node --import tsx bench/scale/sim-server.ts --accounts 10000 --start 1772413200000
 */
import { parseArgs } from 'node:util';
import { startSimulator } from '../../src/sim/index.js';
import { ManualClock } from '../../src/util/clock.js';
import { announceAndWait } from '../lib/child-server.js';
import { scaleAppid, scaleSecret } from './run-day.js';

const { values } = parseArgs({ options: { accounts: { type: 'string' }, start: { type: 'string' } } });
const accounts = Number(values.accounts);
const start = Number(values.start);
if (!Number.isInteger(accounts) || accounts < 1 || !Number.isFinite(start)) {
  throw new Error('usage: sim-server.ts --accounts N --start EPOCH_MS');
}
const sim = await startSimulator({
  port: 0,
  host: '127.0.0.1',
  clock: new ManualClock(start),
  fixture: {
    accounts: Array.from({ length: accounts }, (_, i) => ({ appid: scaleAppid(i), secret: scaleSecret(i) })),
  },
});
announceAndWait(sim.url, () => sim.close());
