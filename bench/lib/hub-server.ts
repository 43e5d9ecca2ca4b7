import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDatabase, type Scope } from '../../src/db/index.js';
import { ClientKeys } from '../../src/hub/index.js';
import type { ChildServer } from './child-server.js';

const HUB_CLI = fileURLToPath(new URL('./hub-cli.ts', import.meta.url));
/**
 * tsx by path: the hub runs in its own directory, where `--import tsx` would not resolve. Its ES
 * module hooks only (`tsx/esm`): its CommonJS hook breaks `require('generator-function')` (koa,
 * under oidc-provider, which a hub with OpenID Connect clients loads).
 */
const TSX = new URL('../../node_modules/tsx/dist/esm/index.mjs', import.meta.url).href;

export interface HubServerOptions {
  /** WeChat (the simulator) for `wechat.apiBase` and `openBase`. */
  readonly simUrl: string;
  readonly appid: string;
  readonly secret: string;
  /** `logging.level`. Default `info`, the hub's default. */
  readonly logLevel?: string;
  /** Scopes of the client key made for the run. */
  readonly scopes: Scope[];
  /** More fields of `appid`'s own entry (e.g. its `oauth` block). */
  readonly account?: Record<string, unknown>;
  /** More accounts' entries, after the one of `appid`. */
  readonly moreAccounts?: readonly Record<string, unknown>[];
  /** `callback` blocks by appid, added to those accounts' entries. */
  readonly callbacks?: Readonly<Record<string, Record<string, unknown>>>;
  /** Top-level configuration over the defaults above (e.g. `subscribers`, `gateway`). */
  readonly config?: Record<string, unknown>;
  /** Environment of the hub, for the configuration's `env:` references. */
  readonly env?: NodeJS.ProcessEnv;
  /** The port to listen on, when the configuration must know it first (`publicUrl`). Default: any. */
  readonly port?: number;
}

export interface HubServer extends ChildServer {
  /** A client key for the account, with a rate limit no load reaches (the bucket is still taken). */
  readonly key: string;
}

/**
 * `wxhub serve` from source in its own process and directory, as an operator runs it: a
 * configuration file (SQLite store and database, the secret as `env:`), a client key made
 * beforehand, logs on stderr (sent to /dev/null; `BENCH_HUB_STDERR=1` shows them, and stdout).
 * `BENCH_HUB_NODE_ARGS` adds node flags to the hub alone, e.g. `--cpu-prof --cpu-prof-dir=/tmp/p`.
 */
export async function startHubServer(options: HubServerOptions): Promise<HubServer> {
  const dir = mkdtempSync(join(tmpdir(), 'wxhub-bench-hub-'));
  const configFile = join(dir, 'wxhub.config.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      store: 'sqlite:hub.db',
      database: 'sqlite:hub.db',
      wechat: { apiBase: options.simUrl, openBase: options.simUrl },
      accounts: [
        { appid: options.appid, secret: 'env:BENCH_WX_SECRET', tokenMode: 'classic', ...options.account },
        ...(options.moreAccounts ?? []),
      ].map((account) => {
        const callback = options.callbacks?.[String(account.appid)];
        return callback ? { ...account, callback } : account;
      }),
      logging: { level: options.logLevel ?? 'info' },
      ...options.config,
    }),
  );
  const database = openDatabase('sqlite:hub.db', { cwd: dir });
  const { key } = await new ClientKeys(database).create({
    name: 'bench',
    appids: [options.appid],
    scopes: options.scopes,
    rateLimit: { perSecond: 100_000_000, burst: 100_000_000 },
  });
  await database.close();

  const child = spawn(
    process.execPath,
    [
      ...nodeArgs(),
      '--import',
      TSX,
      HUB_CLI,
      'serve',
      '--config',
      configFile,
      '--port',
      String(options.port ?? 0),
    ],
    {
      cwd: dir,
      env: { ...process.env, ...options.env, BENCH_WX_SECRET: options.secret },
      stdio: ['ignore', 'pipe', process.env.BENCH_HUB_STDERR ? 'inherit' : 'ignore'],
    },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('wxhub serve did not start in 30 s')), 30_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      if (process.env.BENCH_HUB_STDERR) process.stderr.write(chunk);
      out += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`wxhub serve exited with ${code}: ${out}`));
    });
  });
  return {
    url,
    child,
    key,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function nodeArgs(): string[] {
  return (process.env.BENCH_HUB_NODE_ARGS ?? '').split(' ').filter(Boolean);
}
