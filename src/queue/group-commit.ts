// Group commit: callers that finish at about the same time share one durable
// write. Items queued while a batch is being written, or during the same turn
// of the event loop, go into the next batch; each caller's promise settles
// when its batch is on disk (or failed; a failed batch is retried item by
// item so that one refused item does not take the others with it). This is how many concurrent SMTP
// sessions each get a durable 250 for the price of one fsync.

export class GroupCommitter<T, R> {
  private pending: { item: T; resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  private scheduled = false;
  /** Batches written so far (for tests and metrics). */
  batches = 0;

  /** `write` stores the whole batch durably and returns one result per item, in order. */
  constructor(
    private readonly write: (items: T[]) => R[],
    private readonly maxBatch = 512,
  ) {}

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, this.maxBatch);
      try {
        const results = this.write(batch.map((b) => b.item));
        this.batches++;
        batch.forEach((b, i) => b.resolve(results[i]));
      } catch (err) {
        if (batch.length === 1) {
          batch[0].reject(err);
          continue;
        }
        // The batch was rolled back as a whole: write each item alone, so one
        // item the store refuses does not fail the others with it.
        for (const b of batch) {
          try {
            const [result] = this.write([b.item]);
            this.batches++;
            b.resolve(result);
          } catch (one) {
            b.reject(one);
          }
        }
      }
    }
  }
}
