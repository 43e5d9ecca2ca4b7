import { HttpClient, type JsonRequest, type JsonResponse } from '../../../src/http/index.js';
import type { ManualClock } from '../../../src/util/clock.js';

const LIFE_MS = 7_200_000;

/**
 * WeChat's token endpoints in process, on a virtual clock, for tests that order every step:
 * `/cgi-bin/token` hands out a new token per call, `/cgi-bin/stable_token` the same one until
 * `force_refresh` or its last 300 s (with the life it has left, as WeChat answers),
 * `/cgi-bin/ticket/getticket` a new ticket per call; a new credential lives 7200 s. Answers queued
 * with `answerNext` come first. Each call moves the clock by `latencyMs`, as a round trip would.
 */
export class FakeWeChat extends HttpClient {
  /** Calls per path (e.g. `/cgi-bin/stable_token`), failed ones included. */
  readonly calls = new Map<string, number>();
  /** Token calls per appid. */
  readonly tokenCallsByAppid = new Map<string, number>();
  /** The force_refresh flag of every stable_token call, in order. */
  readonly forces: boolean[] = [];
  #issued = 0;
  readonly #stable = new Map<unknown, { value: string; issuedAt: number }>();
  readonly #answers: Record<string, unknown>[] = [];

  constructor(
    private readonly clock: ManualClock,
    private readonly latencyMs = 0,
  ) {
    super();
  }

  /**
   * The next `count` calls (any path) answer `body` instead: an error (`{ errcode: 40164, errmsg }`)
   * or an answer of the test's own (`{ access_token, expires_in: 200 }`).
   */
  answerNext(body: Record<string, unknown>, count = 1): void {
    for (let i = 0; i < count; i++) this.#answers.push(body);
  }

  /** Calls of `path` so far. */
  count(path: string): number {
    return this.calls.get(path) ?? 0;
  }

  /** Calls of every path so far. */
  total(): number {
    let n = 0;
    for (const c of this.calls.values()) n += c;
    return n;
  }

  override async json(_method: 'GET' | 'POST', url: string, req: JsonRequest = {}): Promise<JsonResponse> {
    const path = new URL(url).pathname;
    this.calls.set(path, this.count(path) + 1);
    const appid = req.query?.appid ?? (req.json as { appid?: string } | undefined)?.appid;
    if (typeof appid === 'string')
      this.tokenCallsByAppid.set(appid, (this.tokenCallsByAppid.get(appid) ?? 0) + 1);
    if (path === '/cgi-bin/stable_token') {
      this.forces.push((req.json as { force_refresh?: boolean }).force_refresh === true);
    }
    await Promise.resolve();
    this.clock.advance(this.latencyMs);
    const queued = this.#answers.shift();
    if (queued) return { status: 200, body: queued };
    if (path === '/cgi-bin/ticket/getticket') return answer('ticket', this.#next('ticket'), LIFE_MS / 1000);
    if (path === '/cgi-bin/stable_token') {
      const now = this.clock.now();
      let stable = this.#stable.get(appid);
      // WeChat hands out the next stable token only when forced or in the current one's last 300 s.
      if (stable === undefined || this.forces.at(-1) || now >= stable.issuedAt + LIFE_MS - 300_000) {
        stable = { value: this.#next('stable'), issuedAt: now };
        this.#stable.set(appid, stable);
      }
      const left = Math.floor((stable.issuedAt + LIFE_MS - now) / 1000);
      return answer('access_token', stable.value, left);
    }
    return answer('access_token', this.#next('classic'), LIFE_MS / 1000);
  }

  #next(prefix: string): string {
    return `${prefix}-${++this.#issued}-`.padEnd(120, 'x');
  }
}

function answer(field: string, value: string, expiresIn: number): JsonResponse {
  return { status: 200, body: { [field]: value, expires_in: expiresIn } };
}
