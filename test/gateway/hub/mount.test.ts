import { afterEach, describe, expect, it } from 'vitest';
import type { PushEvent } from '../../../src/gateway/receive/push-event.js';
import { createHub, type Hub } from '../../../src/hub/index.js';
import { captureLogs } from '../../support/log-capture.js';
import { BARE, SHOP, signed, TOKEN, text } from './inject-push.js';

let hub: Hub | undefined;
afterEach(async () => {
  await hub?.close();
  hub = undefined;
});

async function makeHub(logger = captureLogs('info')) {
  hub = await createHub({
    config: {
      store: 'memory:',
      database: 'memory:',
      logging: { requests: 'all' },
      accounts: [
        { appid: SHOP, secret: 's', callback: { token: TOKEN, mode: 'plain' } },
        { appid: BARE, secret: 's' },
      ],
    },
    logger: logger.logger,
    proactiveRefresh: false,
  });
  return { hub, logs: logger };
}

describe('the gateway mounted in the hub', () => {
  it('answers an account without callback config with WXHUB_ERR_CALLBACK_NOT_CONFIGURED, and an unknown one too', async () => {
    const { hub } = await makeHub();
    const q = new URLSearchParams({ ...signed(), echostr: 'e' });
    for (const appid of [BARE, 'wx9999999999999999']) {
      const res = await hub.app.inject({ url: `/callback/${appid}?${q}` });
      expect(res.statusCode).toBe(404);
      expect(res.body).toBe('WXHUB_ERR_CALLBACK_NOT_CONFIGURED\n');
    }
    expect((await hub.app.inject({ url: `/callback/${SHOP}?${q}` })).body).toBe('e');
  });

  it('takes XML with any content type WeChat uses, without a client key', async () => {
    const { hub } = await makeHub();
    let n = 1;
    for (const type of ['text/xml', 'application/xml', 'text/plain', undefined]) {
      const res = await hub.app.inject({
        method: 'POST',
        url: `/callback/${SHOP}?${new URLSearchParams({ ...signed(), openid: 'oUser' })}`,
        payload: text(String(n++)),
        headers: type ? { 'content-type': type } : {},
      });
      expect(res.statusCode, type).toBe(200);
      expect(res.body).toBe('success');
    }
    expect((await hub.services.gateway.log.readAppid(SHOP, null, 10)).length).toBe(4);
  });

  it("tells every push listener of a new push, and a listener's failure changes nothing", async () => {
    const { hub, logs } = await makeHub();
    const seen: PushEvent[] = [];
    hub.services.events.on(() => {
      throw new Error('listener bug');
    });
    hub.services.events.on(async () => {
      throw new Error('async listener bug');
    });
    hub.services.events.on((event) => {
      seen.push(event);
    });
    const push = () =>
      hub.app.inject({
        method: 'POST',
        url: `/callback/${SHOP}?${new URLSearchParams({ ...signed(), openid: 'oUser' })}`,
        payload: text('77'),
        headers: { 'content-type': 'text/xml' },
      });
    expect((await push()).body).toBe('success');
    // WeChat's retry: answered the same, and listeners are not told again.
    expect((await push()).body).toBe('success');
    expect(seen.map((e) => e.fields.MsgId)).toEqual(['77']);
    await new Promise((r) => setTimeout(r, 10));
    expect(logs.lines.filter((l) => l.includes('a push listener failed'))).toHaveLength(2);
  });

  it('logs callback requests without the signature, msg_signature or echostr', async () => {
    const { hub, logs } = await makeHub();
    const query = signed();
    const res = await hub.app.inject({
      url: `/callback/${SHOP}?${new URLSearchParams({ ...query, echostr: 'SecretEcho123', msg_signature: 'MsgSig456' })}`,
    });
    expect(res.body).toBe('SecretEcho123');
    const lines = logs.lines.filter((l) => l.includes('/callback/'));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('\n')).toContain('"route":"/callback/:appid"');
    expect(logs.leaks([query.signature, 'SecretEcho123', 'MsgSig456'])).toEqual([]);
  });
});
