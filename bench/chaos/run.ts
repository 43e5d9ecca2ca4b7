/**
 * The reliability suite (issue #6): business clients calling through a fleet of hubs at a steady
 * rate while WeChat fails, a rogue fetches tokens, hubs are SIGKILLed, Redis restarts and the
 * quota runs out. See docs/reliability.md for the scenario and what is measured.
 *
 *   npm run chaos -- [--minutes 3] [--rate 40] [--hubs 2] [--database postgres://…] [--rounds N]
 *                    [--wechat-timeout-ms 5000] [--no-kill-at-refresh]
 *                    [--scenario all|tokens|gateway] [--gateway-seconds 60] [--gateway-rate 30]
 *
 * `--scenario gateway` runs the callback gateway's scenario alone (bench/chaos/gateway-scenario.ts:
 * WeChat pushing through two hubs on one SQLite store, subscriber outages, hub SIGKILLs; writes
 * bench/results/chaos-gateway.json); `tokens` the token suite alone; `all` (the default) both.
 *
 * Loopback only; needs a `redis-server` binary (the run restarts its own). Prints the tables and
 * PASS/FAIL per target, writes bench/results/chaos.json, exits 1 when a target or the planned
 * scenario was missed.
 */
import { parseArgs } from 'node:util';
import { writeResults } from '../lib/results.js';
import { runMain } from '../lib/run-main.js';
import { formatGatewayReport, GATEWAY_DEFAULTS, runGatewayChaos } from './gateway-scenario.js';
import { DEFAULT_OPTIONS, runChaos } from './harness.js';
import { formatReport, passed } from './report.js';

/** Real seconds one round of incidents takes, and the rest of the run, as measured on 2 shared cores. */
const ROUND_SECONDS = 60;
const FIXED_SECONDS = 85;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      minutes: { type: 'string', default: '3' },
      rounds: { type: 'string' },
      rate: { type: 'string', default: String(DEFAULT_OPTIONS.rate) },
      hubs: { type: 'string', default: String(DEFAULT_OPTIONS.hubs) },
      database: { type: 'string' },
      'wechat-timeout-ms': { type: 'string', default: String(DEFAULT_OPTIONS.wechatTimeoutMs) },
      'no-kill-at-refresh': { type: 'boolean', default: false },
      scenario: { type: 'string', default: 'all' },
      'gateway-seconds': { type: 'string', default: String(GATEWAY_DEFAULTS.seconds) },
      'gateway-rate': { type: 'string', default: String(GATEWAY_DEFAULTS.rate) },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(
      'npm run chaos -- [--minutes 3] [--rounds N] [--rate 40] [--hubs 2] [--database postgres://…]\n' +
        '                 [--wechat-timeout-ms 5000] [--no-kill-at-refresh]\n' +
        '                 [--scenario all|tokens|gateway] [--gateway-seconds 60] [--gateway-rate 30]\n',
    );
    return;
  }
  const number = (name: string, value: string | undefined, min: number): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < min)
      throw new Error(`--${name} must be a number ≥ ${min}, not "${value}"`);
    return n;
  };
  const scenario = values.scenario;
  if (scenario !== 'all' && scenario !== 'tokens' && scenario !== 'gateway')
    throw new Error(`--scenario must be all, tokens or gateway, not "${scenario}"`);
  let ok = true;
  if (scenario !== 'gateway') {
    const minutes = number('minutes', values.minutes, 1);
    const rounds =
      values.rounds !== undefined
        ? Math.floor(number('rounds', values.rounds, 1))
        : Math.max(1, Math.round((minutes * 60 - FIXED_SECONDS) / ROUND_SECONDS));
    const report = await runChaos({
      rounds,
      rate: number('rate', values.rate, 1),
      hubs: Math.floor(number('hubs', values.hubs, 2)),
      database: values.database,
      wechatTimeoutMs: Math.floor(number('wechat-timeout-ms', values['wechat-timeout-ms'], 100)),
      killAtRefresh: !values['no-kill-at-refresh'],
      log: (line) => process.stdout.write(`${line}\n`),
    });
    process.stdout.write(`\n${formatReport(report)}\n`);
    const file = await writeResults('chaos', { ...report, passed: passed(report) });
    process.stdout.write(`\nwrote ${file}\n`);
    ok &&= passed(report);
  }
  if (scenario !== 'tokens') {
    process.stdout.write('\nThe callback gateway under subscriber and hub kills\n');
    const report = await runGatewayChaos({
      ...GATEWAY_DEFAULTS,
      seconds: number('gateway-seconds', values['gateway-seconds'], 10),
      rate: number('gateway-rate', values['gateway-rate'], 1),
      log: (line) => process.stdout.write(`${line}\n`),
    });
    process.stdout.write(`\n${formatGatewayReport(report)}\n`);
    const file = await writeResults('chaos-gateway', { ...report });
    process.stdout.write(`\nwrote ${file}\n`);
    ok &&= report.passed;
  }
  if (!ok) process.exitCode = 1;
}

runMain('chaos', main);
