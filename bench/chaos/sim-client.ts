import { createHash } from 'node:crypto';
import { request } from 'undici';
import type { SimLedger } from './ledger.js';

/** A fault as `GET /__sim/faults` lists it. */
export interface ListedFault {
  readonly id: string;
  readonly path?: string;
  readonly appid?: string;
  readonly rate: number;
  readonly hits: number;
  readonly [field: string]: unknown;
}

/**
 * The harness's side of the simulator: its control plane (docs/simulator.md), the chaos ledger
 * (bench/chaos/sim-process.ts), and the "rogue" fetcher: a process that calls WeChat's token
 * endpoints directly with the real secret, as a forgotten cron job or a second SDK would.
 */
export class SimClient {
  constructor(readonly url: string) {}

  async control<T = Record<string, unknown>>(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    body?: unknown,
  ) {
    const res = await request(`${this.url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.body.text();
    if (res.statusCode >= 300) throw new Error(`sim ${method} ${path}: HTTP ${res.statusCode} ${text}`);
    return (text ? JSON.parse(text) : {}) as T;
  }

  /** Virtual now and the offset (ms) every process adds to its real clock to see it. */
  async clock(): Promise<{ now: number; offsetMs: number }> {
    const c = await this.control<{ now: number; offsetSeconds: number }>('GET', '/__sim/clock');
    return { now: c.now, offsetMs: Math.round(c.offsetSeconds * 1000) };
  }

  async advance(seconds: number): Promise<{ now: number; offsetMs: number }> {
    const c = await this.control<{ now: number; offsetSeconds: number }>('POST', '/__sim/clock', {
      advanceSeconds: seconds,
    });
    return { now: c.now, offsetMs: Math.round(c.offsetSeconds * 1000) };
  }

  async fault(spec: Record<string, unknown>): Promise<string> {
    return (await this.control<{ id: string }>('POST', '/__sim/faults', spec)).id;
  }

  async faults(): Promise<ListedFault[]> {
    return (await this.control<{ faults: ListedFault[] }>('GET', '/__sim/faults')).faults;
  }

  async clearFaults(): Promise<void> {
    await this.control('DELETE', '/__sim/faults');
  }

  ledger(): Promise<SimLedger> {
    return this.control<SimLedger>('GET', '/__chaos/ledger');
  }

  /**
   * The rogue: a real `/cgi-bin/token` fetch with the secret, retried through injected faults until
   * WeChat hands out a token. Resolves the token's hash (as the ledger shows it).
   */
  rogueClassicFetch(appid: string, secret: string): Promise<string> {
    const query = new URLSearchParams({ grant_type: 'client_credential', appid, secret });
    return this.#rogue(() => ({ path: `/cgi-bin/token?${query}`, method: 'GET' }));
  }

  /** The rogue's `force_refresh` of the stable token: kills every holder's stable token at once. */
  rogueStableForce(appid: string, secret: string): Promise<string> {
    return this.#rogue(() => ({
      path: '/cgi-bin/stable_token',
      method: 'POST',
      body: JSON.stringify({ grant_type: 'client_credential', appid, secret, force_refresh: true }),
    }));
  }

  async #rogue(make: () => { path: string; method: 'GET' | 'POST'; body?: string }): Promise<string> {
    let last = '';
    for (let attempt = 0; attempt < 30; attempt++) {
      const { path, method, body } = make();
      try {
        const res = await request(`${this.url}${path}`, {
          method,
          body,
          headers: body ? { 'content-type': 'application/json' } : {},
          headersTimeout: 2000,
          bodyTimeout: 2000,
        });
        const text = await res.body.text();
        const token = (JSON.parse(text) as { access_token?: unknown }).access_token;
        if (typeof token === 'string') return createHash('sha256').update(token).digest('hex').slice(0, 16);
        last = text;
      } catch (err) {
        last = String(err);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`rogue fetch kept failing: ${last.slice(0, 200)}`);
  }
}
