import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** bench/results, next to this folder. */
export const RESULTS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'results');

/** The machine a result was measured on, so numbers are never read without their context. */
export function environment(): Record<string, unknown> {
  const cpu = cpus();
  return {
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpus: cpu.length,
    cpuModel: cpu[0]?.model ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
  };
}

/** Writes `bench/results/<name>.json` with the data, the date and the environment; returns the path. */
export async function writeResults(name: string, data: Record<string, unknown>): Promise<string> {
  if (!/^[a-z0-9-]+$/.test(name)) throw new RangeError(`result name must be kebab-case; got ${name}`);
  await mkdir(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${name}.json`);
  const body = { name, date: new Date().toISOString(), environment: environment(), ...data };
  await writeFile(file, `${JSON.stringify(body, null, 2)}\n`);
  return file;
}
