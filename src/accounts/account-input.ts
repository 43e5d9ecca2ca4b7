import { z } from 'zod';
import { callbackReplySchema, callbackServerSchema } from '../config/gateway-schema.js';
import { APPID_HINT, returnTo, WECHAT_APPID } from '../config/schema.js';
import { ENCODING_AES_KEY } from '../gateway/crypto/message-cipher.js';
import { CALLBACK_TOKEN } from '../gateway/receive/callback-codec.js';

/** What an appsecret may be: printable ASCII without spaces (WeChat's are 32 hex digits). */
export const AppSecret = z
  .string()
  .regex(/^[\x21-\x7e]{1,256}$/, 'must be 1-256 printable characters without spaces (the AppSecret)')
  .meta({
    description: 'The AppSecret; stored encrypted, never shown again.',
    examples: ['0123456789abcdef0123456789abcdef'],
  });

/** An appid in WeChat's form. */
export const Appid = z
  .string()
  .regex(WECHAT_APPID, APPID_HINT)
  .meta({ description: 'The AppID: wx and 16 hex digits.', examples: ['wx1234567890abcdef'] });

/**
 * A runtime account's push URL settings, as WeChat's console (服务器配置) has them, and the
 * optional reply subscriber: the configuration file's `callback` block, validated by the same schema, with the
 * formats the codec checks when a hub builds a config-file account's (checked here, at input,
 * since a hub builds a runtime account's codec only when a push comes). The Token and the
 * EncodingAESKey are stored sealed and never shown again.
 */
const { token, encodingAESKey } = callbackServerSchema.shape;
export const CallbackBody = callbackServerSchema
  .safeExtend({
    token: token
      .regex(CALLBACK_TOKEN, 'must be 3-32 characters of [A-Za-z0-9] (the Token)')
      .meta(token.meta() ?? {}),
    encodingAESKey: encodingAESKey
      .unwrap()
      .regex(ENCODING_AES_KEY, 'must be 43 characters of [A-Za-z0-9] (the EncodingAESKey)')
      .meta(encodingAESKey.unwrap().meta() ?? {})
      .optional(),
    reply: callbackReplySchema.optional(),
  })
  .meta({
    description:
      "The push URL `/callback/{appid}` (WeChat's 服务器配置): the Token, the EncodingAESKey and the mode. Stored encrypted, never shown again.",
    examples: [{ token: 'Token123', encodingAESKey: 'a'.repeat(43), mode: 'safe' }],
  });

/**
 * The body of `POST /v1/admin/accounts` and the options of `wxhub accounts add`. No schema id:
 * the OpenAPI document shows request bodies inline.
 */
export const NewAccountBody = z.strictObject({
  appid: Appid,
  secret: AppSecret,
  kind: z.enum(['official', 'website']).default('official').meta({
    description:
      '`official` (an Official Account) or `website` (a website app: login only, no access_token).',
  }),
  name: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .meta({ description: 'A label for the dashboard.', examples: ['Shop'] }),
  token_mode: z
    .enum(['stable', 'classic'])
    .default('stable')
    .meta({ description: 'How the access_token is fetched (`stable_token` or `token`).' }),
  return_to: z.array(returnTo).max(100).default([]).meta({
    description: 'Where web login may send the browser back (origins, optionally with a path prefix).',
  }),
  enabled: z.boolean().default(true).meta({ description: 'False: stored but not served.' }),
  callback: CallbackBody.optional(),
});

/** A new account as given (defaults not yet applied). */
export type NewAccountInput = z.input<typeof NewAccountBody>;
/** A new account, validated, with its defaults. */
export type NewAccount = z.output<typeof NewAccountBody>;

/** The body of `PUT /v1/admin/accounts/:appid/secret`. */
export const SecretBody = z.strictObject({ secret: AppSecret });

/** A push URL configuration as given (the mode's default not yet applied). */
export type CallbackInput = z.input<typeof CallbackBody>;
