import { request } from 'undici';

/** The simulator's control plane (`/__sim/*`), as the public contract describes it. */
export class SimControl {
  constructor(readonly url: string) {}

  async #call(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    body?: unknown,
  ): Promise<Record<string, unknown>> {
    const res = await request(`${this.url}/__sim${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await res.body.json()) as Record<string, unknown>;
    if (res.statusCode >= 300)
      throw new Error(`sim ${method} ${path}: ${res.statusCode} ${JSON.stringify(json)}`);
    return json;
  }

  account(spec: { appid: string; secret: string; [k: string]: unknown }) {
    return this.#call('POST', '/accounts', spec);
  }

  user(appid: string, spec: Record<string, unknown> = {}) {
    return this.#call('POST', `/accounts/${appid}/users`, spec) as Promise<{ openid: string }>;
  }

  invalidateTokens(appid: string, immediate = true) {
    return this.#call('POST', `/accounts/${appid}/invalidate-tokens`, { immediate });
  }

  async advance(seconds: number): Promise<number> {
    return (await this.#call('POST', '/clock', { advanceSeconds: seconds })).now as number;
  }

  async now(): Promise<number> {
    return (await this.#call('GET', '/clock')).now as number;
  }

  fault(spec: Record<string, unknown>) {
    return this.#call('POST', '/faults', spec);
  }

  clearFaults() {
    return this.#call('DELETE', '/faults');
  }

  async stats(): Promise<{
    calls: Record<string, number>;
    byAppid: Record<string, Record<string, number>>;
    errors: Record<string, number>;
  }> {
    return (await this.#call('GET', '/stats')) as never;
  }
}
