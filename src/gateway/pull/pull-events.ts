import type { EventLog } from '../log/event-log.js';
import type { PushEvent } from '../receive/push-event.js';

/** The longest a pull may wait for events, s. */
export const MAX_PULL_WAIT_SECONDS = 30;

export interface PullRequest {
  readonly appid: string;
  /** The `next` of the previous pull; null: from the oldest event kept. */
  readonly after: string | null;
  readonly limit: number;
  /** How long to wait when there is nothing after `after`, ms (0: answer at once). */
  readonly waitMs: number;
  /** Ends a wait early (the hub is closing, the caller went away): answers what there is. */
  readonly signal?: AbortSignal;
}

/** A page of the pull API: the events (the webhook JSON) and the cursor to pass next time. */
export interface PullPage {
  readonly events: PushEvent[];
  /** The cursor of the last event returned, or `after` again when there was none. */
  readonly next: string | null;
}

/**
 * The pull API's read (long poll): the account's events after `after`, oldest first; when there
 * are none, waits up to `waitMs` for the log to announce an append (on any hub of the fleet) and
 * reads again. An invalid `after` is the log's `WXHUB_ERR_INVALID_ARGUMENT`. The watch is taken
 * before the read that decides to wait, so an append between the two is not slept through.
 */
export async function pullEvents(log: EventLog, request: PullRequest): Promise<PullPage> {
  const { appid, after, limit } = request;
  const page = async (): Promise<PullPage | null> => {
    const rows = await log.readAppid(appid, after, limit);
    return rows.length === 0 ? null : { events: rows.map((r) => r.event), next: rows.at(-1)!.cursor };
  };
  const empty: PullPage = { events: [], next: after };
  const first = await page();
  if (first || request.waitMs <= 0 || request.signal?.aborted) return first ?? empty;

  const deadline = Date.now() + request.waitMs;
  let wake: (() => void) | undefined;
  let woken = false;
  const unwatch = await log.watch(() => {
    woken = true;
    wake?.();
  });
  const onAbort = () => wake?.();
  request.signal?.addEventListener('abort', onAbort);
  try {
    for (;;) {
      woken = false;
      const found = await page();
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0 || request.signal?.aborted) return empty;
      if (!woken)
        await sleep(left, (fn) => {
          wake = fn;
        });
      wake = undefined;
    }
  } finally {
    request.signal?.removeEventListener('abort', onAbort);
    unwatch();
  }
}

/** Resolves after `ms`, or when the function handed to `onWake` is called. */
function sleep(ms: number, onWake: (wake: () => void) => void): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    onWake(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
