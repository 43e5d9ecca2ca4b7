import type { Clock } from '../../util/clock.js';

/** Lines of one source that were not written, in a window now over. */
export interface Suppressed {
  readonly source: string;
  readonly suppressed: number;
  /** Epoch ms the window began. */
  readonly since: number;
}

export interface FloodSamplerOptions {
  /** Lines written per source per window; past it they are counted. Default 20. */
  readonly perWindow?: number;
  /** Window length, ms. Default 10000. */
  readonly windowMs?: number;
  /** Sources tracked at once; past it every window is closed early. Default 10000. */
  readonly maxSources?: number;
}

interface Window {
  since: number;
  written: number;
  suppressed: number;
}

/**
 * Keeps a flood of refusals from one source (a client hammering with a wrong key, a scanner)
 * from writing one log line each: the first `perWindow` lines of a source in a window are
 * written, the rest only counted, and each window that suppressed lines ends in one summary
 * (`drain()`), so the log still says who and how many.
 */
export class FloodSampler {
  readonly #windows = new Map<string, Window>();
  readonly #perWindow: number;
  readonly #windowMs: number;
  readonly #maxSources: number;

  constructor(
    private readonly clock: Clock,
    options: FloodSamplerOptions = {},
  ) {
    this.#perWindow = options.perWindow ?? 20;
    this.#windowMs = options.windowMs ?? 10_000;
    this.#maxSources = options.maxSources ?? 10_000;
  }

  /**
   * Whether to write this source's line now, with the summaries that are due first: this
   * source's window that is over, or every window when too many sources are tracked.
   */
  admit(source: string): { readonly write: boolean; readonly ended: Suppressed[] } {
    const now = this.clock.now();
    let ended: Suppressed[] = [];
    let window = this.#windows.get(source);
    if (window && now - window.since >= this.#windowMs) {
      this.#windows.delete(source);
      ended = compact([summary(source, window)]);
      window = undefined;
    }
    if (!window) {
      if (this.#windows.size >= this.#maxSources) ended.push(...this.drain(true));
      window = { since: now, written: 0, suppressed: 0 };
      this.#windows.set(source, window);
    }
    const write = window.written < this.#perWindow;
    if (write) window.written++;
    else window.suppressed++;
    return { write, ended };
  }

  /**
   * The summaries of windows that are over (of every window with `all`, as on close), which are
   * then forgotten.
   */
  drain(all = false): Suppressed[] {
    const now = this.clock.now();
    const out: Suppressed[] = [];
    for (const [source, window] of this.#windows) {
      if (!all && now - window.since < this.#windowMs) continue;
      this.#windows.delete(source);
      out.push(summary(source, window));
    }
    return compact(out);
  }
}

function summary(source: string, window: Window): Suppressed {
  return { source, suppressed: window.suppressed, since: window.since };
}

/** Only the windows that suppressed something need a line. */
function compact(list: Suppressed[]): Suppressed[] {
  return list.filter((s) => s.suppressed > 0);
}
