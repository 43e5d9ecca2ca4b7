import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Hub } from '../../../src/hub/index.js';
import { BARE, injectHub, push, SHOP, text } from './inject-push.js';

let hub: Hub;
let key: string;
beforeEach(async () => {
  hub = await injectHub();
  key = (await hub.services.keys.create({ name: 'puller', appids: [SHOP], scopes: ['events'] })).key;
});
afterEach(async () => {
  await hub?.close();
});

const pull = (query: string, appid = SHOP, bearer = key) =>
  hub.app.inject({
    url: `/v1/accounts/${appid}/events${query}`,
    headers: { authorization: `Bearer ${bearer}` },
  });

describe('GET /v1/accounts/:appid/events (the pull API)', () => {
  it('pages through the events, oldest first, as the webhook JSON, and resumes from next', async () => {
    for (const id of ['1', '2', '3']) expect((await push(hub, text(id, `o${id}`))).body).toBe('success');
    const first = await pull('?limit=2');
    expect(first.statusCode, first.body).toBe(200);
    const page = first.json();
    expect(page.events.map((e: { fields: { MsgId: string } }) => e.fields.MsgId)).toEqual(['1', '2']);
    expect(page.events[0]).toMatchObject({ appid: SHOP, openid: 'o1', type: 'message', msg_type: 'text' });
    expect(page.events[0].xml).toContain('<MsgId>1</MsgId>');
    const second = (await pull(`?after=${page.next}`)).json();
    expect(second.events.map((e: { fields: { MsgId: string } }) => e.fields.MsgId)).toEqual(['3']);
    const third = (await pull(`?after=${second.next}`)).json();
    expect(third).toEqual({ events: [], next: second.next });
    expect((await pull('')).json().events).toHaveLength(3);
  });

  it('long-polls: a waiting pull answers as soon as a push arrives', async () => {
    const { next } = (await pull('')).json();
    expect(next).toBeNull();
    const waiting = pull('?wait=20');
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    await push(hub, text('9'));
    const res = await waiting;
    expect(res.json().events.map((e: { fields: { MsgId: string } }) => e.fields.MsgId)).toEqual(['9']);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('answers an empty page after the wait when nothing comes, and at once when the hub closes', async () => {
    const res = await pull('?wait=0.2');
    expect(res.json()).toEqual({ events: [], next: null });
    const waiting = pull('?wait=30');
    await new Promise((r) => setTimeout(r, 100));
    const closing = hub.close();
    const answered = await waiting;
    await closing;
    expect(answered.statusCode).toBe(200);
    expect(answered.json().events).toEqual([]);
  });

  it('refuses a cursor it never gave, bad limits and waits, a key without the scope or the appid', async () => {
    for (const query of [
      '?after=not-a-cursor',
      '?after=',
      '?limit=0',
      '?limit=1001',
      '?wait=31',
      '?wait=x',
    ]) {
      const res = await pull(query);
      expect(res.statusCode, query).toBe(400);
      expect(res.json().error.code, query).toBe('WXHUB_ERR_INVALID_ARGUMENT');
    }
    const tokenOnly = (await hub.services.keys.create({ name: 't', appids: [SHOP], scopes: ['token'] })).key;
    expect((await pull('', SHOP, tokenOnly)).statusCode).toBe(403);
    expect((await pull('', BARE)).statusCode).toBe(403);
    expect((await pull('', 'wx9999999999999999')).statusCode).toBe(404);
    expect((await pull('', SHOP, 'wrong')).statusCode).toBe(401);
  });
});
