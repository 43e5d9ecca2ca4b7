import { execFileSync } from 'node:child_process';

const SCRIPT = `
const { readdirSync, readFileSync } = require('node:fs');
const { join } = require('node:path');
const [dir, needle] = process.argv.slice(1);
const found = readdirSync(dir).some((f) => readFileSync(join(dir, f)).includes(Buffer.from(needle)));
process.stdout.write(found ? 'yes' : 'no');
`;

/**
 * Whether any file of `dir` (a SQLite database, its WAL and shm) holds `needle`, read in another
 * process: opening and closing a database file in this one would drop the open connections'
 * POSIX locks on it (a close releases every lock the process holds on the file).
 */
export function filesContain(dir: string, needle: string): boolean {
  return execFileSync(process.execPath, ['-e', SCRIPT, dir, needle], { encoding: 'utf8' }) === 'yes';
}
