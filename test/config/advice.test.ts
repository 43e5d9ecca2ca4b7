import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/main.js';
import { configSchema } from '../../src/config/index.js';

const ROOT = join(import.meta.dirname, '..', '..');

interface Def {
  readonly shape?: Record<string, unknown>;
  readonly innerType?: unknown;
  readonly element?: unknown;
  readonly in?: unknown;
}

/** Every field of the configuration file as a dotted path (array levels dropped): `accounts.oauth.returnTo`. */
function configPaths(schema: unknown, prefix = ''): string[] {
  const def = (schema as { _zod: { def: Def } })._zod.def;
  const inner = def.innerType ?? def.in ?? def.element;
  if (inner) return configPaths(inner, prefix);
  if (!def.shape) return [];
  return Object.entries(def.shape).flatMap(([key, child]) => {
    const path = prefix ? `${prefix}.${key}` : key;
    return [path, ...configPaths(child, path)];
  });
}

function flags(command: Command): string[] {
  return [
    ...command.options.flatMap((o) => (o.long ? [o.long] : [])),
    ...command.commands.flatMap((c) => flags(c)),
  ];
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** The text inside string literals on lines that are code, not comments. */
function stringLiterals(source: string): string[] {
  return source
    .split('\n')
    .filter((line) => !/^\s*(\/\/|\/\*|\*)/.test(line))
    .flatMap((line) =>
      [...line.matchAll(/'([^'\\]*)'|"([^"\\]*)"|`([^`]*)`/g)].map((m) => m[1] ?? m[2] ?? m[3]!),
    );
}

/** `raise retryStrategy`, `set oauth.encryptionKey`, `change --port`: the option a message tells a person to change. */
const ADVICE =
  /\b(?:raise|increase|lower|reduce|set|change|adjust|tune)\s+`?(--[a-z][\w-]*|[a-z]\w*(?:\.\w+)+|[a-z]+[A-Z]\w*)`?/g;

describe('messages advise only options a user can set', () => {
  const settable = configPaths(configSchema);
  const cliFlags = flags(buildProgram());
  const canSet = (name: string) =>
    name.startsWith('--')
      ? cliFlags.includes(name)
      : settable.some((path) => path === name || path.endsWith(`.${name}`));

  it('finds the configuration fields and flags it checks against', () => {
    expect(settable).toEqual(
      expect.arrayContaining(['listen.port', 'accounts.oauth.returnTo', 'oauth.encryptionKey']),
    );
    expect(cliFlags).toEqual(expect.arrayContaining(['--port', '--config', '--rate-limit']));
    expect(canSet('retryStrategy')).toBe(false);
    expect('WeChat failed; raise retryStrategy to try longer'.match(ADVICE)).toEqual(['raise retryStrategy']);
  });

  it('every option a message in src/ tells the reader to set is a configuration field or a flag', () => {
    const advice = sourceFiles(join(ROOT, 'src')).flatMap((file) =>
      stringLiterals(readFileSync(file, 'utf8')).flatMap((text) =>
        [...text.matchAll(ADVICE)].map((m) => ({ file: relative(ROOT, file), text, option: m[1]! })),
      ),
    );
    expect(advice.length).toBeGreaterThan(0);
    expect(advice.filter((a) => !canSet(a.option))).toEqual([]);
  });
});
