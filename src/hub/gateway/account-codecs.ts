import type { AccountConfig } from '../../config/index.js';
import { isWxhubError } from '../../errors/index.js';
import { CallbackCodec } from '../../gateway/receive/callback-codec.js';
import type { Logger } from '../../util/logger.js';

/** Finds the account a push is for: the hub's served accounts (config file and runtime). */
export type ServedAccount = (appid: string) => Pick<AccountConfig, 'appid' | 'callback'> | undefined;

/**
 * The codec lookup of the hub's `/callback/:appid`: asked on every push, so an account added,
 * changed, disabled or removed at run time is answered (or refused as unknown) as soon as the
 * registry has applied the change, on every hub of the fleet. A codec is built once per account
 * object: the registry hands out the same object while the account is unchanged, and a new one
 * after any change (a new Token or key among them).
 */
export function accountCodecs(
  served: ServedAccount,
  maxSkewSeconds: number,
  logger: Logger,
): (appid: string) => CallbackCodec | undefined {
  const built = new WeakMap<object, CallbackCodec | null>();
  return (appid) => {
    const account = served(appid);
    if (!account?.callback) return undefined;
    let codec = built.get(account);
    if (codec === undefined) {
      codec = buildCodec(account, maxSkewSeconds, logger);
      built.set(account, codec);
    }
    return codec ?? undefined;
  };
}

/** Settings that passed the schema still fail here only if they were stored by a different version; logged once per account version. */
function buildCodec(
  account: Pick<AccountConfig, 'appid' | 'callback'>,
  maxSkewSeconds: number,
  logger: Logger,
): CallbackCodec | null {
  try {
    return new CallbackCodec(account.appid, account.callback!, maxSkewSeconds);
  } catch (err) {
    if (!isWxhubError(err)) throw err;
    logger.error({ appid: account.appid, code: err.code }, `callback not served: ${err.message}`);
    return null;
  }
}
