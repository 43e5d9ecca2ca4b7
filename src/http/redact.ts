/** Query parameters whose values are secrets and must never reach a log line or error. */
const SECRET_PARAMS = ['secret', 'appsecret', 'access_token', 'refresh_token', 'code', 'ticket', 'key'];
const SECRET_QUERY = new RegExp(`([?&](?:${SECRET_PARAMS.join('|')})=)[^&#\\s]*`, 'gi');

/** Replaces the values of secret query parameters in a URL or path with `***`. */
export function redactUrl(url: string): string {
  return url.replace(SECRET_QUERY, '$1***');
}

/** The path of a URL without its query string: safe to put in errors. */
export function pathOf(url: string): string {
  const start = url.indexOf('://') === -1 ? 0 : url.indexOf('/', url.indexOf('://') + 3);
  if (start === -1) return '/';
  const end = url.search(/[?#]/);
  return url.slice(start, end === -1 ? undefined : end);
}
