// Gives memory back once a burst of traffic is over. The buffers an SMTP
// session reads from its socket are freed only when the JavaScript heap is
// collected, and V8 collects only when the program allocates: after a burst
// (40 clients sending 30 MB each, say) a quiet service would keep the last tens
// of megabytes of spent buffers for as long as it stays quiet. So when input
// has stopped for a moment after at least `minBytes` arrived, this runs one
// full collection and then asks the C allocator to give the freed pages back
// to the system (glibc keeps them otherwise, allocator.ts); and
// while sessions of that burst are still open, once more when they have
// closed (their own buffers go with them). At most one collection per quiet
// period. Under sustained load input never stops, and the spent buffers of
// every message received pile up until V8 happens to collect (a 2 KiB relay
// at c=10 grew by 100 MB a minute, all of it given back once quiet): so after
// `loadBytes` of input a collection runs even while input goes on, at most
// once per `loadIntervalMs`; and once input stops after such a collection, one
// more runs whatever arrived since (what the last stretch of the burst left
// would otherwise stay until the next burst).
//
// The collection needs V8's gc() (gc.ts). Where that is not possible the
// collector does nothing (memory is then freed at the next collection V8 makes
// on its own).

import { releaseFreeMemory } from './allocator.js';
import { exposedGc } from './gc.js';

export interface IdleCollectorOptions {
  /** How long input must have stopped. */
  quietMs: number;
  /** Octets of input since the last collection that make one worth it. */
  minBytes: number;
  /** Octets of input after which a collection runs even though input goes on (none when absent). */
  loadBytes?: number;
  /** The least time between two collections made under load. */
  loadIntervalMs?: number;
}

/** After a collection, the time V8's sweeper takes to free the buffers it found dead. */
const SWEEP_MS = 1000;

export class IdleCollector {
  private readonly gc = exposedGc();
  private received = 0;
  private lastInput = 0;
  private timer: NodeJS.Timeout | null = null;
  /** Collections run so far. */
  collections = 0;

  /** A collection ran while sessions were open: one more is due once they close. */
  private owed = false;

  /** `openSessions`: how many sessions are open now. */
  constructor(
    private readonly options: IdleCollectorOptions,
    private readonly openSessions: () => number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether a check is waiting for input to stop. */
  get armed(): boolean {
    return this.timer !== null;
  }

  /** Whether this process can collect on demand. */
  get available(): boolean {
    return this.gc !== null;
  }

  private lastCollection = -Infinity;
  private loadCollectionDue = false;
  /** A collection ran under load: one more is due once input stops, however little came after it. */
  private settleDue = false;

  /** Counts input; arms a check for when it stops, or collects now after loadBytes under load. */
  input(octets: number): void {
    this.received += octets;
    this.lastInput = this.now();
    if (!this.gc) return;
    const { loadBytes, loadIntervalMs = 10_000 } = this.options;
    if (loadBytes !== undefined && this.received >= loadBytes && !this.loadCollectionDue && this.now() - this.lastCollection >= loadIntervalMs) {
      this.loadCollectionDue = true;
      setImmediate(() => {
        this.loadCollectionDue = false;
        this.collect();
        this.settleDue = true;
      });
      return;
    }
    if (!this.timer && (this.received >= this.options.minBytes || this.settleDue)) this.arm(this.options.quietMs);
  }

  /** A session closed: if a collection is owed, arms one for when things are quiet. */
  closed(): void {
    this.lastInput = this.now();
    if (this.owed && !this.timer && this.gc) this.arm(this.options.quietMs);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private arm(ms: number): void {
    this.timer = setTimeout(() => this.check(), ms);
    this.timer.unref();
  }

  private check(): void {
    this.timer = null;
    const quietFor = this.now() - this.lastInput;
    if (quietFor < this.options.quietMs) {
      this.arm(this.options.quietMs - quietFor);
      return;
    }
    this.collect();
  }

  private collect(): void {
    this.received = 0;
    this.settleDue = false;
    this.lastCollection = this.now();
    this.owed = this.openSessions() > 0;
    this.collections++;
    this.gc?.();
    setTimeout(() => releaseFreeMemory(), SWEEP_MS).unref();
  }
}
