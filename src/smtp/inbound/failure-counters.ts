// Recent SMTP AUTH failures counted across sessions, by key (a source
// address, an account), in the memory of the running service: counts start
// from zero when the service starts. A count halves for each quiet period
// without a failure, so a source that stops guessing is forgiven step by
// step. Memory is bounded: entries that have decayed to nothing are swept,
// and past `maxEntries` the least recently failed key is dropped.

import ipaddr from 'ipaddr.js';

export interface FailureCounterOptions {
  /** A count halves after each quiet period without a failure. */
  quietMs: number;
  /** Most keys kept. */
  maxEntries: number;
  now?: () => number;
}

interface Entry {
  count: number;
  last: number;
}

export class FailureCounter {
  /** In order of the last failure (oldest first): an update re-inserts its key. */
  private readonly entries = new Map<string, Entry>();
  private readonly now: () => number;
  private lastSweep: number;

  constructor(private readonly options: FailureCounterOptions) {
    this.now = options.now ?? Date.now;
    this.lastSweep = this.now();
  }

  /** Counts one failure for `key`; returns the key's count including it. */
  add(key: string): number {
    const t = this.now();
    if (t - this.lastSweep >= this.options.quietMs) this.sweep();
    const count = this.current(key, t) + 1;
    this.entries.delete(key);
    this.entries.set(key, { count, last: t });
    while (this.entries.size > this.options.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
    return count;
  }

  /** The key's count now (after decay). */
  count(key: string): number {
    return this.current(key, this.now());
  }

  /** Forgets a key (a successful logon of the account). */
  reset(key: string): void {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }

  /** Drops the keys whose count has decayed to zero. */
  sweep(): void {
    const t = this.now();
    this.lastSweep = t;
    for (const [key] of this.entries) if (this.current(key, t) === 0) this.entries.delete(key);
  }

  private current(key: string, t: number): number {
    const e = this.entries.get(key);
    if (!e) return 0;
    const halvings = Math.floor(Math.max(0, t - e.last) / this.options.quietMs);
    return halvings >= 31 ? 0 : e.count >> halvings;
  }
}

/**
 * The key of a client address: an IPv4 address as is, an IPv6 address by its
 * /64 (one host usually holds a whole /64, and could otherwise take a new
 * address for every guess).
 */
export function sourceKey(ip: string): string {
  const bare = ip.replace(/^::ffff:(?=\d+\.)/i, '');
  if (!bare.includes(':')) return bare;
  try {
    const parts = ipaddr.IPv6.parse(bare.replace(/%.*$/, '')).parts;
    return `${parts
      .slice(0, 4)
      .map((p) => p.toString(16))
      .join(':')}::/64`;
  } catch {
    return bare.toLowerCase();
  }
}
