import { type ConfigPath, formatPath } from './describe-problems.js';

/** Fields that hold a secret; `*` is any array index or key. */
const SECRET_FIELDS: readonly (readonly string[])[] = [
  ['accounts', '*', 'secret'],
  ['accounts', '*', 'callback', 'token'],
  ['accounts', '*', 'callback', 'encodingAESKey'],
  ['subscribers', '*', 'secret'],
  ['dropIn', 'signingKey'],
  ['dropIn', 'previousSigningKeys', '*'],
  ['oauth', 'encryptionKey'],
  ['secretsKey'],
];

/** Connection strings, which hold a secret when they carry a password (`redis://:pw@host`). */
const URL_FIELDS = ['store', 'database'];
const SUBSCRIBER_URL_FIELDS = ['url', 'amqp', 'nats'];

/**
 * Warnings for secrets written into the configuration file itself rather than read from the
 * environment (`"env:NAME"`): anyone who can read the file, its backups or the repository it was
 * committed to has them. Names the field, never the value.
 */
export function plaintextSecretWarnings(input: unknown): string[] {
  const found: ConfigPath[] = [];
  for (const pattern of SECRET_FIELDS) collect(input, pattern, [], found);
  const secrets = found.map((path) => `${formatPath(path)}: the secret is written in the configuration file`);
  const root = input as Record<string, unknown> | null;
  const subscribers = Array.isArray(root?.subscribers) ? (root.subscribers as unknown[]) : [];
  const urls: [ConfigPath, unknown][] = [
    ...URL_FIELDS.map((field): [ConfigPath, unknown] => [[field], root?.[field]]),
    // A broker's or a webhook's URL may carry user info (`amqp://user:pw@host`).
    ...subscribers.flatMap((subscriber, i) =>
      SUBSCRIBER_URL_FIELDS.map((field): [ConfigPath, unknown] => [
        ['subscribers', i, field],
        (subscriber as Record<string, unknown> | null)?.[field],
      ]),
    ),
  ];
  const passwords = urls
    .filter(([, url]) => typeof url === 'string' && !url.startsWith('env:') && /\/\/[^/@]*:[^/@]+@/.test(url))
    .map(([path]) => `${formatPath(path)}: a password is written in the configuration file`);
  return [...secrets, ...passwords].map(
    (problem) => `${problem}; write "env:NAME" there instead and set NAME in the environment`,
  );
}

function collect(value: unknown, pattern: readonly string[], path: ConfigPath, found: ConfigPath[]): void {
  if (pattern.length === 0) {
    if (typeof value === 'string' && value !== '' && !value.startsWith('env:')) found.push(path);
    return;
  }
  if (!value || typeof value !== 'object') return;
  const [head, ...rest] = pattern as [string, ...string[]];
  if (head !== '*') {
    collect((value as Record<string, unknown>)[head], rest, [...path, head], found);
    return;
  }
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
  for (const [key, child] of entries) collect(child, rest, [...path, key], found);
}
