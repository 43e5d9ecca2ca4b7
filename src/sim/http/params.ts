import type { FastifyRequest } from 'fastify';

type Query = Record<string, string | string[] | undefined>;

/** A query parameter's value; the first when repeated; undefined when absent or empty. */
export function param(request: FastifyRequest, name: string): string | undefined {
  const value = (request.query as Query)[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === '' ? undefined : first;
}

/** The request path without its query string. */
export function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

/** The raw query string (without `?`), or ''. */
export function rawQuery(url: string): string {
  const q = url.indexOf('?');
  if (q === -1) return '';
  const hash = url.indexOf('#', q);
  return url.slice(q + 1, hash === -1 ? undefined : hash);
}
