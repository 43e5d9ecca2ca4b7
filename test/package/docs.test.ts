import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  anchors,
  codeBlocks,
  linkTargets,
  prose,
  ROOT,
  read,
  section,
  shellWords,
} from './support/markdown.js';

const PAGES = [
  ...readdirSync(ROOT).filter((f) => /^README.*\.md$/.test(f)),
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

/** Where a relative link from `page` leads, and its anchor; null for links off the repository. */
function resolveLink(page: string, target: string): { path: string; anchor: string } | null {
  if (/^[a-z][a-z0-9+.-]*:|^\/\//i.test(target)) return null;
  const [path = '', anchor = ''] = target.split('#', 2);
  return {
    path: path === '' ? page : normalize(join(dirname(page), decodeURIComponent(path))),
    anchor: decodeURIComponent(anchor),
  };
}

describe('the documentation a user reads', () => {
  it('covers the READMEs and every page in docs/', () => {
    expect(PAGES).toEqual(expect.arrayContaining(['README.md', 'README.zh-CN.md', 'docs/operations.md']));
  });

  it('every relative link leads to a file of the repository, and every #anchor to a heading there', () => {
    const dead: string[] = [];
    let checked = 0;
    for (const page of PAGES) {
      for (const target of linkTargets(read(page))) {
        const link = resolveLink(page, target);
        if (!link) continue;
        checked++;
        if (link.path.startsWith('..') || !existsSync(join(ROOT, link.path))) {
          dead.push(`${page}: ${target} (no such file)`);
        } else if (
          link.anchor &&
          link.path.endsWith('.md') &&
          !anchors(read(link.path)).includes(link.anchor)
        ) {
          dead.push(`${page}: ${target} (no such heading)`);
        }
      }
    }
    expect(checked).toBeGreaterThan(50);
    expect(dead).toEqual([]);
  });

  it('the link checker sees what GitHub renders', () => {
    expect(
      linkTargets('[a](docs/x.md) ![b](s.png "t") `[c](no.md)`\n```\n[d](no.md)\n```\n<img src="i.png">'),
    ).toEqual(['docs/x.md', 's.png', 'i.png']);
    expect(
      anchors(
        '## The `return_to` allowlist\n## Logins (`bench/logins.ts`)\n### 在其他地方安装命令行\n## Logs\n## Logs',
      ),
    ).toEqual(['the-return_to-allowlist', 'logins-benchloginsts', '在其他地方安装命令行', 'logs', 'logs-1']);
    expect(resolveLink('docs/a.md', '../../shared/wechat-api.md')?.path).toBe('../shared/wechat-api.md');
  });

  it('speaks to users about the software, not about how it was made', () => {
    const making = [
      /\b(this|that|previous|last|next) session\b/i,
      /\bsessions ago\b/i,
      /\bother sessions'/i,
      /\bissue #?\d+/i,
      /\bin the issue\b/i,
      /\bits own issue\b/i,
      /\bCEO\b/,
      /\b(sub)?agents?\b/, // (undici's `Agent` is not one)
      /\blead engineer\b/i,
      /\bworktree\b/i,
      /shared\/(DESIGN|STYLE|wechat-api)\.md/,
      /\bfiles were written on\b/i,
    ];
    const found = PAGES.flatMap((page) =>
      prose(read(page))
        .split('\n')
        .flatMap((line, i) =>
          making.filter((re) => re.test(line)).map((re) => `${page}:${i + 1} ${re}: ${line}`),
        ),
    );
    expect(found).toEqual([]);
  });
});

describe('README.md and README.zh-CN.md', () => {
  const en = read('README.md');
  const zh = read('README.zh-CN.md');
  const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
  const COMMANDS = ['npm ci && npm start', 'npm ci && npm test'];
  const commandsOf = (markdown: string) =>
    codeBlocks(markdown)[0]!
      .body.split('\n')
      .filter(Boolean)
      .map((line) => shellWords(line).join(' '));

  it('link to each other at the top', () => {
    expect(en.split('\n').slice(0, 5).join('\n')).toContain('](README.zh-CN.md)');
    expect(zh.split('\n').slice(0, 5).join('\n')).toContain('](README.md)');
  });

  it('open with the same two commands, and they do what they say', () => {
    expect(en.indexOf('```sh')).toBeLessThan(en.indexOf('## The pieces'));
    expect(commandsOf(en)).toEqual(COMMANDS);
    expect(commandsOf(zh)).toEqual(COMMANDS);
    expect(pkg.scripts.start).toMatch(/^npm run build && node bin\/wxhub\.js demo$/);
    expect(pkg.scripts.test).toMatch(/^npm run check && vitest run$/);
    expect(pkg.scripts.check).toContain('biome check');
  });

  it('give the hub in one minute and the CLI install with the same commands, comments aside', () => {
    const commands = (text: string) =>
      codeBlocks(text).map((block) =>
        block.body
          .split('\n')
          .map((line) => line.replace(/\s+#\s.*$/, '').trimEnd())
          .filter((line) => line && !line.startsWith('#'))
          .join('\n'),
      );
    const hub = commands(section(en, '### The hub in one minute'));
    expect(hub).toHaveLength(3);
    expect(commands(section(zh, '### 一分钟跑起中控'))).toEqual(hub);
    const install = commands(section(en, '### Install the CLI elsewhere'));
    expect(install.join('\n')).toContain('npm install -g ./wxhub-0.1.0.tgz');
    expect(commands(section(zh, '### 在其他地方安装命令行'))).toEqual(install);
  });
});
