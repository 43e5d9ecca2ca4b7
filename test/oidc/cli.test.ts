import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/index.js';
import { RuntimeClients } from '../../src/oidc/oidc-clients.js';
import { systemClock } from '../../src/util/clock.js';
import { runCli } from '../hub/support/run-cli.js';

const OA = 'wx1234567890abcdef';
const SITE = 'wx00000000000000aa';

// Each case spawns the CLI (tsx) a few times: generous on a busy machine.
describe('wxhub oidc', { timeout: 180_000 }, () => {
  let dir: string;
  const lastLine = (text: string) => text.trimEnd().split('\n').at(-1)!;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'wxhub-oidc-cli-'));
    writeFileSync(
      join(dir, 'wxhub.config.json'),
      JSON.stringify({
        publicUrl: 'https://login.example.com',
        database: 'sqlite:hub.db',
        store: 'sqlite:hub.db',
        oauth: { encryptionKey: Buffer.alloc(32, 7).toString('base64') },
        accounts: [
          { appid: OA, secret: 'oa-secret' },
          { appid: SITE, secret: 'site-secret', kind: 'website' },
        ],
      }),
    );
  });

  it('clients create prints the secret once on the last line; the database keeps only its hash', async () => {
    const res = await runCli(
      [
        'oidc',
        'clients',
        'create',
        '--appid',
        OA,
        '--website-appid',
        SITE,
        '--redirect-uri',
        'https://app.example.com/cb',
        '--client-id',
        'shop',
        '--id-token-alg',
        'ES256',
      ],
      dir,
    );
    expect(res.code, res.stderr).toBe(0);
    const secret = lastLine(res.stdout);
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(res.stdout).toContain('issuer:        https://login.example.com/oidc');
    const database = openDatabase(`sqlite:${join(dir, 'hub.db')}`);
    try {
      const stored = await new RuntimeClients(database, systemClock).find('shop');
      expect(stored).toMatchObject({
        appid: OA,
        websiteAppid: SITE,
        redirect_uris: ['https://app.example.com/cb'],
        id_token_signed_response_alg: 'ES256',
      });
      expect(JSON.stringify(stored)).not.toContain(secret);
      expect(stored!.client_secret_sha256).toMatch(/^[0-9a-f]{64}$/);
    } finally {
      await database.close();
    }
  });

  it('clients list never shows a secret; a second create of an id is refused; remove once', async () => {
    const list = await runCli(['oidc', 'clients', 'list', '--json'], dir);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).not.toMatch(/secret/);
    expect(JSON.parse(list.stdout)).toEqual([expect.objectContaining({ client_id: 'shop', public: false })]);
    const again = await runCli(
      [
        'oidc',
        'clients',
        'create',
        '--appid',
        OA,
        '--redirect-uri',
        'https://a.example.com/cb',
        '--client-id',
        'shop',
      ],
      dir,
    );
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('client_id shop exists');

    const removed = await runCli(['oidc', 'clients', 'remove', 'shop'], dir);
    expect(removed.code, removed.stderr).toBe(0);
    expect((await runCli(['oidc', 'clients', 'remove', 'shop'], dir)).code).toBe(1);
  });

  it('clients create refuses an unconfigured account, a website app as appid and a bad redirect URI (exit 2)', async () => {
    const bad = [
      [
        ['--appid', 'wx9999999999999999', '--redirect-uri', 'https://a.example.com/cb'],
        '--appid wx9999999999999999 is not a configured Official Account',
      ],
      [
        ['--appid', SITE, '--redirect-uri', 'https://a.example.com/cb'],
        'is not a configured Official Account',
      ],
      [
        ['--appid', OA, '--website-appid', OA, '--redirect-uri', 'https://a.example.com/cb'],
        '--website-appid',
      ],
      [['--appid', OA, '--redirect-uri', 'https://a.example.com/cb#x'], '--redirect-uri'],
    ] as const;
    for (const [args, message] of bad) {
      const res = await runCli(['oidc', 'clients', 'create', ...args], dir);
      expect(res.code, res.stdout).toBe(2);
      expect(res.stderr).toContain(message);
    }
  });

  it('a public client has no secret', async () => {
    const res = await runCli(
      [
        'oidc',
        'clients',
        'create',
        '--appid',
        OA,
        '--redirect-uri',
        'https://spa.example.com/cb',
        '--public',
      ],
      dir,
    );
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain('public (PKCE, no secret)');
    expect(res.stdout).not.toContain('Keep it now');
  });

  it('keys rotate keeps the previous key published', async () => {
    const first = await runCli(['oidc', 'keys', 'rotate'], dir);
    expect(first.code, first.stderr).toBe(0);
    const second = await runCli(['oidc', 'keys', 'rotate'], dir);
    const kids = /published: (.+)$/m.exec(second.stdout)![1]!.split(', ');
    const newest = /signing key (\S+);/.exec(first.stdout)![1]!;
    expect(kids).toHaveLength(3);
    expect(kids.slice(1)).toContain(newest);
  });
});
