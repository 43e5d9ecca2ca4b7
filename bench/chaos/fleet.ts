import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import type { AccountStatus } from '../../src/tokens/index.js';
import { ChaosChild } from './child.js';

const HUB_PROCESS = fileURLToPath(new URL('./hub-process.ts', import.meta.url));

/** A hub's `status` reply: its virtual now and each account's token state. */
export interface HubStatus {
  readonly now: number;
  readonly accounts: Readonly<Record<string, AccountStatus>>;
  /** Refresh leases (`lease:token:APPID`) this hub holds: it is fetching that token. */
  readonly leases: readonly string[];
}

/** A refresh event a hub reported (src/tokens RefreshEvent plus who and when). */
export interface HubRefreshEvent {
  readonly hub: string;
  readonly at: number;
  readonly appid: string;
  readonly kind: string;
  readonly reason: string;
  readonly outcome: 'fetched' | 'failed';
  readonly errcode?: number;
  readonly error?: string;
}

/**
 * One hub of the fleet across its lives: started, SIGKILLed, started again on the same port (so
 * the load balancer's list stays valid), its logs appended to one file.
 */
export class HubSlot {
  #child: ChaosChild | undefined;
  starts = 0;

  constructor(
    readonly name: string,
    readonly port: number,
    private readonly env: Record<string, string>,
    private readonly logDir: string,
    private readonly onRefresh: (event: HubRefreshEvent) => void,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get alive(): boolean {
    return this.#child?.alive === true;
  }

  /** Starts the process with the virtual clock offset of now; resolves once it listens. */
  async start(offsetMs: number): Promise<void> {
    const child = new ChaosChild(
      HUB_PROCESS,
      { ...this.env, CHAOS_CLOCK_OFFSET: String(offsetMs), CHAOS_HUB_NAME: this.name },
      join(this.logDir, `${this.name}.log`),
    );
    this.#child = child;
    child.onEvent((event) => {
      if (event.event === 'refresh') this.onRefresh(event as unknown as HubRefreshEvent);
    });
    await child.ready(60_000);
    this.starts++;
  }

  async kill(): Promise<void> {
    await this.#child?.kill();
  }

  async stop(): Promise<void> {
    await this.#child?.stop();
  }

  command<T = Record<string, unknown>>(cmd: Record<string, unknown>, timeoutMs?: number): Promise<T> {
    if (!this.#child) throw new Error(`${this.name} was never started`);
    return this.#child.command<T>(cmd, timeoutMs);
  }

  status(): Promise<HubStatus> {
    return this.command<HubStatus>({ cmd: 'status' }, 10_000);
  }

  /** True when its `/readyz` answers 200 (store and database reachable). */
  async ready(): Promise<boolean> {
    if (!this.alive) return true;
    const res = await request(`${this.url}/readyz`, { headersTimeout: 3000, bodyTimeout: 3000 });
    await res.body.dump();
    return res.statusCode === 200;
  }

  async setClock(offsetMs: number): Promise<void> {
    if (this.alive) await this.command({ cmd: 'clock', offset: offsetMs }, 10_000).catch(() => undefined);
  }
}
