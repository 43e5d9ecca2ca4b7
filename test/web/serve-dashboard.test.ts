// `wxhub serve` serves the dashboard and follower sync: a real `wxhub serve` process on a config
// file, keys made with `wxhub keys create`, the simulator as WeChat; and startHub (what serve runs)
// starting the sync schedule.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { MemoryDatabase } from '../../src/db/index.js';
import { createHub, startHub } from '../../src/hub/index.js';
import { runCli, spawnCli } from '../hub/support/run-cli.js';
import { startTestSim, type TestSim } from '../support/sim.js';

const HTML = { accept: 'text/html,application/xhtml+xml' };

async function errorCode(res: Response): Promise<string> {
  return ((await res.json()) as { error: { code: string } }).error.code;
}

function cookieOf(res: Response, name: string): string {
  const header = res.headers.getSetCookie().find((c) => c.startsWith(`${name}=`));
  if (!header) throw new Error(`no Set-Cookie for ${name}`);
  return header.split(';', 1)[0]!;
}

describe('wxhub serve: the dashboard and follower sync', () => {
  let sim: TestSim;
  let dir: string;
  let configPath: string;
  let account: { appid: string; secret: string };
  let child: ChildProcess;
  let url: string;
  let adminKey: string;
  let tokenKey: string;

  const createKey = async (scope: string) => {
    const args = ['keys', 'create', '--name', scope, '--scope', scope, '--config', configPath];
    if (scope !== 'admin') args.push('--appid', account.appid);
    const res = await runCli(args, dir);
    expect(res.code, res.stderr).toBe(0);
    return res.stdout.trimEnd().split('\n').at(-1)!;
  };

  beforeAll(async () => {
    sim = await startTestSim();
    account = await sim.account({ users: Array.from({ length: 9 }, () => ({ subscribe: 1 })) });
    dir = mkdtempSync(join(tmpdir(), 'wxhub-serve-dashboard-'));
    configPath = join(dir, 'wxhub.config.json');
    writeFileSync(
      configPath,
      JSON.stringify({
        store: `sqlite:${join(dir, 'hub.db')}`,
        database: `sqlite:${join(dir, 'hub.db')}`,
        wechat: { apiBase: sim.url, openBase: sim.url },
        accounts: [
          { appid: account.appid, secret: account.secret, tokenMode: 'classic', name: 'Serve Shop' },
        ],
        logging: { level: 'warn' },
      }),
    );
    adminKey = await createKey('admin');
    tokenKey = await createKey('token');
    child = spawnCli(['serve', '--config', configPath, '--port', '0'], dir);
    let stdout = '';
    url = await new Promise<string>((resolve, reject) => {
      child.stdout!.setEncoding('utf8').on('data', (c: string) => {
        stdout += c;
        const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
        if (match) resolve(match[1]!);
      });
      child.on('exit', () => reject(new Error(`wxhub serve exited early: ${stdout}`)));
    });
  }, 60_000);

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await sim?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('answers /admin with the login page, no longer 404', async () => {
    const admin = await fetch(`${url}/admin`, { headers: HTML, redirect: 'manual' });
    expect(admin.status).toBe(303);
    expect(admin.headers.get('location')).toBe('/admin/login');
    const api = await fetch(`${url}/admin`);
    expect(api.status).toBe(401);
    expect(await errorCode(api)).toBe('WXHUB_ERR_UNAUTHORIZED');
    const form = await fetch(`${url}/admin/login`, { headers: HTML });
    expect(form.status).toBe(200);
    expect(form.headers.get('content-type')).toContain('text/html');
    expect(form.headers.get('content-security-policy')).toContain("default-src 'none'");
    const body = await form.text();
    expect(body).toContain('管理员密钥');
    expect(body).toContain('wxhub keys create --name ops --scope admin');
    const css = await fetch(`${url}/assets/wxhub.css`);
    expect(css.headers.get('content-type')).toContain('text/css');
    await css.text();
    // The hub's own answers are unchanged around it.
    const missing = await fetch(`${url}/nothing-here`);
    expect(missing.status).toBe(404);
    expect(await errorCode(missing)).toBe('WXHUB_ERR_NOT_FOUND');
  });

  it('refuses a key without the admin scope, and a wrong key', async () => {
    const login = (key: string) =>
      fetch(`${url}/admin/login`, {
        method: 'POST',
        headers: { ...HTML, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ key }),
        redirect: 'manual',
      });
    const notAdmin = await login(tokenKey);
    expect(notAdmin.status).toBe(401);
    expect(await notAdmin.text()).toContain('does not have the admin scope');
    expect(notAdmin.headers.getSetCookie()).toEqual([]);
    const wrong = await login(`${adminKey.slice(0, -4)}AAAA`);
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain('not valid');
  });

  it('lets an admin key in; "sync now" syncs the followers from WeChat and shows the result', async () => {
    const signedIn = await fetch(`${url}/admin/login`, {
      method: 'POST',
      headers: { ...HTML, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ key: adminKey }),
      redirect: 'manual',
    });
    expect(signedIn.status).toBe(303);
    const cookie = cookieOf(signedIn, 'wxhub_admin_session');
    const overview = await fetch(`${url}/admin`, { headers: { ...HTML, cookie } });
    expect(overview.status).toBe(200);
    const page = await overview.text();
    expect(page).toContain(`data-appid="${account.appid}"`);
    expect(page).toContain('Serve Shop');
    expect(page).not.toContain(adminKey);

    const accountUrl = `${url}/admin/accounts/${account.appid}`;
    const csrf = /name="_csrf" value="([^"]+)"/.exec(
      await (await fetch(accountUrl, { headers: { ...HTML, cookie } })).text(),
    )![1]!;
    const before = await sim.calls(account.appid, '/cgi-bin/user/get');
    const pressed = await fetch(`${accountUrl}/followers/sync`, {
      method: 'POST',
      headers: { ...HTML, cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: csrf }),
      redirect: 'manual',
    });
    expect(pressed.status).toBe(303);
    expect(pressed.headers.get('location')).toBe(`/admin/accounts/${account.appid}#followers`);
    expect(await sim.calls(account.appid, '/cgi-bin/user/get')).toBe(before + 1);
    const shown = await (await fetch(accountUrl, { headers: { ...HTML, cookie } })).text();
    expect(shown).toContain('9 followers, 9 updated, 0 removed');
    expect(shown).toContain('9 in all, 1–9 shown');
  });

  it('syncs on demand through /v1/admin with an admin key, and refuses other keys', async () => {
    const sync = (key: string) =>
      fetch(`${url}/v1/admin/accounts/${account.appid}/followers/sync?wait=30`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}` },
      });
    expect((await sync(tokenKey)).status).toBe(403);
    const res = await sync(adminKey);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      appid: account.appid,
      running: false,
      last: { ok: true, trigger: 'manual', total: 9, synced: 9 },
      user_get_today: 2,
    });
  });
});

describe('startHub (what wxhub serve runs) and the sync schedule', () => {
  const config = (followers?: { syncIntervalSeconds: number }) => {
    const dir = mkdtempSync(join(tmpdir(), 'wxhub-start-hub-'));
    const file = join(dir, 'wxhub.config.json');
    writeFileSync(
      file,
      JSON.stringify({ store: 'memory:', database: 'memory:', ...(followers ? { followers } : {}) }),
    );
    return loadConfig(file);
  };
  const start = (cfg: ReturnType<typeof config>, extra: { proactiveRefresh?: boolean } = {}) =>
    startHub({ config: cfg, port: 0, host: '127.0.0.1', logger: pino({ level: 'silent' }), ...extra });

  it('starts the follower sync schedule (daily by default); not when it is off or the hub runs no background work', async () => {
    const daily = await start(config());
    const off = await start(config({ syncIntervalSeconds: 0 }));
    const quiet = await start(config(), { proactiveRefresh: false });
    try {
      expect(daily.app.dashboard.followerSync.scheduled).toBe(true);
      expect(daily.app.dashboard.followerSync.intervalSeconds).toBe(86_400);
      expect(off.app.dashboard.followerSync.scheduled).toBe(false);
      expect(quiet.app.dashboard.followerSync.scheduled).toBe(false);
    } finally {
      for (const hub of [daily, off, quiet]) await hub.close();
    }
    expect(daily.app.dashboard.followerSync.scheduled).toBe(false);
  });

  it('starts while the database is away; the dashboard reads its signing secret at first use', async () => {
    const database = new MemoryDatabase();
    const putIfAbsent = database.settings.putIfAbsent.bind(database.settings);
    let away = true;
    database.settings.putIfAbsent = async (name, value) => {
      if (away) throw Object.assign(new Error('database away'), { code: 'WXHUB_ERR_DATABASE_UNAVAILABLE' });
      return putIfAbsent(name, value);
    };
    const hub = await createHub({
      config: {
        store: 'memory:',
        dropIn: { signingKey: 'k'.repeat(32) },
        oauth: { encryptionKey: 'a'.repeat(64) },
      },
      database,
      logger: pino({ level: 'silent' }),
      proactiveRefresh: false,
    });
    try {
      const key = (await hub.services.keys.create({ name: 'ops', appids: [], scopes: ['admin'] })).key;
      const login = () =>
        hub.app.inject({ method: 'POST', url: '/admin/login', headers: HTML, payload: { key } });
      expect((await hub.app.inject({ url: '/admin/login', headers: HTML })).statusCode).toBe(200);
      expect((await login()).statusCode).toBe(500);
      away = false;
      expect((await login()).statusCode).toBe(303);
    } finally {
      await hub.close();
      await database.close();
    }
  });

  it('refuses an interval under 10 minutes (WeChat allows 500 user/get calls a day)', () => {
    expect(() => config({ syncIntervalSeconds: 60 })).toThrow(/followers\.syncIntervalSeconds/);
  });
});
