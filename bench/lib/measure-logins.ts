import { runClosedLoop } from './closed-loop.js';
import { processCpuSeconds, round, type Summary, summarize } from './index.js';

/** How a login benchmark loops: callers, and when a phase ends (logins or seconds, first reached). */
export interface LoginLoad {
  readonly concurrency: number;
  readonly logins: number;
  readonly seconds: number;
  /** The simulator's process, whose CPU is counted apart; undefined when not known. */
  readonly simPid: number | undefined;
}

/** A phase's summary with the CPU each process spent per completed login, µs. */
export interface LoginRow extends Summary {
  /** This process (load generator, relying party, and the hub when in-process). */
  readonly benchCpuUsPerLogin: number;
  readonly simCpuUsPerLogin: number | null;
}

/** A closed-loop run of `login(i)`; the first error, if any, goes to stderr under `label`. */
export async function measureLogins(
  login: (i: number) => Promise<void>,
  label: string,
  load: LoginLoad,
): Promise<{ result: Awaited<ReturnType<typeof runClosedLoop>>; row: LoginRow }> {
  const cpu0 = process.cpuUsage();
  const sim0 = processCpuSeconds(load.simPid);
  const result = await runClosedLoop(login, {
    concurrency: load.concurrency,
    maxRequests: load.logins,
    durationMs: load.seconds * 1000,
  });
  const cpu = process.cpuUsage(cpu0);
  const sim1 = processCpuSeconds(load.simPid);
  if (result.firstError) process.stderr.write(`${label}: ${String(result.firstError)}\n`);
  const done = Math.max(1, result.requests);
  return {
    result,
    row: {
      ...summarize(result),
      benchCpuUsPerLogin: round((cpu.user + cpu.system) / done, 0),
      simCpuUsPerLogin:
        sim0 === undefined || sim1 === undefined ? null : round(((sim1 - sim0) * 1e6) / done, 0),
    },
  };
}
