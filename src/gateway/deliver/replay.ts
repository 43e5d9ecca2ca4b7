import type { DeadLetter, EventLog } from '../log/event-log.js';
import type { Consumer } from './consumer.js';

/** Dead letters read per replay at most. */
export const MAX_REPLAY = 1000;

export interface ReplayOptions {
  /** Only these events (their `id`); absent: every dead letter of the consumer, oldest first. */
  readonly eventIds?: readonly string[];
  readonly limit?: number;
  /** Told of each letter tried, for metrics and the dashboard. */
  readonly onResult?: (letter: DeadLetter, error: string | null) => void;
}

/** What a replay came to: letters delivered (and removed), letters that failed again (kept). */
export interface ReplayResult {
  readonly replayed: number;
  readonly failed: number;
}

/**
 * Delivers a consumer's dead letters once more, oldest first, straight to the consumer (its
 * filter is not asked again: the letter was its own). A delivered letter is removed; one that
 * fails again stays, for a later replay. The API, the dashboard and `wxhub events replay` all
 * call this. Dead letters are already out of order for their openid, so a replay does not wait
 * for the consumer's queue.
 */
export async function replayDeadLetters(
  log: EventLog,
  consumer: Consumer,
  options: ReplayOptions = {},
): Promise<ReplayResult> {
  const wanted = options.eventIds ? new Set(options.eventIds) : undefined;
  const letters = (await log.deadLetters(consumer.name, options.limit ?? MAX_REPLAY)).filter(
    (letter) => !wanted || wanted.has(letter.event.id),
  );
  let replayed = 0;
  let failed = 0;
  for (const letter of letters) {
    try {
      await consumer.deliver(letter.event);
    } catch (err) {
      failed++;
      options.onResult?.(letter, err instanceof Error ? err.message : String(err));
      continue;
    }
    await log.removeDeadLetter(consumer.name, letter.event.id);
    replayed++;
    options.onResult?.(letter, null);
  }
  return { replayed, failed };
}
