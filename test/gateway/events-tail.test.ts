import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatEventLine, shortOpenid } from '../../src/cli/event-line.js';
import { tailEvents } from '../../src/cli/events-tail.js';
import { MemoryEventLog } from '../../src/gateway/log/memory-event-log.js';
import { openEventLog } from '../../src/gateway/log/open-event-log.js';
import type { PushEvent } from '../../src/gateway/receive/push-event.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { outputOf, runCli, spawnCli } from '../hub/support/run-cli.js';
import { sampleEvent } from './event-log-contract.js';

const APPID = 'wx0b0be00c0000e001';
const OTHER = 'wx0b0be00c0000e002';

async function until(check: () => boolean, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('formatEventLine', () => {
  it('shows the time, appid, short openid, type and key fields', () => {
    const text = sampleEvent({
      appid: APPID,
      openid: 'oBench0000000000000000000001',
      create_time: 1_764_763_200,
      fields: { Content: 'hello', MsgId: '1' },
    });
    expect(formatEventLine(text)).toBe(`2025-12-03 12:00:00Z  ${APPID}  oBench…0001  text  hello`);
    const scan: PushEvent = {
      ...text,
      type: 'event',
      msg_type: 'event',
      event: 'subscribe',
      event_key: 'qrscene_42',
      fields: { Event: 'subscribe', EventKey: 'qrscene_42', Ticket: 'T' },
    };
    expect(formatEventLine(scan)).toBe(
      `2025-12-03 12:00:00Z  ${APPID}  oBench…0001  event/subscribe  key=qrscene_42`,
    );
  });

  it("makes a user's control characters inert and cuts long text", () => {
    const line = formatEventLine(
      sampleEvent({ fields: { Content: `\u001b]0;owned\u0007\u001b[2J\u202e${'x'.repeat(200)}` } }),
    );
    expect(line).not.toMatch(/[\u0000-\u001f\u202e]/);
    expect(line).toContain('\\u001b]0;owned\\u0007');
    expect(line.endsWith('…')).toBe(true);
    expect(shortOpenid('oShort')).toBe('oShort');
  });
});

describe('tailEvents', () => {
  it('shows the last n events, then each new one once, and stops', async () => {
    const log = new MemoryEventLog();
    const events = Array.from({ length: 5 }, (_, i) => sampleEvent({ appid: i % 2 ? OTHER : APPID }));
    for (const event of events) await log.append(event, 0);
    const seen: string[] = [];
    const tail = await tailEvents({
      log,
      appids: [APPID, OTHER],
      lines: 3,
      write: (l) => seen.push(l.event.id),
    });
    expect(seen).toEqual(events.slice(-3).map((e) => e.id));
    const later = [
      sampleEvent({ appid: OTHER }),
      sampleEvent({ appid: APPID }),
      sampleEvent({ appid: 'wx0' }),
    ];
    for (const event of later) await log.append(event, 1);
    await until(() => seen.length === 5, 'the new events');
    await tail.stop();
    await log.append(sampleEvent({ appid: APPID }), 0);
    await new Promise((r) => setTimeout(r, 50));
    expect(seen.slice(3).sort()).toEqual([later[0]!.id, later[1]!.id].sort());
  });

  it('with lines 0 shows only what comes after it started', async () => {
    const log = new MemoryEventLog();
    await log.append(sampleEvent({ appid: APPID }), 0);
    const seen: string[] = [];
    const tail = await tailEvents({ log, appids: [APPID], lines: 0, write: (l) => seen.push(l.event.id) });
    const next = sampleEvent({ appid: APPID });
    await log.append(next, 0);
    await until(() => seen.length === 1, 'the new event');
    await tail.stop();
    expect(seen).toEqual([next.id]);
  });
});

describe('wxhub events tail', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wxhub-events-tail-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(
    join(dir, 'wxhub.config.json'),
    JSON.stringify({
      store: 'sqlite:hub.db',
      database: 'sqlite:hub.db',
      accounts: [
        { appid: APPID, secret: 'env:UNSET_SECRET', callback: { token: 'env:UNSET_TOKEN', mode: 'plain' } },
      ],
    }),
  );

  it(
    'follows pushes logged by another process, as lines or JSON, and exits 0 on Ctrl-C',
    { timeout: 60_000 },
    async () => {
      const store = new SqliteStore({ path: join(dir, 'hub.db') });
      const log = openEventLog(store);
      const before = Array.from({ length: 4 }, (_, i) =>
        sampleEvent({ appid: APPID, fields: { Content: `old ${i}` } }),
      );
      for (const event of before) await log.append(event, 0);

      const added: PushEvent[] = [];
      for (const json of [false, true]) {
        const child = spawnCli(['events', 'tail', '-n', '2', ...(json ? ['--json'] : [])], dir);
        const output = outputOf(child);
        const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
        await until(() => output.stderr.includes('following'), 'the tail to start');
        const fresh = sampleEvent({ appid: APPID, fields: { Content: `new ${json}` } });
        await log.append(fresh, 3);
        const logged = [...before, ...added, fresh];
        added.push(fresh);
        const lines = () => output.stdout.split('\n').filter(Boolean);
        await until(() => lines().length === 3, `three lines (got ${output.stdout})`);
        child.kill('SIGINT');
        expect(await exited).toBe(0);
        if (json) {
          expect(lines().map((l) => (JSON.parse(l) as PushEvent).id)).toEqual(
            logged.slice(-3).map((e) => e.id),
          );
        } else {
          expect(lines().map((l) => l.split('  ').at(-1))).toEqual(['old 2', 'old 3', 'new false']);
          expect(lines()[2]).toContain(`${APPID}  oUser  text  new false`);
        }
      }
      await log.close();
      await store.close();
    },
  );

  it('refuses a bad --appid or --lines with exit 2', async () => {
    const appid = await runCli(['events', 'tail', '--appid', 'nope'], dir);
    expect(appid.code).toBe(2);
    expect(appid.stderr).toMatch(/--appid "nope"/);
    const lines = await runCli(['events', 'tail', '-n', 'many'], dir);
    expect(lines.code).toBe(2);
    expect(lines.stderr).toMatch(/--lines must be a whole number/);
  });
});
