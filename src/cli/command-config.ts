import { type Config, loadConfig, parseConfig } from '../config/index.js';
import { WxhubError } from '../errors/index.js';
import { configFile } from './serve-command.js';

/**
 * What an unset `env:NAME` reads as in a lenient configuration: shaped to pass the schema's key
 * fields (43 base64url characters, like a 32-byte key), so a secret the command does not need
 * never stops it. A command that needs one checks for it (see `wxhub accounts` and `secretsKey`).
 */
export const UNSET_ENV = 'wxhubUnsetEnvironmentVariable00000000000000';

/**
 * The configuration of an operator command that needs no secrets (`wxhub keys`, `wxhub events`):
 * `--config`, `$WXHUB_CONFIG` or `./wxhub.config.json`, else the defaults. An `env:NAME` that is
 * unset does not stop it (account secrets are the hub's business); `resolved` then refuses a
 * field the command does need, naming it.
 */
export function loadCommandConfig(flag: string | undefined): {
  config: Config;
  resolved(field: 'store' | 'database'): string;
} {
  const file = configFile(flag);
  const lenient = new Proxy(process.env, { get: (env, name: string) => env[name] || UNSET_ENV });
  const config = file ? loadConfig(file, lenient) : parseConfig({}, process.env, 'defaults');
  return {
    config,
    resolved(field) {
      const value = config[field];
      if (value.includes(UNSET_ENV)) {
        throw new WxhubError(
          'WXHUB_ERR_INVALID_CONFIG',
          `${file}: ${field}: its environment variable is not set`,
        );
      }
      return value;
    },
  };
}

/** Commander's accumulator for a repeatable option (`--appid A --appid B`). */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
