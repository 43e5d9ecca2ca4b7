import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hub } from '../../../src/hub/index.js';
import { startSubscriber, type TestSubscriber, until } from './gateway-hub.js';
import { injectHub, push, text } from './inject-push.js';

describe('two hubs on one store', () => {
  let dir: string;
  let crm: TestSubscriber;
  const hubs: Hub[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wxhub-gw-fleet-'));
    crm = await startSubscriber();
    const file = `sqlite:${join(dir, 'fleet.db')}`;
    for (let i = 0; i < 2; i++) {
      hubs.push(
        await injectHub({
          config: {
            store: file,
            database: file,
            subscribers: [{ name: 'crm', url: crm.url, secret: crm.secret }],
          },
          gateway: { pollMs: 50 },
        }),
      );
    }
  });
  afterAll(async () => {
    for (const hub of hubs) await hub.close();
    await crm?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("take WeChat's retry of a push on either hub as one event, delivered once", async () => {
    const [a, b] = hubs as [Hub, Hub];
    const xml = text('880');
    expect((await push(a, xml)).body).toBe('success');
    expect((await push(b, xml)).body).toBe('success');
    expect((await push(a, xml)).body).toBe('success');
    await until(() => crm.received.length >= 1, 5000, 'the delivery');
    await new Promise((r) => setTimeout(r, 500));
    expect(crm.events().map((e) => e.fields.MsgId)).toEqual(['880']);
    // Both hubs see the one event through the pull API's read.
    for (const hub of hubs)
      expect(await hub.services.gateway.log.readAppid(crm.events()[0]!.appid, null, 10)).toHaveLength(1);
  });
});
