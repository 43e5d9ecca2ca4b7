import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { type ChildServer, startChildServer } from './child-server.js';

const SIM_SERVER = fileURLToPath(new URL('./sim-server.ts', import.meta.url));

/** `GET /__sim/stats`. */
export interface SimStats {
  readonly calls: Readonly<Record<string, number>>;
  readonly byAppid: Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly errors: Readonly<Record<string, number>>;
}

/** `GET|POST /__sim/clock`. */
export interface SimClock {
  readonly now: number;
  readonly offsetSeconds: number;
}

/** A typed client of the simulator's control plane (docs/simulator.md). */
export class SimControl {
  constructor(readonly url: string) {}

  async createAccount(account: Record<string, unknown>): Promise<void> {
    await this.#send('POST', '/__sim/accounts', account, 201);
  }

  async addUser(appid: string, user: Record<string, unknown>): Promise<{ openid: string }> {
    return (await this.#send('POST', `/__sim/accounts/${appid}/users`, user, 201)) as { openid: string };
  }

  async advanceClock(seconds: number): Promise<SimClock> {
    return (await this.#send('POST', '/__sim/clock', { advanceSeconds: seconds }, 200)) as SimClock;
  }

  async clock(): Promise<SimClock> {
    return (await this.#send('GET', '/__sim/clock', undefined, 200)) as SimClock;
  }

  async stats(): Promise<SimStats> {
    return (await this.#send('GET', '/__sim/stats', undefined, 200)) as SimStats;
  }

  async #send(method: 'GET' | 'POST', path: string, body: unknown, expected: number): Promise<unknown> {
    const res = await request(`${this.url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.body.text();
    if (res.statusCode !== expected) throw new Error(`${method} ${path}: HTTP ${res.statusCode} ${text}`);
    return JSON.parse(text);
  }
}

/** Upstream calls of one path for one appid in a stats snapshot. */
export function callsOf(stats: SimStats, appid: string, path: string): number {
  return stats.byAppid[appid]?.[path] ?? 0;
}

/** errors(after) − errors(before), by errcode, zero entries dropped. */
export function errorsBetween(before: SimStats, after: SimStats): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [code, n] of Object.entries(after.errors)) {
    const d = n - (before.errors[code] ?? 0);
    if (d) out[code] = d;
  }
  return out;
}

/** Starts bench/lib/sim-server.ts in a child process: the simulator never shares a core's loop with the load. */
export async function startSimChild(): Promise<{ server: ChildServer; control: SimControl }> {
  const server = await startChildServer([SIM_SERVER]);
  return { server, control: new SimControl(server.url) };
}
