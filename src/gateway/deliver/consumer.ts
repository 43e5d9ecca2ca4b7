import type { PushEvent } from '../receive/push-event.js';

/** Which pushes a consumer wants; an absent list means every value. */
export interface ConsumerFilter {
  readonly appids?: readonly string[];
  /** True for an event that reached this consumer another way (it was its reply subscriber). */
  readonly answeredElsewhere?: (event: PushEvent) => boolean;
  /** `MsgType` values: `text`, `image`, ..., `event`. */
  readonly msgTypes?: readonly string[];
  /**
   * `Event` values of `event` pushes: `subscribe`, `SCAN`, `CLICK`, ... Given without `msgTypes`,
   * only events pass (`{"events": ["subscribe"]}` means just follows); with `msgTypes`, it narrows
   * the `event` pushes among them.
   */
  readonly events?: readonly string[];
}

/**
 * Something the gateway delivers pushes to, at least once and in order per openid: a webhook
 * subscriber or a broker sink. `deliver` resolves once the consumer has taken the event (a 2xx,
 * a broker's confirm) and rejects otherwise; the delivery workers retry and dead-letter.
 */
export interface Consumer {
  readonly name: string;
  readonly filter: ConsumerFilter;
  deliver(event: PushEvent): Promise<void>;
  close?(): Promise<void>;
}

/** True when `event` passes `filter`. */
export function accepts(filter: ConsumerFilter, event: PushEvent): boolean {
  if (filter.appids && !filter.appids.includes(event.appid)) return false;
  if (filter.answeredElsewhere?.(event)) return false;
  if (filter.msgTypes && !filter.msgTypes.includes(event.msg_type)) return false;
  if (!filter.events) return true;
  if (event.type !== 'event') return filter.msgTypes !== undefined;
  return filter.events.includes(event.event ?? '');
}
