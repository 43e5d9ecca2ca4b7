import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.js';
import type { Hub } from '../../../src/hub/index.js';
import { runCli } from '../../hub/support/run-cli.js';
import { startSubscriber, type TestSubscriber, until } from './gateway-hub.js';
import { injectHub, push, SHOP, TOKEN, text } from './inject-push.js';

// Each command is a process that builds a hub: under a loaded machine several of them take long.
describe('wxhub events dead-letters | replay', { timeout: 180_000 }, () => {
  let dir: string;
  let configPath: string;
  let crm: TestSubscriber;
  let hub: Hub;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wxhub-events-'));
    crm = await startSubscriber();
    crm.state.down = true;
    configPath = join(dir, 'hub.json');
    writeFileSync(
      configPath,
      JSON.stringify({
        store: `sqlite:${join(dir, 'hub.db')}`,
        database: `sqlite:${join(dir, 'hub.db')}`,
        accounts: [{ appid: SHOP, secret: 's', callback: { token: TOKEN, mode: 'plain' } }],
        subscribers: [{ name: 'crm', url: crm.url, secret: crm.secret }],
      }),
    );
    hub = await injectHub({
      config: { ...loadConfig(configPath) },
      gateway: { retryStrategy: () => null, pollMs: 50 },
    });
    expect((await push(hub, text('501'))).body).toBe('success');
    await until(
      async () => (await hub.services.gateway.log.deadLetters('crm', 10)).length === 1,
      5000,
      'the dead letter',
    );
  });
  afterAll(async () => {
    await hub?.close();
    await crm?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists the dead letters and replays them once the subscriber is back', async () => {
    const [letter] = await hub.services.gateway.log.deadLetters('crm', 10);
    const listed = await runCli(['events', 'dead-letters', '--consumer', 'crm', '--config', configPath], dir);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain(letter!.event.id);
    expect(listed.stdout).toContain('HTTP 503');
    const json = await runCli(
      ['events', 'dead-letters', '--consumer', 'crm', '--json', '--config', configPath],
      dir,
    );
    expect(JSON.parse(json.stdout)[0].event.fields.MsgId).toBe('501');

    const failed = await runCli(['events', 'replay', '--consumer', 'crm', '--config', configPath], dir);
    expect(failed.stdout).toContain('replayed 0, failed 1');
    expect(failed.code).toBe(1);
    crm.state.down = false;
    const replayed = await runCli(['events', 'replay', '--consumer', 'crm', '--config', configPath], dir);
    expect(replayed.stdout).toContain('replayed 1, failed 0');
    expect(replayed.code).toBe(0);
    expect(crm.events().map((e) => e.fields.MsgId)).toEqual(['501']);
    expect(await hub.services.gateway.log.deadLetters('crm', 10)).toEqual([]);
  });

  it('refuses a bad limit and an unknown subscriber with one clear line', async () => {
    const limit = await runCli(
      ['events', 'dead-letters', '--consumer', 'crm', '--limit', '0', '--config', configPath],
      dir,
    );
    expect(limit.code).not.toBe(0);
    expect(limit.stderr).toMatch(/--limit must be a whole number/);
    const unknown = await runCli(['events', 'replay', '--consumer', 'nobody', '--config', configPath], dir);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/WXHUB_ERR_UNKNOWN_SUBSCRIBER|nobody/);
    expect(unknown.stderr.trim().split('\n')).toHaveLength(1);
  });
});
