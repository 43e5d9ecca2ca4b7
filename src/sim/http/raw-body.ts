import type { FastifyInstance } from 'fastify';

/**
 * A request body as WeChat sees it: bytes it parses as JSON whatever the Content-Type says
 * (PHP tutorials post JSON as `application/x-www-form-urlencoded`), so a form body is simply
 * "not JSON" and each API answers its own errcode for that (41002, 47001...).
 */
export interface RawBody {
  readonly text: string;
  /** The parsed JSON value; undefined when the text is empty or not JSON. */
  readonly json: unknown;
}

export function parseRawBody(text: string): RawBody {
  let json: unknown;
  const trimmed = text.trim();
  if (trimmed !== '') {
    try {
      json = JSON.parse(trimmed);
    } catch {
      json = undefined;
    }
  }
  return { text, json };
}

/** The body's JSON object, or undefined (empty, not JSON, or not an object). */
export function jsonObject(body: unknown): Record<string, unknown> | undefined {
  const json = (body as RawBody | undefined)?.json;
  return typeof json === 'object' && json !== null && !Array.isArray(json)
    ? (json as Record<string, unknown>)
    : undefined;
}

/** True when the request had a non-empty body. */
export function hasBody(body: unknown): boolean {
  const text = (body as RawBody | undefined)?.text;
  return typeof text === 'string' && text.trim() !== '';
}

/** Replaces Fastify's parsers with one that keeps every body, whatever its type, as RawBody. */
export function registerRawBodyParser(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => {
    done(null, parseRawBody(body as string));
  });
}
