import { setImmediate as nextTurn } from 'node:timers/promises';
import { HttpClient, type JsonRequest, type JsonResponse } from '../../src/http/index.js';
import { newAccessToken } from '../../src/sim/ids.js';
import { PATHS } from '../../src/wechat/paths.js';

/**
 * The WeChat token endpoints answered in process, for the scale bench: an `HttpClient` whose
 * `json()` answers `/cgi-bin/stable_token` and `/cgi-bin/token` with a fresh 160-character token
 * (the simulator's shape) and `expires_in: 7200`, without a socket, a JSON round trip or any
 * per-account state. Stateless on purpose: the bench measures the heap of the engine, so the
 * upstream must not keep anything per account in the same process. Answering a new token on every
 * call is what WeChat does for the calls the engine makes: classic fetches always rotate, and
 * proactive stable fetches happen in the token's last 300 s, when WeChat rotates it. Each answer
 * comes one event-loop turn later, as a socket read would, so a pass of many refreshes
 * interleaves with other work as it does against the network.
 * Everything above `http.json()` (callWeChat, the errcode check, the plausibility check, retry,
 * quota guard, lease, compare-and-set) runs as in production.
 */
export class InProcessWeChat extends HttpClient {
  /** Token answers given, by path. */
  readonly calls = { [PATHS.token]: 0, [PATHS.stableToken]: 0 } as Record<string, number>;

  override async json(method: 'GET' | 'POST', url: string, req: JsonRequest = {}): Promise<JsonResponse> {
    const path = url.slice(url.indexOf('/', url.indexOf('://') + 3));
    const appid = (req.json as { appid?: unknown } | undefined)?.appid ?? req.query?.appid;
    if ((path !== PATHS.token && path !== PATHS.stableToken) || typeof appid !== 'string') {
      return { status: 200, body: { errcode: 40066, errmsg: `invalid url ${method} ${path}` } };
    }
    this.calls[path] = (this.calls[path] ?? 0) + 1;
    await nextTurn();
    return { status: 200, body: { access_token: newAccessToken(), expires_in: 7200 } };
  }
}
