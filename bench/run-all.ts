/**
 * Runs every benchmark in bench/ (each `bench/*.ts` but this file), one after another, each in its
 * own process so none inherits another's warm caches or open sockets. `npm run bench` calls it.
 *
 *   node --import tsx bench/run-all.ts [NAME ...]     e.g. `bench/run-all.ts herd hot-path`
 *
 * Each benchmark prints its table and writes bench/results/<name>.json; this prints how long each
 * took and exits 1 if any of them failed.
 */
import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { runMain } from './lib/run-main.js';
import { printTable } from './lib/table.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const SELF = basename(fileURLToPath(import.meta.url));

function run(file: string): Promise<number | null> {
  return new Promise((resolve) => {
    // tsx's ES module hooks only: its CommonJS hook breaks `require('generator-function')` (koa,
    // under oidc-provider), which bench/oidc.ts loads. Every benchmark is an ES module.
    const child = spawn(process.execPath, ['--import', 'tsx/esm', file], { stdio: 'inherit' });
    child.once('error', () => resolve(null));
    child.once('exit', (code) => resolve(code));
  });
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const all = (await readdir(HERE))
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && f !== SELF)
    .map((f) => f.slice(0, -3))
    .sort();
  const unknown = wanted.filter((w) => !all.includes(w));
  if (unknown.length) {
    process.stderr.write(`run-all: no benchmark named ${unknown.join(', ')}; there are: ${all.join(', ')}\n`);
    process.exitCode = 2;
    return;
  }
  const names = wanted.length ? all.filter((n) => wanted.includes(n)) : all;
  const rows: { benchmark: string; result: string; seconds: number }[] = [];
  for (const name of names) {
    process.stdout.write(`\n=== ${name} ===\n`);
    const t0 = performance.now();
    const code = await run(join(HERE, `${name}.ts`));
    rows.push({
      benchmark: name,
      result: code === 0 ? 'ok' : `failed (exit ${code ?? 'signal'})`,
      seconds: Math.round((performance.now() - t0) / 100) / 10,
    });
  }
  process.stdout.write('\n');
  printTable(rows);
  if (rows.some((r) => r.result !== 'ok')) process.exitCode = 1;
}

runMain('run-all', main);
