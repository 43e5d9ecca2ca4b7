import { Command, CommanderError } from 'commander';
import { isWxhubError } from '../errors/index.js';
import { registerAccounts } from './accounts-command.js';
import { registerDemo } from './demo-command.js';
import { registerEvents } from './events-command.js';
import { registerKeys } from './keys-command.js';
import { registerServe } from './serve-command.js';
import { registerSim } from './sim-command.js';
import { wxhubVersion } from './version.js';

/** Exit codes of every wxhub command. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/** Builds the `wxhub` program; each command lives in its own module. */
export function buildProgram(): Command {
  const program = new Command('wxhub')
    .description('Central control server, SDK, web login and simulator for WeChat Official Accounts')
    .version(wxhubVersion())
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerSim(program);
  registerServe(program);
  registerKeys(program);
  registerEvents(program);
  registerAccounts(program);
  registerDemo(program);
  return program;
}

/**
 * Runs the CLI and resolves the process exit code: 0 ok, 1 failure at run time, 2 bad usage
 * (unknown flag, bad value, invalid configuration). Long-running commands resolve only on stop.
 */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and version also throw under exitOverride; they are successes.
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (isWxhubError(err, 'WXHUB_ERR_INVALID_CONFIG') || isWxhubError(err, 'WXHUB_ERR_INVALID_ARGUMENT')) {
      process.stderr.write(`wxhub: ${err.message}\n`);
      return EXIT.usage;
    }
    process.stderr.write(`wxhub: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT.failure;
  }
}
