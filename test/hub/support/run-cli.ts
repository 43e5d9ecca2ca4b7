import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';

const CLI = fileURLToPath(new URL('../fixtures/wxhub-cli.ts', import.meta.url));
// tsx's ES module hooks only: its CommonJS hook loads a package's `module-sync` entry without the
// `module.exports` export name, so `require('generator-function')` (koa, under oidc-provider)
// gets a namespace instead of the function. The sources are all ES modules; plain node (the
// published bin) resolves the package correctly.
const TSX = pathToFileURL(
  fileURLToPath(new URL('../../../node_modules/tsx/dist/esm/index.mjs', import.meta.url)),
).href;

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Starts `wxhub ARGS` from source in `cwd` (stdin a pipe when `stdin` is true, else closed). */
export function spawnCli(
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv = {},
  stdin = false,
): ChildProcess {
  const clean = { ...process.env };
  delete clean.WXHUB_CONFIG;
  return spawn(process.execPath, ['--import', TSX, CLI, ...args], {
    cwd,
    env: { ...clean, ...env },
    stdio: [stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
}

/** Runs `wxhub ARGS` to completion, with `input` written to its stdin when given. */
export function runCli(
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv = {},
  input?: string,
): Promise<CliResult> {
  const child = spawnCli(args, cwd, env, input !== undefined);
  if (input !== undefined) child.stdin!.end(input);
  const output = outputOf(child);
  return new Promise((resolve) =>
    child.on('close', (code) => resolve({ code, stdout: output.stdout, stderr: output.stderr })),
  );
}

/** What a child has written so far to stdout and stderr, read as it runs. */
export function outputOf(child: ChildProcess): { readonly stdout: string; readonly stderr: string } {
  const output = { stdout: '', stderr: '' };
  child.stdout!.setEncoding('utf8').on('data', (c: string) => {
    output.stdout += c;
  });
  child.stderr!.setEncoding('utf8').on('data', (c: string) => {
    output.stderr += c;
  });
  return output;
}
