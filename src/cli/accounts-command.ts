import type { Command } from 'commander';
import { AccountAdmin, type CallbackInput, SecretBox } from '../accounts/index.js';
import type { Config } from '../config/index.js';
import type { AccountRecord, Database } from '../db/index.js';
import { WxhubError } from '../errors/index.js';
import { storedSubscribers } from '../gateway/subscribers/runtime-subscribers.js';
import { systemClock } from '../util/clock.js';
import { UNSET_ENV } from './command-config.js';
import { printTable, withDatabase } from './keys-command.js';

interface ConfigFlag {
  config?: string;
  appid?: string;
}

interface SecretFlags extends ConfigFlag {
  secretEnv?: string;
}

/** The push URL settings as `add` takes them (`--callback-*`). */
interface CallbackFlags {
  callbackToken?: string;
  callbackAesKey?: string;
  callbackMode?: string;
  callbackReply?: string;
  callbackReplyDeadline?: string;
}

/** The push URL settings as `set-callback` takes them. */
interface SetCallbackFlags extends ConfigFlag {
  token?: string;
  aesKey?: string;
  mode?: string;
  reply?: string;
  replyDeadline?: string;
}

interface AddFlags extends SecretFlags, CallbackFlags {
  name?: string;
  kind: string;
  tokenMode: string;
  returnTo?: string[];
  disabled?: boolean;
}

/** Longest appsecret read from stdin (WeChat's are 32 characters). */
const STDIN_LIMIT = 4096;

/**
 * `wxhub accounts add|list|remove|set-secret|set-callback|remove-callback|enable|disable`:
 * accounts kept in the hub's database, served by every running hub within 5 s. The appsecret is
 * read from `--secret-env NAME` or stdin; the callback Token and EncodingAESKey from `env:NAME`
 * (or given as is, with a warning). All are stored encrypted with the secrets key
 * (`WXHUB_SECRET_KEY` or `secretsKey`) and never printed. Config-file accounts are listed and may
 * be enabled, but are changed in the file.
 */
export function registerAccounts(program: Command): void {
  const accounts = program
    .command('accounts')
    .description('Manage accounts at run time (stored in the hub database, appsecrets encrypted)');
  const configOption =
    'configuration file naming the database (default: $WXHUB_CONFIG, else ./wxhub.config.json)';
  const secretEnvOption = 'read the AppSecret from this environment variable (default: read it from stdin)';
  /** A subcommand on one account: the appid as its argument or `--appid`, and `--config`. */
  const onAccount = (name: string, description: string) =>
    accounts
      .command(name)
      .description(description)
      .argument('[appid]', 'the AppID (or --appid)')
      .option('--appid <appid>', 'the AppID, as a flag')
      .option('--config <file>', configOption);

  const add = accounts
    .command('add')
    .description('Add an account; running hubs serve it within 5 s')
    .argument('[appid]', 'the AppID: wx and 16 hex digits (or --appid)')
    .option('--appid <appid>', 'the AppID, as a flag')
    .option('--secret-env <name>', secretEnvOption)
    .option('--name <name>', 'a label for the dashboard')
    .option(
      '--kind <kind>',
      'official (an Official Account) or website (a website app: login only)',
      'official',
    )
    .option('--token-mode <mode>', 'stable or classic', 'stable')
    .option(
      '--return-to <url>',
      'where web login may return (an origin, optionally with a path; repeat)',
      collect,
    )
    .option('--disabled', 'store it without serving it (enable it later)')
    .option('--config <file>', configOption);
  withCallbackOptions(add, '--callback-').action(async (given: string | undefined, flags: AddFlags) => {
    const appid = appidOf(given, flags);
    const callback = callbackOf(
      {
        token: flags.callbackToken,
        aesKey: flags.callbackAesKey,
        mode: flags.callbackMode,
        reply: flags.callbackReply,
        replyDeadline: flags.callbackReplyDeadline,
      },
      '--callback-',
    );
    await withAdmin(flags, async (admin) => {
      const secret = await readSecret(flags);
      const record = await admin.add({
        appid,
        secret,
        name: flags.name,
        kind: flags.kind as 'official',
        token_mode: flags.tokenMode as 'stable',
        return_to: flags.returnTo ?? [],
        enabled: !flags.disabled,
        ...(callback ? { callback } : {}),
      });
      const state = record.enabled ? 'running hubs serve it within 5 s' : 'disabled: enable it to serve it';
      const push = callback ? `, pushes at /callback/${record.appid} (${callback.mode ?? 'safe'})` : '';
      process.stdout.write(
        `Added account ${record.appid} (${record.kind}, ${record.tokenMode}${push}); ${state}\n`,
      );
    });
  });

  accounts
    .command('list')
    .description('List accounts, from the configuration file and the database (never a secret)')
    .option('--json', 'one JSON array, for scripts')
    .option('--config <file>', configOption)
    .action(async (flags: ConfigFlag & { json?: boolean }) => {
      await withDatabase(flags, async (database, config) => {
        const box = openingBox(config);
        const rows = [
          ...configRows(config),
          ...(await database.accounts.list()).map((r) => databaseRow(r, box)),
        ];
        if (flags.json) {
          process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
          return;
        }
        if (rows.length === 0) {
          process.stdout.write('no accounts; add one with: wxhub accounts add APPID --secret-env NAME\n');
          return;
        }
        printTable(
          ['APPID', 'SOURCE', 'KIND', 'STATE', 'TOKEN', 'CALLBACK', 'NAME', 'RETURN_TO', 'UPDATED'],
          rows.map((r) => [
            r.appid,
            r.source,
            r.kind,
            r.enabled ? 'enabled' : 'disabled',
            r.token_mode,
            r.callback ?? '-',
            r.name ?? '',
            r.return_to.join(','),
            r.updated_at === undefined ? '' : new Date(r.updated_at).toISOString(),
          ]),
        );
      });
    });

  onAccount('remove', 'Remove a runtime account; running hubs stop serving it within 5 s').action(
    async (given: string | undefined, flags: ConfigFlag) => {
      const appid = appidOf(given, flags);
      await withAdmin(flags, async (admin) => {
        await admin.remove(appid);
        process.stdout.write(`Removed account ${appid}\n`);
      });
    },
  );

  onAccount('set-secret', "Replace a runtime account's AppSecret (after a reset on mp.weixin.qq.com)")
    .option('--secret-env <name>', secretEnvOption)
    .action(async (given: string | undefined, flags: SecretFlags) => {
      const appid = appidOf(given, flags);
      await withAdmin(flags, async (admin) => {
        await admin.setSecret(appid, await readSecret(flags));
        process.stdout.write(`Replaced the AppSecret of ${appid}; running hubs use it within 5 s\n`);
      });
    });

  withCallbackOptions(
    onAccount(
      'set-callback',
      "Set a runtime account's push URL settings (WeChat's 服务器配置); running hubs answer /callback/APPID with them within 5 s",
    ),
    '--',
  ).action(async (given: string | undefined, flags: SetCallbackFlags) => {
    const appid = appidOf(given, flags);
    const callback = callbackOf(flags, '--');
    if (!callback) throw new WxhubError('WXHUB_ERR_INVALID_ARGUMENT', '--token is required');
    await withAdmin(flags, async (admin) => {
      await admin.setCallback(appid, callback);
      process.stdout.write(
        `Set the push URL of ${appid} (${callback.mode ?? 'safe'}); running hubs answer /callback/${appid} within 5 s\n`,
      );
    });
  });

  onAccount(
    'remove-callback',
    "Remove a runtime account's push URL settings: /callback/APPID then refuses WeChat's pushes",
  ).action(async (given: string | undefined, flags: ConfigFlag) => {
    const appid = appidOf(given, flags);
    await withAdmin(flags, async (admin) => {
      await admin.setCallback(appid, null);
      process.stdout.write(
        `Removed the push URL settings of ${appid}; running hubs refuse its pushes within 5 s\n`,
      );
    });
  });

  onAccount(
    'enable',
    'Serve an account again: ends the pause after a configuration error (40164, ...) on every hub, enables a disabled runtime account',
  ).action(async (given: string | undefined, flags: ConfigFlag) => {
    const appid = appidOf(given, flags);
    await withAdmin(flags, async (admin) => {
      const { wasDisabled } = await admin.enable(appid);
      process.stdout.write(
        `Enabled account ${appid}${wasDisabled ? '' : ' (it was not disabled in the database)'}; running hubs retry it within 5 s\n`,
      );
    });
  });

  onAccount('disable', 'Stop serving a runtime account, keeping it stored').action(
    async (given: string | undefined, flags: ConfigFlag) => {
      const appid = appidOf(given, flags);
      await withAdmin(flags, async (admin) => {
        await admin.disable(appid);
        process.stdout.write(`Disabled account ${appid}; running hubs stop serving it within 5 s\n`);
      });
    },
  );
}

/** The push URL options: `--token`, `--aes-key`, … (or, on `add`, `--callback-token`, …). */
function withCallbackOptions(command: Command, prefix: '--' | '--callback-'): Command {
  return command
    .option(
      `${prefix}token <token>`,
      "the push URL's Token (3-32 of [A-Za-z0-9]); env:NAME reads it from the environment",
    )
    .option(
      `${prefix}aes-key <key>`,
      'the EncodingAESKey (43 of [A-Za-z0-9]; compatible and safe mode); env:NAME reads it from the environment',
    )
    .option(`${prefix}mode <mode>`, 'plain, compatible or safe (default: safe)')
    .option(
      `${prefix}reply <subscriber>`,
      'a webhook subscriber that answers the pushes synchronously (its reply goes back to WeChat; a late one as a customer-service message)',
    )
    .option(
      `${prefix}reply-deadline <ms>`,
      'how long WeChat waits for that reply, ms (100-4800, default 4000)',
    );
}

async function withAdmin(flags: ConfigFlag, run: (admin: AccountAdmin) => Promise<void>): Promise<void> {
  await withDatabase(flags, async (database: Database, config: Config) => {
    const configured = new Set(config.accounts.map((a) => a.appid));
    const unsetKey = config.secretsKey === UNSET_ENV;
    const admin = new AccountAdmin({
      database,
      // An unset `env:` secretsKey: no key, and the error names the variable's field.
      secrets: unsetKey ? null : SecretBox.fromConfig(config),
      configAppids: () => configured,
      clock: systemClock,
      // A reply may name a webhook subscriber of the file or one added at run time.
      isWebhookSubscriber: async (name) =>
        config.subscribers.some((s) => s.name === name && 'url' in s) ||
        (await storedSubscribers(database.settings)).some((s) => s.name === name && s.kind === 'webhook'),
      ...(unsetKey && { keyHint: 'secretsKey: its environment variable is not set' }),
    });
    await run(admin);
  });
}

/**
 * The AppSecret from `--secret-env NAME`, else stdin (piped: `pass show wx | wxhub accounts add ...`).
 * A terminal is refused: what is typed there is echoed and kept in scrollback.
 */
async function readSecret(flags: SecretFlags): Promise<string> {
  if (flags.secretEnv !== undefined) {
    const value = process.env[flags.secretEnv];
    if (!value) {
      throw new WxhubError(
        'WXHUB_ERR_INVALID_ARGUMENT',
        `--secret-env: environment variable ${flags.secretEnv} is not set`,
      );
    }
    return value;
  }
  if (process.stdin.isTTY) {
    throw new WxhubError(
      'WXHUB_ERR_INVALID_ARGUMENT',
      'give the AppSecret with --secret-env NAME or on stdin (e.g. `printenv WX_SECRET | wxhub accounts add ...`)',
    );
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > STDIN_LIMIT)
      throw new WxhubError('WXHUB_ERR_INVALID_ARGUMENT', 'stdin: the AppSecret is too long');
    chunks.push(chunk);
  }
  const secret = Buffer.concat(chunks).toString('utf8').trim();
  if (!secret)
    throw new WxhubError('WXHUB_ERR_INVALID_ARGUMENT', 'no AppSecret on stdin (or use --secret-env NAME)');
  return secret;
}

/**
 * The push URL settings given on the command line; undefined when no Token is given (and then no
 * other callback flag may be). `env:NAME` values are read from the environment, as in the
 * configuration file; a value given as is works, with a warning, since the process list and the
 * shell history show it.
 */
function callbackOf(
  flags: {
    token?: string | undefined;
    aesKey?: string | undefined;
    mode?: string | undefined;
    reply?: string | undefined;
    replyDeadline?: string | undefined;
  },
  prefix: '--' | '--callback-',
): CallbackInput | undefined {
  if (flags.token === undefined) {
    const other = [flags.aesKey, flags.mode, flags.reply, flags.replyDeadline].some((f) => f !== undefined);
    if (other)
      throw new WxhubError(
        'WXHUB_ERR_INVALID_ARGUMENT',
        `${prefix}token is required with ${prefix}aes-key, ${prefix}mode and ${prefix}reply`,
      );
    return undefined;
  }
  if (flags.replyDeadline !== undefined && flags.reply === undefined)
    throw new WxhubError('WXHUB_ERR_INVALID_ARGUMENT', `${prefix}reply-deadline needs ${prefix}reply`);
  const token = fromEnv(flags.token, `${prefix}token`);
  const key = flags.aesKey === undefined ? undefined : fromEnv(flags.aesKey, `${prefix}aes-key`);
  return {
    token,
    ...(key !== undefined ? { encodingAESKey: key } : {}),
    ...(flags.mode !== undefined ? { mode: flags.mode as 'safe' } : {}),
    ...(flags.reply !== undefined
      ? {
          reply: {
            subscriber: flags.reply,
            ...(flags.replyDeadline !== undefined ? { deadlineMs: Number(flags.replyDeadline) } : {}),
          },
        }
      : {}),
  };
}

/** `env:NAME` read from the environment; any other value as is, with a warning on stderr. */
function fromEnv(value: string, flag: string): string {
  if (!value.startsWith('env:')) {
    process.stderr.write(
      `warning: ${flag}: a secret given on the command line shows in the process list and the shell history; give env:NAME instead\n`,
    );
    return value;
  }
  const name = value.slice(4);
  const found = process.env[name];
  if (!found)
    throw new WxhubError('WXHUB_ERR_INVALID_ARGUMENT', `${flag}: environment variable ${name} is not set`);
  return found;
}

/** The box that opens stored callback settings for `list` (their mode); null without a usable key. */
function openingBox(config: Config): SecretBox | null {
  if (config.secretsKey === UNSET_ENV) return null;
  try {
    return SecretBox.fromConfig(config);
  } catch {
    return null;
  }
}

interface ListedAccount {
  appid: string;
  source: 'config' | 'database';
  kind: string;
  enabled: boolean;
  token_mode: string;
  name?: string;
  return_to: readonly string[];
  /** The push URL's mode; `set` when stored but not opened here (no secrets key); null: none. */
  callback: 'plain' | 'compatible' | 'safe' | 'set' | null;
  version?: number;
  created_at?: number;
  updated_at?: number;
}

function configRows(config: Config): ListedAccount[] {
  return config.accounts.map((a) => ({
    appid: a.appid,
    source: 'config',
    kind: (a as { kind?: string }).kind ?? 'official',
    enabled: true,
    token_mode: a.tokenMode,
    ...(a.name !== undefined ? { name: a.name } : {}),
    return_to: a.oauth.returnTo,
    callback: a.callback?.mode ?? null,
  }));
}

function databaseRow(r: AccountRecord, box: SecretBox | null): ListedAccount {
  let callback: ListedAccount['callback'] = r.sealedCallback ? 'set' : null;
  if (r.sealedCallback && box) {
    try {
      callback = box.openCallback(r.appid, r.sealedCallback).mode;
    } catch {
      // Sealed with another key: shown as set, as without a key.
    }
  }
  return {
    appid: r.appid,
    source: 'database',
    kind: r.kind,
    enabled: r.enabled,
    token_mode: r.tokenMode,
    ...(r.name !== null ? { name: r.name } : {}),
    return_to: r.returnTo,
    callback,
    version: r.version,
    created_at: r.createdAt,
    updated_at: r.updatedAt,
  };
}

/** The appid given as the argument or as `--appid` (as `wxhub keys create` takes it). */
function appidOf(argument: string | undefined, flags: ConfigFlag): string {
  if (argument !== undefined && flags.appid !== undefined && argument !== flags.appid)
    throw new WxhubError('WXHUB_ERR_INVALID_ARGUMENT', 'give the appid once: as the argument or as --appid');
  const appid = argument ?? flags.appid;
  if (appid === undefined)
    throw new WxhubError('WXHUB_ERR_INVALID_ARGUMENT', 'missing appid (wxhub accounts ... APPID)');
  return appid;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
