import { z } from 'zod';

const name = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 of [A-Za-z0-9_-]');

/**
 * What WeChat's console asks for (服务器配置, shared/wechat-api.md §11): Token, EncodingAESKey,
 * mode. Their formats are checked when the codec is built (src/gateway/receive/callback-codec.ts),
 * not here: commands that need no secret load the file with unset `env:` values standing in.
 */
const callbackServerFields = {
  /** 3–32 of `[A-Za-z0-9]`, usually `env:NAME`. */
  token: z
    .string()
    .min(1, 'must not be empty')
    .meta({ description: "The Token of WeChat's console.", examples: ['Token123'] }),
  /** 43 of `[A-Za-z0-9]`, usually `env:NAME`; required in compatible and safe mode. */
  encodingAESKey: z
    .string()
    .min(1)
    .meta({
      description: "The EncodingAESKey of WeChat's console; required in compatible and safe mode.",
      examples: ['abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG'],
    })
    .optional(),
  mode: z.enum(['plain', 'compatible', 'safe']).default('safe').meta({
    description: '明文 plain, 兼容 compatible (plaintext and encrypted) or 安全 safe (encrypted only).',
  }),
};

/** Compatible and safe mode encrypt, so they need the key. */
function requireAesKey(
  callback: { mode: string; encodingAESKey?: string | undefined },
  ctx: z.RefinementCtx,
): void {
  if (callback.mode !== 'plain' && !callback.encodingAESKey) {
    ctx.addIssue({
      code: 'custom',
      path: ['encodingAESKey'],
      message: `is required in ${callback.mode} mode`,
    });
  }
}

/**
 * The three console fields alone, validated as the configuration file's block is: what a runtime
 * account's input builds on (src/accounts/account-input.ts adds the formats and `reply`).
 */
export const callbackServerSchema = z.strictObject(callbackServerFields).superRefine(requireAesKey);

/** A webhook subscriber that answers an account's pushes synchronously (see docs/gateway.md). */
export const callbackReplySchema = z
  .strictObject({
    subscriber: name.meta({ description: 'The name of a webhook subscriber.', examples: ['bot'] }),
    /** WeChat gives up after 5 s; past this the reply goes out as a customer-service message. */
    deadlineMs: z.number().int().min(100).max(4800).default(4000).meta({
      description:
        'How long WeChat waits for the reply, ms; a later one goes out as a customer-service message.',
    }),
    /** How long a late reply is still waited for, ms. */
    lateReplyMs: z
      .number()
      .int()
      .min(1000)
      .max(600_000)
      .default(60_000)
      .meta({ description: 'How long a late reply is still waited for, ms.' }),
  })
  .meta({
    description:
      "A webhook subscriber that answers this account's pushes synchronously: its reply becomes WeChat's passive reply, or a customer-service message when late.",
  });

/** An account's server configuration, as entered in WeChat's console (shared/wechat-api.md §11). */
export const callbackSchema = z
  .strictObject({
    ...callbackServerFields,
    reply: callbackReplySchema.optional(),
  })
  .superRefine(requireAesKey);

const filter = z
  .strictObject({
    msgTypes: z.array(z.string().min(1)).min(1).optional(),
    events: z.array(z.string().min(1)).min(1).optional(),
  })
  .default({});

const common = { name, appids: z.array(z.string().min(1)).min(1).optional(), filter };

/**
 * Consumers of pushes: webhooks (Standard Webhooks signed), RabbitMQ exchanges and NATS
 * JetStream subjects, told apart by which of `url`, `amqp`, `nats` they have.
 */
export const subscriberSchema = z.union([
  z.strictObject({ ...common, url: z.string().url(), secret: z.string().min(1, 'must not be empty') }),
  z.strictObject({
    ...common,
    amqp: z.string().regex(/^amqps?:\/\//, 'must be an amqp:// URL'),
    exchange: name,
  }),
  z.strictObject({
    ...common,
    nats: z.string().regex(/^nats:\/\//, 'must be a nats:// URL'),
    subject: z
      .string()
      .regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, 'must be a NATS subject without wildcards'),
  }),
]);

/** How the gateway keeps and delivers events. */
export const gatewaySchema = z
  .strictObject({
    /** Events are split by openid into this many ordered partitions, each delivered by one hub at a time. */
    partitions: z.number().int().min(1).max(256).default(16),
    /** How long the event log keeps events (the pull API reads back this far), days. */
    retentionDays: z.number().min(0.01).max(90).default(3),
    /** A push whose timestamp is further than this from the hub's clock is refused (a replay), s. */
    maxSkewSeconds: z.number().int().min(30).max(86_400).default(300),
    /** A hub killed mid-delivery gives its partitions up after this long (visibility timeout), ms. */
    leaseTtlMs: z.number().int().min(1000).max(600_000).default(30_000),
  })
  .default({ partitions: 16, retentionDays: 3, maxSkewSeconds: 300, leaseTtlMs: 30_000 });

export type CallbackConfig = z.output<typeof callbackSchema>;
export type SubscriberConfig = z.output<typeof subscriberSchema>;
export type GatewayConfig = z.output<typeof gatewaySchema>;
