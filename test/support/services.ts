import { isCI, missing } from './ci.js';

/**
 * Where the external services for tests are. Under CI they default to this machine's own
 * (`.ci/run` checks they answer before the suite starts); elsewhere only what the environment
 * names is used.
 */
export const SERVICES = {
  redis: process.env.WXHUB_TEST_REDIS_URL ?? (isCI() ? 'redis://127.0.0.1:6379/15' : undefined),
  postgres:
    process.env.WXHUB_TEST_POSTGRES_URL ?? (isCI() ? 'postgres://postgres@127.0.0.1:5432/test' : undefined),
  amqp: process.env.WXHUB_TEST_AMQP_URL ?? (isCI() ? 'amqp://guest:guest@127.0.0.1:5672' : undefined),
  nats: process.env.WXHUB_TEST_NATS_URL ?? (isCI() ? 'nats://127.0.0.1:4222' : undefined),
} as const;

/** The URL of a service, or undefined (with a loud warning, see {@link missing}) when tests should skip it. */
export function serviceUrl(name: keyof typeof SERVICES): string | undefined {
  const variable = `WXHUB_TEST_${name.toUpperCase()}_URL`;
  return SERVICES[name] ?? missing(`a ${name} server`, `set ${variable} to run them`);
}
