/**
 * Whose failure a failed business call was. Pure functions over what the caller saw, so the
 * rules are unit-tested (test/chaos/classify.test.ts) and the report can be checked against the
 * faults the simulator injected.
 *
 * - `wechat`: WeChat's own error on the business call itself (an injected `-1`, an HTML 502 page,
 *   a hang past the timeout), passed on unchanged. Neither the SDK nor the proxy retries these: a
 *   business call's retry budget for WeChat's own errors is the caller's.
 * - `wechat-token`: the hub could not obtain a token because WeChat's token endpoint kept failing
 *   through the engine's whole retry budget (`WXHUB_ERR_REFRESH_FAILED … after N attempts`), or
 *   WeChat's daily quota was spent (45009).
 * - `wxhub`: anything else: a token WeChat refused (40001/40014/42001) reaching the caller, the
 *   hub unreachable or timing out, a store or lease error, a body the caller did not expect.
 */
import { isWeChatError, isWxhubError } from '../../src/errors/index.js';
import { TOKEN_INVALID_ERRCODES } from '../../src/wechat/errcodes.js';

export type FailureClass = 'wechat' | 'wechat-token' | 'wxhub';

export interface Failure {
  readonly class: FailureClass;
  /** A short stable code for tables: an errcode, a WXHUB_ERR_* code, `http-502`, `transport`. */
  readonly code: string;
  /** True when the caller saw WeChat's "token invalid" errcodes: the one thing that must never happen. */
  readonly tokenInvalid: boolean;
  readonly detail: string;
}

/** WeChat's errmsg ends with its request id; the hub's own WeChat-shaped errors end with "(wxhub)". */
const WECHAT_RID = /rid: [0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}\s*$/i;
/** The engine's message once its retry budget is spent. */
const RETRY_BUDGET_SPENT = /after \d+ attempts/;

const short = (text: string) => text.replace(/\s+/g, ' ').slice(0, 240);

/**
 * A failed SDK call (`WeChatClient.users.get` with a `HubTokenProvider`). `fromHub` is true when
 * the error came out of the token provider (the hub), false when from the call to WeChat.
 */
export function classifySdkError(err: unknown, fromHub: boolean): Failure {
  const detail = short(err instanceof Error ? err.message : String(err));
  if (fromHub) {
    if (isWxhubError(err)) {
      if (err.code === 'WXHUB_ERR_QUOTA_EXHAUSTED')
        return { class: 'wechat-token', code: err.code, tokenInvalid: false, detail };
      if (err.code === 'WXHUB_ERR_REFRESH_FAILED' && RETRY_BUDGET_SPENT.test(err.message))
        return { class: 'wechat-token', code: err.code, tokenInvalid: false, detail };
      return { class: 'wxhub', code: err.code, tokenInvalid: false, detail };
    }
    return { class: 'wxhub', code: 'hub-error', tokenInvalid: false, detail };
  }
  if (isWeChatError(err)) {
    if (TOKEN_INVALID_ERRCODES.has(err.errcode))
      return { class: 'wxhub', code: String(err.errcode), tokenInvalid: true, detail };
    return { class: 'wechat', code: String(err.errcode), tokenInvalid: false, detail };
  }
  if (isWxhubError(err)) {
    // Transport trouble on the call to WeChat itself: a hang past the timeout, a gateway's HTML page.
    if (
      err.code === 'WXHUB_ERR_TIMEOUT' ||
      err.code === 'WXHUB_ERR_UPSTREAM_BODY' ||
      err.code === 'WXHUB_ERR_TRANSPORT'
    )
      return { class: 'wechat', code: err.code, tokenInvalid: false, detail };
    return { class: 'wxhub', code: err.code, tokenInvalid: false, detail };
  }
  return { class: 'wxhub', code: err instanceof Error ? err.name : 'error', tokenInvalid: false, detail };
}

/** What a plain HTTP caller got back (or the transport error it got instead). */
export type HttpOutcome =
  | {
      readonly status: number;
      readonly contentType: string;
      readonly text: string;
      /** The hub's own reason, from `X-Wxhub-Error`; absent when the errcode is WeChat's. */
      readonly wxhubError?: string;
    }
  | { readonly transport: string };

/**
 * A failed drop-in call (legacy code: `/cgi-bin/token` on the hub, then `/cgi-bin/user/info`
 * through the hub's proxy). `step` says which request failed.
 */
export function classifyDropIn(step: 'token' | 'api', outcome: HttpOutcome): Failure {
  if ('transport' in outcome)
    return { class: 'wxhub', code: 'transport', tokenInvalid: false, detail: short(outcome.transport) };
  const { status, contentType, text, wxhubError } = outcome;
  const detail = short(`${step}: HTTP ${status} ${text}`);
  let body: { errcode?: unknown; errmsg?: unknown } | undefined;
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    body = undefined;
  }
  if (!body || typeof body !== 'object') {
    // A gateway's HTML page relayed from WeChat by the proxy, untouched.
    if (step === 'api' && status >= 500 && /html/i.test(contentType))
      return { class: 'wechat', code: `http-${status}`, tokenInvalid: false, detail };
    return { class: 'wxhub', code: `http-${status}`, tokenInvalid: false, detail };
  }
  const errcode = typeof body.errcode === 'number' ? body.errcode : undefined;
  const errmsg = typeof body.errmsg === 'string' ? body.errmsg : '';
  if (errcode === undefined) return { class: 'wxhub', code: `http-${status}`, tokenInvalid: false, detail };
  const code = String(errcode);
  if (TOKEN_INVALID_ERRCODES.has(errcode)) return { class: 'wxhub', code, tokenInvalid: true, detail };
  if (errcode === 45009) return { class: 'wechat-token', code, tokenInvalid: false, detail };
  // The hub names its reason in X-Wxhub-Error; hubs before that header put it in the errmsg.
  const reason =
    wxhubError ?? (errmsg.includes('WXHUB_ERR_REFRESH_FAILED') ? 'WXHUB_ERR_REFRESH_FAILED' : '');
  if (reason === 'WXHUB_ERR_REFRESH_FAILED' && RETRY_BUDGET_SPENT.test(errmsg))
    return { class: 'wechat-token', code: 'WXHUB_ERR_REFRESH_FAILED', tokenInvalid: false, detail };
  if (step === 'api') {
    // WeChat's own answer relayed as it came (its errmsg ends with WeChat's rid).
    if (status === 200 && WECHAT_RID.test(errmsg))
      return { class: 'wechat', code, tokenInvalid: false, detail };
    // The proxy's answer when WeChat hung past wechat.timeoutMs (HTTP 200 since WeChat's own
    // errors have that status; 504 from hubs before that change).
    if ((status === 200 || status === 504) && errcode === -1 && errmsg.includes('did not answer'))
      return { class: 'wechat', code: 'timeout', tokenInvalid: false, detail };
  }
  return { class: 'wxhub', code, tokenInvalid: false, detail };
}
