/**
 * A simulator in its own process for benchmarks: empty world (accounts and users come through the
 * control plane), request logging off. Prints `LISTENING URL` (see child-server.ts).
 *
 *   node --import tsx bench/lib/sim-server.ts
 */
import { startSimulator } from '../../src/sim/index.js';
import { announceAndWait } from './child-server.js';

const sim = await startSimulator({ port: 0, host: '127.0.0.1' });
announceAndWait(sim.url, () => sim.close());
