/**
 * Where the external services for tests are, and what to do when one is missing: on a laptop
 * the suite skips with a loud message; under CI=true it fails, because a silent skip in CI
 * would hide a broken backend.
 */
export const SERVICES = {
  redis: process.env.WXHUB_TEST_REDIS_URL ?? (process.env.CI ? 'redis://127.0.0.1:6379/15' : undefined),
  postgres:
    process.env.WXHUB_TEST_POSTGRES_URL ??
    (process.env.CI ? 'postgres://postgres@127.0.0.1:5432/test' : undefined),
  amqp: process.env.WXHUB_TEST_AMQP_URL ?? (process.env.CI ? 'amqp://guest:guest@127.0.0.1:5672' : undefined),
  nats: process.env.WXHUB_TEST_NATS_URL ?? (process.env.CI ? 'nats://127.0.0.1:4222' : undefined),
} as const;

/** The URL of a service, or undefined (with a loud warning) when tests should skip it. */
export function serviceUrl(name: keyof typeof SERVICES): string | undefined {
  const url = SERVICES[name];
  if (url) return url;
  if (process.env.CI)
    throw new Error(`CI=true but no ${name} configured: set WXHUB_TEST_${name.toUpperCase()}_URL`);
  console.warn(
    `\n!!! SKIPPING ${name} tests: set WXHUB_TEST_${name.toUpperCase()}_URL to run them (CI always does) !!!\n`,
  );
  return undefined;
}
