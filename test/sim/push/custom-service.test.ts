import { describe, expect, it, vi } from 'vitest';
import { configureServer } from '../support/push.js';
import { startReceiver } from '../support/receiver.js';
import { ALICE, APPID, BOB, expectWeChatError, makeSim, START } from '../support/sim.js';

const ALICE_ID = ALICE.openid!;
const BOB_ID = BOB.openid!;
const OK = { errcode: 0, errmsg: 'ok' };
const inboxPath = (openid = ALICE_ID) => `/__sim/accounts/${APPID}/users/${openid}/inbox`;

async function setup() {
  const sim = makeSim();
  const receiver = await startReceiver();
  await configureServer(sim, receiver, 'plain');
  const token = await sim.token();
  // A fresh token each time: tests move the clock past a token's 2 hours.
  const send = async (body: unknown) =>
    sim.post('/cgi-bin/message/custom/send', body, { access_token: await sim.token() });
  const say = (content: string, openid = ALICE_ID) =>
    sim.post(`/__sim/accounts/${APPID}/users/${openid}/messages`, { msgType: 'text', content });
  const act = (body: Record<string, unknown>, openid = ALICE_ID) =>
    sim.post(`/__sim/accounts/${APPID}/users/${openid}/events`, body);
  const text = (content: string, touser = ALICE_ID) => ({ touser, msgtype: 'text', text: { content } });
  return { sim, token, send, say, act, text };
}

describe('POST /cgi-bin/message/custom/send', () => {
  it('needs a window the user opened: 45015 before any message, then 5 within 48 hours, 45047 past them', async () => {
    const { sim, send, say, text } = await setup();
    expectWeChatError(await send(text('too early')), 45015);
    await say('hello');
    for (let i = 1; i <= 5; i++) expect((await send(text(`answer ${i}`))).json()).toEqual(OK);
    expectWeChatError(await send(text('sixth')), 45047);
    await say('again');
    expect((await send(text('after the new message'))).json()).toEqual(OK);
    await sim.advance(48 * 3600);
    expectWeChatError(await send(text('48 hours later')), 45015);
  });

  it('opens the window at 47:59:59 and closes it at 48:00:00', async () => {
    const { sim, send, say, text } = await setup();
    await say('hello');
    await sim.advance(48 * 3600 - 1);
    expect((await send(text('just in time'))).json()).toEqual(OK);
    await sim.advance(1);
    expectWeChatError(await send(text('just too late')), 45015);
  });

  it('a follow, a QR scan or a menu click allow 3 within a minute; VIEW and LOCATION open nothing', async () => {
    const { sim, send, act, text } = await setup();
    await act({ event: 'VIEW', eventKey: 'https://shop.example.com/' });
    await act({ event: 'LOCATION', latitude: 23.1, longitude: 113.3 });
    expectWeChatError(await send(text('nothing opened')), 45015);
    await act({ event: 'CLICK', eventKey: 'MENU' });
    for (let i = 0; i < 3; i++) expect((await send(text(`menu ${i}`))).json()).toEqual(OK);
    expectWeChatError(await send(text('fourth')), 45047);
    await act({ event: 'SCAN', eventKey: '1', ticket: 'T' });
    await sim.advance(59);
    expect((await send(text('scan'))).json()).toEqual(OK);
    await sim.advance(1);
    expectWeChatError(await send(text('a minute later')), 45015);
  });

  it('an unfollow closes every window (45015): a returning follower starts afresh', async () => {
    const { sim, send, say, act, text } = await setup();
    await say('hi');
    await act({ event: 'unsubscribe' });
    expectWeChatError(await send(text('gone')), 45015);
    await act({ event: 'subscribe' });
    expect((await send(text('welcome back'))).json()).toEqual(OK);
    // The follow's minute is over; the message window from before the unfollow did not survive it.
    await sim.advance(61);
    expectWeChatError(await send(text('old window')), 45015);
  });

  it('a user who no longer follows gets nothing, whatever window was open (45015)', async () => {
    const { sim, send, say, text } = await setup();
    await say('hi');
    // Unfollowed behind the push's back (a fixture update), the window still open.
    await sim.post(`/__sim/accounts/${APPID}/users`, { openid: ALICE_ID, subscribe: 0 });
    expectWeChatError(await send(text('x')), 45015);
  });

  it('records messages in the inbox in order, with virtual timestamps; the JSON body as sent', async () => {
    const { sim, send, say, text } = await setup();
    await say('hi');
    expect((await send(text('第一条'))).json()).toEqual(OK);
    await sim.advance(5);
    const news = {
      touser: ALICE_ID,
      msgtype: 'news',
      news: {
        articles: [
          { title: 'T', description: 'D', url: 'https://x.example/', picurl: 'https://x.example/p.png' },
        ],
      },
      customservice: { kf_account: 'test1@kftest' },
    };
    expect((await send(news)).json()).toEqual(OK);
    const inbox = await sim.getJson(inboxPath());
    expect(inbox).toEqual({
      openid: ALICE_ID,
      typing: false,
      messages: [
        {
          seq: 1,
          at: START,
          source: 'custom',
          msgType: 'text',
          content: '第一条',
          payload: { msgtype: 'text', text: { content: '第一条' } },
        },
        {
          seq: 2,
          at: START + 5000,
          source: 'custom',
          msgType: 'news',
          payload: { msgtype: 'news', news: news.news, customservice: news.customservice },
        },
      ],
    });
    expect(
      (await sim.getJson(inboxPath(), { after: '1' })).messages.map((m: { seq: number }) => m.seq),
    ).toEqual([2]);
  });

  it("checks each msgtype's shape; 40003 for a bad openid, 40008 for a bad type", async () => {
    const { send, say } = await setup();
    await say('open the window');
    const to = { touser: ALICE_ID };
    const cases: Array<[Record<string, unknown>, number]> = [
      [{ touser: 'oNobody', msgtype: 'text', text: { content: 'x' } }, 40003],
      [{ msgtype: 'text', text: { content: 'x' } }, 40003],
      [{ ...to, msgtype: 'sticker', sticker: {} }, 40008],
      [{ ...to, text: { content: 'x' } }, 40008],
      [{ ...to, msgtype: 'text' }, 47001],
      [{ ...to, msgtype: 'text', text: { content: '' } }, 44004],
      [{ ...to, msgtype: 'image', image: {} }, 47001],
      [{ ...to, msgtype: 'video', video: { media_id: 'm' } }, 47001],
      [{ ...to, msgtype: 'news', news: { articles: [] } }, 47001],
      [{ ...to, msgtype: 'news', news: { articles: [{ title: 'a' }, { title: 'b' }] } }, 45008],
      [{ ...to, msgtype: 'msgmenu', msgmenu: { head_content: 'h', list: [{ id: 1, content: 'x' }] } }, 47001],
    ];
    for (const [body, errcode] of cases) expectWeChatError(await send(body), errcode);
    const good: Array<Record<string, unknown>> = [
      { msgtype: 'image', image: { media_id: 'm' } },
      { msgtype: 'voice', voice: { media_id: 'm' } },
      {
        msgtype: 'msgmenu',
        msgmenu: { head_content: 'h', list: [{ id: '101', content: '满意' }], tail_content: 't' },
      },
    ];
    for (const body of good) expect((await send({ ...to, ...body })).json()).toEqual(OK);
  });

  it('refuses non-followers (45015) and answers body errors like other POST APIs', async () => {
    const { sim, token, send, text } = await setup();
    expectWeChatError(await send(text('hi', BOB_ID)), 45015);
    expectWeChatError(await sim.post('/cgi-bin/message/custom/send', '', { access_token: token }), 44002);
    expectWeChatError(
      await sim.post('/cgi-bin/message/custom/send', 'touser=x', { access_token: token }),
      47001,
    );
    expectWeChatError(await sim.post('/cgi-bin/message/custom/send', text('x')), 41001);
  });
});

describe('POST /cgi-bin/message/custom/typing', () => {
  it('shows typing for 15 s inside a window, until a message arrives or CancelTyping', async () => {
    const { sim, token, send, say, text } = await setup();
    const typing = (command: string, touser = ALICE_ID) =>
      sim.post('/cgi-bin/message/custom/typing', { touser, command }, { access_token: token });
    expectWeChatError(await typing('Typing'), 45015);
    await say('hi');
    expect((await typing('Typing')).json()).toEqual(OK);
    expect((await sim.getJson(inboxPath())).typing).toBe(true);
    await sim.advance(15);
    expect((await sim.getJson(inboxPath())).typing).toBe(false);
    await typing('Typing');
    await send(text('done'));
    expect((await sim.getJson(inboxPath())).typing).toBe(false);
    await typing('Typing');
    expect((await typing('CancelTyping')).json()).toEqual(OK);
    expect((await sim.getJson(inboxPath())).typing).toBe(false);
    expectWeChatError(await typing('typing'), 40097);
    expectWeChatError(await typing('Typing', 'oNobody'), 40003);
  });
});

describe('GET …/inbox?wait=', () => {
  it('long-polls until a message arrives', async () => {
    const { sim, send, say, text } = await setup();
    await say('hi');
    const poll = sim.getJson(inboxPath(), { after: '0', wait: '20' });
    // Once the poll is parked, send: the poll answers with the message long before its 20 s.
    await vi.waitFor(() => expect(sim.state.inboxWaiters.pending).toBe(1));
    const started = Date.now();
    await send(text('pushed later'));
    const inbox = await poll;
    expect(inbox.messages.map((m: { content: string }) => m.content)).toEqual(['pushed later']);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('answers an empty list when the wait runs out, and refuses bad parameters', async () => {
    const { sim } = await setup();
    expect((await sim.getJson(inboxPath(), { wait: '0.2' })).messages).toEqual([]);
    expect(sim.state.inboxWaiters.pending).toBe(0);
    expect((await sim.get(inboxPath(), { wait: '31' })).statusCode).toBe(400);
    expect((await sim.get(inboxPath(), { after: '-1' })).statusCode).toBe(400);
    expect((await sim.get(inboxPath('oNobody'))).statusCode).toBe(404);
  });
});

describe('GET /cgi-bin/getcallbackip', () => {
  it("lists the simulator's push source ranges (the loopback) in WeChat's shape", async () => {
    const { sim, token } = await setup();
    expect(await sim.getJson('/cgi-bin/getcallbackip', { access_token: token })).toEqual({
      ip_list: ['127.0.0.0/8', '::1/128'],
    });
    expectWeChatError(await sim.get('/cgi-bin/getcallbackip'), 41001);
  });
});
