import { describe, expect, it } from 'vitest';
import type { SubscriberDelivery } from '../../bench/chaos/chaos-subscriber.js';
import { judgeDeliveries, kept, type PushRecord } from '../../bench/chaos/gateway-ledger.js';

const push = (openid: string, msgId: string, accepted = true): PushRecord => ({ openid, msgId, accepted });
const got = (
  msgId: string,
  at: number,
  answeredAt: number | undefined,
  openid = 'oA',
  webhookId = `evt_${msgId}`,
) => ({ webhookId, msgId, openid, at, answeredAt }) satisfies SubscriberDelivery;

describe('judgeDeliveries', () => {
  const pushes = [push('oA', '1'), push('oA', '2'), push('oB', '3'), push('oB', '4', false)];

  it('keeps its promises when each accepted push is answered once, in order', () => {
    const verdict = judgeDeliveries(
      'crm',
      pushes,
      [got('1', 0, 5), got('3', 1, 6, 'oB'), got('2', 6, 9)],
      [],
    );
    expect(verdict).toMatchObject({ accepted: 3, lost: 0, duplicates: 0, outOfOrder: 0 });
    expect(kept(verdict)).toBe(true);
  });

  it('counts an accepted push never answered 2xx as lost; a refused one is not owed', () => {
    const verdict = judgeDeliveries(
      'crm',
      pushes,
      [got('1', 0, 5), got('2', 6, undefined), got('3', 1, 6, 'oB')],
      [],
    );
    expect(verdict.lost).toBe(1);
    expect(kept(verdict)).toBe(false);
  });

  it('explains a duplicate by an unanswered delivery or a kill in between, and nothing else', () => {
    const lostAnswer = [got('1', 0, undefined), got('1', 50, 55), got('2', 60, 65), got('3', 1, 6, 'oB')];
    expect(kept(judgeDeliveries('crm', pushes, lostAnswer, []))).toBe(true);
    const afterKill = [got('1', 0, 5), got('1', 50, 55), got('2', 60, 65), got('3', 1, 6, 'oB')];
    expect(judgeDeliveries('crm', pushes, afterKill, [20])).toMatchObject({ duplicates: 1, unexplained: 0 });
    expect(judgeDeliveries('crm', pushes, afterKill, [])).toMatchObject({ duplicates: 1, unexplained: 1 });
  });

  it('finds a changed webhook-id and a user answered out of order', () => {
    const changed = [
      got('1', 0, undefined),
      got('1', 50, 55, 'oA', 'evt_other'),
      got('2', 60, 65),
      got('3', 1, 6, 'oB'),
    ];
    expect(judgeDeliveries('crm', pushes, changed, []).idChanges).toBe(1);
    const swapped = [got('2', 0, 5), got('1', 6, 9), got('3', 1, 6, 'oB')];
    expect(judgeDeliveries('crm', pushes, swapped, []).outOfOrder).toBe(1);
  });
});
