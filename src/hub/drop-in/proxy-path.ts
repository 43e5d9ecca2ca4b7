/** The only path prefixes the drop-in proxy forwards, and only to `wechat.apiBase`. */
export const PROXY_PREFIXES = ['/cgi-bin/', '/sns/'] as const;

/**
 * Checks a raw request path (as sent, before any decoding) for the drop-in proxy. Resolves the
 * path to forward, or the reason it is refused: outside `/cgi-bin/` and `/sns/`, a `.` or `..`
 * segment, any percent-encoded dot, slash or backslash (`%2e`, `%2f`, `%5c`, which an upstream
 * may decode into traversal), an encoded percent sign (`%25`: `%252e` is `%2e` to an upstream
 * or gateway that decodes twice), a double slash, a backslash, or a control character.
 */
export function checkProxyPath(rawPath: string): { ok: true; path: string } | { ok: false; reason: string } {
  if (!PROXY_PREFIXES.some((prefix) => rawPath.startsWith(prefix)))
    return { ok: false, reason: 'only /cgi-bin/ and /sns/ paths are proxied' };
  if (rawPath.includes('//')) return { ok: false, reason: 'double slash in path' };
  if (rawPath.includes('\\')) return { ok: false, reason: 'backslash in path' };
  if (/%(2e|2f|5c|00|25)/i.test(rawPath))
    return { ok: false, reason: 'encoded dot, slash, backslash or percent sign in path' };
  if (/[\u0000-\u001f\u007f\s]/.test(rawPath)) return { ok: false, reason: 'control character in path' };
  if (rawPath.split('/').some((segment) => segment === '.' || segment === '..'))
    return { ok: false, reason: 'dot segment in path' };
  if (rawPath.length > 512) return { ok: false, reason: 'path longer than 512 characters' };
  return { ok: true, path: rawPath };
}
