import { Agent, request } from 'undici';

/** WeChat's side reads at most this much of a server's answer. */
export const MAX_ANSWER_BYTES = 1024 * 1024;

/** One HTTP exchange with a developer's server, as WeChat sees it. */
export type TryResult =
  | { readonly ok: true; readonly status: number; readonly body: string; readonly ms: number }
  | { readonly ok: false; readonly error: string; readonly ms: number };

export interface OutboundRequest {
  readonly method: 'GET' | 'POST';
  readonly url: string;
  readonly body?: string;
  readonly headers?: Record<string, string>;
  /** Real milliseconds for the whole exchange (connect, headers, body). */
  readonly timeoutMs: number;
}

function errorCode(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown } } | null)?.cause;
  const code = (err as { code?: unknown } | null)?.code ?? cause?.code;
  return typeof code === 'string' ? code : err instanceof Error ? err.message : String(err);
}

/**
 * The simulator's calls to developers' servers (URL checks and pushes): WeChat's timeout per
 * exchange, no redirects followed, answers capped. Closing aborts what is in flight, so a
 * server that hangs never keeps the simulator open.
 */
export class Outbound {
  #agent: Agent | undefined;
  readonly #active = new Set<AbortController>();
  #closed = false;

  async send(req: OutboundRequest): Promise<TryResult> {
    if (this.#closed) return { ok: false, error: 'the simulator is closing', ms: 0 };
    this.#agent ??= new Agent();
    const controller = new AbortController();
    this.#active.add(controller);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, req.timeoutMs);
    const started = performance.now();
    const elapsed = (): number => Math.round(performance.now() - started);
    try {
      const res = await request(req.url, {
        method: req.method,
        body: req.body,
        headers: req.headers,
        signal: controller.signal,
        dispatcher: this.#agent,
      });
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res.body) {
        size += (chunk as Buffer).length;
        if (size > MAX_ANSWER_BYTES) {
          res.body.destroy();
          return { ok: false, error: `answer larger than ${MAX_ANSWER_BYTES} bytes`, ms: elapsed() };
        }
        chunks.push(chunk as Buffer);
      }
      return {
        ok: true,
        status: res.statusCode,
        body: Buffer.concat(chunks).toString('utf8'),
        ms: elapsed(),
      };
    } catch (err) {
      if (timedOut) return { ok: false, error: `no answer within ${req.timeoutMs} ms`, ms: elapsed() };
      if (controller.signal.aborted) return { ok: false, error: 'the simulator is closing', ms: elapsed() };
      return { ok: false, error: `unreachable (${errorCode(err)})`, ms: elapsed() };
    } finally {
      clearTimeout(timer);
      this.#active.delete(controller);
    }
  }

  /** Aborts every exchange in flight, drops the connections and refuses new ones. */
  close(): void {
    this.#closed = true;
    for (const controller of this.#active) controller.abort();
    this.#active.clear();
    const agent = this.#agent;
    this.#agent = undefined;
    if (agent) agent.destroy().catch(() => {});
  }
}
