import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { WxhubError } from '../errors/index.js';
import { type ConfigProblem, formatPath, isUnder, schemaProblems } from './describe-problems.js';
import { gatewayReferenceProblems } from './gateway-references.js';
import { plaintextSecretWarnings } from './plaintext-secrets.js';
import { type Config, configSchema } from './schema.js';

export const DEFAULT_CONFIG_FILE = 'wxhub.config.json';

/**
 * Validates a configuration object: `env:NAME` values are read from `env`, every problem is
 * reported at once with its path, and the result is frozen. A misspelled field is reported as an
 * unknown field, and nothing below it is checked (its `env:` variables are not its problem).
 */
export function parseConfig(input: unknown, env: NodeJS.ProcessEnv = process.env, source = 'config'): Config {
  const envProblems: ConfigProblem[] = [];
  const resolved = resolveEnv(input, env, [], envProblems);
  const parsed = configSchema.safeParse(resolved);
  const found = parsed.success ? [] : schemaProblems(configSchema, parsed.error.issues);
  const unknown = found.flatMap((p) => (p.unknown ? [p.unknown] : []));
  const known = (p: ConfigProblem) => !unknown.some((field) => isUnder(p.path, field));
  const reported = [
    ...envProblems.filter(known),
    ...duplicateAppids(resolved),
    ...gatewayReferenceProblems(resolved),
  ];
  // A missing env: variable was reported already; don't report its empty value twice.
  const seen = new Set(reported.map((p) => formatPath(p.path)));
  const problems = [
    ...found.filter((p) => p.unknown),
    ...reported,
    ...found.filter((p) => !p.unknown && known(p) && !seen.has(formatPath(p.path))),
  ];
  if (problems.length > 0 || !parsed.success) {
    const text = problems.map((p) => `${formatPath(p.path)}: ${p.message}`).join('; ');
    throw new WxhubError('WXHUB_ERR_INVALID_CONFIG', `${source}: ${text}`);
  }
  return deepFreeze(parsed.data);
}

/**
 * Loads the configuration: `path` if given, else `$WXHUB_CONFIG`, else `./wxhub.config.json` if
 * present, else the defaults (a one-machine hub on SQLite under ./.wxhub/). A valid file that
 * holds secrets itself rather than `env:NAME` gets a `warn` per field.
 */
export function loadConfig(
  path?: string,
  env: NodeJS.ProcessEnv = process.env,
  warn: (message: string) => void = () => undefined,
): Config {
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
  const config = parseConfig(json, env, file);
  for (const warning of plaintextSecretWarnings(json)) warn(`${file}: ${warning}`);
  return config;
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
  problems: ConfigProblem[],
): unknown {
  if (typeof value === 'string' && value.startsWith('env:')) {
    const name = value.slice(4);
    const found = env[name];
    if (found === undefined || found === '')
      problems.push({ path, message: `environment variable ${name} is not set` });
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

function duplicateAppids(config: unknown): ConfigProblem[] {
  const accounts = (config as { accounts?: unknown } | null)?.accounts;
  if (!Array.isArray(accounts)) return [];
  const seen = new Set<unknown>();
  return accounts.flatMap((account: { appid?: unknown } | null, i): ConfigProblem[] => {
    const appid = account?.appid;
    if (typeof appid !== 'string') return [];
    if (seen.has(appid)) return [{ path: ['accounts', i, 'appid'], message: `duplicate appid ${appid}` }];
    seen.add(appid);
    return [];
  });
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
