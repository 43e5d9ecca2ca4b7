import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PushEvent } from '../../../src/gateway/receive/push-event.js';
import {
  type GatewayHub,
  startGatewayHub,
  startSubscriber,
  type TestSubscriber,
  until,
  webhook,
} from './gateway-hub.js';

/** Safe mode, every message type and event of wechat-api.md §11, pushed by the simulator. */
let crm: TestSubscriber;
let gw: GatewayHub;
const heard: PushEvent[] = [];

beforeAll(async () => {
  crm = await startSubscriber();
  gw = await startGatewayHub({ mode: 'safe', config: () => ({ subscribers: [webhook('crm', crm)] }) });
  gw.hub.services.events.on((event) => {
    heard.push(event);
  });
});
afterAll(async () => {
  await gw?.close();
  await crm?.close();
});

async function delivered(id: (e: PushEvent) => boolean): Promise<PushEvent> {
  await until(() => crm.events().some(id), 10_000, 'the delivery');
  return crm.events().find(id)!;
}

describe('every message type and event, safe mode, through the hub', () => {
  it.each([
    [{ msgType: 'text', content: '你好' }, { Content: '你好' }],
    [
      { msgType: 'image', picUrl: 'http://mmbiz.qpic.cn/x/0', mediaId: 'm1' },
      { PicUrl: 'http://mmbiz.qpic.cn/x/0', MediaId: 'm1' },
    ],
    [
      { msgType: 'voice', mediaId: 'm2', format: 'amr', recognition: '语音' },
      { Format: 'amr', Recognition: '语音' },
    ],
    [{ msgType: 'video', mediaId: 'm3', thumbMediaId: 't3' }, { ThumbMediaId: 't3' }],
    [{ msgType: 'shortvideo', mediaId: 'm4', thumbMediaId: 't4' }, { MediaId: 'm4' }],
    [{ msgType: 'location', locationX: 23.1, locationY: 113.3, scale: 15, label: '广州' }, { Label: '广州' }],
    [
      { msgType: 'link', url: 'https://example.com/a', title: 'T', description: 'D' },
      { Url: 'https://example.com/a', Title: 'T' },
    ],
    [
      { msgType: 'text', content: 'from an article', msgDataId: '12345', idx: 1 },
      { MsgDataId: '12345', Idx: '1' },
    ],
  ])('message %j', async (input, fields) => {
    const outcome = await gw.message(input);
    expect(outcome).toMatchObject({ attempts: 1, delivered: true, reply: null });
    const event = await delivered((e) => e.fields.MsgId === outcome.msgId);
    expect(event).toMatchObject({ type: 'message', msg_type: input.msgType, openid: gw.openid, fields });
    expect(event.fields.MsgId).toMatch(/^\d+$/);
  });

  it.each([
    [{ event: 'LOCATION', latitude: 23.1, longitude: 113.3, precision: 30 }, {}],
    [{ event: 'CLICK', eventKey: 'MENU_1' }, { event_key: 'MENU_1' }],
    [{ event: 'VIEW', eventKey: 'https://example.com/menu' }, { event_key: 'https://example.com/menu' }],
    [{ event: 'TEMPLATESENDJOBFINISH', msgId: '2001', status: 'success' }, {}],
    [{ event: 'SCAN', eventKey: '42', ticket: 'gQH' }, { event_key: '42' }],
    [{ event: 'unsubscribe' }, {}],
    [{ event: 'subscribe', eventKey: 'qrscene_42', ticket: 'gQH' }, { event_key: 'qrscene_42' }],
  ])('event %j', async (input, extra) => {
    const outcome = await gw.event(input);
    expect(outcome).toMatchObject({ delivered: true, reply: null });
    const event = await delivered((e) => e.event === input.event && e.create_time === outcome.createTime);
    expect(event).toMatchObject({ type: 'event', msg_type: 'event', event: input.event, ...extra });
    expect(heard.some((e) => e.id === event.id)).toBe(true);
  });

  it('refuses forged, stale and oversized or entity-laden pushes without storing anything', async () => {
    const before = (await gw.hub.services.gateway.log.readAppid(gw.appid, null, 1000)).length;
    const now = String(Math.floor(gw.sim.clock.now() / 1000));
    const sig = (ts: string, nonce: string) =>
      createHash('sha1').update([gw.token, ts, nonce].sort().join('')).digest('hex');
    const post = (query: Record<string, string>, body: string) =>
      fetch(`${gw.serverUrl}?${new URLSearchParams(query)}`, {
        method: 'POST',
        headers: { 'content-type': 'text/xml' },
        body,
      });
    const plain = `<xml><ToUserName>gh</ToUserName><FromUserName>${gw.openid}</FromUserName><CreateTime>${now}</CreateTime><MsgType>text</MsgType><Content>forged</Content><MsgId>999</MsgId></xml>`;
    // Forged signature.
    const forged = await post({ signature: 'f'.repeat(40), timestamp: now, nonce: '1' }, plain);
    expect(forged.status).toBe(403);
    expect(await forged.text()).toBe('WXHUB_ERR_CALLBACK_SIGNATURE\n');
    // A valid signature from long ago (a replay).
    const old = String(Number(now) - 3600);
    expect((await post({ signature: sig(old, '2'), timestamp: old, nonce: '2' }, plain)).status).toBe(403);
    // A plaintext push, correctly signed, to an account in safe mode: a downgrade.
    expect((await post({ signature: sig(now, '3'), timestamp: now, nonce: '3' }, plain)).status).toBe(403);
    // Encrypted with a wrong msg_signature.
    const wrongMsg = await post(
      {
        signature: sig(now, '4'),
        timestamp: now,
        nonce: '4',
        encrypt_type: 'aes',
        msg_signature: 'a'.repeat(40),
      },
      '<xml><ToUserName>gh</ToUserName><Encrypt><![CDATA[AAAA]]></Encrypt></xml>',
    );
    expect(wrongMsg.status).toBe(403);
    // The billion laughs: refused before any expansion.
    const bomb = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><xml><Encrypt>&lol2;</Encrypt></xml>`;
    const bombed = await post(
      { signature: sig(now, '5'), timestamp: now, nonce: '5', encrypt_type: 'aes', msg_signature: 'x' },
      bomb,
    );
    expect(bombed.status).toBe(400);
    expect(await bombed.text()).toBe('WXHUB_ERR_CALLBACK_XML\n');
    // Over the size cap.
    const huge = await post(
      { signature: sig(now, '6'), timestamp: now, nonce: '6' },
      `<xml>${'a'.repeat(70_000)}</xml>`,
    );
    expect(huge.status).toBe(413);
    expect((await gw.hub.services.gateway.log.readAppid(gw.appid, null, 1000)).length).toBe(before);
  });
});
