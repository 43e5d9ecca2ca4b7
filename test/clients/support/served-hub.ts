import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type HubProcess, startServe } from '../../fleet/support/processes.js';
import { runCli } from '../../hub/support/run-cli.js';

export interface ServedHub {
  readonly hub: HubProcess;
  readonly dir: string;
  readonly configFile: string;
  /** `wxhub keys create` against the hub's configuration (more flags in `extra`): the key from the last line. */
  key(appid: string, scopes: string, extra?: string[]): Promise<string>;
  close(): Promise<void>;
}

/**
 * A real `wxhub serve` process (from source) with its configuration file in a temporary
 * directory: SQLite store and database, WeChat at `simUrl`, each account's secret given as
 * `env:` as operators are told to.
 */
export async function startServedHub(
  simUrl: string,
  accounts: { appid: string; secret: string }[],
  extra: Record<string, unknown> = {},
): Promise<ServedHub> {
  const dir = mkdtempSync(join(tmpdir(), 'wxhub-clients-'));
  const configFile = join(dir, 'wxhub.config.json');
  const env: Record<string, string> = {};
  writeFileSync(
    configFile,
    JSON.stringify({
      store: 'sqlite:.wxhub/wxhub.db',
      database: 'sqlite:.wxhub/wxhub.db',
      wechat: { apiBase: simUrl, openBase: simUrl },
      accounts: accounts.map(({ appid, secret }, i) => {
        env[`WX_SECRET_${i}`] = secret;
        return { appid, secret: `env:WX_SECRET_${i}`, tokenMode: 'classic' };
      }),
      logging: { level: 'warn' },
      ...extra,
    }),
  );
  const hub = await startServe(['--config', configFile], dir, env);
  return {
    hub,
    dir,
    configFile,
    key: async (appid, scopes, extra = []) => {
      const res = await runCli(
        [
          'keys',
          'create',
          '--name',
          'client test',
          '--appid',
          appid,
          '--scope',
          scopes,
          '--config',
          configFile,
          ...extra,
        ],
        dir,
      );
      if (res.code !== 0) throw new Error(`keys create: ${res.stderr}`);
      return res.stdout.trimEnd().split('\n').at(-1)!;
    },
    close: () => hub.stop(),
  };
}
