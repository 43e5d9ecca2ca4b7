import { isIP } from 'node:net';
import type { FastifyRequest } from 'fastify';

/** The caller's IP for whitelists: header `X-Sim-Client-Ip`, else the socket's address. */
export function clientIp(request: FastifyRequest): string {
  const header = request.headers['x-sim-client-ip'];
  const value = (Array.isArray(header) ? header[0] : header)?.trim();
  const ip = value || request.socket.remoteAddress || '';
  return ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
}

function ipv4ToInt(ip: string): number {
  const parts = ip.split('.').map(Number);
  return (((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]!) >>> 0;
}

/** Whether the IP matches a whitelist entry: an exact address or an IPv4 CIDR range. */
export function ipAllowed(ip: string, whitelist: readonly string[]): boolean {
  for (const entry of whitelist) {
    if (entry === ip) return true;
    const slash = entry.indexOf('/');
    if (slash !== -1 && isIP(ip) === 4) {
      const bits = Number(entry.slice(slash + 1));
      const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
      if ((ipv4ToInt(ip) & mask) >>> 0 === (ipv4ToInt(entry.slice(0, slash)) & mask) >>> 0) return true;
    }
  }
  return false;
}

/** WeChat's 40164 message: `invalid ip A.B.C.D ipv6 ::ffff:A.B.C.D, not in whitelist`. */
export function whitelistErrmsg(ip: string): string {
  const v6 = isIP(ip) === 4 ? `::ffff:${ip}` : ip;
  return `invalid ip ${ip} ipv6 ${v6}, not in whitelist`;
}
