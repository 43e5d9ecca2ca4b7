/**
 * One OS process of the herd benchmark (bench/herd.ts starts several, with an IPC channel).
 * `prepare` builds the client a spec names (one library, one appid, one store); each `round`
 * message then takes the client of its spec, sets its virtual time to the simulator's (the
 * offset the parent sends) and runs `callers` concurrent
 * callers, each calling `calls` times the library's own user-info method, which gets the token
 * (from its cache, or by fetching) and then calls GET /cgi-bin/user/info, as business code does.
 * It answers `{type: 'done', ok, failed, codes, ms}`; `stop` closes the client and exits.
 */
import { performance } from 'node:perf_hooks';
import { installVirtualTime } from '../lib/virtual-time.js';
import type { PeerAdapter, PeerSpec } from './types.js';

/** Parent → worker. */
export type HerdCommand =
  | {
      readonly type: 'round';
      readonly spec: PeerSpec;
      readonly round: number;
      readonly offsetMs: number;
      readonly callers: number;
      readonly calls: number;
      readonly openid: string;
    }
  | { readonly type: 'prepare'; readonly spec: PeerSpec }
  | { readonly type: 'stop' };

/** Worker → parent. */
export type HerdReport =
  | { readonly type: 'ready'; readonly pid: number }
  | { readonly type: 'prepared'; readonly appid: string }
  | {
      readonly type: 'done';
      readonly round: number;
      readonly ok: number;
      readonly failed: number;
      /** Caller-visible failures by errcode (or error name). */
      readonly codes: Record<string, number>;
      readonly ms: number;
    };

// Before the libraries run a line: every clock read in this process is the simulator's time.
const clock = installVirtualTime();
const { createAdapter, failureCode } = await import('./index.js');
/** One client per appid: the process serves one library, in each scenario in turn. */
const adapters = new Map<string, PeerAdapter>();

function send(report: HerdReport): void {
  process.send?.(report);
}

function adapterFor(spec: PeerSpec): PeerAdapter {
  let adapter = adapters.get(spec.appid);
  if (!adapter) {
    adapter = createAdapter(spec);
    adapters.set(spec.appid, adapter);
  }
  return adapter;
}

async function runRound(cmd: Extract<HerdCommand, { type: 'round' }>): Promise<void> {
  const client = adapterFor(cmd.spec);
  clock.setOffsetMs(cmd.offsetMs);
  let ok = 0;
  let failed = 0;
  const codes: Record<string, number> = {};
  const t0 = performance.now();
  const caller = async () => {
    for (let i = 0; i < cmd.calls; i++) {
      try {
        await client.getUser(cmd.openid);
        ok++;
      } catch (err) {
        failed++;
        const code = failureCode(err);
        codes[code] = (codes[code] ?? 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: cmd.callers }, caller));
  send({ type: 'done', round: cmd.round, ok, failed, codes, ms: performance.now() - t0 });
}

process.on('message', (cmd: HerdCommand) => {
  if (cmd.type === 'prepare') {
    adapterFor(cmd.spec);
    send({ type: 'prepared', appid: cmd.spec.appid });
  } else if (cmd.type === 'round') {
    void runRound(cmd);
  } else if (cmd.type === 'stop') {
    void Promise.allSettled([...adapters.values()].map((a) => a.close())).finally(() => {
      process.disconnect?.();
      process.exit(0);
    });
  }
});
send({ type: 'ready', pid: process.pid });
