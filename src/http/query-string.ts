/** What URLSearchParams leaves as is. */
const URL_SAFE = /^[\w.*-]*$/;

/** URLSearchParams' encoding (space as +), without building one per call on the hot path. */
export function encodeQueryPart(text: string): string {
  // Tokens, openids and most values need no escaping; one test beats three string passes.
  if (URL_SAFE.test(text)) return text;
  return encodeURIComponent(text)
    .replace(/%20/g, '+')
    .replace(/[!'()~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** URLSearchParams' decoding (+ as space, a malformed escape kept as written). */
function decodeQueryPart(text: string): string {
  if (!text.includes('%') && !text.includes('+')) return text;
  return new URLSearchParams(`x=${text}`).get('x') ?? '';
}

function nameOf(part: string): string {
  const eq = part.indexOf('=');
  return decodeQueryPart(eq === -1 ? part : part.slice(0, eq));
}

/** The first value of `name` in a raw query string (no `?`), as URLSearchParams.get reads it. */
export function queryParam(search: string, name: string): string | null {
  for (const part of search.split('&')) {
    if (part === '' || nameOf(part) !== name) continue;
    const eq = part.indexOf('=');
    return eq === -1 ? '' : decodeQueryPart(part.slice(eq + 1));
  }
  return null;
}

/**
 * The raw query string with every `name` parameter replaced by one `name=value`, where the first
 * one stood (or at the end). The other parameters keep their bytes and their order: the drop-in
 * proxy changes the token it must and passes the rest exactly as the caller wrote it, without
 * parsing and re-serializing the whole query on every call.
 */
export function withParam(search: string, name: string, value: string): string {
  const entry = `${encodeQueryPart(name)}=${encodeQueryPart(value)}`;
  let out = '';
  let placed = false;
  for (const part of search.split('&')) {
    if (part === '') continue;
    const replaced = nameOf(part) === name;
    if (replaced && placed) continue;
    out += `${out ? '&' : ''}${replaced ? entry : part}`;
    placed ||= replaced;
  }
  return placed ? out : `${out ? `${out}&` : ''}${entry}`;
}
