import { newEchostr, newNonce } from '../ids.js';
import type { SimState } from '../state/sim-state.js';
import { withQuery } from './envelope.js';
import { PUSH_TIMEOUT_MS, type ServerConfig } from './server-config.js';
import { pushSignature } from './signature.js';

/** The check passed, or why the console would refuse the URL. */
export type UrlCheck =
  | { readonly ok: true; readonly ms: number }
  | { readonly ok: false; readonly reason: string };

function quoted(body: string): string {
  return JSON.stringify(body.length > 200 ? `${body.slice(0, 200)}…` : body);
}

/**
 * WeChat's URL check when the server configuration is saved: one
 * `GET URL?signature=S&timestamp=T&nonce=N&echostr=E` with `S = sha1(sort(token, T, N))`; the
 * server must answer HTTP 200 with exactly `E` (the same in safe mode: the echostr is not
 * encrypted for Official Accounts). One try, WeChat's timeout.
 * @see https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/Access_Overview.html
 */
export async function checkServerUrl(sim: SimState, server: ServerConfig): Promise<UrlCheck> {
  const timestamp = String(Math.floor(sim.now() / 1000));
  const nonce = newNonce();
  const echostr = newEchostr();
  const query = [
    ['signature', pushSignature(server.token, timestamp, nonce)],
    ['timestamp', timestamp],
    ['nonce', nonce],
    ['echostr', echostr],
  ]
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const result = await sim.outbound.send({
    method: 'GET',
    url: withQuery(server.url, query),
    timeoutMs: server.timeoutMs ?? PUSH_TIMEOUT_MS,
  });
  if (!result.ok) return { ok: false, reason: `the URL check failed: ${result.error}` };
  if (result.status !== 200) return { ok: false, reason: `the URL check got HTTP ${result.status}` };
  if (result.body !== echostr) {
    return {
      ok: false,
      reason: `the URL check answered ${quoted(result.body)} instead of the echostr ${echostr} (Token验证失败: check the token and the signature)`,
    };
  }
  return { ok: true, ms: result.ms };
}
