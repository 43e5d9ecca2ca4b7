import { expect, it } from 'vitest';
import type { OpenStoreOptions } from '../../src/store/index.js';
import { startWorker, type Worker } from './helpers.js';

/**
 * Several OS processes on one backend race, round after round, for a lease and for a CAS write
 * from the same version, while hammering one counter: exactly one wins each race, the counter
 * sums exactly, and no driver error (e.g. SQLITE_BUSY) reaches a caller.
 */
export function itRacesAcrossProcesses(
  url: string,
  options: OpenStoreOptions,
  { workers = 4, rounds = 5, increments = 20 } = {},
): void {
  it(`${workers} processes: one lease winner and one CAS winner per round over ${rounds} rounds`, async () => {
    const started: Worker[] = Array.from({ length: workers }, (_, i) =>
      startWorker('race-worker', [url, JSON.stringify(options), String(i)]),
    );
    try {
      const ask = async (command: object) => {
        for (const w of started) w.send(JSON.stringify(command));
        const answers = await Promise.all(started.map((w) => w.next()));
        for (const answer of answers) expect(answer).not.toHaveProperty('error');
        return answers;
      };
      await Promise.all(started.map((w) => w.next())); // ready
      await ask({ op: 'ping' });
      for (let round = 0; round < rounds; round++) {
        const reads = await ask({ op: 'read' });
        expect(new Set(reads.map((r) => r.version))).toEqual(new Set([round]));
        const answers = await ask({ op: 'go', round, increments });
        expect(
          answers.filter((a) => a.leased === true),
          `round ${round} lease`,
        ).toHaveLength(1);
        const winners = answers.filter((a) => a.casWon === true);
        expect(winners, `round ${round} CAS`).toHaveLength(1);
        expect(winners[0]?.version).toBe(round + 1);
        const highest = Math.max(...answers.map((a) => Number(a.maxTotal)));
        expect(highest, `round ${round} counter`).toBe((round + 1) * workers * increments);
      }
      const counts = await ask({ op: 'count' });
      for (const c of counts) expect(c.count).toBe(rounds * workers * increments);
      await ask({ op: 'exit' });
      const exits = await Promise.all(started.map((w) => w.exit));
      for (const { code, stderr } of exits) {
        expect(stderr).not.toMatch(/SQLITE_BUSY|database is locked/);
        expect(code).toBe(0);
      }
    } finally {
      for (const w of started) w.kill();
    }
  });
}
