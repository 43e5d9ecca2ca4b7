import { describe, expect, it } from 'vitest';
import { formatGatewayReport, runGatewayChaos } from '../../bench/chaos/gateway-scenario.js';

/**
 * A short run of the chaos suite's gateway scenario (bench/chaos/gateway-scenario.ts): two hubs
 * on one SQLite store behind a balancer, WeChat pushing, a subscriber down, both hubs SIGKILLed
 * with deliveries in flight, the other subscriber's port closed. `npm run chaos -- --scenario
 * gateway` is the full run.
 */
describe('chaos smoke: the gateway over subscriber and hub kills', () => {
  it(
    'loses nothing, duplicates only where a crash lost the 2xx, in order per user',
    { timeout: 240_000 },
    async () => {
      const lines: string[] = [];
      const report = await runGatewayChaos({
        seconds: 20,
        rate: 15,
        users: 6,
        subscriberDelayMs: 100,
        drainSeconds: 90,
        log: (line) => lines.push(line),
      });
      const text = formatGatewayReport(report);
      console.log(`\n${lines.join('\n')}\n\n${text}\n`);
      expect(report.incidents.filter((i) => i.what.startsWith('SIGKILL'))).toHaveLength(2);
      expect(report.pushes.accepted).toBeGreaterThan(150);
      for (const verdict of report.subscribers) {
        expect(verdict.lost, text).toBe(0);
        expect(verdict.unexplained, text).toBe(0);
        expect(verdict.idChanges, text).toBe(0);
        expect(verdict.outOfOrder, text).toBe(0);
      }
      expect(report.drainedInSeconds, text).not.toBe(null);
      expect(report.passed).toBe(true);
    },
  );
});
