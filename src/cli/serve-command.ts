import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Command } from 'commander';
import pino from 'pino';
import { type Config, DEFAULT_CONFIG_FILE, loadConfig } from '../config/index.js';
import { WxhubError } from '../errors/index.js';
import { createHubLogger } from '../hub/hub-logger.js';
import { startHub } from '../hub/start-hub.js';
import { listenError } from '../util/listen-error.js';
import { prettyDestination } from '../util/logger.js';
import { reloadOnHangup } from './reload-on-hangup.js';
import { untilSignal } from './until-signal.js';

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

/** `wxhub serve`: the hub alone, until SIGINT or SIGTERM; SIGHUP reloads the configuration's accounts. */
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
  const warnings: string[] = [];
  const config: Config = loadConfig(file, process.env, (warning) => warnings.push(warning));
  const host = flags.host ?? config.listen.host;
  const listenPort = port ?? config.listen.port;
  const where = `--port or listen.port in ${file ?? 'the configuration'}`;
  // A taken port is the one line printed, before the hub opens its store and database or logs.
  await checkListen(host, listenPort).catch((err: unknown) => {
    throw listenError(err, host, listenPort, where);
  });
  const out = (...lines: string[]) => process.stdout.write(`${lines.join('\n')}\n`);
  if (!file) {
    out(
      `wxhub: no configuration file (--config, WXHUB_CONFIG or ./${DEFAULT_CONFIG_FILE}); using the defaults`,
    );
  }
  // Logs go to stderr; stdout keeps the few lines a person (or script) reads.
  const destination =
    config.logging.format === 'pretty' ? prettyDestination(2) : pino.destination({ dest: 2, sync: true });
  const logger = createHubLogger(config.logging.level, destination);
  for (const warning of warnings) logger.warn({}, warning);
  const hub = await startHub({ config, port, host: flags.host, logger }).catch((err: unknown) => {
    throw listenError(err, host, listenPort, where);
  });
  const stopped = untilSignal();
  const stopReloading = reloadOnHangup({ file, config, hub, logger });
  const accounts = hub.services.accounts.list();
  // One write, so a reader that sees the URL has the whole banner.
  out(
    `wxhub hub listening on ${hub.url}`,
    `  store: ${describeUrl(config.store)}   database: ${describeUrl(config.database)}`,
    accounts.length > 0
      ? `  accounts: ${accounts.map((a) => a.appid).join(', ')}`
      : '  no accounts configured: add them under "accounts" in the configuration file, or with wxhub accounts add',
  );
  const signal = await stopped;
  stopReloading();
  out(`wxhub: stopping (${signal})`);
  await hub.close();
}

/** Binds `host:port` and lets go at once: whether the hub will be able to listen there. */
function checkListen(host: string, port: number): Promise<void> {
  if (port === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}

/** A store or database URL without its password. */
function describeUrl(url: string): string {
  return url.replace(/(\/\/[^:/@]*:)[^@]*@/, '$1***@');
}
