import type { PushEvent } from '../gateway/receive/push-event.js';
import type { PushFields } from '../gateway/xml/push-xml.js';

/** Longest detail shown on a line, characters; the JSON output has everything. */
const DETAIL_MAX = 80;

/**
 * C0 and C1 controls (ESC starts a terminal escape sequence) and the bidirectional overrides:
 * a user's message must not be able to move the cursor, retitle the window or reorder the line.
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** The fields worth a glance, per message type and event (shared/wechat-api.md §11). */
const KEY_FIELDS: Readonly<Record<string, readonly string[]>> = {
  text: ['Content'],
  image: ['PicUrl'],
  voice: ['Format', 'Recognition'],
  video: ['MediaId'],
  shortvideo: ['MediaId'],
  location: ['Location_X', 'Location_Y', 'Label'],
  link: ['Title', 'Url'],
  'event/LOCATION': ['Latitude', 'Longitude'],
  'event/TEMPLATESENDJOBFINISH': ['Status'],
  'event/MASSSENDJOBFINISH': ['Status'],
};

/**
 * One push as a terminal line: WeChat's time (UTC), appid, the openid shortened, the type
 * (`text`, `event/subscribe`) and its key fields. Text from the user is made inert: control
 * characters become `\uXXXX`, so a message cannot drive the operator's terminal.
 */
export function formatEventLine(event: PushEvent): string {
  const time = new Date(event.create_time * 1000).toISOString().replace('T', ' ').slice(0, 19);
  const type = event.type === 'event' ? `event/${event.event ?? '?'}` : event.msg_type;
  return [`${time}Z`, inert(event.appid), shortOpenid(event.openid), inert(type), detail(event, type)]
    .filter((part) => part !== '')
    .join('  ');
}

/** `oBench…0001`: enough to tell users apart on screen without printing whole identifiers. */
export function shortOpenid(openid: string): string {
  const safe = inert(openid);
  return safe.length <= 12 ? safe : `${safe.slice(0, 6)}…${safe.slice(-4)}`;
}

function detail(event: PushEvent, type: string): string {
  const names = KEY_FIELDS[type] ?? KEY_FIELDS[event.msg_type] ?? [];
  const parts = names
    .map((name) => text(event.fields, name))
    .filter((value): value is string => value !== undefined && value !== '');
  if (event.event_key !== undefined) parts.unshift(`key=${event.event_key}`);
  const line = inert(parts.join(' '));
  return line.length > DETAIL_MAX ? `${line.slice(0, DETAIL_MAX - 1)}…` : line;
}

function text(fields: PushFields, name: string): string | undefined {
  const value = fields[name];
  return typeof value === 'string' ? value : undefined;
}

function inert(value: string): string {
  return value.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
