import { z } from 'zod';

const fields = z
  .record(z.string(), z.unknown())
  .meta({ description: "Every field of WeChat's XML by its own name; MsgId stays a string." });

/** The webhook JSON (DESIGN.md "The callback gateway"), as webhooks, brokers and the pull API carry it. */
export const PushEventSchema = z
  .object({
    id: z.string().meta({ description: 'Stable across WeChat retries: the `webhook-id`.' }),
    appid: z.string(),
    openid: z.string(),
    type: z.enum(['message', 'event']),
    msg_type: z.string().meta({ examples: ['text', 'event'] }),
    event: z
      .string()
      .optional()
      .meta({ examples: ['subscribe'] }),
    event_key: z.string().optional(),
    create_time: z.number().int().meta({ description: "WeChat's CreateTime, Unix seconds." }),
    fields,
    xml: z.string().meta({ description: 'The push as WeChat wrote it (decrypted).' }),
  })
  .meta({ id: 'PushEvent' });
