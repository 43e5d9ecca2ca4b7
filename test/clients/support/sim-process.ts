import { randomBytes } from 'node:crypto';
import { spawnCli } from '../../hub/support/run-cli.js';
import { SimControl } from '../../hub/support/sim-control.js';

export interface SimProcess {
  readonly url: string;
  /** Its control plane (`/__sim/*`). */
  readonly control: SimControl;
  /** A new account with a random appid and secret. */
  account(config?: Record<string, unknown>): Promise<{ appid: string; secret: string }>;
  stop(): Promise<void>;
}

/** `wxhub sim --port 0` in its own process (from source), once its banner names the URL. */
export async function startSimProcess(): Promise<SimProcess> {
  const child = spawnCli(['sim', '--port', '0'], process.cwd());
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stdout = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const match = /listening on (http:\/\/[^\s]+)/.exec(stdout);
      if (match) resolve(match[1]!.replace(/\/+$/, ''));
    });
    void exited.then(() => reject(new Error(`wxhub sim exited: ${stdout}`)));
  });
  const control = new SimControl(url);
  return {
    url,
    control,
    async account(config = {}) {
      const account = {
        appid: `wx${randomBytes(8).toString('hex')}`,
        secret: randomBytes(16).toString('hex'),
      };
      await control.account({ ...account, ...config });
      return account;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
