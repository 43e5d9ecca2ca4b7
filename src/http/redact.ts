/** Query parameters whose values are secrets and must never reach a log line or error. */
const SECRET_PARAMS = new Set([
  'secret',
  'appsecret',
  'access_token',
  'refresh_token',
  'stale_token',
  'code',
  'ticket',
  'key',
  // WeChat's push URL (/callback/:appid): signatures replayable within the skew window, and the
  // URL check's echo.
  'signature',
  'msg_signature',
  'echostr',
]);

/**
 * A parameter in any text (a URL, an error message, a stack): a separator, a name, `=`, and a
 * value that runs to the next `&`, `#` or space. `;` separates too, so `?a=1;secret=x` is caught
 * inside `a`'s value (see `redactParams`).
 */
const PARAM = /(^|[?&;])([^=&#?;\s]*)=([^&#\s]*)/g;
/** A client key (`wxk_<id>_<secret>`) wherever it stands: its id is kept, its secret never. */
const CLIENT_KEY = /\b(wxk_[0-9a-f]{16}_)[A-Za-z0-9_-]{20,}/g;
/** Decoding more than this many times is no name a server reads. */
const MAX_DECODES = 3;

/**
 * Replaces the values of secret query parameters in a URL, path or any text with `***`, and the
 * secret part of anything shaped like a client key. A name counts as it would once decoded, in
 * any case: the hub and WeChat read `secre%74=`, `%73ecret=` and `access%5Ftoken=` as the
 * credential, so the log must not show them in clear.
 */
export function redactUrl(url: string): string {
  const params = url.includes('=') ? redactParams(url) : url;
  return params.includes('wxk_') ? params.replace(CLIENT_KEY, '$1***') : params;
}

function redactParams(text: string): string {
  return text.replace(PARAM, (_match, separator: string, name: string, value: string) => {
    if (SECRET_PARAMS.has(plainName(name))) return `${separator}${name}=***`;
    // Not a secret itself, but `;name=value` inside it may be one.
    return `${separator}${name}=${value.includes('=') ? redactParams(value) : value}`;
  });
}

/** A parameter name as servers read it: percent-decoded (repeatedly), `+` as space, any case, no `[]`. */
function plainName(name: string): string {
  let plain = name;
  for (let i = 0; i < MAX_DECODES && plain.includes('%'); i++) {
    const next = decodeLoosely(plain);
    if (next === plain) break;
    plain = next;
  }
  return plain
    .replace(/\+/g, ' ')
    .trim()
    .replace(/\[[^\]]*\]$/, '')
    .toLowerCase();
}

/** decodeURIComponent that keeps malformed escapes (`%zz`, a lone `%`) as written. */
function decodeLoosely(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text.replace(/%[0-9a-f]{2}/gi, (sequence) => {
      try {
        return decodeURIComponent(sequence);
      } catch {
        return sequence;
      }
    });
  }
}

/** The path of a URL without its query string: safe to put in errors. */
export function pathOf(url: string): string {
  const start = url.indexOf('://') === -1 ? 0 : url.indexOf('/', url.indexOf('://') + 3);
  if (start === -1) return '/';
  const end = url.search(/[?#]/);
  return url.slice(start, end === -1 ? undefined : end);
}
