import { readFileSync } from 'node:fs';

/**
 * wxhub's own version, from the package.json two levels above this module (`src/cli/` in a clone,
 * `dist/cli/` in an installed package), not from `npm_package_version`, which names whichever
 * package's script happens to run the command.
 */
export function wxhubVersion(): string {
  const file = new URL('../../package.json', import.meta.url);
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}
