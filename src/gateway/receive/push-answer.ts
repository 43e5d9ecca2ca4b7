import { isWxhubError } from '../../errors/index.js';
import type { Logger } from '../../util/logger.js';
import type { CallbackQuery } from './callback-codec.js';
import type { PushReceiver, Received } from './push-receiver.js';

/** The hooks of `/callback/:appid`, whichever server answers it (the Fastify route, the hub's lane). */
export interface PushHooks {
  /** Told of each push answered (metrics, the dashboard's live view). */
  readonly onReceived?: (received: Received, ackMs: number) => void;
  /** Told of each refused push, with its registry code. */
  readonly onRefused?: (appid: string, code: string) => void;
}

/** An answer to WeChat, as plain bytes: status, content type, body. */
export interface PushAnswer {
  readonly status: number;
  readonly type: string;
  readonly body: string;
}

const TEXT = 'text/plain; charset=utf-8';
const XML = 'application/xml; charset=utf-8';

/**
 * Receives one push and says what to answer: `success` or the reply XML, or for a refusal the
 * registry's status with a one-line reason (nothing stored). A store that fails is a refusal
 * with 503, so WeChat tries again. Errors that are not the registry's are thrown (defects).
 */
export async function answerPush(
  receiver: PushReceiver,
  hooks: PushHooks,
  push: { appid: string; query: CallbackQuery; body: string; started: number },
  log: Pick<Logger, 'warn'>,
): Promise<PushAnswer> {
  try {
    const received = await receiver.receive(push.appid, push.query, push.body);
    hooks.onReceived?.(received, performance.now() - push.started);
    return { status: 200, type: received.body.startsWith('<') ? XML : TEXT, body: received.body };
  } catch (err) {
    return refusal(hooks, push.appid, err, log);
  }
}

/** The answer to a refused request of `/callback/:appid`; rethrows what is not a registry error. */
export function refusal(
  hooks: PushHooks,
  appid: string,
  err: unknown,
  log: Pick<Logger, 'warn'>,
): PushAnswer {
  if (!isWxhubError(err)) throw err;
  const { code, statusCode } = err;
  hooks.onRefused?.(appid, code);
  log.warn({ appid: appid.slice(0, 64), code }, 'push refused');
  return { status: statusCode, type: TEXT, body: `${code}\n` };
}
