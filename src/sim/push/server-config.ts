import { z } from 'zod';

/** WeChat's push timeout: no answer within 5 s is a failed try. */
export const PUSH_TIMEOUT_MS = 5000;

/** 明文 plaintext, 兼容 compatible (plaintext fields and `<Encrypt>`), 安全 safe (`<Encrypt>` only). */
export type PushMode = 'plain' | 'compatible' | 'safe';

/** A real-time timeout override for tests (WeChat's is 5 s). */
export const timeoutMsSchema = z.number().int().min(1).max(60_000);

/**
 * `POST /__sim/accounts/:appid/server`, checked as the MP console checks it: Token 3–32
 * `[A-Za-z0-9]`, EncodingAESKey 43 `[A-Za-z0-9]` (required unless the mode is plain), an http(s)
 * URL. The console also demands port 80 or 443; the simulator takes any port (tests listen on
 * random ones).
 */
export const serverConfigSchema = z
  .object({
    url: z
      .string()
      .max(2048)
      .refine((value) => /^https?:\/\/[^\s#]+$/i.test(value) && URL.canParse(value), {
        message: 'expected an http:// or https:// URL without a fragment',
      }),
    token: z.string().regex(/^[A-Za-z0-9]{3,32}$/, 'expected 3–32 characters of [A-Za-z0-9]'),
    encodingAESKey: z
      .string()
      .regex(/^[A-Za-z0-9]{43}$/, 'expected 43 characters of [A-Za-z0-9]')
      .optional(),
    mode: z.enum(['plain', 'compatible', 'safe']),
    /** Real milliseconds each push try may take (default 5000, WeChat's). */
    timeoutMs: timeoutMsSchema.optional(),
  })
  .strict()
  .superRefine((config, ctx) => {
    if (config.mode !== 'plain' && config.encodingAESKey === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['encodingAESKey'],
        message: `required in ${config.mode} mode`,
      });
    }
  });

/** An account's saved server configuration. */
export type ServerConfig = z.infer<typeof serverConfigSchema>;
