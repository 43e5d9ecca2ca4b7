import { randomBytes } from 'node:crypto';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';

/** One request the fake received. */
export interface FakeCall {
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string>;
  readonly rawQuery: string;
  readonly body: string;
  readonly contentType: string | undefined;
}

type Handler = (request: FastifyRequest, reply: FastifyReply) => unknown;

const JSON_TYPE = 'application/json; encoding=utf-8';

/**
 * A small stand-in for WeChat's API host on 127.0.0.1 (route tests only; the integration tests
 * use the real simulator). Tokens are per appid; `invalidate()` kills them as another fetcher
 * would; `override(path, handler)` makes a path misbehave (HTML, hangs, always 40001).
 */
export class FakeWeChat {
  readonly calls: FakeCall[] = [];
  readonly issued = new Map<string, string[]>();
  readonly #valid = new Set<string>();
  readonly #overrides = new Map<string, Handler>();
  readonly #app = Fastify();
  url = '';

  private constructor(readonly secrets: Record<string, string>) {}

  static async start(secrets: Record<string, string>): Promise<FakeWeChat> {
    const fake = new FakeWeChat(secrets);
    await fake.#routes();
    await fake.#app.listen({ port: 0, host: '127.0.0.1' });
    const address = fake.#app.server.address();
    if (!address || typeof address !== 'object') throw new Error('no address');
    fake.url = `http://127.0.0.1:${address.port}`;
    return fake;
  }

  /** Calls to a path (query ignored). */
  callsTo(path: string): FakeCall[] {
    return this.calls.filter((c) => c.path === path);
  }

  /** Every token of `appid` stops working (someone else fetched). */
  invalidate(appid: string): void {
    for (const token of this.issued.get(appid) ?? []) this.#valid.delete(token);
  }

  /** The token most recently issued for `appid`. */
  current(appid: string): string | undefined {
    return this.issued.get(appid)?.at(-1);
  }

  isValid(token: string): boolean {
    return this.#valid.has(token);
  }

  override(path: string, handler: Handler | undefined): void {
    if (handler) this.#overrides.set(path, handler);
    else this.#overrides.delete(path);
  }

  close(): Promise<void> {
    return this.#app.close();
  }

  #issue(appid: string): string {
    const token = `${randomBytes(96).toString('base64url')}`;
    this.issued.set(appid, [...(this.issued.get(appid) ?? []), token]);
    this.#valid.add(token);
    return token;
  }

  async #routes(): Promise<void> {
    const app = this.#app;
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer' }, (_r, body, done) => done(null, body));
    app.addHook('preHandler', async (request) => {
      const raw = request.raw.url ?? '';
      const mark = raw.indexOf('?');
      const rawQuery = mark === -1 ? '' : raw.slice(mark + 1);
      this.calls.push({
        method: request.method,
        path: mark === -1 ? raw : raw.slice(0, mark),
        query: Object.fromEntries(new URLSearchParams(rawQuery)),
        rawQuery,
        body: Buffer.isBuffer(request.body) ? request.body.toString('utf8') : '',
        contentType: request.headers['content-type'],
      });
    });
    // A serializer keeps Fastify from appending `; charset=utf-8` to WeChat's content type.
    const raw = (reply: FastifyReply, text: string) =>
      reply
        .header('content-type', JSON_TYPE)
        .serializer((p: unknown) => p as string)
        .send(text);
    const error = (reply: FastifyReply, errcode: number, errmsg = 'error') =>
      raw(reply.code(200), JSON.stringify({ errcode, errmsg: `${errmsg} rid: 0000` }));
    const ok = (reply: FastifyReply, body: object) => raw(reply, JSON.stringify(body));
    const q = (request: FastifyRequest) => request.query as Record<string, string>;
    const tokenOk = (request: FastifyRequest, reply: FastifyReply): boolean => {
      const token = q(request).access_token;
      if (!token) {
        error(reply, 41001, 'access_token missing');
        return false;
      }
      if (!this.#valid.has(token)) {
        error(reply, 40001, 'invalid credential');
        return false;
      }
      return true;
    };

    app.route({
      method: ['GET', 'POST'],
      url: '/*',
      handler: async (request, reply) => {
        const path = (request.raw.url ?? '').split('?', 1)[0]!;
        const override = this.#overrides.get(path);
        if (override) return override(request, reply);
        switch (path) {
          case '/cgi-bin/token': {
            const { appid, secret } = q(request);
            if (!appid || this.secrets[appid] === undefined) return error(reply, 40013, 'invalid appid');
            if (this.secrets[appid] !== secret) return error(reply, 40125, 'invalid appsecret');
            return ok(reply, { access_token: this.#issue(appid), expires_in: 7200 });
          }
          case '/cgi-bin/stable_token': {
            const body = JSON.parse((request.body as Buffer).toString('utf8')) as Record<string, unknown>;
            const appid = String(body.appid);
            if (this.secrets[appid] === undefined) return error(reply, 40013, 'invalid appid');
            if (this.secrets[appid] !== body.secret) return error(reply, 40125, 'invalid appsecret');
            const current = this.current(appid);
            const token = body.force_refresh === true || !current ? this.#issue(appid) : current;
            return ok(reply, { access_token: token, expires_in: 7200 });
          }
          case '/cgi-bin/ticket/getticket':
            if (!tokenOk(request, reply)) return reply;
            return ok(reply, {
              errcode: 0,
              errmsg: 'ok',
              ticket: `ticket-${q(request).type}-${randomBytes(8).toString('hex')}`,
              expires_in: 7200,
            });
          case '/cgi-bin/user/info':
            if (!tokenOk(request, reply)) return reply;
            return ok(reply, { subscribe: 1, openid: q(request).openid, language: 'zh_CN' });
          case '/cgi-bin/user/info/batchget': {
            if (!tokenOk(request, reply)) return reply;
            const body = JSON.parse((request.body as Buffer).toString('utf8')) as {
              user_list: { openid: string }[];
            };
            return ok(reply, {
              user_info_list: body.user_list.map((u) => ({ subscribe: 1, openid: u.openid })),
            });
          }
          case '/cgi-bin/media/get':
            if (!tokenOk(request, reply)) return reply;
            return reply
              .header('content-type', 'image/jpeg')
              .header('content-disposition', 'attachment; filename="a.jpg"')
              .send(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0, 255]));
          case '/sns/oauth2/access_token': {
            const { appid, secret, code } = q(request);
            if (!appid || this.secrets[appid] !== secret) return error(reply, 40125, 'invalid appsecret');
            return ok(reply, {
              access_token: `web-${code}`,
              expires_in: 7200,
              refresh_token: 'r',
              openid: 'o1',
              scope: 'snsapi_base',
            });
          }
          case '/sns/userinfo':
            return ok(reply, { openid: q(request).openid, nickname: 'n', echo: this.calls.at(-1)?.rawQuery });
          default:
            return raw(reply.code(404), '{"errcode":40066,"errmsg":"invalid url"}');
        }
      },
    });
  }
}
