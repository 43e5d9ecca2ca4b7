import type { Command } from 'commander';
import { APPID_HINT, type Config, loadConfig, parseConfig, WECHAT_APPID } from '../config/index.js';
import { type ClientKeyRecord, type Database, openDatabase, SCOPES, type Scope } from '../db/index.js';
import { WxhubError } from '../errors/index.js';
import { rotateSigningKey } from '../hub/drop-in/signing-key-ring.js';
import { ClientKeys } from '../hub/keys/client-keys.js';
import { systemClock } from '../util/clock.js';
import { configFile } from './serve-command.js';

interface ConfigFlag {
  config?: string;
}

interface CreateFlags extends ConfigFlag {
  name: string;
  appid?: string[];
  scope: string[];
  rateLimit?: string;
  burst?: string;
}

/** `wxhub keys create|list|revoke|rotate-signing-key`: client keys in the hub's database. */
export function registerKeys(program: Command): void {
  const keys = program.command('keys').description('Manage client keys (stored hashed in the hub database)');
  const configOption = `configuration file naming the database (default: $WXHUB_CONFIG, else ./wxhub.config.json)`;

  keys
    .command('create')
    .description('Create a client key; the key is printed once, alone on the last line')
    .requiredOption('--name <name>', 'who or what uses the key, e.g. "shop backend"')
    .option('--appid <appid>', 'an appid the key may use (repeat for several)', collect)
    .requiredOption(
      '--scope <scopes>',
      `comma-separated scopes: ${SCOPES.join(', ')} (admin implies all scopes and appids)`,
      collect,
    )
    .option(
      '--rate-limit <perSecond>',
      'requests per second for this key (default: rateLimit of the configuration)',
    )
    .option('--burst <n>', 'burst size with --rate-limit (default: twice the rate)')
    .option('--config <file>', configOption)
    .action(async (flags: CreateFlags) => {
      const scopes = parseScopes(flags.scope);
      const rateLimit = parseRateLimit(flags.rateLimit, flags.burst);
      const name = flags.name.trim();
      if (!name) throw new WxhubError('WXHUB_ERR_INVALID_ARGUMENT', '--name must not be empty');
      for (const appid of flags.appid ?? []) {
        if (!WECHAT_APPID.test(appid))
          throw new WxhubError('WXHUB_ERR_INVALID_ARGUMENT', `--appid "${appid}" ${APPID_HINT}`);
      }
      await withDatabase(flags, async (database, config) => {
        const configured = new Set(config.accounts.map((a) => a.appid));
        for (const account of await database.accounts.list()) configured.add(account.appid);
        const appids = flags.appid ?? [];
        for (const appid of appids) {
          if (!configured.has(appid))
            warn(`appid ${appid} is not configured; the key works for it once it is`);
        }
        const { key, record } = await new ClientKeys(database).create({
          name,
          appids,
          scopes,
          rateLimit,
        });
        const out = (line: string) => process.stdout.write(`${line}\n`);
        out(`Created client key ${record.id}`);
        out(`  name:    ${record.name}`);
        out(`  appids:  ${record.scopes.includes('admin') ? 'all (admin)' : record.appids.join(', ')}`);
        out(`  scopes:  ${record.scopes.join(', ')}`);
        out(`  rate:    ${describeRate(record, config)}`);
        out('The key is stored hashed and cannot be shown again. Keep it now:');
        out(key);
      });
    });

  keys
    .command('list')
    .description('List client keys (never the keys themselves)')
    .option('--json', 'one JSON array, for scripts')
    .option('--config <file>', configOption)
    .action(async (flags: ConfigFlag & { json?: boolean }) => {
      await withDatabase(flags, async (database, config) => {
        const records = await database.keys.list();
        if (flags.json) {
          const shown = records.map(({ secretHash: _hash, ...rest }) => rest);
          process.stdout.write(`${JSON.stringify(shown, null, 2)}\n`);
          return;
        }
        if (records.length === 0) {
          process.stdout.write(
            'no client keys; create one with: wxhub keys create --name N --appid A --scope token\n',
          );
          return;
        }
        const rows = records.map((r) => [
          r.id,
          r.revokedAt === null ? 'active' : `revoked ${new Date(r.revokedAt).toISOString()}`,
          r.name,
          r.scopes.includes('admin') ? '*' : r.appids.join(','),
          r.scopes.join(','),
          describeRate(r, config),
          new Date(r.createdAt).toISOString(),
        ]);
        printTable(['ID', 'STATUS', 'NAME', 'APPIDS', 'SCOPES', 'RATE', 'CREATED'], rows);
      });
    });

  keys
    .command('revoke')
    .description('Revoke a client key (by id, or the key itself); running hubs stop accepting it within 30 s')
    .argument('<id>', 'the key id shown by create and list')
    .option('--config <file>', configOption)
    .action(async (id: string, flags: ConfigFlag) => {
      await withDatabase(flags, async (database) => {
        if (!(await new ClientKeys(database).revoke(id))) {
          throw new WxhubError(
            'WXHUB_ERR_NOT_FOUND',
            `no active client key ${id.replace(/_[A-Za-z0-9_-]{20,}$/, '_***')}`,
          );
        }
        process.stdout.write(`Revoked client key ${id.includes('_') ? id.split('_')[1] : id}\n`);
      });
    });

  keys
    .command('rotate-signing-key')
    .description(
      'Start signing drop-in stand-in tokens with a new key; the old one verifies for 2 more hours',
    )
    .option('--config <file>', configOption)
    .action(async (flags: ConfigFlag) => {
      await withDatabase(flags, async (database, config) => {
        if (config.dropIn.signingKey) {
          throw new WxhubError(
            'WXHUB_ERR_INVALID_ARGUMENT',
            'dropIn.signingKey is set in the configuration: rotate it there (move the old one to dropIn.previousSigningKeys)',
          );
        }
        const kid = await rotateSigningKey(database, systemClock);
        process.stdout.write(`New drop-in signing key ${kid}; hubs pick it up within a minute\n`);
      });
    });
}

/**
 * What an unset `env:NAME` reads as in `withDatabase`: shaped to pass the schema's key fields
 * (43 base64url characters, like a 32-byte key), so a secret the command does not need never
 * stops it. A command that needs one checks for it (see `wxhub accounts` and `secretsKey`).
 */
export const UNSET_ENV = 'wxhubUnsetEnvironmentVariable00000000000000';

/**
 * Opens the database the configuration names (shared by `wxhub keys` and `wxhub accounts`). Secrets are not needed here, so an `env:NAME`
 * that is unset does not stop key management (the database URL itself must resolve).
 */
export async function withDatabase(
  flags: ConfigFlag,
  run: (database: Database, config: Config) => Promise<void>,
): Promise<void> {
  const file = configFile(flags.config);
  const lenient = new Proxy(process.env, { get: (env, name: string) => env[name] || UNSET_ENV });
  const config = file ? loadConfig(file, lenient) : parseConfig({}, process.env, 'defaults');
  if (config.database.includes(UNSET_ENV)) {
    throw new WxhubError(
      'WXHUB_ERR_INVALID_CONFIG',
      `${file}: database: its environment variable is not set`,
    );
  }
  const database = openDatabase(config.database);
  try {
    await run(database, config);
  } finally {
    await database.close();
  }
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

function parseScopes(values: string[]): Scope[] {
  const scopes = values
    .flatMap((v) => v.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
  if (scopes.length === 0)
    throw new WxhubError('WXHUB_ERR_INVALID_ARGUMENT', `--scope needs one of ${SCOPES.join(', ')}`);
  for (const scope of scopes) {
    if (!SCOPES.includes(scope as Scope)) {
      throw new WxhubError(
        'WXHUB_ERR_INVALID_ARGUMENT',
        `--scope "${scope}" is not one of ${SCOPES.join(', ')}`,
      );
    }
  }
  return scopes as Scope[];
}

function parseRateLimit(
  rate: string | undefined,
  burst: string | undefined,
): { perSecond: number; burst: number } | null {
  if (rate === undefined) {
    if (burst !== undefined) throw new WxhubError('WXHUB_ERR_INVALID_ARGUMENT', '--burst needs --rate-limit');
    return null;
  }
  const perSecond = Number(rate);
  if (!Number.isFinite(perSecond) || perSecond <= 0) {
    throw new WxhubError(
      'WXHUB_ERR_INVALID_ARGUMENT',
      `--rate-limit must be a positive number, not "${rate}"`,
    );
  }
  const size = burst === undefined ? Math.max(1, Math.ceil(perSecond * 2)) : Number(burst);
  if (!Number.isInteger(size) || size < 1) {
    throw new WxhubError('WXHUB_ERR_INVALID_ARGUMENT', `--burst must be a positive integer, not "${burst}"`);
  }
  return { perSecond, burst: size };
}

function describeRate(record: ClientKeyRecord, config: Config): string {
  const limit = record.rateLimit ?? config.rateLimit;
  return `${limit.perSecond}/s, burst ${limit.burst}${record.rateLimit ? '' : ' (default)'}`;
}

/** Prints rows under a header, columns padded to their widest cell. */
export function printTable(head: string[], rows: string[][]): void {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    `${cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd()}\n`;
  process.stdout.write(line(head));
  for (const row of rows) process.stdout.write(line(row));
}

function warn(message: string): void {
  process.stderr.write(`wxhub: warning: ${message}\n`);
}
