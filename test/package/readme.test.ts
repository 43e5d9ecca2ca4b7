import { type ChildProcess, execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_ACCOUNTS } from '../../src/sim/demo-fixture.js';
import { runCli, spawnCli } from '../hub/support/run-cli.js';
import { codeBlocks, ROOT, read, section, shellWords } from './support/markdown.js';

/** Children a test started; any still running after it (a failed assertion) are killed. */
const children = new Set<ChildProcess>();
afterEach(() => {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
});

/** Starts `wxhub ARGS` (from source) in `cwd` and resolves with what `pattern` matched on stdout. */
async function started(args: string[], cwd: string, env: NodeJS.ProcessEnv, pattern: RegExp) {
  const child = spawnCli(args, cwd, env);
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (c: string) => {
    stderr += c;
  });
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    child.stdout!.setEncoding('utf8').on('data', (c: string) => {
      stdout += c;
      const found = pattern.exec(stdout);
      if (found) resolve(found);
    });
    child.on('exit', (code) =>
      reject(new Error(`wxhub ${args.join(' ')} exited ${code}: ${stdout}${stderr}`)),
    );
  });
  const stop = async () => {
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    child.kill('SIGINT');
    return exited;
  };
  return { match, stop, stdout: () => stdout };
}

/** `npx wxhub ARGS` on a README line (also inside `NAME=$(…)`) → ARGS. */
function wxhubArgs(line: string, vars: Record<string, string> = {}): string[] {
  const words = shellWords(/^\w+=\$\((.*)\)$/.exec(line)?.[1] ?? line, vars);
  const at = words.findIndex((w, i) => w === 'npx' && words[i + 1] === 'wxhub');
  expect(at, line).toBeGreaterThanOrEqual(0);
  const end = words.indexOf('|', at);
  return words.slice(at + 2, end === -1 ? undefined : end);
}

describe("README's hub in one minute, followed as written", () => {
  const text = section(read('README.md'), '### The hub in one minute');
  const [simBlock, hubBlock, callerBlock] = codeBlocks(text).map((b) => b.body.trimEnd().split('\n'));
  const SHOP = DEMO_ACCOUNTS[0]!;

  it('names three terminals and says where the simulator secret and $KEY come from', () => {
    for (const terminal of ['Terminal 1, the simulator', 'Terminal 2, the hub', 'Terminal 3, a caller']) {
      expect(text).toContain(terminal);
    }
    expect(text).toContain(`AppID is \`${SHOP.appid}\` and AppSecret \`${SHOP.secret}\``);
    expect(callerBlock![0]).toMatch(/^KEY=\$\(npx wxhub keys create .* \| tail -n 1\)$/);
  });

  it('runs: the simulator, the configuration with its wechat block, the hub, a client key and both curls', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wxhub-readme-'));

    // Terminal 1. The README's port 9100 may be taken where tests run: any port, swapped in below.
    expect(simBlock).toEqual(['npx wxhub sim']);
    const sim = await started([...wxhubArgs(simBlock![0]!), '--port', '0'], dir, {}, /listening on (\S+)/);
    const simUrl = sim.match[1]!;

    // Terminal 2: the heredoc is the file; `export` lines are the hub's environment.
    const heredoc = hubBlock!.join('\n').match(/^cat > (\S+) <<'JSON'\n([\s\S]*?)\nJSON$/m);
    expect(heredoc?.[1]).toBe('wxhub.config.json');
    const config = JSON.parse(heredoc![2]!) as {
      listen: { port: number };
      wechat: { apiBase: string; openBase: string };
      accounts: { appid: string; secret: string }[];
    };
    expect(config.wechat).toEqual({ apiBase: 'http://127.0.0.1:9100', openBase: 'http://127.0.0.1:9100' });
    expect(config.accounts).toEqual([{ appid: SHOP.appid, secret: 'env:WX_SECRET' }]);
    const hubPort = config.listen.port;
    config.listen.port = 0;
    config.wechat = { apiBase: simUrl, openBase: simUrl };
    writeFileSync(join(dir, heredoc![1]!), JSON.stringify(config));
    const env = Object.fromEntries(
      hubBlock!.flatMap((line) => {
        const set = /^export (\w+)=(\S+)/.exec(line);
        return set ? [[set[1]!, set[2]!]] : [];
      }),
    );
    expect(env).toEqual({ WX_SECRET: SHOP.secret });
    const serveLine = hubBlock!.find((line) => line.startsWith('npx wxhub serve'))!;
    const hub = await started(wxhubArgs(serveLine), dir, env, /listening on (http:\/\/\S+)/);
    const hubUrl = hub.match[1]!;

    // Terminal 3: KEY is the last line `keys create` prints.
    const created = await runCli(wxhubArgs(callerBlock![0]!), dir);
    expect(created.code, created.stderr).toBe(0);
    const KEY = created.stdout.trimEnd().split('\n').at(-1)!;
    expect(KEY).toMatch(/^wxk_/);
    const curls = callerBlock!.filter((line) => line.startsWith('curl '));
    expect(curls).toHaveLength(2);
    for (const line of curls) {
      const words = shellWords(line, { KEY }).slice(1);
      const headers: Record<string, string> = {};
      for (let i = words.indexOf('-H'); i !== -1; i = words.indexOf('-H')) {
        const [name, value] = words[i + 1]!.split(/:\s*/, 2) as [string, string];
        headers[name] = value;
        words.splice(i, 2);
      }
      expect(words).toHaveLength(1);
      const url = `http://${words[0]}`.replace(`http://localhost:${hubPort}`, hubUrl);
      const res = await fetch(url, { headers });
      const body = (await res.json()) as { access_token?: string; expires_in?: number };
      expect(res.status, line).toBe(200);
      expect(body.access_token, line).toMatch(/^[A-Za-z0-9_-]{100,}$/);
      expect(body.expires_in).toBeGreaterThan(7000);
    }
    expect(await hub.stop()).toBe(0);
    expect(await sim.stop()).toBe(0);
  });

  it('leaves `npm run check` passing: the configuration and .wxhub/ it writes are git-ignored and not linted', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wxhub-readme-check-'));
    execFileSync('git', ['init', '-q'], { cwd: dir });
    cpSync(join(ROOT, 'biome.json'), join(dir, 'biome.json'));
    cpSync(join(ROOT, '.gitignore'), join(dir, '.gitignore'));
    // As an editor or `cat` leaves it, which is not how biome would format it.
    const unformatted = '{"accounts":[{"appid":"wx1234567890abcdef",   "secret":"env:WX_SECRET"}]}\n';
    writeFileSync(join(dir, 'wxhub.config.json'), unformatted);
    mkdirSync(join(dir, '.wxhub'));
    writeFileSync(join(dir, '.wxhub', 'state.json'), unformatted);
    writeFileSync(join(dir, 'control.json'), unformatted);
    const status = execFileSync('git', ['status', '--porcelain', '--untracked-files=all'], {
      cwd: dir,
      encoding: 'utf8',
    });
    expect(status.split('\n').filter(Boolean).sort()).toEqual([
      '?? .gitignore',
      '?? biome.json',
      '?? control.json',
    ]);
    let report = '';
    try {
      execFileSync(join(ROOT, 'node_modules', '.bin', 'biome'), ['check', '.'], {
        cwd: dir,
        encoding: 'utf8',
        stdio: 'pipe',
      });
    } catch (err) {
      report = String((err as { stdout?: string }).stdout) + String((err as { stderr?: string }).stderr);
    }
    // The control file proves biome checks JSON there; the README's file is not its business.
    expect(report).toContain('control.json');
    expect(report).not.toContain('wxhub.config.json');
    expect(report).not.toContain('.wxhub');
  });
});
