import { createDecipheriv, createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { announceAndWait } from './child-server.js';

/** What both baselines need to check a push: the account's Token and (safe mode) EncodingAESKey. */
export interface BarePushAccount {
  readonly token: string;
  readonly encodingAESKey: string;
}

/** A push whose signatures verified: its XML as sent (Encrypt envelope in safe mode). */
interface Verified {
  /** The last segment of the path: `/callback/:appid`'s appid. */
  readonly appid: string;
  readonly query: URLSearchParams;
  readonly body: string;
  readonly encrypt?: string;
}

const sha1 = (...parts: string[]) => createHash('sha1').update(parts.sort().join('')).digest('hex');
const same = (a: string, b: string) =>
  a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/** Reads a push and checks `signature` (and `msg_signature` in safe mode); undefined if forged. */
function verified(req: IncomingMessage, token: string, then: (push: Verified | undefined) => void): void {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const url = new URL(req.url ?? '/', 'http://bare');
    const { searchParams: query } = url;
    const appid = url.pathname.slice(url.pathname.lastIndexOf('/') + 1);
    const q = (name: string) => query.get(name) ?? '';
    const body = Buffer.concat(chunks).toString();
    if (!same(q('signature'), sha1(token, q('timestamp'), q('nonce')))) return then(undefined);
    if (q('encrypt_type') !== 'aes') return then({ appid, query, body });
    const encrypt = /<Encrypt><!\[CDATA\[([^\]]*)\]\]><\/Encrypt>/.exec(body)?.[1];
    const ok =
      encrypt !== undefined && same(q('msg_signature'), sha1(token, q('timestamp'), q('nonce'), encrypt));
    then(ok ? { appid, query, body, encrypt } : undefined);
  });
}

/** Child mode: node:http checking `signature` (and `msg_signature` in safe mode), answering `success`. */
export async function serveBare(account: BarePushAccount): Promise<void> {
  const server = createServer((req, res) =>
    verified(req, account.token, (push) =>
      res
        .writeHead(push ? 200 : 401, { 'content-type': 'text/plain; charset=utf-8' })
        .end(push ? 'success' : ''),
    ),
  );
  await listen(server);
}

/**
 * Child mode, the least any receiver that fans out per event must do: the bare server's work,
 * then (safe mode) the AES decryption, the fields read by a regular expression, and one JSON
 * webhook per subscriber signed per Standard Webhooks, sent through undici without waiting for
 * it. No log, no dedup, no retry, no order: what it costs the machine is the floor under the
 * gateway's, and its ratio to the bare server the ceiling of the gateway's.
 */
export async function serveBareFanout(
  account: BarePushAccount,
  subscribers: readonly { url: string; secret: string }[],
): Promise<void> {
  const aesKey = Buffer.from(`${account.encodingAESKey}=`, 'base64');
  const dispatcher = new Agent({ connections: 16, keepAliveTimeout: 10_000 });
  const targets = subscribers.map(({ url, secret }) => ({
    origin: new URL(url).origin,
    key: Buffer.from(secret.slice('whsec_'.length), 'base64'),
  }));
  const server = createServer((req, res) =>
    verified(req, account.token, (push) => {
      res
        .writeHead(push ? 200 : 401, { 'content-type': 'text/plain; charset=utf-8' })
        .end(push ? 'success' : '');
      if (!push) return;
      const xml = push.encrypt === undefined ? push.body : decrypt(aesKey, push.encrypt);
      const fields: Record<string, string> = {};
      for (const m of xml.matchAll(/<(\w+)>(?:<!\[CDATA\[(.*?)\]\]>|([^<]*))<\/\1>/g))
        fields[m[1]!] = m[2] ?? m[3]!;
      const id = `evt_${createHash('sha256')
        .update(fields.MsgId ?? '')
        .digest('base64url')
        .slice(0, 24)}`;
      const body = JSON.stringify({
        id,
        appid: push.appid,
        openid: fields.FromUserName,
        type: 'message',
        msg_type: fields.MsgType,
        create_time: Number(fields.CreateTime),
        fields,
        xml,
      });
      const timestamp = String(Math.floor(Date.now() / 1000));
      for (const { origin, key } of targets) {
        const signature = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
        dispatcher
          .request({
            origin,
            path: '/',
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              'webhook-id': id,
              'webhook-timestamp': timestamp,
              'webhook-signature': `v1,${signature}`,
            },
            body,
          })
          .then((answer) => answer.body.dump())
          .catch(() => undefined);
      }
    }),
  );
  await listen(server);
}

/** WeChat's safe-mode layout: AES-256-CBC, IV = key[0..16), 16 random bytes, length, XML, appid. */
function decrypt(key: Buffer, encrypt: string): string {
  const decipher = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16)).setAutoPadding(false);
  const plain = Buffer.concat([decipher.update(encrypt, 'base64'), decipher.final()]);
  return plain.subarray(20, 20 + plain.readUInt32BE(16)).toString();
}

async function listen(server: ReturnType<typeof createServer>): Promise<void> {
  server.keepAliveTimeout = 72_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  announceAndWait(
    `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    () => new Promise((resolve) => server.close(resolve)),
  );
}
