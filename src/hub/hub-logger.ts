import pino, { type DestinationStream, type Logger } from 'pino';

/**
 * The hub's default pino logger. Request lines are built by the hub with redacted URLs; the
 * redact paths here are a second line of defence for anything that logs a request or headers.
 */
export function createHubLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'wxhub' },
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          'headers.authorization',
          'authorization',
          'secret',
          'access_token',
          'stale_token',
          'key',
        ],
        censor: '***',
      },
    },
    destination,
  );
}
