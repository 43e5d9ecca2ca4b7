import type { Config } from '../config/index.js';
import { loadConfig } from '../config/index.js';
import type { Hub } from '../hub/index.js';
import type { Logger } from '../util/logger.js';

/** What `reloadOnHangup` reloads, and into which hub. */
export interface ReloadOptions {
  /** The configuration file `serve` was started with; undefined: the built-in defaults. */
  readonly file: string | undefined;
  /** The configuration running now. */
  readonly config: Config;
  readonly hub: Pick<Hub, 'services'>;
  readonly logger: Logger;
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Reloads the configuration file on SIGHUP, as daemons do: the accounts added, removed or
 * changed in it are applied at once (through the account registry); a file that does not load
 * keeps the running configuration and logs one error saying why. Other fields need a restart,
 * and a warning names those that changed. Returns the function that stops listening.
 */
export function reloadOnHangup(options: ReloadOptions): () => void {
  let running = options.config;
  const { logger } = options;
  const reload = () => {
    if (!options.file) {
      logger.warn({}, 'SIGHUP: no configuration file to reload (started with the defaults)');
      return;
    }
    let next: Config;
    const warnings: string[] = [];
    try {
      next = loadConfig(options.file, options.env ?? process.env, (w) => warnings.push(w));
    } catch (err) {
      logger.error(
        { err: err instanceof Error ? err.message : String(err) },
        'SIGHUP: configuration not reloaded, the running one is kept',
      );
      return;
    }
    for (const warning of warnings) logger.warn({}, warning);
    const before = new Set(running.accounts.map((a) => a.appid));
    const after = new Set(next.accounts.map((a) => a.appid));
    options.hub.services.accounts.setConfigAccounts(next.accounts);
    const restart = changedFields(running, next);
    if (restart.length > 0) {
      logger.warn(
        { fields: restart },
        `SIGHUP: ${restart.join(', ')} changed; only accounts apply without a restart`,
      );
    }
    logger.info(
      {
        added: [...after].filter((a) => !before.has(a)),
        removed: [...before].filter((a) => !after.has(a)),
      },
      `configuration reloaded from ${options.file}`,
    );
    running = next;
  };
  process.on('SIGHUP', reload);
  return () => process.off('SIGHUP', reload);
}

/** Top-level fields other than `accounts` whose value differs. */
function changedFields(a: Config, b: Config): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  keys.delete('accounts');
  return [...keys].filter(
    (k) =>
      JSON.stringify((a as Record<string, unknown>)[k]) !== JSON.stringify((b as Record<string, unknown>)[k]),
  );
}
