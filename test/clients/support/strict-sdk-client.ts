/**
 * A WeChat client that behaves as wechatpy (`BaseWeChatClient._request` and `_handle_result`) and
 * node-socialite do, the SDKs that real code moved to the hub runs:
 * - any HTTP status but 2xx is a transport failure, raised before the body is read (wechatpy's
 *   `raise_for_status()` → `WeChatClientException(errcode=None)`; socialite's "wrong code");
 * - a JSON body with a non-zero `errcode` is an API error with that errcode;
 * - on 40001, 40014 or 42001 it fetches a new token from `/cgi-bin/token` and retries the call once.
 * The token lives in a session object that outlives the client (wechatpy keeps it in Redis or
 * memcached), so a client moved to the hub may start with a token cached from WeChat itself.
 */
export class TransportError extends Error {
  override readonly name = 'TransportError';
  constructor(readonly status: number) {
    super(`HTTP ${status}`);
  }
}

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly errcode: number,
    readonly errmsg: string,
  ) {
    super(`errcode ${errcode}: ${errmsg}`);
  }
}

/** Where the token is kept between clients (wechatpy's session storage). */
export interface Session {
  token?: string;
  /** Epoch ms. */
  expiresAt?: number;
}

const TOKEN_ERRORS = new Set([40001, 40014, 42001]);

export class StrictSdkClient {
  /** Each HTTP exchange, as `PATH → STATUS errcode N`, for the test to read. */
  readonly log: string[] = [];

  constructor(private readonly options: { base: string; appid: string; secret: string; session: Session }) {}

  async fetchAccessToken(): Promise<string> {
    const { appid, secret, session } = this.options;
    const query = new URLSearchParams({ grant_type: 'client_credential', appid, secret });
    const body = await this.#exchange(`/cgi-bin/token?${query}`);
    session.token = String(body.access_token);
    session.expiresAt = Date.now() + Number(body.expires_in) * 1000;
    return session.token;
  }

  /** `GET path` with the session's token (fetched first when there is none), retried once after a token error. */
  async get(path: string, params: Record<string, string> = {}): Promise<Record<string, unknown>> {
    const { session } = this.options;
    if (!session.token || (session.expiresAt ?? 0) <= Date.now()) await this.fetchAccessToken();
    const call = () =>
      this.#exchange(`${path}?${new URLSearchParams({ ...params, access_token: session.token! })}`);
    try {
      return await call();
    } catch (err) {
      if (!(err instanceof ApiError) || !TOKEN_ERRORS.has(err.errcode)) throw err;
      await this.fetchAccessToken();
      return call();
    }
  }

  async #exchange(pathAndQuery: string): Promise<Record<string, unknown>> {
    const res = await fetch(this.options.base + pathAndQuery);
    const path = pathAndQuery.split('?', 1)[0]!;
    if (res.status < 200 || res.status > 299) {
      await res.arrayBuffer();
      this.log.push(`${path} → ${res.status}`);
      throw new TransportError(res.status);
    }
    const body = (await res.json()) as Record<string, unknown>;
    const errcode = Number(body.errcode ?? 0);
    this.log.push(`${path} → ${res.status} errcode ${errcode}`);
    if (errcode !== 0) throw new ApiError(errcode, String(body.errmsg ?? ''));
    return body;
  }
}
