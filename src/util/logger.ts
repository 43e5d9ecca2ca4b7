import { createRequire } from 'node:module';
import { isatty } from 'node:tty';
import type { DestinationStream } from 'pino';
import type PinoPretty from 'pino-pretty';

/** The slice of pino's interface wxhub logs through; pino itself satisfies it. */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const noop = () => undefined;
export const silentLogger: Logger = Object.freeze({ debug: noop, info: noop, warn: noop, error: noop });

/** How log lines are written: JSON (for collectors, the default) or pretty (for a person). */
export type LogFormat = 'json' | 'pretty';

/**
 * A destination that writes each log line as one readable line (time, level, message, fields) to
 * file descriptor `fd`, in colour on a terminal (`logging.format: "pretty"`). Lines arrive already
 * redacted by pino. pino-pretty is loaded only here, so JSON logging never pays for it.
 */
export function prettyDestination(fd = 1): DestinationStream {
  const pretty = createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty;
  return pretty({
    destination: fd,
    sync: true,
    colorize: isatty(fd),
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,service',
  });
}
