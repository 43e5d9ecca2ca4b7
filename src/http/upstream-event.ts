import { isWeChatError } from '../errors/index.js';

/** One call this process made to WeChat, for metrics and dashboards (never carries a secret). */
export interface UpstreamEvent {
  readonly appid: string;
  /** The API path, without its query. */
  readonly path: string;
  /** 0 on success; WeChat's errcode; or -2 for a transport failure (no WeChat answer). */
  readonly errcode: number;
  readonly durationMs: number;
}

export type UpstreamObserver = (event: UpstreamEvent) => void;

/** Runs one WeChat call and tells `observer` how it went, success or failure. */
export async function observeUpstream<T>(
  observer: UpstreamObserver | undefined,
  appid: string,
  path: string,
  call: () => Promise<T>,
): Promise<T> {
  if (!observer) return call();
  const t0 = performance.now();
  let errcode = 0;
  try {
    return await call();
  } catch (err) {
    errcode = isWeChatError(err) ? err.errcode : -2;
    throw err;
  } finally {
    observer({ appid, path, errcode, durationMs: performance.now() - t0 });
  }
}
