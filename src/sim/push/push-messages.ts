import { z } from 'zod';
import { newMediaId, newMsgId } from '../ids.js';
import type { InteractionScene } from '../state/conversation.js';
import type { XmlField } from './push-xml.js';
import { timeoutMsSchema } from './server-config.js';

/** The message types a user sends (shared/wechat-api.md §11). */
export const MESSAGE_TYPES = ['text', 'image', 'voice', 'video', 'shortvideo', 'location', 'link'] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

/** The events WeChat pushes (shared/wechat-api.md §11). */
export const EVENT_TYPES = [
  'subscribe',
  'unsubscribe',
  'SCAN',
  'LOCATION',
  'CLICK',
  'VIEW',
  'TEMPLATESENDJOBFINISH',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

const DIGITS = /^\d{1,20}$/;
const id = z.string().min(1).max(256);
const text = z.string().max(2048);

/** What every push request may carry besides its content. */
const pushOptions = {
  /** Epoch seconds of the push's CreateTime. Default: virtual now. */
  createTime: z.number().int().min(0).optional(),
  /** Real milliseconds per try instead of the server's (default 5000). */
  timeoutMs: timeoutMsSchema.optional(),
};

/** The fields each message type takes (beyond msgType, msgId, msgDataId, idx and the options). */
const MESSAGE_FIELDS: Readonly<Record<MessageType, { required: string[]; optional: string[] }>> = {
  text: { required: ['content'], optional: [] },
  image: { required: [], optional: ['picUrl', 'mediaId'] },
  voice: { required: [], optional: ['mediaId', 'format', 'recognition'] },
  video: { required: [], optional: ['mediaId', 'thumbMediaId'] },
  shortvideo: { required: [], optional: ['mediaId', 'thumbMediaId'] },
  location: { required: ['locationX', 'locationY'], optional: ['scale', 'label'] },
  link: { required: ['url'], optional: ['title', 'description'] },
};
const MESSAGE_COMMON = new Set(['msgType', 'msgId', 'msgDataId', 'idx', 'createTime', 'timeoutMs']);

const EVENT_FIELDS: Readonly<Record<EventType, { required: string[]; optional: string[] }>> = {
  subscribe: { required: [], optional: ['eventKey', 'ticket'] },
  unsubscribe: { required: [], optional: [] },
  SCAN: { required: ['eventKey'], optional: ['ticket'] },
  LOCATION: { required: ['latitude', 'longitude'], optional: ['precision'] },
  CLICK: { required: ['eventKey'], optional: [] },
  VIEW: { required: ['eventKey'], optional: ['menuId'] },
  TEMPLATESENDJOBFINISH: { required: [], optional: ['msgId', 'status'] },
};
const EVENT_COMMON = new Set(['event', 'createTime', 'timeoutMs']);

/** Refuses fields the type does not have and asks for the ones it needs, each by name. */
function checkFields(
  input: Record<string, unknown>,
  type: string,
  spec: { required: string[]; optional: string[] },
  common: ReadonlySet<string>,
  ctx: z.RefinementCtx,
): void {
  for (const name of spec.required) {
    if (input[name] === undefined)
      ctx.addIssue({ code: 'custom', path: [name], message: `required for ${type}` });
  }
  for (const [name, value] of Object.entries(input)) {
    if (value === undefined || common.has(name)) continue;
    if (!spec.required.includes(name) && !spec.optional.includes(name)) {
      ctx.addIssue({ code: 'custom', path: [name], message: `not a field of ${type}` });
    }
  }
}

/** `POST /__sim/accounts/:appid/users/:openid/messages`: what the user sends. */
export const messagePushSchema = z
  .object({
    msgType: z.enum(MESSAGE_TYPES),
    content: z.string().min(1).max(2048).optional(),
    picUrl: z.string().max(2048).optional(),
    mediaId: id.optional(),
    format: z.string().min(1).max(16).optional(),
    recognition: text.optional(),
    thumbMediaId: id.optional(),
    locationX: z.number().min(-90).max(90).optional(),
    locationY: z.number().min(-180).max(180).optional(),
    scale: z.number().int().min(0).max(30).optional(),
    label: text.optional(),
    title: text.optional(),
    description: text.optional(),
    url: z.string().min(1).max(2048).optional(),
    /** Default: a fresh 19-digit id. */
    msgId: z.string().regex(DIGITS, 'expected 1–20 digits').optional(),
    /** Article-sourced messages: the article's data id and position. */
    msgDataId: z.string().regex(DIGITS, 'expected 1–20 digits').optional(),
    idx: z.number().int().min(1).max(8).optional(),
    ...pushOptions,
  })
  .strict()
  .superRefine((input, ctx) =>
    checkFields(input, input.msgType, MESSAGE_FIELDS[input.msgType], MESSAGE_COMMON, ctx),
  );
export type MessagePush = z.infer<typeof messagePushSchema>;

/** `POST /__sim/accounts/:appid/users/:openid/events`: what the user (or WeChat) does. */
export const eventPushSchema = z
  .object({
    event: z.enum(EVENT_TYPES),
    eventKey: z.string().min(1).max(1024).optional(),
    ticket: z.string().min(1).max(512).optional(),
    latitude: z.number().min(-90).max(90).optional(),
    longitude: z.number().min(-180).max(180).optional(),
    precision: z.number().min(0).optional(),
    menuId: z.string().regex(DIGITS, 'expected 1–20 digits').optional(),
    /** TEMPLATESENDJOBFINISH's MsgID (the template message's id). Default: a fresh id. */
    msgId: z.string().regex(DIGITS, 'expected 1–20 digits').optional(),
    /** TEMPLATESENDJOBFINISH's Status: `success`, `failed:user block`, `failed: system failed`. */
    status: z.string().min(1).max(128).optional(),
    ...pushOptions,
  })
  .strict()
  .superRefine((input, ctx) => {
    checkFields(input, input.event, EVENT_FIELDS[input.event], EVENT_COMMON, ctx);
    if (
      input.event === 'subscribe' &&
      input.eventKey !== undefined &&
      !input.eventKey.startsWith('qrscene_')
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['eventKey'],
        message: 'a subscribe EventKey is qrscene_ + the scene',
      });
    }
    if (input.event === 'subscribe' && input.ticket !== undefined && input.eventKey === undefined) {
      ctx.addIssue({ code: 'custom', path: ['ticket'], message: 'a Ticket comes with a qrscene_ EventKey' });
    }
  });
export type EventPush = z.infer<typeof eventPushSchema>;

/** Who a push is from and to, and when. */
export interface PushHeader {
  /** The account's original id (`gh_…`). */
  readonly originalId: string;
  readonly openid: string;
  /** Epoch seconds. */
  readonly createTime: number;
}

function headerFields(header: PushHeader, msgType: string): XmlField[] {
  return [
    ['ToUserName', header.originalId, 'cdata'],
    ['FromUserName', header.openid, 'cdata'],
    ['CreateTime', String(header.createTime), 'bare'],
    ['MsgType', msgType, 'cdata'],
  ];
}

/** Coordinates as WeChat writes them: six decimals. */
function coordinate(value: number): string {
  return value.toFixed(6);
}

/** A message push's fields in WeChat's order, and its MsgId. */
export function messageFields(input: MessagePush, header: PushHeader): { fields: XmlField[]; msgId: string } {
  const msgId = input.msgId ?? newMsgId();
  const body: XmlField[] = [];
  switch (input.msgType) {
    case 'text':
      body.push(['Content', input.content ?? '', 'cdata']);
      break;
    case 'image':
      body.push(
        ['PicUrl', input.picUrl ?? `http://mmbiz.qpic.cn/mmbiz_jpg/${newMediaId()}/0`, 'cdata'],
        ['MediaId', input.mediaId ?? newMediaId(), 'cdata'],
      );
      break;
    case 'voice':
      body.push(
        ['MediaId', input.mediaId ?? newMediaId(), 'cdata'],
        ['Format', input.format ?? 'amr', 'cdata'],
      );
      if (input.recognition !== undefined) body.push(['Recognition', input.recognition, 'cdata']);
      break;
    case 'video':
    case 'shortvideo':
      body.push(
        ['MediaId', input.mediaId ?? newMediaId(), 'cdata'],
        ['ThumbMediaId', input.thumbMediaId ?? newMediaId(), 'cdata'],
      );
      break;
    case 'location':
      body.push(
        ['Location_X', coordinate(input.locationX ?? 0), 'bare'],
        ['Location_Y', coordinate(input.locationY ?? 0), 'bare'],
        ['Scale', String(input.scale ?? 15), 'bare'],
        ['Label', input.label ?? '', 'cdata'],
      );
      break;
    case 'link':
      body.push(
        ['Title', input.title ?? '', 'cdata'],
        ['Description', input.description ?? '', 'cdata'],
        ['Url', input.url ?? '', 'cdata'],
      );
      break;
  }
  body.push(['MsgId', msgId, 'bare']);
  if (input.msgDataId !== undefined) body.push(['MsgDataId', input.msgDataId, 'bare']);
  if (input.idx !== undefined) body.push(['Idx', String(input.idx), 'bare']);
  return { fields: [...headerFields(header, input.msgType), ...body], msgId };
}

/** An event push's fields in WeChat's order (events carry no MsgId). */
export function eventFields(input: EventPush, header: PushHeader): XmlField[] {
  const fields = headerFields(header, 'event');
  fields.push(['Event', input.event, 'cdata']);
  switch (input.event) {
    case 'subscribe':
    case 'SCAN':
    case 'CLICK':
    case 'VIEW':
      if (input.eventKey !== undefined) fields.push(['EventKey', input.eventKey, 'cdata']);
      if (input.ticket !== undefined) fields.push(['Ticket', input.ticket, 'cdata']);
      if (input.menuId !== undefined) fields.push(['MenuId', input.menuId, 'bare']);
      break;
    case 'LOCATION':
      fields.push(
        ['Latitude', coordinate(input.latitude ?? 0), 'bare'],
        ['Longitude', coordinate(input.longitude ?? 0), 'bare'],
        ['Precision', coordinate(input.precision ?? 65), 'bare'],
      );
      break;
    case 'TEMPLATESENDJOBFINISH':
      fields.push(
        ['MsgID', input.msgId ?? newMsgId(), 'bare'],
        ['Status', input.status ?? 'success', 'cdata'],
      );
      break;
    case 'unsubscribe':
      break;
  }
  return fields;
}

/**
 * The customer-service window an event opens: a follow, a QR scan, a menu click (not VIEW,
 * LOCATION, unsubscribe or a template report). Every message opens the `message` window.
 */
export function eventScene(event: EventType): InteractionScene | undefined {
  if (event === 'subscribe') return 'subscribe';
  if (event === 'SCAN') return 'scan';
  if (event === 'CLICK') return 'menu';
  return undefined;
}
