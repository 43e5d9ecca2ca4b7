import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { z } from 'zod';
import { WxhubError } from '../errors/index.js';
import { type Config, configSchema } from './schema.js';

export const DEFAULT_CONFIG_FILE = 'wxhub.config.json';

/**
 * Validates a configuration object: `env:NAME` values are read from `env`, every problem is
 * reported at once with its path, and the result is frozen.
 */
export function parseConfig(input: unknown, env: NodeJS.ProcessEnv = process.env, source = 'config'): Config {
  const problems: string[] = [];
  const resolved = resolveEnv(input, env, [], problems);
  problems.push(...duplicateAppids(resolved));
  const parsed = configSchema.safeParse(resolved);
  // A missing env: variable was reported already; don't report its empty value twice.
  const reported = new Set(problems.map((p) => p.slice(0, p.indexOf(':'))));
  if (!parsed.success) {
    problems.push(
      ...parsed.error.issues.map(describeIssue).filter((p) => !reported.has(p.slice(0, p.indexOf(':')))),
    );
  }
  if (problems.length > 0 || !parsed.success) {
    throw new WxhubError('WXHUB_ERR_INVALID_CONFIG', `${source}: ${problems.join('; ')}`);
  }
  return deepFreeze(parsed.data);
}

/**
 * Loads the configuration: `path` if given, else `$WXHUB_CONFIG`, else `./wxhub.config.json` if
 * present, else the defaults (a one-machine hub on SQLite under ./.wxhub/).
 */
export function loadConfig(path?: string, env: NodeJS.ProcessEnv = process.env): Config {
  const file =
    path ?? env.WXHUB_CONFIG ?? (existsSync(DEFAULT_CONFIG_FILE) ? DEFAULT_CONFIG_FILE : undefined);
  if (!file) return parseConfig({}, env, 'defaults');
  const full = resolve(file);
  let text: string;
  try {
    text = readFileSync(full, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw new WxhubError('WXHUB_ERR_INVALID_CONFIG', `${file}: ${reason}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new WxhubError('WXHUB_ERR_INVALID_CONFIG', `${file}: not valid JSON (${jsonProblem(text, err)})`);
  }
  return parseConfig(json, env, file);
}

/**
 * Where JSON.parse failed, without the text around it: V8 quotes the neighbourhood of a bad token
 * (`Unexpected token 'T', "{"secret":TOPSECRET}" is not valid JSON`), which may be a secret.
 */
function jsonProblem(text: string, err: unknown): string {
  const message = err instanceof Error ? err.message : '';
  const at = /^(.*?)(?: in JSON)? at position (\d+)/.exec(message);
  if (at) {
    const before = text.slice(0, Number(at[2]));
    const line = before.split('\n').length;
    return `${at[1]} at line ${line}, column ${before.length - before.lastIndexOf('\n')}`;
  }
  if (message.includes('end of JSON input')) return 'unexpected end of input';
  return 'unexpected token; the text around it is not shown, it may hold a secret';
}

function resolveEnv(
  value: unknown,
  env: NodeJS.ProcessEnv,
  path: (string | number)[],
  problems: string[],
): unknown {
  if (typeof value === 'string' && value.startsWith('env:')) {
    const name = value.slice(4);
    const found = env[name];
    if (found === undefined || found === '')
      problems.push(`${formatPath(path)}: environment variable ${name} is not set`);
    return found ?? '';
  }
  if (Array.isArray(value)) return value.map((v, i) => resolveEnv(v, env, [...path, i], problems));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, resolveEnv(v, env, [...path, k], problems)]),
    );
  }
  return value;
}

function duplicateAppids(config: unknown): string[] {
  const accounts = (config as { accounts?: unknown } | null)?.accounts;
  if (!Array.isArray(accounts)) return [];
  const seen = new Set<unknown>();
  return accounts.flatMap((account: { appid?: unknown } | null, i) => {
    const appid = account?.appid;
    if (typeof appid !== 'string') return [];
    if (seen.has(appid)) return [`accounts[${i}].appid: duplicate appid ${appid}`];
    seen.add(appid);
    return [];
  });
}

function describeIssue(issue: z.core.$ZodIssue): string {
  return `${formatPath(issue.path)}: ${issue.message}`;
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
    .join('');
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
