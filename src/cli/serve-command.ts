import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import pino from 'pino';
import { type Config, DEFAULT_CONFIG_FILE, loadConfig } from '../config/index.js';
import { WxhubError } from '../errors/index.js';
import { createHubLogger } from '../hub/hub-logger.js';
import { startHub } from '../hub/start-hub.js';

/**
 * The configuration file a command uses: `--config`, else `$WXHUB_CONFIG`, else
 * `./wxhub.config.json` when present; undefined means the built-in defaults.
 */
export function configFile(
  flag: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  return (
    flag ??
    (env.WXHUB_CONFIG || undefined) ??
    (existsSync(DEFAULT_CONFIG_FILE) ? DEFAULT_CONFIG_FILE : undefined)
  );
}

/** Parses a `--port` value: an integer 0-65535, else a usage error (exit 2). */
export function parsePort(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65535) {
    throw new WxhubError(
      'WXHUB_ERR_INVALID_ARGUMENT',
      `--port must be an integer from 0 to 65535, not "${value}"`,
    );
  }
  return Number(value);
}

interface ServeFlags {
  config?: string;
  port?: string;
  host?: string;
}

/** `wxhub serve`: the hub alone, until SIGINT or SIGTERM. */
export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('Run the hub: the /v1 token API, the drop-in WeChat paths, health and metrics')
    .option(
      '--config <file>',
      `configuration file (default: $WXHUB_CONFIG, else ./${DEFAULT_CONFIG_FILE} if present)`,
    )
    .option('--port <port>', 'port to listen on (default: listen.port of the configuration, 8080)')
    .option('--host <host>', 'address to bind (default: listen.host of the configuration, 127.0.0.1)')
    .action(async (flags: ServeFlags) => {
      await serve(flags);
    });
}

async function serve(flags: ServeFlags): Promise<void> {
  const port = parsePort(flags.port);
  const file = configFile(flags.config);
  const config: Config = loadConfig(file);
  const out = (...lines: string[]) => process.stdout.write(`${lines.join('\n')}\n`);
  if (!file) {
    out(
      `wxhub: no configuration file (--config, WXHUB_CONFIG or ./${DEFAULT_CONFIG_FILE}); using the defaults`,
    );
  }
  // Logs go to stderr as JSON lines; stdout keeps the few lines a person (or script) reads.
  const logger = createHubLogger(config.logging.level, pino.destination({ dest: 2, sync: true }));
  const hub = await startHub({ config, port, host: flags.host, logger });
  // One write, so a reader that sees the URL has the whole banner.
  out(
    `wxhub hub listening on ${hub.url}`,
    `  store: ${describeUrl(config.store)}   database: ${describeUrl(config.database)}`,
    config.accounts.length > 0
      ? `  accounts: ${config.accounts.map((a) => a.appid).join(', ')}`
      : '  no accounts configured: add them under "accounts" in the configuration file',
  );
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  out('wxhub: stopping');
  await hub.close();
}

/** A store or database URL without its password. */
function describeUrl(url: string): string {
  return url.replace(/(\/\/[^:/@]*:)[^@]*@/, '$1***@');
}
