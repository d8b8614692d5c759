// Message buffers live outside V8's heap (a Node Buffer's octets are external memory), and a
// spent one is freed only when the small heap object that holds it is collected. V8 collects for
// external memory by itself only after it has grown by 64 MB, and each of the service's threads
// (SMTP sessions, commit, delivery) counts its own: at 100 KiB messages and 50 sessions the three
// held up to about 190 MB of dead buffers between them. This watch, one per thread, looks at the
// thread's external memory every `intervalMs` and, once it has grown by `growthBytes` since the
// last look that found it lower, collects the young generation (a scavenge, well under a
// millisecond: the buffers of messages just handled are still young, so it frees them).

import { getHeapStatistics } from 'node:v8';
import { exposedGc, type Gc } from './gc.js';

/** External memory growth that makes a scavenge worth it. */
export const EXTERNAL_GROWTH_BYTES = 16 * 1024 * 1024;

export class ExternalMemoryWatch {
  private readonly timer: NodeJS.Timeout;
  private base: number;
  /** External memory when the last scavenge ran, until the next look. */
  private scavengedAt: number | null = null;
  /** Scavenges run so far. */
  collections = 0;

  constructor(
    private readonly growthBytes = EXTERNAL_GROWTH_BYTES,
    intervalMs = 250,
    private readonly external: () => number = () => getHeapStatistics().external_memory,
    private readonly gc: Gc | null = exposedGc(),
  ) {
    this.base = this.external();
    this.timer = setInterval(() => this.check(), intervalMs);
    this.timer.unref();
  }

  /** One look (the timer's; also called by tests). */
  check(): void {
    const now = this.external();
    // Lower than at the last look: freed (by V8, or by the last scavenge once swept). Count from here.
    if (now < this.base) this.base = now;
    // The last scavenge freed nothing: what is there is live, or old enough for V8's own full
    // collections. Count growth from here rather than scavenging again at every look.
    if (this.scavengedAt !== null && now >= this.scavengedAt) this.base = now;
    this.scavengedAt = null;
    if (now - this.base < this.growthBytes || !this.gc) return;
    this.gc({ type: 'minor' });
    this.collections++;
    this.scavengedAt = now;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
