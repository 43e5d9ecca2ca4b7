import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { missing } from './ci.js';

/**
 * The absolute path of an executable: `name` looked up on `PATH` like a shell does, or `name`
 * itself when it is a path. Undefined when there is none (or it is not an executable file).
 */
export function findBinary(name: string, path: string = process.env.PATH ?? ''): string | undefined {
  const candidates = isAbsolute(name) ? [name] : path.split(delimiter).map((dir) => join(dir || '.', name));
  return candidates.find(isExecutableFile);
}

function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * The path of a program a test file needs: found, or {@link missing} (throws under CI, warns and
 * returns undefined elsewhere so the file skips).
 *
 * @param name - a command (`redis-server`) or an absolute path (`WXHUB_CHROMIUM`)
 * @param debianPackage - the package that installs it, for the message
 */
export function requireBinary(name: string, debianPackage: string): string | undefined {
  return findBinary(name) ?? missing(`the ${name} binary`, `apt-get install ${debianPackage}`);
}
