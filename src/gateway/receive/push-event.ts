import { createHash } from 'node:crypto';
import { WxhubError } from '../../errors/index.js';
import { type PushFields, textField } from '../xml/push-xml.js';

/**
 * A push as consumers receive it (DESIGN.md "The callback gateway"): the webhook JSON, also the
 * body of broker messages and of the pull API's events.
 */
export interface PushEvent {
  /** Stable for the push and all of WeChat's retries of it: the Standard Webhooks `webhook-id`. */
  readonly id: string;
  readonly appid: string;
  readonly openid: string;
  readonly type: 'message' | 'event';
  readonly msg_type: string;
  readonly event?: string;
  readonly event_key?: string;
  readonly create_time: number;
  readonly fields: PushFields;
  readonly xml: string;
}

/**
 * WeChat's own identity of a push, the same on each of its three tries: `MsgId` for messages,
 * `FromUserName` + `CreateTime` for events (§11). Scoped by appid: two accounts' MsgIds may meet.
 */
export function dedupKey(appid: string, fields: PushFields): string {
  const msgId = textField(fields, 'MsgId') ?? textField(fields, 'MsgID');
  const msgType = textField(fields, 'MsgType');
  if (msgType !== 'event' && msgId) return `${appid}:m:${msgId}`;
  const from = textField(fields, 'FromUserName') ?? '';
  const created = textField(fields, 'CreateTime') ?? '';
  // Two events of one user in one second (subscribe then SCAN) differ by their Event.
  return `${appid}:e:${from}:${created}:${textField(fields, 'Event') ?? ''}`;
}

/** The event id for a dedup key: short, URL-safe, and the same on every hub of a fleet. */
export function eventId(key: string): string {
  return `evt_${createHash('sha256').update(key).digest('base64url').slice(0, 24)}`;
}

/** Builds the consumer-facing event of an opened push, refusing one without its required fields. */
export function toPushEvent(appid: string, fields: PushFields, xml: string): PushEvent {
  const openid = textField(fields, 'FromUserName');
  const msgType = textField(fields, 'MsgType');
  const created = Number(textField(fields, 'CreateTime'));
  if (!openid || !msgType || !Number.isSafeInteger(created)) {
    throw new WxhubError('WXHUB_ERR_CALLBACK_XML', 'a push without FromUserName, MsgType or CreateTime');
  }
  const event = msgType === 'event' ? textField(fields, 'Event') : undefined;
  const eventKey = msgType === 'event' ? textField(fields, 'EventKey') : undefined;
  return {
    id: eventId(dedupKey(appid, fields)),
    appid,
    openid,
    type: msgType === 'event' ? 'event' : 'message',
    msg_type: msgType,
    ...(event === undefined ? {} : { event }),
    ...(eventKey === undefined || eventKey === '' ? {} : { event_key: eventKey }),
    create_time: created,
    fields,
    xml,
  };
}

/**
 * The QR scene of a subscribe or SCAN event: `qrscene_X` (a non-follower scanned and followed)
 * and bare `X` (a follower scanned) both give `X` (§12).
 */
export function qrScene(event: Pick<PushEvent, 'event' | 'event_key'>): string | undefined {
  if (event.event !== 'subscribe' && event.event !== 'SCAN') return undefined;
  const key = event.event_key;
  if (!key) return undefined;
  return key.startsWith('qrscene_') ? key.slice('qrscene_'.length) : key;
}
