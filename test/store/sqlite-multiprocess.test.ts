import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe } from 'vitest';
import { itRacesAcrossProcesses } from './multiprocess.js';

const dir = mkdtempSync(join(tmpdir(), 'wxhub-sqlite-mp-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('SqliteStore across OS processes on one fresh file', () => {
  itRacesAcrossProcesses(`sqlite:${join(dir, 'shared', 'race.db')}`, {});
});
