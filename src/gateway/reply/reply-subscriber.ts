import type { Clock } from '../../util/clock.js';
import { type Logger, silentLogger } from '../../util/logger.js';
import type { WebhookConsumer } from '../deliver/webhook-consumer.js';
import type { PushEvent } from '../receive/push-event.js';
import { textField } from '../xml/push-xml.js';
import { customMessage, type ReplyMessage, replyMessageSchema, replyXml } from './reply-message.js';

/** WeChat waits 5 s; answering by 4 s leaves a second for the network and the log. */
export const DEFAULT_REPLY_DEADLINE_MS = 4000;
/** How long a late reply is still waited for and sent as a customer-service message, ms. */
export const DEFAULT_LATE_REPLY_MS = 60_000;
/** A reply subscriber's answer larger than this is not read as a reply. */
const MAX_REPLY_BYTES = 64 * 1024;

export interface ReplySubscriberOptions {
  readonly webhook: WebhookConsumer;
  readonly deadlineMs?: number;
  readonly lateReplyMs?: number;
  /** Sends a customer-service message (§13) through the token engine; rejects with WeChat's error. */
  readonly sendCustomMessage: (appid: string, body: Record<string, unknown>) => Promise<void>;
  /** A push the subscriber never took, or whose late reply WeChat refused (45015): a dead letter. */
  readonly onFailure: (event: PushEvent, error: string) => Promise<void>;
  readonly clock: Clock;
  readonly logger?: Logger;
}

/**
 * The answer to "LLM bots cannot reply in 5 s": the reply subscriber gets each push of its
 * account synchronously; a reply within the deadline becomes WeChat's passive reply; a reply
 * after it goes out as a customer-service message once it comes, while WeChat already got
 * `success`. The subscriber receives each push this way once: a call that fails (non-2xx,
 * unreachable, past `lateReplyMs`) becomes a dead letter to replay, not a silent loss.
 */
export class ReplySubscriber {
  readonly #options: ReplySubscriberOptions;
  readonly #deadlineMs: number;
  readonly #lateReplyMs: number;
  readonly #logger: Logger;
  /** Late replies still on their way, so a shutdown can wait for them. */
  readonly #late = new Set<Promise<void>>();

  constructor(options: ReplySubscriberOptions) {
    this.#options = options;
    this.#deadlineMs = options.deadlineMs ?? DEFAULT_REPLY_DEADLINE_MS;
    this.#lateReplyMs = options.lateReplyMs ?? DEFAULT_LATE_REPLY_MS;
    this.#logger = options.logger ?? silentLogger;
  }

  get name(): string {
    return this.#options.webhook.name;
  }

  /** The passive reply XML for `event`, or null (WeChat then gets `success`). */
  answer(event: PushEvent): Promise<string | null> {
    const call = this.#call(event);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), this.#deadlineMs);
    });
    return Promise.race([call, deadline]).then((outcome) => {
      clearTimeout(timer);
      if (outcome === 'late') {
        this.#track(call.then((reply) => this.#sendLate(event, reply)));
        return null;
      }
      return outcome === null ? null : replyXml(outcome, event.openid, accountOf(event), this.#nowSeconds());
    });
  }

  /** Waits for late replies still being sent (a clean shutdown). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.#late]);
  }

  /** The subscriber's reply, or null for none; failures are reported here and resolve null. */
  async #call(event: PushEvent): Promise<ReplyMessage | null> {
    let answer: { status: number; body: string };
    try {
      answer = await this.#options.webhook.post(event, this.#lateReplyMs, MAX_REPLY_BYTES);
    } catch (err) {
      await this.#fail(event, err instanceof Error ? err.message : String(err));
      return null;
    }
    if (answer.status < 200 || answer.status > 299) {
      await this.#fail(event, `reply subscriber answered HTTP ${answer.status}`);
      return null;
    }
    return parseReply(answer.body, (why) => this.#logger.warn({ event: event.id, why }, 'reply ignored'));
  }

  async #sendLate(event: PushEvent, reply: ReplyMessage | null): Promise<void> {
    if (reply === null) return;
    try {
      await this.#options.sendCustomMessage(event.appid, customMessage(reply, event.openid));
    } catch (err) {
      const errcode = (err as { errcode?: unknown }).errcode;
      const why =
        typeof errcode === 'number' ? `late reply refused by WeChat: errcode ${errcode}` : String(err);
      await this.#fail(event, why);
    }
  }

  async #fail(event: PushEvent, error: string): Promise<void> {
    await this.#options.onFailure(event, error).catch((err: unknown) => {
      this.#logger.error(
        { event: event.id, err: String(err) },
        'could not keep a failed reply as a dead letter',
      );
    });
  }

  #track(work: Promise<void>): void {
    this.#late.add(work);
    void work.finally(() => this.#late.delete(work));
  }

  #nowSeconds(): number {
    return Math.floor(this.#options.clock.now() / 1000);
  }
}

/** `{"reply": {...}}` → the reply; an empty body, `{}` or `{"reply": null}` → none. */
function parseReply(body: string, ignored: (why: string) => void): ReplyMessage | null {
  if (body.trim() === '') return null;
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    ignored('not JSON');
    return null;
  }
  const reply = (json as { reply?: unknown } | null)?.reply;
  if (reply === undefined || reply === null) return null;
  const parsed = replyMessageSchema.safeParse(reply);
  if (!parsed.success) {
    ignored(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    return null;
  }
  return parsed.data;
}

/** The account's id as the push named it (`ToUserName`, `gh_…`): the reply's `FromUserName`. */
function accountOf(event: PushEvent): string {
  return textField(event.fields, 'ToUserName') ?? '';
}
