// What every part of delivery works on (the scheduler, routing, SMTP fan-out,
// local delivery, failure reports): the queue and its delivery state, the
// log, the clock, message tracking, and whether delivery is stopping.

import type { Logger } from '../observability/logger.js';
import type { TrackingEvent } from '../tracking/tracking-event.js';
import type { DeliveryState } from './delivery-state.js';
import type { SqliteQueueStore } from './sqlite-queue-store.js';

export interface DeliveryContext {
  store: SqliteQueueStore;
  state: DeliveryState;
  log: Logger;
  now: () => number;
  /** Records a message tracking event; a failed write is logged, never thrown. */
  track(ev: TrackingEvent): void;
  /** True once delivery is stopping: no new work starts. */
  stopped(): boolean;
}

/** Message tracking for delivery: a failed write is logged and delivery goes on. */
export function trackingOf(store: Pick<SqliteQueueStore, 'track'>, log: Logger): (ev: TrackingEvent) => void {
  return (ev) => {
    try {
      store.track(ev);
    } catch (err) {
      log.log('warn', 'tracking.write.failed', { error: (err as Error).message });
    }
  };
}
