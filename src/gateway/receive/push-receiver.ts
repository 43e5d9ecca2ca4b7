import { WxhubError } from '../../errors/index.js';
import type { Clock } from '../../util/clock.js';
import { type Logger, silentLogger } from '../../util/logger.js';
import { type EventLog, partitionOf } from '../log/event-log.js';
import type { CallbackCodec, CallbackQuery, OpenedPush } from './callback-codec.js';
import { type PushEvent, toPushEvent } from './push-event.js';

/** What WeChat reads as "received, no reply" (§11). */
export const NO_REPLY = 'success';

/** Answers a push with reply XML (plaintext), or null for none; see src/gateway/reply. */
export type PushAnswerer = (event: PushEvent) => Promise<string | null>;

export interface PushReceiverOptions {
  /** The account's codec, or undefined when the hub has no callback for `appid`. */
  readonly codec: (appid: string) => CallbackCodec | undefined;
  readonly log: EventLog;
  readonly partitions: number;
  readonly clock: Clock;
  /** Told the partition of each new event, so delivery starts without waiting for a poll. */
  readonly onLogged?: (event: PushEvent, partition: number) => void;
  /** Within WeChat's 5 s: the reply subscriber's answer, or null. */
  readonly answer?: PushAnswerer;
  readonly logger?: Logger;
}

/** The outcome of one push, for the route, metrics and the dashboard. */
export interface Received {
  readonly body: string;
  readonly event: PushEvent;
  readonly duplicate: boolean;
}

/**
 * The road of a push (DESIGN.md): signature → decrypt → dedup → event log → answer. The event is
 * in the log before WeChat hears anything, so an answered push is never lost; a retry of one
 * that was logged (on any hub of the fleet) gets the first answer, or `success`, and is not
 * logged again.
 */
export class PushReceiver {
  readonly #options: PushReceiverOptions;
  readonly #logger: Logger;

  constructor(options: PushReceiverOptions) {
    this.#options = options;
    this.#logger = options.logger ?? silentLogger;
  }

  /** WeChat's URL check: the echostr to answer. */
  verifyUrl(appid: string, query: CallbackQuery): string {
    return this.#codec(appid).verifyUrl(query, this.#nowSeconds());
  }

  async receive(appid: string, query: CallbackQuery, body: string): Promise<Received> {
    const codec = this.#codec(appid);
    const push: OpenedPush = codec.open(query, body, this.#nowSeconds());
    const event = toPushEvent(appid, push.fields, push.xml);
    const partition = partitionOf(event.openid, this.#options.partitions);
    const logged = await this.#options.log.append(event, partition);
    if (logged.duplicate) return { body: logged.answer ?? NO_REPLY, event, duplicate: true };
    this.#options.onLogged?.(event, partition);
    const reply = await this.#reply(event);
    if (reply === null) return { body: NO_REPLY, event, duplicate: false };
    const sealed = codec.seal(reply, push, this.#nowSeconds());
    // Kept for WeChat's retries; if this write fails the retry gets `success`, never an error.
    await this.#options.log.setAnswer(event.id, sealed).catch((err: unknown) => {
      this.#logger.warn({ appid, event: event.id, err: String(err) }, 'could not keep the reply for retries');
    });
    return { body: sealed, event, duplicate: false };
  }

  async #reply(event: PushEvent): Promise<string | null> {
    if (!this.#options.answer) return null;
    try {
      return await this.#options.answer(event);
    } catch (err) {
      // The event is logged and will be delivered; only the passive reply is lost.
      this.#logger.warn({ appid: event.appid, event: event.id, err: String(err) }, 'reply failed');
      return null;
    }
  }

  #codec(appid: string): CallbackCodec {
    const codec = this.#options.codec(appid);
    if (!codec) throw new WxhubError('WXHUB_ERR_CALLBACK_NOT_CONFIGURED', appid.slice(0, 64));
    return codec;
  }

  #nowSeconds(): number {
    return Math.floor(this.#options.clock.now() / 1000);
  }
}
