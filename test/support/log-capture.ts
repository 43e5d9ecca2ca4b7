import { Writable } from 'node:stream';
import pino from 'pino';

/** A pino logger whose every line is kept, to assert that no secret ever reaches a log. */
export function captureLogs(level: pino.Level = 'debug') {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  const logger = pino({ level }, stream);
  return {
    logger,
    lines,
    /** Every secret that occurs in some line. */
    leaks: (secrets: readonly string[]) => secrets.filter((s) => s && lines.some((line) => line.includes(s))),
  };
}
