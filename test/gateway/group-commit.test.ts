import { describe, expect, it } from 'vitest';
import { GroupCommit } from '../../src/gateway/log/group-commit.js';

/** A commit that records its batches and, unless told otherwise, resolves each item doubled. */
function recording(options: { maxBatch?: number; fail?: (items: readonly number[]) => boolean } = {}) {
  const batches: number[][] = [];
  let release: (() => void) | undefined;
  let hold = false;
  const group = new GroupCommit<number, number>({
    maxBatch: options.maxBatch ?? 100,
    commit: async (items) => {
      batches.push([...items]);
      if (hold)
        await new Promise<void>((resolve) => {
          release = resolve;
        });
      if (options.fail?.(items)) throw new Error('commit failed');
      return items.map((i) => i * 2);
    },
  });
  return {
    group,
    batches,
    holdNext: () => {
      hold = true;
    },
    release: () => {
      hold = false;
      release?.();
    },
  };
}

describe('GroupCommit', () => {
  it('commits the items of one event-loop turn together and gives each caller its own result', async () => {
    const { group, batches } = recording();
    const results = await Promise.all([1, 2, 3].map((i) => group.submit(i)));
    expect(results).toEqual([2, 4, 6]);
    expect(batches).toEqual([[1, 2, 3]]);
    expect(await group.submit(4)).toBe(8);
    expect(batches).toEqual([[1, 2, 3], [4]]);
  });

  it('settles no caller before its commit has finished', async () => {
    const { group, batches, holdNext, release } = recording();
    holdNext();
    let settled = false;
    const pending = group.submit(1).then((r) => {
      settled = true;
      return r;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(batches).toEqual([[1]]);
    expect(settled).toBe(false);
    release();
    expect(await pending).toBe(2);
  });

  it('runs one commit at a time: what arrives during a commit goes into the next one', async () => {
    const { group, batches, holdNext, release } = recording();
    holdNext();
    const first = group.submit(1);
    await new Promise((resolve) => setTimeout(resolve, 10));
    const later = [group.submit(2), group.submit(3)];
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(batches).toEqual([[1]]);
    release();
    expect(await Promise.all([first, ...later])).toEqual([2, 4, 6]);
    expect(batches).toEqual([[1], [2, 3]]);
  });

  it('splits a long queue into batches of at most maxBatch, committing a full one at once', async () => {
    const { group, batches } = recording({ maxBatch: 2 });
    const results = Promise.all([1, 2, 3, 4, 5].map((i) => group.submit(i)));
    // The first full batch was committed synchronously, before the turn ended.
    expect(batches).toEqual([[1, 2]]);
    expect(await results).toEqual([2, 4, 6, 8, 10]);
    expect(batches).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('fails every caller of a failed batch, and only those', async () => {
    const { group, batches, holdNext, release } = recording({ fail: (items) => items.includes(1) });
    holdNext();
    const failed = [group.submit(1), group.submit(2)].map((p) => p.catch((err: Error) => err.message));
    await new Promise((resolve) => setTimeout(resolve, 10));
    const next = group.submit(3);
    release();
    expect(await Promise.all(failed)).toEqual(['commit failed', 'commit failed']);
    expect(await next).toBe(6);
    expect(batches).toEqual([[1, 2], [3]]);
  });

  it('fails the batch when the commit answers a different number of results', async () => {
    const group = new GroupCommit<number, number>({ maxBatch: 10, commit: async () => [1] });
    const results = await Promise.allSettled([group.submit(1), group.submit(2)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });

  it('refuses a maxBatch that is not a positive integer', () => {
    expect(() => new GroupCommit({ maxBatch: 0, commit: async () => [] })).toThrow(/maxBatch/);
  });
});
