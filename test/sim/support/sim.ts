import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterEach, expect } from 'vitest';
import { createSimulator, type SimulatorOptions } from '../../../src/sim/index.js';
import type { SimFixture, SimUserInput } from '../../../src/sim/types.js';
import { ManualClock } from '../../../src/util/clock.js';

export const APPID = 'wxa000000000000001';
export const SECRET = 'secret-a-0123456789abcdef0123456';
export const APPID_B = 'wxb000000000000002';
export const SECRET_B = 'secret-b-0123456789abcdef0123456';

/** 2026-01-01 12:00 in Asia/Shanghai (04:00 UTC). */
export const START = Date.UTC(2026, 0, 1, 4, 0, 0);

export const RID = /rid: [0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$/;
export const TOKEN_SHAPE = /^[A-Za-z0-9_-]{100,512}$/;

export const ALICE: SimUserInput = {
  openid: 'oAliceAAAAAAAAAAAAAAAAAAAAAA',
  nickname: 'Alice 爱丽丝',
  sex: 2,
};
export const BOB: SimUserInput = { openid: 'oBobBBBBBBBBBBBBBBBBBBBBBBBB', nickname: '鲍勃', subscribe: 0 };

/** Two accounts; A has Alice (follower) and Bob (not following); B has one user of its own. */
export function twoAccounts(overrides: Partial<SimFixture['accounts'][number]> = {}): SimFixture {
  return {
    accounts: [
      {
        appid: APPID,
        secret: SECRET,
        oauthDomains: ['127.0.0.1', 'localhost', 'app.example.com'],
        users: [ALICE, BOB],
        ...overrides,
      },
      {
        appid: APPID_B,
        secret: SECRET_B,
        oauthDomains: ['b.example.com'],
        users: [{ openid: 'oCarolCCCCCCCCCCCCCCCCCCCCCC', nickname: 'Carol' }],
      },
    ],
  };
}

// biome-ignore lint/suspicious/noExplicitAny: assertions read arbitrary WeChat JSON, deep fields included
type Json = Record<string, any>;

export interface TestSim {
  readonly app: ReturnType<typeof createSimulator>['app'];
  readonly state: ReturnType<typeof createSimulator>['state'];
  readonly clock: ManualClock;
  get(
    path: string,
    query?: Record<string, string>,
    headers?: Record<string, string>,
  ): Promise<LightMyRequestResponse>;
  post(
    path: string,
    body?: unknown,
    query?: Record<string, string>,
    headers?: Record<string, string>,
  ): Promise<LightMyRequestResponse>;
  /** GET and parse JSON. */
  getJson(path: string, query?: Record<string, string>, headers?: Record<string, string>): Promise<Json>;
  /** POST JSON and parse JSON. */
  postJson(path: string, body?: unknown, query?: Record<string, string>): Promise<Json>;
  /** A classic token of an account. */
  token(appid?: string, secret?: string): Promise<string>;
  /** Advance virtual time through the control plane. */
  advance(seconds: number): Promise<void>;
}

const open: Array<{ close(): Promise<unknown> }> = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

/** A simulator on a manual base clock, closed after the test. */
export function makeSim(fixture: SimFixture | null = twoAccounts(), options: SimulatorOptions = {}): TestSim {
  const clock = new ManualClock(START);
  const { app, state } = createSimulator({ clock, fixture, ...options });
  open.push(app);
  const inject = (opts: InjectOptions) => app.inject(opts);
  const sim: TestSim = {
    app,
    state,
    clock,
    get: (path, query, headers) => inject({ method: 'GET', url: path, query, headers }),
    post: (path, body, query, headers) =>
      inject({
        method: 'POST',
        url: path,
        query,
        headers: { 'content-type': 'application/json', ...headers },
        payload: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      }),
    getJson: async (path, query, headers) => (await sim.get(path, query, headers)).json(),
    postJson: async (path, body, query) => (await sim.post(path, body, query)).json(),
    token: async (appid = APPID, secret = SECRET) => {
      const body = await sim.getJson('/cgi-bin/token', { grant_type: 'client_credential', appid, secret });
      expect(body.access_token, JSON.stringify(body)).toMatch(TOKEN_SHAPE);
      return body.access_token as string;
    },
    advance: async (seconds) => {
      const res = await sim.post('/__sim/clock', { advanceSeconds: seconds });
      expect(res.statusCode).toBe(200);
    },
  };
  return sim;
}

/** Asserts a WeChat error body: errcode, errmsg ending with a rid, WeChat's content type. */
export function expectWeChatError(res: LightMyRequestResponse, errcode: number, status = 200): Json {
  expect(res.statusCode).toBe(status);
  expect(res.headers['content-type']).toBe('application/json; encoding=utf-8');
  const body = res.json();
  expect(body, res.body).toEqual({ errcode, errmsg: expect.stringMatching(RID) });
  return body;
}
