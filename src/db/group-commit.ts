// Group commit: callers hand in one item each and wait; items that arrive while a batch
// is being written go together in the next one. One caller alone waits for one small
// write; under load, hundreds share a round trip. A write may answer each item (R), in
// the order the items were given.
//
// One item the store refuses (a constraint, a value out of range) must not fail the others
// that happened to share its batch: a failed batch is written again in two halves, and so
// on, until the item that fails is alone; only its caller gets the error. So a write must be
// all or nothing (one statement, or one transaction), or safe to repeat. A fault that is not
// the items' (the database unreachable) fails the whole batch at once: splitting could not
// help, and each half would only wait for the same fault again.
export interface GroupCommitOptions {
  /** Most items written together. */
  maxBatch?: number;
  /** Whether a write's error is a fault of the store rather than of some item: then no split. */
  isBatchFault?: (err: unknown) => boolean;
}

type Waiter<T, R> = { item: T; resolve: (result: R) => void; reject: (err: unknown) => void };

export class GroupCommit<T, R = void> {
  #pending: Waiter<T, R>[] = [];
  #writing = false;
  readonly #maxBatch: number;
  readonly #isBatchFault: (err: unknown) => boolean;

  constructor(
    // biome-ignore lint/suspicious/noConfusingVoidType: a writer that answers nothing is an async () => void
    private readonly write: (items: T[]) => Promise<[R] extends [void] ? void : R[]>,
    opts: GroupCommitOptions = {},
  ) {
    this.#maxBatch = opts.maxBatch ?? 500;
    this.#isBatchFault = opts.isBatchFault ?? (() => false);
  }

  add(item: T): Promise<R> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ item, resolve, reject });
      if (!this.#writing) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#writing = true;
    while (this.#pending.length > 0) {
      await this.#writeGroup(this.#pending.splice(0, this.#maxBatch));
    }
    this.#writing = false;
  }

  async #writeGroup(group: Waiter<T, R>[]): Promise<void> {
    let results: R[] | undefined;
    try {
      results = (await this.write(group.map((w) => w.item))) as R[] | undefined;
    } catch (err) {
      if (group.length === 1 || this.#isBatchFault(err)) {
        for (const w of group) w.reject(err);
        return;
      }
      const half = Math.ceil(group.length / 2);
      await this.#writeGroup(group.slice(0, half));
      await this.#writeGroup(group.slice(half));
      return;
    }
    for (const [i, w] of group.entries()) w.resolve(results?.[i] as R);
  }
}
