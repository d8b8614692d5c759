// Group commit through the commit thread (commit-worker.ts): items submitted
// while a batch is being written form the next batch, so the main thread never
// waits for an fsync and concurrent sessions share one. Each submitter's
// promise settles when its message is on disk (or was refused). If the thread
// dies, what it held is refused (the clients get a 4xx and retry) and a new
// thread takes over.

import { Worker } from 'node:worker_threads';
import type { AcceptItem, AcceptResult } from './accept-batch.js';

type Outcome = { ok: true; result: AcceptResult } | { ok: false; error: string };
interface Waiter {
  item: AcceptItem;
  resolve: (r: AcceptResult) => void;
  reject: (e: Error) => void;
}

/** The commit thread's young generation (V8's default lets each thread grow it to 48 MB). */
export const COMMIT_THREAD_YOUNG_MB = 6;

export class ThreadCommitter {
  private worker: Worker | null = null;
  private pending: Waiter[] = [];
  private inFlight: { id: number; waiters: Waiter[] } | null = null;
  private nextId = 1;
  private closed = false;
  /** Batches written so far. */
  batches = 0;

  constructor(
    private readonly path: string,
    private readonly spoolDir: string,
    private readonly maxBatch = 512,
  ) {}

  submit(item: AcceptItem): Promise<AcceptResult> {
    if (this.closed) return Promise.reject(new Error('the queue is closed'));
    return new Promise((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      this.pump();
    });
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    // Its young generation sized for what it allocates (batches of row values; bodies are external buffers).
    const w = new Worker(new URL('./commit-worker.js', import.meta.url), { workerData: { path: this.path, spoolDir: this.spoolDir }, resourceLimits: { maxYoungGenerationSizeMb: COMMIT_THREAD_YOUNG_MB } });
    w.on('message', (msg: { id: number; outcomes: Outcome[] }) => this.done(msg.id, msg.outcomes));
    const lost = (why: string) => {
      if (this.worker !== w) return;
      this.worker = null;
      const held = this.inFlight;
      this.inFlight = null;
      held?.waiters.forEach((h) => h.reject(new Error(`the queue's commit thread stopped (${why})`)));
      this.pump();
    };
    w.on('error', (err) => lost(err.message));
    w.on('exit', (code) => lost(`exit code ${code}`));
    this.worker = w;
    return w;
  }

  private pump(): void {
    if (this.inFlight || this.pending.length === 0 || this.closed) return;
    const waiters = this.pending.splice(0, this.maxBatch);
    const id = this.nextId++;
    this.inFlight = { id, waiters };
    this.thread().postMessage({ id, items: waiters.map((w) => w.item) });
  }

  private done(id: number, outcomes: Outcome[]): void {
    if (!this.inFlight || this.inFlight.id !== id) return;
    const { waiters } = this.inFlight;
    this.inFlight = null;
    this.batches++;
    waiters.forEach((w, i) => {
      const o = outcomes[i];
      if (o?.ok) w.resolve(o.result);
      else w.reject(new Error(o ? o.error : 'no outcome for this message'));
    });
    this.pump();
  }

  /** Waits for what is being written, then stops the thread. */
  async close(): Promise<void> {
    const deadline = Date.now() + 10_000;
    while ((this.inFlight || this.pending.length > 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    this.closed = true;
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }
}
