// Connection and message-rate limits of Receive connectors (spec
// exchange-connectors.md §3.2): MaxInboundConnection,
// MaxInboundConnectionPerSource, MaxInboundConnectionPercentagePerSource
// (a share of the connections still available), MessageRateLimit per
// minute per source (IP address, authenticated user, or both), and the
// transport service's MaxConnectionRatePerMinute. In memory: counts start
// from zero when the service starts.

export interface ConnectionLimits {
  maxInboundConnection: number | null;
  maxInboundConnectionPerSource: number | null;
  maxInboundConnectionPercentagePerSource: number;
}

export type ConnectionRefusal = 'connector' | 'source';

export class ConnectionCounter {
  private readonly total = new Map<string, number>();
  private readonly perSource = new Map<string, number>();

  /** Counts a new session of `connector` from `ip`, or says which limit refuses it. */
  tryAcquire(connector: string, ip: string, limits: ConnectionLimits): ConnectionRefusal | null {
    const total = this.total.get(connector) ?? 0;
    const sourceKey = `${connector}\u0000${ip}`;
    const fromSource = this.perSource.get(sourceKey) ?? 0;
    if (limits.maxInboundConnection !== null && total >= limits.maxInboundConnection) return 'connector';
    if (limits.maxInboundConnectionPerSource !== null && fromSource >= limits.maxInboundConnectionPerSource) return 'source';
    if (limits.maxInboundConnection !== null) {
      // The share is of what the other sources leave available.
      const remaining = limits.maxInboundConnection - (total - fromSource);
      const share = Math.max(1, Math.floor((remaining * limits.maxInboundConnectionPercentagePerSource) / 100));
      if (fromSource >= share) return 'source';
    }
    this.total.set(connector, total + 1);
    this.perSource.set(sourceKey, fromSource + 1);
    return null;
  }

  release(connector: string, ip: string): void {
    const sourceKey = `${connector}\u0000${ip}`;
    const total = (this.total.get(connector) ?? 1) - 1;
    const fromSource = (this.perSource.get(sourceKey) ?? 1) - 1;
    if (total <= 0) this.total.delete(connector);
    else this.total.set(connector, total);
    if (fromSource <= 0) this.perSource.delete(sourceKey);
    else this.perSource.set(sourceKey, fromSource);
  }

  count(connector: string): number {
    return this.total.get(connector) ?? 0;
  }
}

/** Messages per minute per key, over a sliding window of one minute. */
export class MessageRateLimiter {
  private readonly stamps = new Map<string, number[]>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Records one message for each key; false (and nothing recorded) when any key is over `perMinute`. */
  tryCount(keys: string[], perMinute: number | null): boolean {
    if (perMinute === null) return true;
    const t = this.now();
    const windows = keys.map((k) => {
      const list = (this.stamps.get(k) ?? []).filter((s) => t - s < 60_000);
      this.stamps.set(k, list);
      return list;
    });
    if (windows.some((w) => w.length >= perMinute)) return false;
    for (const w of windows) w.push(t);
    return true;
  }

  /** Drops keys with no message in the last minute (bounded memory under many sources). */
  sweep(): void {
    const t = this.now();
    for (const [k, list] of this.stamps) if (!list.some((s) => t - s < 60_000)) this.stamps.delete(k);
  }
}

/**
 * MaxConnectionRatePerMinute (Set-TransportService), counted per Receive connector over a sliding
 * minute. Exchange counts one allowance for the whole transport service; here each connector has
 * its own, so that connections to one connector (the Internet's) cannot make another (one that
 * takes only the Mailbox servers' RemoteIPRanges) refuse its own clients. Only connections that
 * the connector's concurrency limits admitted are counted: a connection refused per source uses
 * up nothing.
 */
export class ConnectionRate {
  private readonly starts = new Map<string, number[]>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Counts one connection to `connector`; false (nothing counted) when the minute's allowance is used up. */
  tryTake(connector: string, perMinute: number): boolean {
    const t = this.now();
    let list = this.starts.get(connector);
    if (!list) this.starts.set(connector, (list = []));
    let expired = 0;
    while (expired < list.length && t - list[expired]! >= 60_000) expired++;
    if (expired > 0) list.splice(0, expired);
    if (list.length >= perMinute) return false;
    list.push(t);
    return true;
  }

  /** Drops connectors with no connection in the last minute. */
  sweep(): void {
    const t = this.now();
    for (const [k, list] of this.starts) if (!list.some((s) => t - s < 60_000)) this.starts.delete(k);
  }
}
