/** The only path prefixes the drop-in proxy forwards, and only to `wechat.apiBase`. */
export const PROXY_PREFIXES = ['/cgi-bin/', '/sns/'] as const;

/** Longest path forwarded; WeChat's own are under 60 characters. */
const MAX_PATH = 512;
/**
 * The characters WeChat's API paths are made of. Everything else is refused rather than
 * interpreted: `%` (an upstream or gateway may decode `%2e%2e`, `%2f`, `%3b`, or `%252e` twice),
 * `;` (path parameters: `..;/` is `..` to Tomcat-style servers), `\`, `:`, `@`, spaces and
 * control characters.
 */
const NOT_PATH_CHAR = /[^A-Za-z0-9_./-]/;

/**
 * Checks a raw request path (as sent, before any decoding) for the drop-in proxy. Resolves the
 * path to forward, or the reason it is refused: outside `/cgi-bin/` and `/sns/`, longer than 512
 * characters, any character but letters, digits, `_`, `.`, `-` and `/`, a double slash, or a `.`
 * or `..` segment.
 */
export function checkProxyPath(rawPath: string): { ok: true; path: string } | { ok: false; reason: string } {
  if (!PROXY_PREFIXES.some((prefix) => rawPath.startsWith(prefix)))
    return { ok: false, reason: 'only /cgi-bin/ and /sns/ paths are proxied' };
  if (rawPath.length > MAX_PATH) return { ok: false, reason: `path longer than ${MAX_PATH} characters` };
  const bad = NOT_PATH_CHAR.exec(rawPath);
  if (bad)
    return { ok: false, reason: `character ${codePoint(bad[0])} in path (allowed: A-Z a-z 0-9 _ . - /)` };
  if (rawPath.includes('//')) return { ok: false, reason: 'double slash in path' };
  if (rawPath.split('/').some((segment) => segment === '.' || segment === '..'))
    return { ok: false, reason: 'dot segment in path' };
  return { ok: true, path: rawPath };
}

/** `U+003B`: names a character without echoing what the caller sent. */
function codePoint(char: string): string {
  return `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}
