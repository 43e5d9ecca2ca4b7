/**
 * Group commit: items submitted in the same turn of the event loop are committed together, in
 * one transaction, and each submitter's promise settles only after that commit (a push is
 * answered only once its event is durable). A commit is dear (a WAL write, a round trip), its
 * rows cheap: at 1,000 pushes/s a commit per push spent most of the append's time committing.
 *
 * One commit runs at a time; what arrives meanwhile waits and goes into the next, so a store that
 * is slow (or waiting for another process's write lock) gets larger batches, not more of them.
 */
export interface GroupCommitOptions<I, O> {
  /**
   * Commits `items` in one transaction and resolves one result per item, in their order. A
   * rejection fails every item of the batch (nothing of it was committed).
   */
  readonly commit: (items: readonly I[]) => Promise<readonly O[]>;
  /** Most items per commit; a queue this long is committed without waiting for the turn's end. */
  readonly maxBatch: number;
}

interface Waiting<I, O> {
  readonly item: I;
  readonly resolve: (result: O) => void;
  readonly reject: (err: unknown) => void;
}

export class GroupCommit<I, O> {
  readonly #commit: GroupCommitOptions<I, O>['commit'];
  readonly #maxBatch: number;
  #queue: Waiting<I, O>[] = [];
  #scheduled = false;
  #committing = false;

  constructor(options: GroupCommitOptions<I, O>) {
    if (!Number.isSafeInteger(options.maxBatch) || options.maxBatch < 1)
      throw new RangeError('maxBatch must be a positive integer');
    this.#commit = options.commit;
    this.#maxBatch = options.maxBatch;
  }

  /** Resolves `item`'s result once the batch holding it is committed; rejects if that commit failed. */
  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      if (this.#committing) return; // taken by the running commit's loop
      if (this.#queue.length >= this.#maxBatch) void this.#drain();
      else if (!this.#scheduled) {
        this.#scheduled = true;
        // setImmediate, not a microtask: the other requests read in this turn join the batch.
        setImmediate(() => {
          this.#scheduled = false;
          void this.#drain();
        });
      }
    });
  }

  async #drain(): Promise<void> {
    if (this.#committing) return;
    this.#committing = true;
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, this.#maxBatch);
        try {
          const results = await this.#commit(batch.map((w) => w.item));
          if (results.length !== batch.length)
            throw new Error(`group commit: ${results.length} results for ${batch.length} items`);
          for (const [i, w] of batch.entries()) w.resolve(results[i] as O);
        } catch (err) {
          for (const w of batch) w.reject(err);
        }
      }
    } finally {
      this.#committing = false;
    }
  }
}
