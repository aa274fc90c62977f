// Group commit: callers hand in one item each and wait; items that arrive while a batch
// is being written go together in the next one. One caller alone waits for one small
// write; under load, hundreds share a round trip. A write may answer each item (R), in
// the order the items were given.
export class GroupCommit<T, R = void> {
  #pending: { item: T; resolve: (result: R) => void; reject: (err: unknown) => void }[] = [];
  #writing = false;

  constructor(
    // biome-ignore lint/suspicious/noConfusingVoidType: a writer that answers nothing is an async () => void
    private readonly write: (items: T[]) => Promise<[R] extends [void] ? void : R[]>,
    private readonly maxBatch = 500,
  ) {}

  add(item: T): Promise<R> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ item, resolve, reject });
      if (!this.#writing) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#writing = true;
    while (this.#pending.length > 0) {
      const batch = this.#pending.splice(0, this.maxBatch);
      try {
        const results = (await this.write(batch.map((p) => p.item))) as R[] | undefined;
        for (const [i, p] of batch.entries()) p.resolve(results?.[i] as R);
      } catch (err) {
        for (const p of batch) p.reject(err);
      }
    }
    this.#writing = false;
  }
}
