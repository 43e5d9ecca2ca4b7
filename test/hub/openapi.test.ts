import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import type { LightMyRequestResponse } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHub, type Hub } from '../../src/hub/index.js';
import { HTML_PAGES } from '../../src/hub/openapi/openapi-options.js';
import { startTestSim, type TestSim } from '../support/sim.js';

/**
 * The OpenAPI document is made from the route schemas that validate the requests. These tests
 * hold it to what the hub does: the served document is docs/openapi.json, every registered route
 * is in it, and for every documented operation a documented-valid request (its examples, or live
 * values where a value is single-use) is accepted while a request breaking any one documented
 * constraint of a parameter or body field is refused, with a documented status.
 *
 * Regenerate docs/openapi.json after an API change: `npm run openapi`.
 */
const CALLBACK_TOKEN = 'DocToken1';
const DOC_FILE = new URL('../../docs/openapi.json', import.meta.url);
const saved = JSON.parse(readFileSync(DOC_FILE, 'utf8'));

interface JsonSchema {
  type?: string;
  enum?: unknown[];
  const?: unknown;
  pattern?: string;
  format?: string;
  minLength?: number;
  maxLength?: number;
  examples?: unknown[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
}
interface Parameter {
  name: string;
  in: 'query' | 'path' | 'header';
  required?: boolean;
  example?: unknown;
  schema: JsonSchema;
}
interface Operation {
  tags: string[];
  security?: unknown[];
  parameters?: Parameter[];
  requestBody?: { content: { 'application/json'?: { schema: JsonSchema } } };
  responses: Record<string, unknown>;
}

/** One request: path parameters, query (a repeated name is an array), headers, JSON body. */
interface Request {
  path: Record<string, string>;
  query: Record<string, string | string[]>;
  headers: Record<string, string>;
  body?: unknown;
}

/** A request breaking one documented constraint, and what it breaks. */
interface Violation {
  readonly what: string;
  readonly request: Request;
}

const operations = () =>
  Object.entries(saved.paths as Record<string, Record<string, Operation>>).flatMap(([path, item]) =>
    Object.entries(item).map(([method, op]) => ({
      key: `${method.toUpperCase()} ${path}`,
      method,
      path,
      op,
    })),
  );

/** For each constraint `schema` states, a value breaking that one (from a valid `example`). */
function breaking(schema: JsonSchema, example: string): { what: string; value: unknown }[] {
  const out: { what: string; value: unknown }[] = [];
  if (schema.maxLength !== undefined)
    out.push({ what: 'maxLength', value: example + 'a'.repeat(schema.maxLength - example.length + 1) });
  if (schema.minLength !== undefined && schema.minLength > 0) out.push({ what: 'minLength', value: '' });
  if (schema.pattern !== undefined) {
    const pattern = new RegExp(schema.pattern);
    const value = ['!', '!!!!', ' ', 'x y'].find((v) => !pattern.test(v));
    expect(value, `a value breaking ${schema.pattern}`).toBeDefined();
    out.push({ what: 'pattern', value });
  }
  if (schema.enum !== undefined) out.push({ what: 'enum', value: 'not-one-of-them' });
  if (schema.const !== undefined) out.push({ what: 'const', value: `not-${String(schema.const)}` });
  if (schema.format === 'uri') out.push({ what: 'format', value: example.replace('://', '://a b.') });
  return out;
}

function clone(request: Request): Request {
  return structuredClone(request);
}

/** Every request that breaks one documented constraint of `op`, derived from `valid`. */
function violations(op: Operation, valid: Request): Violation[] {
  const out: Violation[] = [];
  // WeChat-shaped routes and WeChat's push URL check their query themselves, in WeChat's way.
  const schemaValidated = !op.tags.includes('drop-in') && !op.tags.includes('callback');
  for (const parameter of op.parameters ?? []) {
    if (parameter.in === 'path') continue;
    const part = parameter.in === 'query' ? 'query' : 'headers';
    const example = String(
      (valid[part] as Record<string, unknown>)[parameter.name] ?? parameter.example ?? 'x',
    );
    if (parameter.required) {
      const request = clone(valid);
      delete (request[part] as Record<string, unknown>)[parameter.name];
      out.push({ what: `${parameter.name} missing`, request });
    }
    // WeChat takes the first of a repeated parameter; the hub's own routes refuse a repetition.
    if (parameter.in === 'query' && parameter.schema.type === 'string' && schemaValidated) {
      const request = clone(valid);
      request.query[parameter.name] = [example, example];
      out.push({ what: `${parameter.name} repeated`, request });
    }
    for (const broken of breaking(parameter.schema, example)) {
      const request = clone(valid);
      (request[part] as Record<string, unknown>)[parameter.name] = broken.value;
      out.push({ what: `${parameter.name} ${broken.what}`, request });
    }
  }
  const body = op.requestBody?.content['application/json']?.schema;
  if (body) {
    out.push({ what: 'body not an object', request: { ...clone(valid), body: [] } });
    for (const [name, schema] of Object.entries(body.properties ?? {})) {
      const fields = valid.body as Record<string, unknown>;
      if (body.required?.includes(name)) {
        const request = clone(valid);
        delete (request.body as Record<string, unknown>)[name];
        out.push({ what: `${name} missing`, request });
      }
      if (schema.type === 'string') {
        const request = clone(valid);
        (request.body as Record<string, unknown>)[name] = 42;
        out.push({ what: `${name} not a string`, request });
      }
      for (const broken of breaking(schema, String(fields[name]))) {
        const request = clone(valid);
        (request.body as Record<string, unknown>)[name] = broken.value;
        out.push({ what: `${name} ${broken.what}`, request });
      }
    }
  }
  return out;
}

/** The documented-valid request of `op`: its examples, with `live` values where given. */
function validRequest(op: Operation, live: Partial<Request>, key: string | null): Request {
  const request: Request = { path: {}, query: {}, headers: {} };
  for (const parameter of op.parameters ?? []) {
    const part = parameter.in === 'query' ? 'query' : parameter.in === 'path' ? 'path' : 'headers';
    const given = (live[part] as Record<string, string> | undefined)?.[parameter.name];
    const value = given ?? (parameter.example as string | undefined);
    if (value !== undefined) (request[part] as Record<string, string>)[parameter.name] = value;
    else expect(parameter.required, `${parameter.name}: an example or a live value`).toBeFalsy();
  }
  const body = op.requestBody?.content['application/json']?.schema;
  if (!body && live.body !== undefined) request.body = live.body;
  if (body) {
    request.body = Object.fromEntries(
      Object.entries(body.properties ?? {}).map(([name, schema]) => [
        name,
        (live.body as Record<string, unknown> | undefined)?.[name] ?? schema.examples?.[0],
      ]),
    );
  }
  if (key && op.security === undefined) request.headers.authorization = `Bearer ${key}`;
  Object.assign(request.headers, live.headers);
  return request;
}

describe('OpenAPI document', () => {
  let sim: TestSim;
  let hub: Hub;
  let adminKey: string;
  const appid = 'wx1234567890abcdef';

  beforeAll(async () => {
    sim = await startTestSim();
    const { secret } = await sim.account({ appid, oauthDomains: ['localhost'] });
    hub = await createHub({
      config: {
        store: 'memory:',
        database: 'memory:',
        wechat: { apiBase: sim.url, openBase: sim.url, timeoutMs: 2000 },
        accounts: [
          {
            appid,
            secret,
            tokenMode: 'classic',
            oauth: { returnTo: ['https://shop.example.com'] },
            callback: { token: CALLBACK_TOKEN, mode: 'plain' },
          },
        ],
        oauth: { encryptionKey: randomBytes(32).toString('base64') },
        secretsKey: randomBytes(32).toString('base64'),
        subscribers: [
          {
            name: 'crm',
            url: 'https://crm.example.com/wechat',
            secret: `whsec_${randomBytes(32).toString('base64')}`,
          },
        ],
      },
      logger: pino({ level: 'silent' }),
      proactiveRefresh: false,
      tokens: { retryStrategy: () => null },
    });
    adminKey = (await hub.services.keys.create({ name: 'openapi', appids: [], scopes: ['admin'] })).key;
  });
  afterAll(async () => {
    await hub?.close();
    await sim?.close();
  });

  const send = (method: string, path: string, request: Request): Promise<LightMyRequestResponse> => {
    const url = path.replace(/\{(\w+)\}/g, (_m, name: string) => request.path[name] ?? `{${name}}`);
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(request.query))
      for (const one of [value].flat()) query.append(name, one);
    const search = query.size > 0 ? `?${query}` : '';
    return hub.app.inject({
      method: method.toUpperCase() as 'GET',
      url: url + search,
      headers: request.headers,
      ...(request.body === undefined ? {} : { payload: request.body as object }),
    });
  };

  /** A login started and consented to: a live state and code for the callback. */
  async function consented(): Promise<{ state: string; code: string }> {
    const started = await hub.app.inject({
      url: `/oauth/${appid}/login?return_to=${encodeURIComponent('https://shop.example.com/')}`,
    });
    expect(started.statusCode, started.body).toBe(302);
    const authorize = String(started.headers.location);
    const { openid } = await sim.user(appid, { nickname: 'Doc' });
    const res = await fetch(authorize, { headers: { 'x-sim-user': openid }, redirect: 'manual' });
    const back = new URL(String(res.headers.get('location')));
    return { state: back.searchParams.get('state')!, code: back.searchParams.get('code')! };
  }

  async function ticket(): Promise<string> {
    const { state, code } = await consented();
    const res = await hub.app.inject({ url: `/oauth/${appid}/callback?state=${state}&code=${code}` });
    return new URL(String(res.headers.location)).searchParams.get('wxhub_ticket')!;
  }

  async function standIn(): Promise<string> {
    const res = await hub.app.inject({
      url: `/cgi-bin/token?grant_type=client_credential&appid=${appid}&secret=${adminKey}`,
    });
    return res.json().access_token as string;
  }

  /** A runtime account added through the API: a live appid for the routes that change one. */
  async function runtimeAccount(): Promise<string> {
    const added = await sim.account();
    const res = await hub.app.inject({
      method: 'POST',
      url: '/v1/admin/accounts',
      headers: { authorization: `Bearer ${adminKey}` },
      payload: added,
    });
    expect(res.statusCode, res.body).toBe(201);
    return added.appid;
  }

  /** A route of `/v1/admin/accounts/{appid}…` called on an account added for it. */
  const onRuntimeAccount = {
    accepted: 200,
    live: async () => ({ path: { appid: await runtimeAccount() } }),
  };

  /** A follow-to-log-in started and claimed: its id and the claiming browser's cookie. */
  async function followLogin(): Promise<Partial<Request>> {
    const login = await hub.services.followLogin.start(appid, { continueUrl: '/after' });
    const claimed = await hub.app.inject({ url: login.pageUrl });
    const cookie = String(claimed.headers['set-cookie']).split(';')[0]!;
    return { path: { id: login.id }, headers: { cookie } };
  }

  /** The query WeChat signs a push or URL check with, made with the account's callback token. */
  function signedQuery(): Record<string, string> {
    const timestamp = String(Math.floor(Date.now() / 1000));
    const nonce = String(Math.floor(Math.random() * 1e9));
    const signature = createHash('sha1')
      .update([CALLBACK_TOKEN, timestamp, nonce].sort().join(''))
      .digest('hex');
    return { signature, timestamp, nonce };
  }

  let msgId = 1000;
  const push = () =>
    `<xml><ToUserName><![CDATA[gh_doc]]></ToUserName><FromUserName><![CDATA[oDoc]]></FromUserName><CreateTime>${Math.floor(Date.now() / 1000)}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[hi]]></Content><MsgId>${msgId++}</MsgId></xml>`;

  const upstreamCalls = async () => Object.values((await sim.stats()).calls).reduce((a, b) => a + b, 0);

  /**
   * Per documented operation: the live values its valid request needs (single-use or
   * server-issued), and how its acceptance shows. A new route fails the test until it has one.
   */
  const CASES: Record<
    string,
    { live?: () => Promise<Partial<Request>>; accepted: number; upstream?: boolean }
  > = {
    'GET /healthz': { accepted: 200 },
    'GET /readyz': { accepted: 200 },
    'GET /metrics': { accepted: 200 },
    'GET /openapi.json': { accepted: 200 },
    'GET /v1/accounts/{appid}/access-token': { accepted: 200 },
    'POST /v1/accounts/{appid}/access-token/refresh': { accepted: 200 },
    'GET /v1/accounts/{appid}/jsapi-ticket': { accepted: 200 },
    'POST /v1/accounts/{appid}/jsapi-signature': { accepted: 200 },
    'GET /v1/accounts/{appid}/followers': { accepted: 200 },
    'GET /v1/accounts/{appid}/users/{openid}': { accepted: 200 },
    'GET /v1/accounts/{appid}/events': { accepted: 200 },
    'GET /cgi-bin/token': { accepted: 200, live: async () => ({ query: { secret: adminKey } }) },
    'GET /cgi-bin/{path}': {
      accepted: 200,
      upstream: true,
      live: async () => ({ path: { path: 'user/get' }, query: { access_token: await standIn() } }),
    },
    'POST /cgi-bin/{path}': {
      accepted: 200,
      upstream: true,
      live: async () => ({ path: { path: 'user/info/batchget' }, query: { access_token: await standIn() } }),
    },
    'GET /sns/{path}': {
      accepted: 200,
      upstream: true,
      live: async () => ({ path: { path: 'auth' }, query: { access_token: 'web-token', openid: 'o1' } }),
    },
    'POST /sns/{path}': {
      accepted: 200,
      upstream: true,
      live: async () => ({ path: { path: 'auth' }, query: { access_token: 'web-token', openid: 'o1' } }),
    },
    'GET /oauth/{appid}/login': { accepted: 302 },
    'GET /oauth/{appid}/callback': { accepted: 302, live: async () => ({ query: await consented() }) },
    'POST /v1/admin/accounts/{appid}/followers/sync': {
      accepted: 200,
      live: async () => ({ query: { wait: '5' } }),
    },
    'GET /v1/admin/accounts/{appid}/followers/sync': { accepted: 200 },
    'GET /v1/admin/accounts': { accepted: 200 },
    'POST /v1/admin/accounts': {
      accepted: 201,
      live: async () => ({ body: await sim.account() }),
    },
    'DELETE /v1/admin/accounts/{appid}': onRuntimeAccount,
    'PUT /v1/admin/accounts/{appid}/secret': onRuntimeAccount,
    'POST /v1/admin/accounts/{appid}/enable': { accepted: 200 },
    'POST /v1/admin/accounts/{appid}/disable': onRuntimeAccount,
    'PUT /v1/admin/accounts/{appid}/callback': onRuntimeAccount,
    'DELETE /v1/admin/accounts/{appid}/callback': onRuntimeAccount,
    'GET /callback/{appid}': {
      accepted: 200,
      live: async () => ({ query: { ...signedQuery(), echostr: 'echo' } }),
    },
    'POST /callback/{appid}': {
      accepted: 200,
      live: async () => ({
        query: { ...signedQuery(), openid: 'oDoc' },
        body: push(),
        headers: { 'content-type': 'text/xml' },
      }),
    },
    'GET /v1/admin/subscribers': { accepted: 200 },
    'POST /v1/admin/subscribers': { accepted: 201, live: async () => ({ body: { name: `doc${msgId++}` } }) },
    'DELETE /v1/admin/subscribers/{name}': {
      accepted: 204,
      live: async () => {
        const name = `gone${msgId++}`;
        await hub.services.gateway.subscribers.add({
          name,
          url: 'https://gone.example.com/',
          secret: `whsec_${randomBytes(32).toString('base64')}`,
          filter: {},
        });
        return { path: { name } };
      },
    },
    'GET /v1/admin/dead-letters': { accepted: 200 },
    'POST /v1/admin/dead-letters/replay': { accepted: 200 },
    'POST /v1/oauth/tickets/redeem': {
      accepted: 200,
      live: async () => ({ body: { ticket: await ticket() } }),
    },
    'GET /login/follow/{id}': { accepted: 200, live: followLogin },
    'GET /login/follow/{id}/status': { accepted: 200, live: followLogin },
  };

  it('GET /openapi.json serves exactly docs/openapi.json (regenerate with `npm run openapi`)', async () => {
    const res = await hub.app.inject({ url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    if (process.env.WXHUB_WRITE_OPENAPI === '1') {
      writeFileSync(DOC_FILE, `${JSON.stringify(res.json(), null, 2)}\n`);
      return;
    }
    expect(res.json()).toEqual(saved);
    expect(res.json().openapi).toBe('3.1.0');
  });

  it('describes every route the hub registers, and nothing it does not', () => {
    const documented = new Set(operations().map((o) => o.key));
    const registered = new Set(
      hub.routes
        .filter((r) => !r.startsWith('HEAD ') && !HTML_PAGES.test(r.split(' ')[1]!))
        .map((r) => r.replace(/:(\w+)/g, '{$1}').replace(/\/\*$/, '/{path}')),
    );
    expect([...registered].filter((r) => r.includes(' /v1/')).sort()).toMatchInlineSnapshot(`
      [
        "DELETE /v1/admin/accounts/{appid}",
        "DELETE /v1/admin/accounts/{appid}/callback",
        "DELETE /v1/admin/subscribers/{name}",
        "GET /v1/accounts/{appid}/access-token",
        "GET /v1/accounts/{appid}/events",
        "GET /v1/accounts/{appid}/followers",
        "GET /v1/accounts/{appid}/jsapi-ticket",
        "GET /v1/accounts/{appid}/users/{openid}",
        "GET /v1/admin/accounts",
        "GET /v1/admin/accounts/{appid}/followers/sync",
        "GET /v1/admin/dead-letters",
        "GET /v1/admin/subscribers",
        "POST /v1/accounts/{appid}/access-token/refresh",
        "POST /v1/accounts/{appid}/jsapi-signature",
        "POST /v1/admin/accounts",
        "POST /v1/admin/accounts/{appid}/disable",
        "POST /v1/admin/accounts/{appid}/enable",
        "POST /v1/admin/accounts/{appid}/followers/sync",
        "POST /v1/admin/dead-letters/replay",
        "POST /v1/admin/subscribers",
        "POST /v1/oauth/tickets/redeem",
        "PUT /v1/admin/accounts/{appid}/callback",
        "PUT /v1/admin/accounts/{appid}/secret",
      ]
    `);
    for (const route of registered) expect(documented, route).toContain(route);
    for (const route of documented) expect(registered, route).toContain(route);
    expect(Object.keys(CASES).sort()).toEqual([...documented].sort());
  });

  it('states the constraints the handlers enforce (stale_token at most 2048 characters)', () => {
    const refresh = saved.paths['/v1/accounts/{appid}/access-token/refresh'].post;
    expect(refresh.requestBody.content['application/json'].schema.properties.stale_token).toMatchObject({
      type: 'string',
      minLength: 1,
      maxLength: 2048,
    });
  });

  it.each(operations().map((o) => [o.key, o] as const))(
    '%s: every documented constraint is enforced, and a documented-valid request is accepted',
    async (key, { method, path, op }) => {
      const spec = CASES[key]!;
      const valid = validRequest(op, (await spec.live?.()) ?? {}, adminKey);
      const documented = Object.keys(op.responses);
      const wechatShaped = op.tags.includes('drop-in');
      for (const { what, request } of violations(op, valid)) {
        const res = await send(method, path, request);
        expect(documented, `${what}: status ${res.statusCode} documented`).toContain(String(res.statusCode));
        if (wechatShaped) {
          const errcode = res.json().errcode;
          expect(errcode, `${what}: refused with a WeChat errcode`).toEqual(expect.any(Number));
          expect(errcode, what).not.toBe(0);
          continue;
        }
        expect(res.statusCode, `${what}: ${res.body.slice(0, 200)}`).toBe(400);
        const code = res.headers['x-wxhub-error'] ?? res.json().error.code;
        expect(code, what).toMatch(/^WXHUB_ERR_(INVALID_ARGUMENT|OAUTH_RETURN_TO|OAUTH_STATE|OAUTH_CODE)$/);
        if (op.tags.includes('v1')) expect(res.json().error.message, what).toContain(what.split(' ')[0]);
      }
      const before = spec.upstream ? await upstreamCalls() : 0;
      const res = await send(method, path, valid);
      expect(res.statusCode, res.body.slice(0, 300)).toBe(spec.accepted);
      expect(documented).toContain(String(res.statusCode));
      if (spec.upstream) expect(await upstreamCalls()).toBe(before + 1);
    },
  );
});
