import { readFile } from 'node:fs/promises';
import { WxhubError } from '../errors/index.js';
import { fixtureSchema, formatIssues } from './fixture-schema.js';
import type { SimFixture } from './types.js';

/**
 * Reads and validates a fixture JSON file. Every failure is a WXHUB_ERR_INVALID_CONFIG whose
 * one-line message names the file and the problem (the CLI turns it into exit code 2).
 */
export async function loadFixtureFile(file: string): Promise<SimFixture> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.message : String(err));
    throw new WxhubError('WXHUB_ERR_INVALID_CONFIG', `fixture ${file}: cannot read it (${reason})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    const reason = err instanceof Error ? err.message.replace(/\s+/g, ' ') : String(err);
    throw new WxhubError('WXHUB_ERR_INVALID_CONFIG', `fixture ${file}: not valid JSON (${reason})`);
  }
  const parsed = fixtureSchema.safeParse(json);
  if (!parsed.success) {
    throw new WxhubError('WXHUB_ERR_INVALID_CONFIG', `fixture ${file}: ${formatIssues(parsed.error)}`);
  }
  return parsed.data;
}
