import { runClosedLoop } from './closed-loop.js';
import { processCpuSeconds, round, type Summary, summarize } from './index.js';

/** How a login benchmark loops: callers, and when a phase ends (logins or seconds, first reached). */
export interface LoginLoad {
  readonly concurrency: number;
  readonly logins: number;
  readonly seconds: number;
  /** The simulator's process, whose CPU is counted apart; undefined when not known. */
  readonly simPid: number | undefined;
  /** The hub's process when it runs apart (its CPU counted apart); absent: in this process. */
  readonly hubPid?: number;
}

/** A phase's summary with the CPU each process spent per completed login, µs. */
export interface LoginRow extends Summary {
  /** This process (load generator, relying party, and the hub when in-process). */
  readonly benchCpuUsPerLogin: number;
  readonly simCpuUsPerLogin: number | null;
  /** The hub's process, when it runs apart (`hubPid`). */
  readonly hubCpuUsPerLogin?: number | null;
}

/** A closed-loop run of `login(i)`; the first error, if any, goes to stderr under `label`. */
export async function measureLogins(
  login: (i: number) => Promise<void>,
  label: string,
  load: LoginLoad,
): Promise<{ result: Awaited<ReturnType<typeof runClosedLoop>>; row: LoginRow }> {
  const cpu0 = process.cpuUsage();
  const sim0 = processCpuSeconds(load.simPid);
  const hub0 = processCpuSeconds(load.hubPid);
  const result = await runClosedLoop(login, {
    concurrency: load.concurrency,
    maxRequests: load.logins,
    durationMs: load.seconds * 1000,
  });
  const cpu = process.cpuUsage(cpu0);
  const sim1 = processCpuSeconds(load.simPid);
  const hub1 = processCpuSeconds(load.hubPid);
  if (result.firstError) process.stderr.write(`${label}: ${String(result.firstError)}\n`);
  const done = Math.max(1, result.requests);
  const perLogin = (a: number | undefined, b: number | undefined) =>
    a === undefined || b === undefined ? null : round(((b - a) * 1e6) / done, 0);
  return {
    result,
    row: {
      ...summarize(result),
      benchCpuUsPerLogin: round((cpu.user + cpu.system) / done, 0),
      simCpuUsPerLogin: perLogin(sim0, sim1),
      ...(load.hubPid === undefined ? {} : { hubCpuUsPerLogin: perLogin(hub0, hub1) }),
    },
  };
}
