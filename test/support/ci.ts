/**
 * The one rule for "is this CI": the `CI` variable is set to anything but empty, `0` or `false`
 * (CI services set `CI=true`; `.ci/run` does too). Every test and bench that behaves differently
 * under CI asks this function, never `process.env.CI` directly.
 */
export function isCI(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env.CI?.trim().toLowerCase();
  return value !== undefined && value !== '' && value !== '0' && value !== 'false';
}

/**
 * What a test file does when a program or service it needs is missing. Under CI it throws: a
 * silent skip there would hide a broken install. Elsewhere it warns loudly and returns undefined,
 * so the caller skips (`describe.skipIf`).
 *
 * @param what - the missing thing, as the message names it (`the redis-server binary`)
 * @param remedy - how to get it (`apt-get install redis-server`)
 */
export function missing(what: string, remedy: string): undefined {
  if (isCI()) throw new Error(`CI=true but ${what} is missing: ${remedy} (.ci/run installs it)`);
  console.warn(`\n!!! SKIPPING the tests that need ${what}: ${remedy} (CI always runs them) !!!\n`);
  return undefined;
}
