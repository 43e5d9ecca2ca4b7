import type { Dispatcher } from 'undici';

export interface TextResponse {
  readonly status: number;
  readonly text: string;
  /** The `Retry-After` header as sent, on a 429 or 503 only (the answers a caller may retry). */
  readonly retryAfter?: string;
}

/**
 * Sends one request through `dispatcher` and collects its body as UTF-8 text, rejecting with
 * `tooLarge()` once the body passes `maxBytes`. A dispatch handler rather than
 * `dispatcher.request()`: that builds a Readable stream and its promise plumbing for every call,
 * which cost about as much as all of wxhub's own work on a warm API call
 * (`bench/api-throughput.ts --breakdown`).
 */
export function requestText(
  dispatcher: Dispatcher,
  options: Dispatcher.DispatchOptions,
  maxBytes: number,
  tooLarge: () => Error,
): Promise<TextResponse> {
  return new Promise((resolve, reject) => {
    dispatcher.dispatch(options, new TextCollector(resolve, reject, maxBytes, tooLarge));
  });
}

class TextCollector implements Dispatcher.DispatchHandler {
  #status = 0;
  #retryAfter: string | undefined;
  #bytes = 0;
  readonly #chunks: Buffer[] = [];

  constructor(
    private readonly resolve: (response: TextResponse) => void,
    private readonly reject: (err: Error) => void,
    private readonly maxBytes: number,
    private readonly tooLarge: () => Error,
  ) {}

  // Present so undici treats this as a current-API handler (it checks for this method).
  onRequestStart(): void {}

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    this.#status = statusCode;
    if (statusCode === 429 || statusCode === 503) {
      const value = headers['retry-after'];
      this.#retryAfter = Array.isArray(value) ? value[0] : value;
    }
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.#bytes += chunk.length;
    if (this.#bytes > this.maxBytes) {
      this.#chunks.length = 0;
      controller.abort(this.tooLarge());
      return;
    }
    this.#chunks.push(chunk);
  }

  onResponseEnd(): void {
    const chunks = this.#chunks;
    const text = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
    this.resolve(
      this.#retryAfter === undefined
        ? { status: this.#status, text }
        : { status: this.#status, text, retryAfter: this.#retryAfter },
    );
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    this.reject(err);
  }
}
