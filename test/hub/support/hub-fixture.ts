import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import pino from 'pino';
import type { ConfigInput } from '../../../src/config/index.js';
import type { Database, RateLimit, Scope } from '../../../src/db/index.js';
import { createHub, type Hub } from '../../../src/hub/index.js';
import type { Store } from '../../../src/store/store.js';
import { ManualClock } from '../../../src/util/clock.js';
import { FakeWeChat } from './fake-wechat.js';

export const APP_A = 'wxaaaaaaaaaaaaaaa1';
export const APP_B = 'wxbbbbbbbbbbbbbbb2';
export const APP_C = 'wxccccccccccccccc3';
export const SECRET_A = `sa${randomBytes(15).toString('hex')}`;
export const SECRET_B = `sb${randomBytes(15).toString('hex')}`;
export const SECRET_C = `sc${randomBytes(15).toString('hex')}`;

/** Collects pino's output of a hub, to assert what was (and was not) logged. */
export class LogCapture {
  readonly lines: string[] = [];
  readonly logger = pino(
    { level: 'trace' },
    new Writable({
      write: (chunk: Buffer, _enc, done) => {
        this.lines.push(chunk.toString('utf8'));
        done();
      },
    }),
  );
  text(): string {
    return this.lines.join('');
  }
}

export interface TestHubOptions {
  readonly config?: Partial<ConfigInput>;
  readonly accounts?: NonNullable<ConfigInput['accounts']>;
  readonly clock?: ManualClock;
  readonly logger?: pino.Logger;
  readonly store?: Store;
  readonly database?: Database;
  readonly fake?: FakeWeChat;
}

export interface TestHub {
  readonly hub: Hub;
  readonly fake: FakeWeChat;
  readonly clock: ManualClock;
  key(scopes: Scope[], appids?: string[], rateLimit?: RateLimit): Promise<string>;
  close(): Promise<void>;
}

/**
 * A hub on memory store and database, talking to a FakeWeChat on 127.0.0.1, with a manual clock
 * and no proactive refresh: every upstream call in a test is one the test caused.
 */
export async function testHub(options: TestHubOptions = {}): Promise<TestHub> {
  const ownsFake = !options.fake;
  const fake =
    options.fake ?? (await FakeWeChat.start({ [APP_A]: SECRET_A, [APP_B]: SECRET_B, [APP_C]: SECRET_C }));
  const clock = options.clock ?? new ManualClock(Date.now());
  const hub = await createHub({
    config: {
      store: 'memory:',
      database: 'memory:',
      wechat: { apiBase: fake.url, openBase: fake.url, timeoutMs: 2000 },
      accounts: options.accounts ?? [
        { appid: APP_A, secret: SECRET_A, tokenMode: 'classic' },
        { appid: APP_B, secret: SECRET_B, tokenMode: 'classic' },
        { appid: APP_C, secret: SECRET_C, tokenMode: 'stable', allowSecretInDropIn: true },
      ],
      ...options.config,
    },
    clock,
    store: options.store,
    database: options.database,
    logger: options.logger ?? pino({ level: 'silent' }),
    proactiveRefresh: false,
    readyTimeoutMs: 200,
    tokens: { retryStrategy: () => null },
  });
  return {
    hub,
    fake,
    clock,
    key: async (scopes, appids = [APP_A], rateLimit) =>
      (await hub.services.keys.create({ name: 'test', appids, scopes, rateLimit })).key,
    close: async () => {
      await hub.close();
      if (ownsFake) await fake.close();
    },
  };
}

export const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
