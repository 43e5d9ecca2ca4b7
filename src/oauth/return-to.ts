/**
 * The `return_to` allowlist: where a finished login may send the browser. Each entry of an
 * account's `oauth.returnTo` is an origin (`https://shop.example.com`), optionally with a path
 * prefix (`https://shop.example.com/account`). A `return_to` matches when its origin is exactly
 * an entry's and, for an entry with a prefix, its path is the prefix or continues it at a `/`
 * (`/account` and `/account/orders`, never `/accounting`). Anything a browser might read
 * differently from us (userinfo, backslashes, whitespace, protocol-relative or scheme-less forms)
 * is refused before matching. See docs/login.md.
 */

/** One parsed allowlist entry. */
export interface ReturnToRule {
  readonly origin: string;
  /** A path prefix without its trailing slash, or '' for the whole origin. */
  readonly prefix: string;
}

export type ReturnToCheck =
  | { readonly ok: true; readonly url: string }
  | { readonly ok: false; readonly reason: string };

/** The longest `return_to` accepted. */
export const RETURN_TO_MAX = 2048;

/** Query parameters the hub itself puts on `return_to`: removed from what the caller asked for. */
export const RESERVED_PARAMS = ['wxhub_ticket', 'wxhub_error'] as const;

/** Parses allowlist entries (already validated by the config schema as http(s) URLs). */
export function parseReturnToRules(entries: readonly string[]): ReturnToRule[] {
  return entries.map((entry) => {
    const url = new URL(entry);
    return { origin: url.origin, prefix: url.pathname.replace(/\/+$/, '') };
  });
}

/**
 * Checks `value` against `rules`; on success `url` is the normalised URL to redirect to, with any
 * `wxhub_ticket` / `wxhub_error` parameters removed (a planted ticket would log the user in as
 * someone else).
 */
export function checkReturnTo(value: unknown, rules: readonly ReturnToRule[]): ReturnToCheck {
  if (Array.isArray(value)) return { ok: false, reason: 'return_to must be given once' };
  if (typeof value !== 'string' || value.length === 0)
    return { ok: false, reason: 'return_to is required (the page to come back to)' };
  if (value.length > RETURN_TO_MAX)
    return { ok: false, reason: `return_to must be at most ${RETURN_TO_MAX} characters` };
  if (/[\s\u0000-\u001f\u007f\\]/.test(value))
    return { ok: false, reason: 'return_to must not contain whitespace, control characters or backslashes' };
  if (!/^https?:\/\/[^/?#]/i.test(value))
    return { ok: false, reason: 'return_to must be an absolute http(s) URL' };
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { ok: false, reason: 'return_to is not a valid URL' };
  }
  const authority = value.slice(value.indexOf('//') + 2).split(/[/?#]/, 1)[0] ?? '';
  if (url.username || url.password || authority.includes('@'))
    return { ok: false, reason: 'return_to must not carry credentials (user@host)' };
  if (/%(2f|5c|2e)/i.test(url.pathname))
    return { ok: false, reason: 'return_to must not encode /, \\ or . in its path' };
  if (rules.length === 0)
    return { ok: false, reason: 'this account allows no return_to (set oauth.returnTo in the config)' };
  const allowed = rules.some(
    (rule) =>
      rule.origin === url.origin &&
      (rule.prefix === '' || url.pathname === rule.prefix || url.pathname.startsWith(`${rule.prefix}/`)),
  );
  if (!allowed)
    return { ok: false, reason: `${url.origin}${url.pathname} is not in this account's oauth.returnTo` };
  return { ok: true, url: withoutReserved(url) };
}

/** `url` with `name=value` appended to its query, its other parameters and fragment untouched. */
export function appendParam(url: string, name: string, value: string): string {
  const hash = url.indexOf('#');
  const base = hash === -1 ? url : url.slice(0, hash);
  const fragment = hash === -1 ? '' : url.slice(hash);
  const sep = base.includes('?') ? (base.endsWith('?') || base.endsWith('&') ? '' : '&') : '?';
  return `${base}${sep}${encodeURIComponent(name)}=${encodeURIComponent(value)}${fragment}`;
}

function withoutReserved(url: URL): string {
  if (!url.search) return url.href;
  const kept = url.search
    .slice(1)
    .split('&')
    .filter((pair) => {
      const name = pair.split('=', 1)[0] ?? '';
      let decoded = name;
      try {
        decoded = decodeURIComponent(name.replace(/\+/g, ' '));
      } catch {
        // an undecodable name is not one of ours
      }
      return !(RESERVED_PARAMS as readonly string[]).includes(decoded);
    });
  const copy = new URL(url.href);
  copy.search = kept.length > 0 ? `?${kept.join('&')}` : '';
  return copy.href;
}
