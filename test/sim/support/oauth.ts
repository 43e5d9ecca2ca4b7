import { expect } from 'vitest';
import type { TestSim } from './sim.js';
import { APPID } from './sim.js';

export type Pairs = Array<[string, string]>;

export const REDIRECT = 'http://127.0.0.1:3000/cb?from=test';

/** The authorize link's parameters in WeChat's order, with some replaced or removed. */
export function linkParams(overrides: Record<string, string | null> = {}): Pairs {
  const base: Pairs = [
    ['appid', APPID],
    ['redirect_uri', REDIRECT],
    ['response_type', 'code'],
    ['scope', 'snsapi_userinfo'],
    ['state', 'abc123'],
  ];
  const out: Pairs = [];
  for (const [k, v] of base) {
    const o = overrides[k];
    if (o === null) continue;
    out.push([k, o ?? v]);
  }
  return out;
}

export function authorizePath(pairs: Pairs): string {
  return `/connect/oauth2/authorize?${pairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')}`;
}

/** Authorizes as a user via X-Sim-User and returns the code from the 302. */
export async function codeFor(
  sim: TestSim,
  openid: string,
  overrides: Record<string, string | null> = {},
): Promise<string> {
  const res = await sim.app.inject({
    method: 'GET',
    url: authorizePath(linkParams(overrides)),
    headers: { 'x-sim-user': openid },
  });
  expect(res.statusCode, res.body).toBe(302);
  const code = new URL(res.headers.location as string).searchParams.get('code');
  expect(code).toMatch(/^[A-Za-z0-9_-]+$/);
  return code!;
}
