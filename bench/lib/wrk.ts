import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { round, type Summary } from './summary.js';

/** True when the `wrk` load generator is on PATH. */
export function wrkAvailable(): boolean {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
    return true;
  } catch (err) {
    // wrk --version exits 1 after printing its version
    return (err as { status?: number }).status === 1;
  }
}

export interface WrkOptions {
  readonly origin: string;
  readonly path: string;
  readonly headers?: Record<string, string>;
  /** Keep-alive connections. Default 50. */
  readonly connections?: number;
  /** wrk threads. Default 1 (leave the other cores to the server). */
  readonly threads?: number;
  readonly durationMs: number;
}

/** `1.23ms`, `850.00us`, `1.02s` → ms. */
function toMs(text: string): number {
  const match = /^([\d.]+)(us|ms|s|m)$/.exec(text.trim());
  if (!match) return Number.NaN;
  const value = Number(match[1]);
  return match[2] === 'us'
    ? value / 1000
    : match[2] === 'ms'
      ? value
      : match[2] === 's'
        ? value * 1000
        : value * 60_000;
}

/**
 * Runs wrk (C, event-driven, far cheaper per request than a Node client) against one URL with
 * `--latency`, and summarises its output in the same shape as `summarize()`. Errors are socket
 * errors plus non-2xx/3xx answers; p90 and p99 come from wrk's latency distribution.
 */
export async function runWrk(options: WrkOptions): Promise<Summary> {
  const args = [
    '--latency',
    '-t',
    String(options.threads ?? 1),
    '-c',
    String(options.connections ?? 50),
    '-d',
    `${Math.max(1, Math.round(options.durationMs / 1000))}s`,
  ];
  for (const [name, value] of Object.entries(options.headers ?? {})) args.push('-H', `${name}: ${value}`);
  args.push(`${options.origin}${options.path}`);
  const { stdout } = await promisify(execFile)('wrk', args, { maxBuffer: 1024 * 1024 });
  const pick = (re: RegExp) => re.exec(stdout)?.[1];
  const requests = Number(pick(/(\d+) requests in/));
  const seconds = toMs(pick(/requests in ([\d.]+\w+),/) ?? '') / 1000;
  const non2xx = Number(pick(/Non-2xx or 3xx responses: (\d+)/) ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
  const socketErrors = socket ? socket.slice(1).reduce((n, v) => n + Number(v), 0) : 0;
  const latency = /Latency\s+([\d.]+\w+)\s+([\d.]+\w+)\s+([\d.]+\w+)/.exec(stdout);
  if (!Number.isFinite(requests) || !latency) throw new Error(`could not read wrk's output:\n${stdout}`);
  return {
    requests,
    errors: non2xx + socketErrors,
    seconds: round(seconds, 2),
    rps: round(Number(pick(/Requests\/sec:\s+([\d.]+)/)), 0),
    meanMs: round(toMs(latency[1]!), 3),
    p50Ms: round(toMs(pick(/\s50%\s+([\d.]+\w+)/) ?? ''), 3),
    p90Ms: round(toMs(pick(/\s90%\s+([\d.]+\w+)/) ?? ''), 3),
    p99Ms: round(toMs(pick(/\s99%\s+([\d.]+\w+)/) ?? ''), 3),
    maxMs: round(toMs(latency[3]!), 3),
  };
}
