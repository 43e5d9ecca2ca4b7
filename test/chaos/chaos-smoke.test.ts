import { describe, expect, it } from 'vitest';
import { runChaos } from '../../bench/chaos/harness.js';
import { formatReport } from '../../bench/chaos/report.js';
import { requireBinary } from '../support/binaries.js';

/**
 * A short run of the reliability suite (bench/chaos, docs/reliability.md): every kind of fault
 * once, two hubs on a private Redis (restarted) and a SQLite (or PostgreSQL) database, business
 * clients at a steady rate, and the suite's targets asserted. `npm run chaos` is the full run.
 */
const binary = requireBinary('redis-server', 'redis-server');

describe.skipIf(!binary)(
  'chaos smoke: WeChat failing, a rogue fetcher, SIGKILLed hubs, a Redis restart, quota',
  () => {
    // The run takes ~60-70 s on an idle two-core machine and 150 s when that machine is shared
    // with heavy work; the timeout bounds it, since an assertion on its duration would fail a
    // busy machine rather than the code.
    it('meets every target', { timeout: 300_000 }, async () => {
      const lines: string[] = [];
      const report = await runChaos({
        rounds: 1,
        rate: 24,
        tickMs: 100,
        wechatTimeoutMs: 2000,
        baselineSeconds: 600,
        faultSeconds: 600,
        calmSeconds: 2400,
        creepAfterMs: 2000,
        creepRate: 10,
        exhaustedRate: 60,
        redisDownMs: 1000,
        killAtRefresh: false,
        database: process.env.WXHUB_TEST_POSTGRES_URL,
        log: (line) => lines.push(line),
      });
      const text = formatReport(report);
      console.log(`\n${lines.join('\n')}\n\n${text}\n`);
      for (const target of report.targets)
        expect(target.pass, `${target.name}: ${target.detail}\n${text}`).toBe(true);
      for (const check of report.coverage)
        expect(check.pass, `${check.name}: ${check.detail}\n${text}`).toBe(true);
      expect(report.calls.total.made).toBeGreaterThan(500);
    });
  },
);
