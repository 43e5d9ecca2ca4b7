import { MemoryStore } from '../../../src/store/memory-store.js';
import type { Store } from '../../../src/store/store.js';
import type { AccountSpec } from '../../../src/tokens/account.js';
import { TokenManager, type TokenManagerOptions } from '../../../src/tokens/token-manager.js';
import { ManualClock } from '../../../src/util/clock.js';
import { FakeWeChat } from './fake-wechat.js';

export interface VirtualSetup {
  /** Default: one classic account, `wxvirtual00000001`. */
  readonly accounts?: readonly AccountSpec[];
  /** How far each WeChat call moves the clock, ms. */
  readonly latencyMs?: number;
  /** The store the manager sees, built on the shared one (to hook some of its methods). */
  readonly view?: (shared: MemoryStore) => Store;
  readonly options?: Partial<TokenManagerOptions>;
}

export const VIRTUAL_APPID = 'wxvirtual00000001';

/**
 * A TokenManager on a virtual clock, against an in-process WeChat (FakeWeChat) and a MemoryStore
 * that other "processes" of the test may write to; no retries unless `options` asks. Close it
 * (and the fake) through `closeAll`.
 */
export function virtualManager(setup: VirtualSetup = {}) {
  const clock = new ManualClock();
  const wechat = new FakeWeChat(clock, setup.latencyMs ?? 0);
  const shared = new MemoryStore({ clock });
  const m = new TokenManager({
    store: setup.view ? setup.view(shared) : shared,
    accounts: setup.accounts ?? [{ appid: VIRTUAL_APPID, secret: 'virtual-secret', tokenMode: 'classic' }],
    http: wechat,
    clock,
    retryStrategy: () => null,
    ...setup.options,
  });
  opened.push(m, wechat);
  return { clock, wechat, shared, m };
}

const opened: { close(): Promise<void> }[] = [];

/** Closes every manager and fake opened so far (for afterEach). */
export async function closeAll(): Promise<void> {
  await Promise.all(opened.splice(0).map((o) => o.close()));
}
