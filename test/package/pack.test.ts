import { type ChildProcess, execFile, spawn } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from './support/markdown.js';

const run = promisify(execFile);

/**
 * The environment for the npm and wxhub this test starts: without the variables `npm test` sets
 * for this package (`npm_package_version` among them), so the installed command is on its own.
 */
function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) =>
        !/^npm_(package|lifecycle)_|^npm_config_(prefix|global|ignore_scripts)$|^WXHUB_/i.test(name),
    ),
  );
  return { ...env, ...extra };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

/** The first source file whose build in dist/ is missing or older, if any. */
function staleBuild(): string | undefined {
  return filesUnder(join(ROOT, 'src'))
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
    .find((file) => {
      const built = join(ROOT, 'dist', relative(join(ROOT, 'src'), file).replace(/\.ts$/, '.js'));
      return !existsSync(built) || statSync(built).mtimeMs < statSync(file).mtimeMs;
    });
}

let demo: ChildProcess | undefined;
afterAll(() => {
  demo?.kill('SIGKILL');
});

describe('the packed package, installed where there is no clone', () => {
  it('npm pack → npm install -g the tarball in an empty directory → wxhub --version and wxhub demo', async () => {
    // npm pack's `prepare` would rebuild dist/ on every run; `npm ci` built it already, so build
    // again only when a source file is newer, and pack what is there.
    if (staleBuild()) await run('npm', ['run', 'build'], { cwd: ROOT, env: cleanEnv() });
    expect(staleBuild()).toBeUndefined();

    const work = mkdtempSync(join(tmpdir(), 'wxhub-pack-'));
    const packed = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], {
      cwd: ROOT,
      env: cleanEnv(),
    });
    const [info] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
    const files = info!.files.map((f) => f.path);
    for (const needed of [
      'package.json',
      'bin/wxhub.js',
      'dist/cli/main.js',
      'README.md',
      'README.zh-CN.md',
      'docs/web.md',
    ]) {
      expect(files, needed).toContain(needed);
    }
    expect(files.filter((f) => /^(test|bench|\.wxhub)\/|wxhub\.config\.json$|\.tgz$/.test(f))).toEqual([]);

    // The global install of the README, into a prefix of our own. `--ignore-scripts` skips
    // better-sqlite3's native build (minutes on two cores; its prebuilt binaries come from
    // GitHub, not the registry): the binary this clone built for the same version and Node is
    // copied in instead.
    const prefix = join(work, 'global');
    const empty = join(work, 'elsewhere');
    mkdirSync(empty);
    await run(
      'npm',
      [
        'install',
        '--global',
        '--prefix',
        prefix,
        '--prefer-offline',
        '--ignore-scripts',
        '--no-audit',
        '--no-fund',
        join(work, info!.filename),
      ],
      { cwd: empty, env: cleanEnv() },
    );
    const installed = join(prefix, 'lib', 'node_modules', 'wxhub');
    const sqlite = (dir: string) => join(dir, 'node_modules', 'better-sqlite3');
    const version = (dir: string) =>
      (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
    expect(version(sqlite(installed))).toBe(version(sqlite(ROOT)));
    mkdirSync(join(sqlite(installed), 'build', 'Release'), { recursive: true });
    copyFileSync(
      join(sqlite(ROOT), 'build', 'Release', 'better_sqlite3.node'),
      join(sqlite(installed), 'build', 'Release', 'better_sqlite3.node'),
    );
    const wxhub = join(prefix, 'bin', 'wxhub');

    const printed = await run(wxhub, ['--version'], {
      cwd: empty,
      env: cleanEnv({ npm_package_version: '9.9.9' }),
    });
    expect(printed.stdout).toBe(`${version(ROOT)}\n`);

    demo = spawn(wxhub, ['demo', '--port', '0'], {
      cwd: empty,
      env: cleanEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    demo.stderr!.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
    });
    const exited = new Promise<number | null>((resolve) => demo!.on('exit', resolve));
    await new Promise<void>((resolve, reject) => {
      demo!.stdout!.setEncoding('utf8').on('data', (c: string) => {
        stdout += c;
        if (stdout.includes('Press Ctrl+C to stop.')) resolve();
      });
      void exited.then((code) => reject(new Error(`wxhub demo exited ${code}: ${stdout}${stderr}`)));
    });
    const site = /Demo site\s+(http:\/\/127\.0\.0\.1:\d+)\//.exec(stdout)?.[1];
    const adminKey = /admin key: (wxk_\S+)/.exec(stdout)?.[1];
    expect(site, stdout).toBeDefined();
    const home = await fetch(`${site}/`);
    expect(home.status).toBe(200);
    expect(await home.text()).toContain('微信登录');
    const token = await fetch(`${site}/v1/accounts/wx1234567890abcdef/access-token`, {
      headers: { authorization: `Bearer ${adminKey}` },
    });
    expect(token.status).toBe(200);
    expect(((await token.json()) as { access_token: string }).access_token).toMatch(/^[A-Za-z0-9_-]{100,}$/);
    expect(existsSync(join(empty, '.wxhub', 'demo.db'))).toBe(true);

    demo.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stdout).toContain('wxhub demo: stopping (SIGTERM)');
    expect(stderr).toBe('');
  }, 300_000);
});
