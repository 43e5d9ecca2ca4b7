import { z } from 'zod';
import type { TokenManager } from '../tokens/index.js';
import type { RegisteredAccount } from './account-registry.js';

const seconds = (ms: number) => Math.floor(ms / 1000);

const SetOrNot = z.enum(['set', 'not set']);

/** Whether an account has push URL settings, never their values (the Token and key are secrets). */
const CallbackState = z
  .object({
    token: SetOrNot,
    encodingAESKey: SetOrNot,
    mode: z.enum(['plain', 'compatible', 'safe']).nullable(),
    reply: z
      .object({ subscriber: z.string(), deadlineMs: z.number().int(), lateReplyMs: z.number().int() })
      .nullable()
      .meta({ description: 'The webhook subscriber that answers pushes synchronously; null: none.' }),
  })
  .meta({
    id: 'AccountCallbackState',
    description:
      "The push URL `/callback/{appid}`: whether its Token and EncodingAESKey are set, and its mode (null: no callback, WeChat's pushes are refused). Never the values.",
  });

/** An account as `/v1/admin/accounts` shows it: never its secret, its Token or its EncodingAESKey. */
export const AccountBody = z
  .object({
    appid: z.string(),
    kind: z.enum(['official', 'website']),
    name: z.string().optional(),
    source: z
      .enum(['config', 'database'])
      .meta({ description: '`config`: the configuration file (read-only here).' }),
    enabled: z.boolean(),
    token_mode: z.enum(['stable', 'classic']),
    return_to: z.array(z.string()),
    version: z.number().int().optional().meta({ description: 'Runtime accounts: one more on every change.' }),
    created_at: z.number().int().optional().meta({ description: 'Epoch seconds (runtime accounts).' }),
    updated_at: z.number().int().optional().meta({ description: 'Epoch seconds (runtime accounts).' }),
    callback: CallbackState,
    token: z
      .object({
        disabled_until: z.number().int().nullable().meta({
          description: 'Epoch seconds: refreshing is stopped after a configuration error until then.',
        }),
        last_error: z
          .object({ at: z.number().int(), message: z.string(), errcode: z.number().int().optional() })
          .nullable(),
      })
      .nullable()
      .meta({
        description: "The token engine's state on this hub; null when it does not manage the account.",
      }),
  })
  .meta({ id: 'Account' });

/** An account as `/v1/admin/accounts` answers it. */
export type AccountView = z.infer<typeof AccountBody>;

/** The view of `account` (its engine state from `manager` when managed). */
export function accountView(
  account: RegisteredAccount,
  manager: Pick<TokenManager, 'hasAccount' | 'status'>,
): AccountView {
  const status = manager.hasAccount(account.appid) ? manager.status(account.appid) : null;
  return {
    appid: account.appid,
    kind: account.kind,
    ...(account.name !== undefined ? { name: account.name } : {}),
    source: account.source,
    enabled: account.enabled,
    token_mode: account.tokenMode,
    return_to: [...account.oauth.returnTo],
    ...(account.stored
      ? {
          version: account.stored.version,
          created_at: seconds(account.stored.createdAt),
          updated_at: seconds(account.stored.updatedAt),
        }
      : {}),
    callback: {
      token: account.callback ? 'set' : 'not set',
      encodingAESKey: account.callback?.encodingAESKey ? 'set' : 'not set',
      mode: account.callback?.mode ?? null,
      reply: account.callback?.reply ? { ...account.callback.reply } : null,
    },
    token: status
      ? {
          disabled_until: status.disabledUntil === null ? null : seconds(status.disabledUntil),
          last_error: status.lastError
            ? {
                at: seconds(status.lastError.at),
                message: status.lastError.message,
                ...(status.lastError.errcode !== undefined ? { errcode: status.lastError.errcode } : {}),
              }
            : null,
        }
      : null,
  };
}
