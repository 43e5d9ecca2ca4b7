import { randomBytes } from 'node:crypto';
import { spawnCli } from '../../hub/support/run-cli.js';

export interface SimProcess {
  readonly url: string;
  /** The control plane (`/__sim/*`), JSON in and out; throws on a status of 300 or more. */
  control<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T>;
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
  const control = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(url + path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`sim ${method} ${path}: HTTP ${res.status} ${text}`);
    return (text ? JSON.parse(text) : {}) as T;
  };
  return {
    url,
    control,
    async account(config = {}) {
      const appid = `wx${randomBytes(8).toString('hex')}`;
      const secret = randomBytes(16).toString('hex');
      await control('POST', '/__sim/accounts', { appid, secret, ...config });
      return { appid, secret };
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
