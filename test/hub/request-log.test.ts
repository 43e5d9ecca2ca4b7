import { describe, expect, it } from 'vitest';
import { FloodSampler } from '../../src/hub/http/flood-sampler.js';
import { ManualClock } from '../../src/util/clock.js';
import { APP_A, bearer, LogCapture, testHub } from './support/hub-fixture.js';

describe('FloodSampler', () => {
  it('writes the first lines of a source per window, counts the rest, and sums them up when the window ends', () => {
    const clock = new ManualClock(0);
    const sampler = new FloodSampler(clock, { perWindow: 3, windowMs: 1000 });
    const writes = Array.from({ length: 10 }, () => sampler.admit('a'));
    expect(writes.map((w) => w.write)).toEqual([
      true,
      true,
      true,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
    ]);
    expect(writes.flatMap((w) => w.ended)).toEqual([]);
    expect(sampler.admit('b').write).toBe(true); // another source has its own window
    expect(sampler.drain()).toEqual([]); // nothing ended yet
    clock.advance(1000);
    const next = sampler.admit('a');
    expect(next).toEqual({ write: true, ended: [{ source: 'a', suppressed: 7, since: 0 }] });
    // A window that suppressed nothing needs no summary; one that did is drained once.
    clock.advance(1000);
    for (let i = 0; i < 4; i++) sampler.admit('a');
    expect(sampler.drain()).toEqual([]);
    clock.advance(1000);
    expect(sampler.drain()).toEqual([{ source: 'a', suppressed: 1, since: 2000 }]);
    expect(sampler.drain()).toEqual([]);
  });

  it('closes every window at once when too many sources are tracked, and on drain(true)', () => {
    const clock = new ManualClock(0);
    const sampler = new FloodSampler(clock, { perWindow: 1, windowMs: 60_000, maxSources: 2 });
    sampler.admit('a');
    sampler.admit('a');
    sampler.admit('b');
    expect(sampler.admit('c').ended).toEqual([{ source: 'a', suppressed: 1, since: 0 }]);
    sampler.admit('c');
    expect(sampler.drain(true)).toEqual([{ source: 'c', suppressed: 1, since: 0 }]);
  });
});

describe('access lines and error counts', () => {
  const lines = (capture: LogCapture) => capture.lines.map((l) => JSON.parse(l) as Record<string, unknown>);

  it('a flood of refusals from one address writes 20 lines and one summary; other addresses and failures are not held back', async () => {
    const capture = new LogCapture();
    const t = await testHub({ logger: capture.logger, config: { trustProxy: true } });
    try {
      const flood = (from: string) =>
        t.hub.app.inject({
          url: `/v1/accounts/${APP_A}/access-token`,
          headers: {
            ...bearer('wxk_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'),
            'x-forwarded-for': from,
          },
        });
      for (let i = 0; i < 50; i++) expect((await flood('203.0.113.1')).statusCode).toBe(401);
      await flood('203.0.113.2');
      const dropIn = await t.hub.app.inject({
        url: '/cgi-bin/user/info?access_token=junk',
        headers: { 'x-forwarded-for': '203.0.113.1' },
      });
      expect(dropIn.statusCode).toBe(200); // a drop-in refusal is sampled like a 401
      const requestLines = () => lines(capture).filter((l) => l.msg === 'request completed');
      expect(requestLines().filter((l) => l.remoteAddress === '203.0.113.1')).toHaveLength(20);
      expect(requestLines().filter((l) => l.remoteAddress === '203.0.113.2')).toHaveLength(1);
      expect(lines(capture).some((l) => String(l.msg).startsWith('access lines suppressed'))).toBe(false);

      t.clock.advance(10_000);
      await flood('203.0.113.1');
      const summaries = lines(capture).filter((l) => String(l.msg).startsWith('access lines suppressed'));
      expect(summaries).toHaveLength(1);
      expect(summaries[0]).toMatchObject({ remoteAddress: '203.0.113.1', suppressed: 31, level: 40 });
      expect(requestLines().filter((l) => l.remoteAddress === '203.0.113.1')).toHaveLength(21);

      // Failures are the hub's, not the caller's: never sampled.
      t.fake.override('/cgi-bin/token', (_r, reply) => reply.code(502).send('<html>bad gateway</html>'));
      const key = await t.key(['token']);
      for (let i = 0; i < 25; i++) {
        const res = await t.hub.app.inject({
          url: `/v1/accounts/${APP_A}/access-token`,
          headers: { ...bearer(key), 'x-forwarded-for': '203.0.113.1' },
        });
        expect(res.statusCode).toBe(503);
      }
      expect(
        requestLines().filter((l) => l.res && (l.res as { statusCode: number }).statusCode === 503),
      ).toHaveLength(25);
    } finally {
      await t.close();
    }
  });

  it('the summary of a flood still open is written when the hub closes', async () => {
    const capture = new LogCapture();
    const t = await testHub({ logger: capture.logger });
    for (let i = 0; i < 25; i++) await t.hub.app.inject({ url: `/v1/accounts/${APP_A}/access-token` });
    await t.close();
    const summaries = lines(capture).filter((l) => String(l.msg).startsWith('access lines suppressed'));
    expect(summaries).toEqual([expect.objectContaining({ remoteAddress: '127.0.0.1', suppressed: 5 })]);
  });

  it('with logging.requests "all" every refusal gets its line', async () => {
    const capture = new LogCapture();
    const t = await testHub({
      logger: capture.logger,
      config: { logging: { level: 'info', requests: 'all' } },
    });
    try {
      for (let i = 0; i < 25; i++) await t.hub.app.inject({ url: `/v1/accounts/${APP_A}/access-token` });
      expect(lines(capture).filter((l) => l.msg === 'request completed')).toHaveLength(25);
    } finally {
      await t.close();
    }
  });

  it("the hub's own errors carry X-Wxhub-Error, and are counted and logged by route and code", async () => {
    const capture = new LogCapture();
    const t = await testHub({ logger: capture.logger });
    try {
      const v1 = await t.hub.app.inject({ url: `/v1/accounts/${APP_A}/access-token` });
      expect(v1.headers['x-wxhub-error']).toBe('WXHUB_ERR_UNAUTHORIZED');
      for (let i = 0; i < 2; i++) {
        const res = await t.hub.app.inject({ url: '/cgi-bin/user/info?access_token=junk' });
        expect(res.statusCode).toBe(200);
        expect(res.headers['x-wxhub-error']).toBe('WXHUB_ERR_UNAUTHORIZED');
      }
      const metrics = (await t.hub.app.inject({ url: '/metrics' })).body;
      expect(metrics).toContain('wxhub_hub_errors_total{route="/cgi-bin/*",code="WXHUB_ERR_UNAUTHORIZED"} 2');
      expect(metrics).toContain(
        'wxhub_hub_errors_total{route="/v1/accounts/:appid/access-token",code="WXHUB_ERR_UNAUTHORIZED"} 1',
      );
      // A drop-in refusal answered 200 is still an access line, with its reason.
      const line = lines(capture).find((l) => l.route === '/cgi-bin/*');
      expect(line).toMatchObject({ res: { statusCode: 200 }, error: 'WXHUB_ERR_UNAUTHORIZED' });
    } finally {
      await t.close();
    }
  });
});
