import { WxhubError } from '../errors/index.js';

/** What a `redis+sentinel://` URL names, in ioredis' option names. */
export interface SentinelTarget {
  readonly sentinels: { host: string; port: number }[];
  /** The master's name, as the sentinels know it (`sentinel monitor NAME ...`). */
  readonly name: string;
  readonly db: number;
  readonly username?: string;
  /** The master's password (ACL user or `requirepass`); sentinels themselves are asked without one. */
  readonly password?: string;
}

const SENTINEL_URL = /^redis\+sentinel:\/\/(?:([^@/]*)@)?([^/?#]+)\/([^/?#]+)(?:\/(\d{1,2}))?\/?$/i;
const HOST_PORT = /^([A-Za-z0-9.-]+)(?::(\d{1,5}))?$/;

/**
 * `redis+sentinel://[user:password@]host[:port][,host[:port]...]/MASTER[/db]`, the form the hub's
 * `store` setting takes for Redis Sentinel (ports default to 26379), or null for any other URL.
 * WHATWG URLs cannot hold a list of hosts, so this is parsed by hand; IPv6 literals are not
 * accepted (name such sentinels by host name).
 */
export function parseSentinelUrl(url: string): SentinelTarget | null {
  if (!/^redis\+sentinel:/i.test(url)) return null;
  const match = SENTINEL_URL.exec(url);
  if (!match)
    throw invalid('expected redis+sentinel://[user:password@]host[:port][,host[:port]...]/MASTER[/db]');
  const [, userinfo, hostList, name, db] = match;
  const sentinels = hostList!.split(',').map((entry) => {
    const hostPort = HOST_PORT.exec(entry);
    const port = Number(hostPort?.[2] ?? 26379);
    if (!hostPort || port < 1 || port > 65535) throw invalid(`"${entry.slice(0, 64)}" is not host[:port]`);
    return { host: hostPort[1]!, port };
  });
  const colon = userinfo?.indexOf(':') ?? -1;
  const username = userinfo ? decodeURIComponent(colon === -1 ? userinfo : userinfo.slice(0, colon)) : '';
  const password = userinfo && colon !== -1 ? decodeURIComponent(userinfo.slice(colon + 1)) : '';
  return {
    sentinels,
    name: decodeURIComponent(name!),
    db: Number(db ?? 0),
    ...(username && { username }),
    ...(password && { password }),
  };
}

function invalid(detail: string): WxhubError {
  // Never the URL itself: it may hold a password.
  return new WxhubError('WXHUB_ERR_INVALID_ARGUMENT', `store URL: ${detail}`);
}
