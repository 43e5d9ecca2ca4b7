import { createHash } from 'node:crypto';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { WxhubError } from '../../src/errors/index.js';
import { MessageCipher } from '../../src/gateway/crypto/message-cipher.js';
import type { EventLog } from '../../src/gateway/log/event-log.js';
import { MemoryEventLog } from '../../src/gateway/log/memory-event-log.js';
import { CallbackCodec, type CallbackMode } from '../../src/gateway/receive/callback-codec.js';
import { callbackRoutes } from '../../src/gateway/receive/callback-routes.js';
import { type PushAnswerer, PushReceiver } from '../../src/gateway/receive/push-receiver.js';
import { replyXml } from '../../src/gateway/reply/reply-message.js';
import { parsePushXml } from '../../src/gateway/xml/push-xml.js';
import { ManualClock } from '../../src/util/clock.js';

const APPID = 'wx1234567890abcdef';
const TOKEN = 'Tok3n';
const AES = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
const sha1 = (...parts: string[]) => createHash('sha1').update(parts.sort().join('')).digest('hex');

async function gateway(mode: CallbackMode, log: EventLog = new MemoryEventLog(), answer?: PushAnswerer) {
  const clock = new ManualClock(1_700_000_000_000);
  const codec = new CallbackCodec(APPID, { token: TOKEN, mode, encodingAESKey: AES });
  const logged: string[] = [];
  const receiver = new PushReceiver({
    codec: (appid) => (appid === APPID ? codec : undefined),
    log,
    partitions: 4,
    clock,
    answer,
    onLogged: (event) => logged.push(event.id),
  });
  const app = Fastify();
  await app.register(callbackRoutes, { receiver });
  const now = String(Math.floor(clock.now() / 1000));
  const query = (extra: Record<string, string> = {}, nonce = '7') =>
    new URLSearchParams({
      signature: sha1(TOKEN, now, nonce),
      timestamp: now,
      nonce,
      openid: 'oU',
      ...extra,
    }).toString();
  const text = (msgId: string, content = 'hi') =>
    `<xml><ToUserName><![CDATA[gh_acc]]></ToUserName><FromUserName><![CDATA[oU]]></FromUserName><CreateTime>${now}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[${content}]]></Content><MsgId>${msgId}</MsgId></xml>`;
  const post = (body: string, q = query()) =>
    app.inject({
      method: 'POST',
      url: `/callback/${APPID}?${q}`,
      payload: body,
      headers: { 'content-type': 'text/xml' },
    });
  return { app, log, logged, query, text, post, now };
}

describe('/callback/:appid', () => {
  it("answers WeChat's URL check with the echostr, and refuses a forged one", async () => {
    const { app, query, now } = await gateway('plain');
    const ok = await app.inject(`/callback/${APPID}?${query({ echostr: '1234567890' })}`);
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toBe('1234567890');
    const forged = new URLSearchParams({
      signature: sha1('guess', now, '7'),
      timestamp: now,
      nonce: '7',
      echostr: 'x',
    });
    const refused = await app.inject(`/callback/${APPID}?${forged}`);
    expect(refused.statusCode).toBe(403);
    expect(refused.body).not.toContain('x\n');
    expect((await app.inject(`/callback/wx0000000000000000?${query({ echostr: 'e' })}`)).statusCode).toBe(
      404,
    );
  });

  it('logs a push before answering success; a retry gets the same answer and is logged once', async () => {
    const { post, text, log, logged } = await gateway('plain');
    const first = await post(text('100'));
    expect(first.statusCode).toBe(200);
    expect(first.body).toBe('success');
    const retry = await post(text('100'));
    expect(retry.body).toBe('success');
    expect(logged).toHaveLength(1);
    const all = await log.readAppid(APPID, null, 10);
    expect(all.map((e) => e.event.fields.MsgId)).toEqual(['100']);
  });

  it('refuses forged, bombed and oversized pushes with nothing logged', async () => {
    const { post, text, log, now } = await gateway('plain');
    const forged = new URLSearchParams({
      signature: sha1('x', now, '7'),
      timestamp: now,
      nonce: '7',
    }).toString();
    expect((await post(text('1'), forged)).statusCode).toBe(403);
    const bomb = `<!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><xml><Content>&b;</Content></xml>`;
    expect((await post(bomb)).statusCode).toBe(400);
    expect((await post(text('2', 'x'.repeat(70_000)))).statusCode).toBe(413);
    expect((await post('not xml')).statusCode).toBe(400);
    expect(await log.readAppid(APPID, null, 10)).toEqual([]);
  });

  it('answers a safe-mode push with the reply encrypted and signed, the same on a retry', async () => {
    const answer: PushAnswerer = async (event) =>
      replyXml({ msgtype: 'text', content: `echo ${event.fields.Content}` }, event.openid, 'gh_acc', 1);
    const { post, text, query, now } = await gateway('safe', new MemoryEventLog(), answer);
    const encrypt = new MessageCipher(AES, APPID).encrypt(text('300', '你好'));
    const q = query({ encrypt_type: 'aes', msg_signature: sha1(TOKEN, now, '7', encrypt) });
    const body = `<xml><ToUserName><![CDATA[gh_acc]]></ToUserName><Encrypt><![CDATA[${encrypt}]]></Encrypt></xml>`;
    const first = await post(body, q);
    expect(first.statusCode).toBe(200);
    const sealed = parsePushXml(first.body);
    expect(sealed.MsgSignature).toBe(
      sha1(TOKEN, sealed.TimeStamp as string, sealed.Nonce as string, sealed.Encrypt as string),
    );
    const inner = parsePushXml(new MessageCipher(AES, APPID).decrypt(sealed.Encrypt as string));
    expect(inner).toMatchObject({
      ToUserName: 'oU',
      FromUserName: 'gh_acc',
      MsgType: 'text',
      Content: 'echo 你好',
    });
    expect((await post(body, q)).body).toBe(first.body);
  });

  it('answers 503 when the log is down, so WeChat tries again', async () => {
    const broken = new MemoryEventLog();
    broken.append = async () => {
      throw new WxhubError('WXHUB_ERR_STORE_UNAVAILABLE', 'redis://10.0.0.5:6379 down');
    };
    const { post, text } = await gateway('plain', broken);
    const res = await post(text('9'));
    expect(res.statusCode).toBe(503);
    expect(res.body).toBe('WXHUB_ERR_STORE_UNAVAILABLE\n'); // the host stays in the log
  });
});
