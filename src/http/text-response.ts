import type { Dispatcher } from 'undici';

export interface TextResponse {
  readonly status: number;
  readonly text: string;
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

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number): void {
    this.#status = statusCode;
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
    this.resolve({ status: this.#status, text });
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    this.reject(err);
  }
}
