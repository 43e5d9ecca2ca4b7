import { randomBytes } from 'node:crypto';
import { type SimFixture, startSimulator } from '../../src/sim/index.js';
import type { Clock } from '../../src/util/clock.js';

export interface SimStats {
  calls: Record<string, number>;
  byAppid: Record<string, Record<string, number>>;
  errors: Record<string, number>;
}

/**
 * A simulator on a random loopback port for one test file, driven through its public control
 * plane (the same HTTP API any user of `wxhub sim` has), with a clock that follows its virtual one.
 */
export async function startTestSim(fixture: SimFixture | null = null) {
  const sim = await startSimulator({ port: 0, host: '127.0.0.1', fixture });
  const url = sim.url.replace(/\/+$/, '');
  let offset = 0;

  async function control<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<T> {
    const res = await fetch(url + path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`sim ${method} ${path}: HTTP ${res.status} ${text}`);
    return (text ? JSON.parse(text) : {}) as T;
  }

  /** Follows the simulator's virtual clock (real time plus the offset its control plane reports). */
  const clock: Clock = { now: () => Date.now() + offset };

  async function syncClock(): Promise<void> {
    const { now } = await control<{ now: number }>('GET', '/__sim/clock');
    offset = now - Date.now();
  }
  await syncClock();

  return {
    url,
    clock,
    close: () => sim.close(),
    control,
    /** A new account with a random appid and secret. */
    async account(config: Record<string, unknown> = {}) {
      const appid = `wx${randomBytes(8).toString('hex')}`;
      const secret = randomBytes(16).toString('hex');
      await control('POST', '/__sim/accounts', { appid, secret, ...config });
      return { appid, secret };
    },
    async user(appid: string, input: Record<string, unknown> = {}) {
      return control<{ openid: string; unionid?: string }>('POST', `/__sim/accounts/${appid}/users`, input);
    },
    async advance(seconds: number): Promise<void> {
      const { now } = await control<{ now: number }>('POST', '/__sim/clock', { advanceSeconds: seconds });
      offset = now - Date.now();
    },
    invalidate: (appid: string, immediate = false) =>
      control('POST', `/__sim/accounts/${appid}/invalidate-tokens`, { immediate }),
    fault: (fault: Record<string, unknown>) => control<{ id: string }>('POST', '/__sim/faults', fault),
    clearFaults: () => control('DELETE', '/__sim/faults'),
    stats: () => control<SimStats>('GET', '/__sim/stats'),
    /** Calls of one path for one appid so far. */
    async calls(appid: string, path: string): Promise<number> {
      return (await control<SimStats>('GET', '/__sim/stats')).byAppid[appid]?.[path] ?? 0;
    },
  };
}

export type TestSim = Awaited<ReturnType<typeof startTestSim>>;
