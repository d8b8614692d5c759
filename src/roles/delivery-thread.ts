// The main thread's handle on the delivery thread (delivery-thread-main.ts):
// starts it, forwards configuration changes, writes the tracking events it
// reports into the tracking log files and its figures into the metrics, and
// restarts it if it dies (the queue is on disk: nothing is lost, in-flight
// messages count as a crash for poison detection).

import { Worker } from 'node:worker_threads';
import type { Logger } from '../observability/logger.js';
import type { TrackingEvent } from '../tracking/tracking-event.js';
import type { DeliveryMetricsSink } from './delivery-composition.js';
import type { OrganizationSnapshot } from '../store/snapshot-config-store.js';

export type ToDelivery = { type: 'config'; snapshot?: OrganizationSnapshot } | { type: 'stop' };
export type FromDelivery =
  | { type: 'started' }
  | { type: 'stopped' }
  | { type: 'track'; ev: TrackingEvent }
  | { type: 'outcome'; labels: { delivery_type: string; outcome: string }; n: number }
  | { type: 'dns'; kind: string; result: string; seconds: number };

const RESTART_MS = 2000;

export class DeliveryThread {
  private worker: Worker | null = null;
  private stopping = false;
  private restartTimer?: NodeJS.Timeout;

  /** snapshot: a PostgreSQL organization's snapshot, which the thread works from (it never connects to the database itself). */
  constructor(private readonly dataDir: string, private readonly sinks: DeliveryMetricsSink & { track(ev: TrackingEvent): void }, private readonly log: Logger,
    private readonly snapshot?: () => OrganizationSnapshot) {}

  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      const w = new Worker(new URL('./delivery-thread-main.js', import.meta.url), { workerData: { dataDir: this.dataDir, snapshot: this.snapshot?.() } });
      this.worker = w;
      let started = false;
      w.on('message', (m: FromDelivery) => {
        switch (m.type) {
          case 'started': started = true; resolve(); break;
          case 'track': this.sinks.track(m.ev); break;
          case 'outcome': this.sinks.outcome(m.labels, m.n); break;
          case 'dns': this.sinks.dns(m.kind, m.result, m.seconds); break;
          case 'stopped': break;
        }
      });
      w.on('error', (err) => {
        this.log.log('error', 'delivery.thread.failed', { error: (err as Error)?.stack ?? String(err), action: 'delivery restarts by itself; if this repeats, report the error' });
        if (!started) reject(err);
      });
      w.on('exit', (code) => {
        if (this.worker === w) this.worker = null;
        if (this.stopping) return;
        this.log.log('error', 'delivery.thread.exited', { code, action: `delivery restarts in ${RESTART_MS / 1000} s; messages wait in the queue meanwhile` });
        this.restartTimer = setTimeout(() => void this.start().catch(() => undefined), RESTART_MS);
      });
    });
  }

  configurationChanged(): void {
    this.worker?.postMessage({ type: 'config', ...(this.snapshot && { snapshot: this.snapshot() }) } satisfies ToDelivery);
  }

  /** Lets running deliveries finish (up to graceMs), then ends the thread. */
  async stop(graceMs = 30_000): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    const w = this.worker;
    if (!w) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => void w.terminate().then(() => resolve()), graceMs);
      w.on('message', (m: FromDelivery) => { if (m.type === 'stopped') { clearTimeout(timer); void w.terminate().then(() => resolve()); } });
      w.once('exit', () => { clearTimeout(timer); resolve(); });
      w.postMessage({ type: 'stop' } satisfies ToDelivery);
    });
    this.worker = null;
  }
}
