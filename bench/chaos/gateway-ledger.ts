import type { SubscriberDelivery } from './chaos-subscriber.js';

/** One push as WeChat (the simulator) saw it. */
export interface PushRecord {
  readonly openid: string;
  readonly msgId: string;
  /** WeChat got an HTTP 200 on one of its tries: the push is accepted and must be delivered. */
  readonly accepted: boolean;
}

/** What one subscriber got, judged against the pushes and the hub kills. */
export interface SubscriberVerdict {
  readonly subscriber: string;
  readonly accepted: number;
  /** Accepted pushes it never answered 2xx. Must be 0. */
  readonly lost: number;
  readonly deliveries: number;
  /** Deliveries of an event it had already been sent. */
  readonly duplicates: number;
  /** ...whose earlier delivery was answered 2xx with no hub kill in between. Must be 0. */
  readonly unexplained: number;
  /** Events that came under more than one webhook-id. Must be 0. */
  readonly idChanges: number;
  /** Users whose events were first answered out of push order. Must be 0. */
  readonly outOfOrder: number;
  readonly examples: readonly string[];
}

/**
 * The gateway's promises, checked from the subscriber's side: every accepted push delivered
 * (answered 2xx), in push order per user, always under one webhook-id; a duplicate only where
 * the 2xx was lost: the earlier delivery was never answered, or a hub was killed between it and
 * the redelivery (`kills`: ms of the run when a hub was SIGKILLed).
 */
export function judgeDeliveries(
  subscriber: string,
  pushes: readonly PushRecord[],
  deliveries: readonly SubscriberDelivery[],
  kills: readonly number[],
): SubscriberVerdict {
  const examples: string[] = [];
  const note = (line: string) => {
    if (examples.length < 5) examples.push(line);
  };
  const byMsg = new Map<string, SubscriberDelivery[]>();
  for (const d of deliveries) byMsg.set(d.msgId, [...(byMsg.get(d.msgId) ?? []), d]);

  const accepted = pushes.filter((p) => p.accepted);
  let lost = 0;
  for (const push of accepted) {
    if (!(byMsg.get(push.msgId) ?? []).some((d) => d.answeredAt !== undefined)) {
      lost++;
      note(`lost: MsgId ${push.msgId} of ${push.openid}`);
    }
  }
  let duplicates = 0;
  let unexplained = 0;
  let idChanges = 0;
  for (const [msgId, list] of byMsg) {
    if (new Set(list.map((d) => d.webhookId)).size > 1) {
      idChanges++;
      note(`MsgId ${msgId} under ${new Set(list.map((d) => d.webhookId)).size} webhook-ids`);
    }
    for (let i = 1; i < list.length; i++) {
      duplicates++;
      const before = list[i - 1]!;
      const again = list[i]!;
      const crashed = kills.some((k) => k >= before.at && k <= again.at);
      if (before.answeredAt !== undefined && !crashed) {
        unexplained++;
        note(
          `MsgId ${msgId} again at ${Math.round(again.at)} ms after a 2xx at ${Math.round(before.answeredAt)} ms, no kill between`,
        );
      }
    }
  }
  let outOfOrder = 0;
  const users = new Set(accepted.map((p) => p.openid));
  for (const openid of users) {
    const acceptedIds = new Set(accepted.filter((p) => p.openid === openid).map((p) => p.msgId));
    const pushed = pushes.filter((p) => p.openid === openid && acceptedIds.has(p.msgId)).map((p) => p.msgId);
    const firstAnswers = deliveries
      .filter((d) => d.openid === openid && d.answeredAt !== undefined && acceptedIds.has(d.msgId))
      .sort((a, b) => a.answeredAt! - b.answeredAt!)
      .map((d) => d.msgId)
      .filter((id, i, all) => all.indexOf(id) === i);
    if (firstAnswers.join() !== pushed.filter((id) => firstAnswers.includes(id)).join()) {
      outOfOrder++;
      note(`${openid}: answered ${firstAnswers.join(',')} for pushed ${pushed.join(',')}`);
    }
  }
  return {
    subscriber,
    accepted: accepted.length,
    lost,
    deliveries: deliveries.length,
    duplicates,
    unexplained,
    idChanges,
    outOfOrder,
    examples,
  };
}

/** True when a verdict keeps every promise. */
export function kept(verdict: SubscriberVerdict): boolean {
  return (
    verdict.lost === 0 && verdict.unexplained === 0 && verdict.idChanges === 0 && verdict.outOfOrder === 0
  );
}
