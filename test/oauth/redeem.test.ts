import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OAuthFixture, oauthFixture } from './support/oauth-fixture.js';

describe('POST /v1/oauth/tickets/redeem', () => {
  let t: OAuthFixture;
  let key: string;
  let openid: string;

  beforeAll(async () => {
    t = await oauthFixture();
    key = await t.key();
    openid = (await t.sim.user(t.shop.appid, {})).openid;
  });
  afterAll(() => t?.close());

  const freshTicket = async () => {
    const started = await t.startLogin(t.shop.appid);
    return t.ticketOf(await t.callback(await t.consent(started.authorize, { openid })));
  };
  const expectTicketError = (res: Awaited<ReturnType<OAuthFixture['redeem']>>) => {
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().error.code).toBe('WXHUB_ERR_OAUTH_TICKET');
  };

  it('redeems a ticket once', async () => {
    const ticket = await freshTicket();
    const first = await t.redeem(ticket, key);
    expect(first.statusCode).toBe(200);
    expect(first.json().identity.openid).toBe(openid);
    expectTicketError(await t.redeem(ticket, key));
  });

  it('refuses an expired ticket (past oauth.ticketTtlSeconds) and an unknown one', async () => {
    const ticket = await freshTicket();
    t.clock.advance(61_000);
    expectTicketError(await t.redeem(ticket, key));
    expectTicketError(await t.redeem('A'.repeat(43), key));
    expectTicketError(await t.redeem('not a ticket!', key));
  });

  it('a ticket lives oauth.ticketTtlSeconds exactly: a millisecond inside works, a millisecond past does not', async () => {
    const inside = await freshTicket();
    const past = await freshTicket();
    t.clock.advance(59_999);
    expect((await t.redeem(inside, key)).statusCode).toBe(200);
    t.clock.advance(2);
    expectTicketError(await t.redeem(past, key));
  });

  it('a wrong key puts the ticket back with the time it had left, not a fresh lifetime', async () => {
    const ticket = await freshTicket();
    const newsKey = await t.key(['oauth'], [t.news.appid]);
    t.clock.advance(50_000);
    expect((await t.redeem(ticket, newsKey)).statusCode).toBe(403);
    t.clock.advance(10_001);
    expectTicketError(await t.redeem(ticket, key));
  });

  it('needs a client key with the oauth scope', async () => {
    const ticket = await freshTicket();
    const none = await t.inject({ method: 'POST', url: '/v1/oauth/tickets/redeem', payload: { ticket } });
    expect(none.statusCode).toBe(401);
    const tokenOnly = await t.key(['token']);
    const forbidden = await t.redeem(ticket, tokenOnly);
    expect(forbidden.statusCode).toBe(403);
    expect(forbidden.json().error.code).toBe('WXHUB_ERR_FORBIDDEN');
    expect((await t.redeem(ticket, key)).statusCode).toBe(200);
  });

  it("needs a key that covers the ticket's appid; a wrong key does not use the ticket up", async () => {
    const ticket = await freshTicket();
    const newsKey = await t.key(['oauth'], [t.news.appid]);
    const wrong = await t.redeem(ticket, newsKey);
    expect(wrong.statusCode).toBe(403);
    expect(wrong.json().error.message).toContain(t.shop.appid);
    const right = await t.redeem(ticket, key);
    expect(right.statusCode).toBe(200);
    expectTicketError(await t.redeem(ticket, key));
  });

  it('refuses a malformed body, naming the field', async () => {
    const res = await t.inject({
      method: 'POST',
      url: '/v1/oauth/tickets/redeem',
      headers: { authorization: `Bearer ${key}` },
      payload: { tikcet: 'x' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'WXHUB_ERR_INVALID_ARGUMENT' });
    expect(res.json().error.message).toContain('ticket');
  });
});
