import { afterEach, describe, expect, it } from 'vitest';
import { type RunningSimulator, startSimulator } from '../../../src/sim/index.js';
import { AES_KEY, TOKEN } from '../support/push.js';
import { startReceiver } from '../support/receiver.js';
import { APPID, BOB, SECRET, twoAccounts } from '../support/sim.js';
import {
  encryptedReply,
  receiverDecrypt,
  sha1Sorted,
  textReply,
  xmlField,
} from '../support/wechat-crypto.js';

const running: RunningSimulator[] = [];
afterEach(async () => {
  while (running.length) await running.pop()!.close();
});

// biome-ignore lint/suspicious/noExplicitAny: assertions read arbitrary WeChat JSON
type Json = Record<string, any>;

async function call(
  sim: RunningSimulator,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: Json }> {
  const res = await fetch(`${sim.url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Json };
}

describe('the follow-to-log-in road, all over HTTP (safe mode)', () => {
  it('QR code → scan → encrypted subscribe push → encrypted reply in the inbox → customer-service message', async () => {
    const sim = await startSimulator({ fixture: twoAccounts() });
    running.push(sim);
    const receiver = await startReceiver('/callback/wxa');
    let gh = '';
    // A correct safe-mode server: verify both signatures, decrypt, answer an encrypted welcome.
    receiver.otherwise((req, res) => {
      if (req.method === 'GET') {
        res.end(req.query.get('echostr'));
        return;
      }
      const q = req.query;
      const encrypt = xmlField(req.body, 'Encrypt')!;
      const ok =
        q.get('signature') === sha1Sorted(TOKEN, q.get('timestamp')!, q.get('nonce')!) &&
        q.get('msg_signature') === sha1Sorted(TOKEN, q.get('timestamp')!, q.get('nonce')!, encrypt);
      const { xml, appid } = receiverDecrypt(encrypt, AES_KEY);
      if (!ok || appid !== APPID) {
        res.writeHead(403).end();
        return;
      }
      const from = xmlField(xml, 'FromUserName')!;
      res.end(
        encryptedReply(textReply(from, gh, `欢迎 ${xmlField(xml, 'EventKey')}`), {
          appid: APPID,
          token: TOKEN,
          encodingAESKey: AES_KEY,
        }),
      );
    });
    const saved = await call(sim, 'POST', `/__sim/accounts/${APPID}/server`, {
      url: receiver.url,
      token: TOKEN,
      encodingAESKey: AES_KEY,
      mode: 'safe',
    });
    expect(saved.status).toBe(200);
    gh = (await call(sim, 'GET', `/__sim/accounts/${APPID}`)).body.originalId;

    const token = (
      await call(sim, 'GET', `/cgi-bin/token?grant_type=client_credential&appid=${APPID}&secret=${SECRET}`)
    ).body.access_token;
    const code = (
      await call(sim, 'POST', `/cgi-bin/qrcode/create?access_token=${token}`, {
        expire_seconds: 600,
        action_name: 'QR_STR_SCENE',
        action_info: { scene: { scene_str: 'login-7f3a' } },
      })
    ).body;
    const image = await fetch(`${sim.url}/cgi-bin/showqrcode?ticket=${encodeURIComponent(code.ticket)}`);
    expect(image.headers.get('content-type')).toBe('image/png');

    const scanned = await call(sim, 'POST', `/__sim/qrcodes/${encodeURIComponent(code.ticket)}/scan`, {
      openid: BOB.openid,
    });
    expect(scanned.status).toBe(200);
    expect(scanned.body).toMatchObject({
      event: 'subscribe',
      attempts: 1,
      delivered: true,
      userSees: null,
      reply: { msgType: 'text', fields: { Content: '欢迎 qrscene_login-7f3a' } },
    });

    const sent = await call(sim, 'POST', `/cgi-bin/message/custom/send?access_token=${token}`, {
      touser: BOB.openid,
      msgtype: 'text',
      text: { content: '登录成功' },
    });
    expect(sent.body).toEqual({ errcode: 0, errmsg: 'ok' });
    const inbox = (await call(sim, 'GET', `/__sim/accounts/${APPID}/users/${BOB.openid}/inbox`)).body;
    expect(inbox.messages.map((m: { source: string; content: string }) => [m.source, m.content])).toEqual([
      ['reply', '欢迎 qrscene_login-7f3a'],
      ['custom', '登录成功'],
    ]);
  });
});
