import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hub } from '../../../src/hub/index.js';
import { adminSession, HTML } from '../../web/support/web-fixture.js';
import { startSubscriber, type TestSubscriber, until } from './gateway-hub.js';
import { injectHub, push, text } from './inject-push.js';

let crm: TestSubscriber;
let hub: Hub;
let cookie: string;

beforeAll(async () => {
  crm = await startSubscriber();
  crm.state.down = true;
  hub = await injectHub({
    config: { subscribers: [{ name: 'crm', url: crm.url, secret: crm.secret }] },
    gateway: { retryStrategy: () => null, pollMs: 50 },
  });
  cookie = await adminSession(hub);
});
afterAll(async () => {
  await hub?.close();
  await crm?.close();
});

const stat = (page: string, name: string) =>
  new RegExp(`data-stat="${name}"><div class="label">.*?</div><div class="value">(.*?)</div>`).exec(
    page,
  )?.[1];

describe('the dashboard gateway page', () => {
  it('shows pushes, dedup hits, ack latency, backlog, last error and dead letters, and replays them', async () => {
    await push(hub, text('71'));
    await push(hub, text('71'));
    await until(
      async () => (await hub.services.gateway.log.deadLetters('crm', 10)).length === 1,
      5000,
      'the dead letter',
    );
    const page = await hub.app.inject({ url: '/admin/gateway', headers: { ...HTML, cookie } });
    expect(page.statusCode).toBe(200);
    const body = page.body;
    expect(stat(body, 'pushes-per-minute')).toBe('1');
    expect(stat(body, 'duplicates')).toBe('1');
    expect(stat(body, 'ack-latency')).toMatch(/ms$/);
    expect(body).toMatch(/data-subscriber="crm"/);
    expect(body).toMatch(/data-col="last-error">[^<]*HTTP 503/);
    expect(body).toContain('id="dead-letters"');
    expect(body).not.toContain(crm.secret);
    expect(body).toContain('href="/admin/gateway"');

    // Replay needs the session's CSRF token.
    const forged = await hub.app.inject({
      method: 'POST',
      url: '/admin/gateway/replay',
      headers: { ...HTML, cookie },
      payload: { consumer: 'crm', _csrf: 'forged' },
    });
    expect(forged.statusCode).toBe(403);
    crm.state.down = false;
    const csrf = /name="_csrf" value="([^"]+)"/.exec(body)?.[1];
    const replayed = await hub.app.inject({
      method: 'POST',
      url: '/admin/gateway/replay',
      headers: { ...HTML, cookie },
      payload: { consumer: 'crm', _csrf: csrf },
    });
    expect(replayed.statusCode).toBe(303);
    expect(replayed.headers.location).toMatch(/replayed=1&failed=0/);
    expect(crm.events().map((e) => e.fields.MsgId)).toEqual(['71']);
    const after = await hub.app.inject({
      url: String(replayed.headers.location),
      headers: { ...HTML, cookie },
    });
    expect(after.body).toContain('crm: replayed 1, failed 0');
    expect(after.body).toContain('id="no-dead-letters"');
  });

  it('is behind the admin login', async () => {
    const res = await hub.app.inject({ url: '/admin/gateway', headers: HTML });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/admin/login');
  });
});
