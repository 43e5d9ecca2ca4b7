import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { createHub, type Hub } from '../../src/hub/index.js';
import { runCli } from '../hub/support/run-cli.js';
import { filesContain } from './support/files-contain.js';

const CONFIG_APPID = 'wx00000000000000c0';
const A = `wx${randomBytes(8).toString('hex')}`;
const B = `wx${randomBytes(8).toString('hex')}`;
const SECRET_A = randomBytes(16).toString('hex');
const SECRET_B = randomBytes(16).toString('hex');

describe('wxhub accounts', () => {
  let dir: string;
  let config: string;
  let hub: Hub;
  const env = { TEST_SECRETS_KEY: randomBytes(32).toString('base64'), WX_SECRET_A: SECRET_A };
  const cli = (args: string[], input?: string, extra: NodeJS.ProcessEnv = {}) =>
    runCli(['accounts', ...args, '--config', config], dir, { ...env, ...extra }, input);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wxhub-accounts-cli-'));
    config = join(dir, 'hub.json');
    writeFileSync(
      config,
      JSON.stringify({
        store: 'memory:',
        database: `sqlite:${join(dir, 'hub.db')}`,
        secretsKey: 'env:TEST_SECRETS_KEY',
        wechat: { apiBase: 'http://127.0.0.1:9', openBase: 'http://127.0.0.1:9' },
        accounts: [{ appid: CONFIG_APPID, secret: 'env:WX_SECRET_A' }],
        // A webhook subscriber a runtime account's reply may name (nothing is pushed here).
        subscribers: [{ name: 'bot', url: 'http://127.0.0.1:9/hook', secret: `whsec_${'A'.repeat(32)}` }],
      }),
    );
    hub = await createHub({
      config: loadConfig(config, env),
      cwd: dir,
      logger: pino({ level: process.env.DEBUG_ACCOUNTS ? 'debug' : 'silent' }),
      proactiveRefresh: false,
      accountPollMs: 100,
    });
  });
  afterAll(async () => {
    await hub?.close();
  });

  it('adds from --secret-env and from stdin, never printing the secret; a running hub serves both', async () => {
    const fromEnv = await cli([
      'add',
      A,
      '--secret-env',
      'WX_SECRET_A',
      '--name',
      'Shop',
      '--return-to',
      'https://shop.example.com',
    ]);
    expect(fromEnv.code, fromEnv.stderr).toBe(0);
    expect(fromEnv.stdout).toContain(`Added account ${A}`);
    const fromStdin = await cli(['add', B, '--token-mode', 'classic'], `${SECRET_B}\n`);
    expect(fromStdin.code, fromStdin.stderr).toBe(0);
    for (const out of [fromEnv, fromStdin]) {
      expect(out.stdout + out.stderr).not.toContain(SECRET_A);
      expect(out.stdout + out.stderr).not.toContain(SECRET_B);
    }
    const start = Date.now();
    while (!(hub.manager.hasAccount(A) && hub.manager.hasAccount(B)) && Date.now() - start < 5000) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(hub.services.accounts.get(A)?.secret).toBe(SECRET_A);
    expect(hub.services.accounts.get(B)?.secret).toBe(SECRET_B);
    expect(hub.services.accounts.get(B)?.tokenMode).toBe('classic');
    expect(filesContain(dir, B)).toBe(true);
    expect(filesContain(dir, SECRET_B)).toBe(false);
  });

  it('lists config-file and runtime accounts, never a secret', async () => {
    const table = await cli(['list']);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(new RegExp(`${CONFIG_APPID}\\s+config`));
    expect(table.stdout).toMatch(
      new RegExp(`${A}\\s+database\\s+official\\s+enabled\\s+stable\\s+-\\s+Shop`),
    );
    const json = await cli(['list', '--json']);
    const rows = JSON.parse(json.stdout) as { appid: string; source: string }[];
    expect(rows.map((r) => r.appid)).toEqual(expect.arrayContaining([CONFIG_APPID, A, B]));
    for (const out of [table.stdout, json.stdout]) {
      expect(out).not.toContain(SECRET_A);
      expect(out).not.toContain(SECRET_B);
      expect(out).not.toContain('sealed');
    }
  });

  it('wxhub keys create knows runtime accounts as configured', async () => {
    const key = await runCli(
      ['keys', 'create', '--name', 'shop', '--appid', A, '--scope', 'token', '--config', config],
      dir,
      env,
    );
    expect(key.code, key.stderr).toBe(0);
    expect(key.stderr).not.toContain('not configured');
  });

  it('refuses bad input with one line and exit 2, a duplicate with exit 1', async () => {
    const bad = await cli(['add', 'wx123', '--secret-env', 'WX_SECRET_A']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toContain('appid');
    const unset = await cli([
      'add',
      `wx${randomBytes(8).toString('hex')}`,
      '--secret-env',
      'NOT_SET_ANYWHERE',
    ]);
    expect(unset.code).toBe(2);
    expect(unset.stderr).toContain('NOT_SET_ANYWHERE');
    const empty = await cli(['add', `wx${randomBytes(8).toString('hex')}`], '\n');
    expect(empty.code).toBe(2);
    const dup = await cli(['add', A, '--secret-env', 'WX_SECRET_A']);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toContain('already exists');
    const configured = await cli(['remove', CONFIG_APPID]);
    expect(configured.code).toBe(2);
    expect(configured.stderr).toContain('configuration file');
    const unknown = await cli(['remove', 'wx00000000000000ff']);
    expect(unknown.code).toBe(1);
  });

  it('without the secrets key, add says which variable to set', async () => {
    /** `accounts add` of a new appid with secret A, on the configuration `file`. */
    const addWith = (file: string) =>
      runCli(
        [
          'accounts',
          'add',
          `wx${randomBytes(8).toString('hex')}`,
          '--secret-env',
          'WX_SECRET_A',
          '--config',
          file,
        ],
        dir,
        { WX_SECRET_A: SECRET_A },
      );
    const keyless = join(dir, 'keyless.json');
    writeFileSync(keyless, JSON.stringify({ database: `sqlite:${join(dir, 'hub.db')}` }));
    const res = await addWith(keyless);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('WXHUB_SECRET_KEY');
    expect(res.stderr).not.toContain(SECRET_A);

    // secretsKey from a variable unset in this shell: keys still work, adding says which field.
    const unsetKey = join(dir, 'unset-key.json');
    writeFileSync(
      unsetKey,
      JSON.stringify({ database: `sqlite:${join(dir, 'hub.db')}`, secretsKey: 'env:UNSET_KEY' }),
    );
    const keys = await runCli(['keys', 'list', '--config', unsetKey], dir);
    expect(keys.code, keys.stderr).toBe(0);
    const add = await addWith(unsetKey);
    expect(add.code).toBe(1);
    expect(add.stderr).toContain('secretsKey: its environment variable is not set');
  });

  it('add --callback-*, set-callback and remove-callback reach the running hub, never printing the Token or key', async () => {
    const C = `wx${randomBytes(8).toString('hex')}`;
    const token = `Tok${randomBytes(6).toString('hex')}`;
    const key = randomBytes(32).toString('base64url').replace(/[-_]/g, 'x').slice(0, 43);
    const secrets = { WX_CB_TOKEN: token, WX_CB_KEY: key };
    const settle = async (check: () => boolean) => {
      const start = Date.now();
      while (!check() && Date.now() - start < 5000) await new Promise((r) => setTimeout(r, 50));
      expect(check()).toBe(true);
    };
    const added = await cli(
      [
        'add',
        C,
        '--secret-env',
        'WX_SECRET_A',
        '--callback-token',
        'env:WX_CB_TOKEN',
        '--callback-aes-key',
        'env:WX_CB_KEY',
      ],
      undefined,
      secrets,
    );
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toContain(`pushes at /callback/${C} (safe)`);
    await settle(() => hub.services.accounts.get(C)?.callback?.token === token);
    expect(hub.services.accounts.get(C)?.callback).toEqual({ token, encodingAESKey: key, mode: 'safe' });

    const plain = await cli(['set-callback', C, '--token', 'PlainToken9', '--mode', 'plain']);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stderr).toContain('env:NAME'); // given as is: warned
    await settle(() => hub.services.accounts.get(C)?.callback?.mode === 'plain');
    const listed = await cli(['list']);
    expect(listed.stdout).toMatch(new RegExp(`${C}\\s+database\\s+official\\s+enabled\\s+stable\\s+plain`));

    // A reply subscriber must be one of the hub's webhook subscribers.
    const replyTo = (name: string, ...more: string[]) =>
      cli(
        ['set-callback', C, '--token', 'env:WX_CB_TOKEN', '--mode', 'plain', '--reply', name, ...more],
        undefined,
        secrets,
      );
    const nobody = await replyTo('nobody');
    expect(nobody.code).toBe(2);
    expect(nobody.stderr).toContain('callback.reply.subscriber: no webhook subscriber named nobody');
    const bot = await replyTo('bot', '--reply-deadline', '3000');
    expect(bot.code, bot.stderr).toBe(0);
    await settle(() => hub.services.accounts.get(C)?.callback?.reply !== undefined);
    expect(hub.services.accounts.get(C)?.callback?.reply).toEqual({
      subscriber: 'bot',
      deadlineMs: 3000,
      lateReplyMs: 60_000,
    });
    // Or one added at run time (the CLI reads the database's list).
    await hub.services.gateway.subscribers.add({
      name: 'rtbot',
      url: 'http://127.0.0.1:9/rt',
      secret: `whsec_${'B'.repeat(32)}`,
      filter: {},
    });
    const runtimeBot = await replyTo('rtbot');
    expect(runtimeBot.code, runtimeBot.stderr).toBe(0);
    await settle(() => hub.services.accounts.get(C)?.callback?.reply?.subscriber === 'rtbot');

    const bad = await cli(
      ['set-callback', C, '--token', 'env:WX_CB_TOKEN', '--mode', 'safe'],
      undefined,
      secrets,
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('encodingAESKey: is required in safe mode');

    const removed = await cli(['remove-callback', C]);
    expect(removed.code, removed.stderr).toBe(0);
    await settle(() => hub.services.accounts.get(C)?.callback === undefined);
    for (const out of [added, plain, listed, nobody, bot, runtimeBot, bad, removed]) {
      expect(out.stdout + out.stderr).not.toContain(token);
      expect(out.stdout + out.stderr).not.toContain(key);
      expect(out.stdout + out.stderr).not.toContain('PlainToken9');
    }
    expect(filesContain(dir, token)).toBe(false);
  });

  it('set-secret, disable, enable and remove reach the running hub', async () => {
    const newSecret = randomBytes(16).toString('hex');
    const set = await cli(['set-secret', B], newSecret);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).not.toContain(newSecret);
    const until = async (check: () => boolean) => {
      const start = Date.now();
      while (!check() && Date.now() - start < 5000) await new Promise((r) => setTimeout(r, 50));
      expect(check()).toBe(true);
    };
    await until(() => hub.services.accounts.get(B)?.secret === newSecret);
    expect((await cli(['disable', '--appid', B])).code).toBe(0);
    await until(() => !hub.manager.hasAccount(B));
    const enabled = await cli(['enable', B]);
    expect(enabled.code, enabled.stderr).toBe(0);
    await until(() => hub.manager.hasAccount(B));
    const configEnabled = await cli(['enable', CONFIG_APPID]);
    expect(configEnabled.code, configEnabled.stderr).toBe(0);
    expect((await cli(['remove', B])).code).toBe(0);
    await until(() => !hub.services.accounts.has(B));
  });
});
