import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERRORS } from '../../src/errors/index.js';

const ROOT = new URL('../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, ROOT), 'utf8');

/** The rows of docs/errors.md's table, `| \`CODE\` | STATUS | meaning |`, as [code, status]. */
const tableRows = (doc: string): [string, number][] =>
  [...doc.matchAll(/^\|\s*`(WXHUB_ERR_[A-Z0-9_]+)`\s*\|\s*(\d{3})\s*\|/gm)].map((m) => [m[1]!, Number(m[2])]);

/** Every `WXHUB_ERR_…` code a text names. */
const namedCodes = (text: string) => new Set(text.match(/WXHUB_ERR_[A-Z0-9]+(?:_[A-Z0-9]+)*/g) ?? []);

describe('docs/errors.md and the registry (src/errors/registry.ts)', () => {
  const rows = tableRows(read('docs/errors.md'));

  it('list the same codes, once each: every registered code documented, no documented code gone', () => {
    expect(rows.map(([code]) => code).sort()).toEqual(Object.keys(ERRORS).sort());
  });

  it('agree on the HTTP status of each code', () => {
    const statuses = new Map(rows);
    for (const [code, entry] of Object.entries(ERRORS)) expect(statuses.get(code), code).toBe(entry.status);
  });

  it('no other document names a code the registry does not have', () => {
    const files = [
      'README.md',
      ...readdirSync(new URL('docs/', ROOT))
        .filter((name) => name.endsWith('.md'))
        .map((name) => `docs/${name}`),
    ];
    for (const file of files) {
      const unknown = [...namedCodes(read(file))].filter((code) => !(code in ERRORS));
      expect(unknown, file).toEqual([]);
    }
  });
});
