// The main thread's handle on the delivery thread (delivery-thread-main.ts):
// starts it, forwards configuration changes, writes the tracking events it
// reports into the tracking log files and its figures into the metrics, and
// restarts it if it dies (the queue is on disk: nothing is lost, in-flight
// messages count as a crash for poison detection). Restarts back off (1 s,
// doubling up to 60 s); after 10 restarts in a row, each within 5 minutes of
// the last, the service logs delivery.thread.gave-up and exits for systemd to
// start it again (restartAfterExit).

import { Worker } from 'node:worker_threads';
import type { Logger } from '../observability/logger.js';
import { EXIT_CRASHED } from '../observability/process-failure.js';
import type { TrackingEvent } from '../tracking/tracking-event.js';
import type { DeliveryMetricsSink } from './delivery-composition.js';
import type { OrganizationSnapshot } from '../store/snapshot-config-store.js';

/** The delivery thread's young generation, in MB. */
export const DELIVERY_THREAD_YOUNG_MB = 12;

export type ToDelivery = { type: 'config'; snapshot?: OrganizationSnapshot } | { type: 'stop' };
export type FromDelivery =
  { type: 'started' } | { type: 'stopped' } | { type: 'track'; ev: TrackingEvent } | { type: 'outcome'; labels: { delivery_type: string; outcome: string }; n: number } | { type: 'dns'; kind: string; result: string; seconds: number };

export interface RestartPolicy {
  /** The delay before the first restart, doubled for each restart in a row. */
  firstDelayMs: number;
  /** The longest delay. */
  maxDelayMs: number;
  /** Restarts in a row after which the service gives up (exits for systemd to restart it). */
  maxRestarts: number;
  /** A thread that ran this long before it exited ends the row: the next restart is the first again. */
  stableMs: number;
}

export const DELIVERY_RESTART_POLICY: RestartPolicy = { firstDelayMs: 1000, maxDelayMs: 60_000, maxRestarts: 10, stableMs: 5 * 60_000 };

export type RestartDecision = { restart: true; attempt: number; delayMs: number } | { restart: false; attempt: number };

/**
 * What to do when the thread exited after running ranMs, when the restarts before it in a row were
 * previous: restart it (the attempt-th restart in a row, after delayMs), or give up.
 */
export function restartAfterExit(policy: RestartPolicy, previous: number, ranMs: number): RestartDecision {
  const attempt = (ranMs >= policy.stableMs ? 0 : previous) + 1;
  if (attempt > policy.maxRestarts) return { restart: false, attempt };
  return { restart: true, attempt, delayMs: Math.min(policy.maxDelayMs, policy.firstDelayMs * 2 ** (attempt - 1)) };
}

export class DeliveryThread {
  private worker: Worker | null = null;
  private stopping = false;
  private restartTimer?: NodeJS.Timeout;
  /** Restarts in a row (see restartAfterExit). */
  private restarts = 0;

  /**
   * snapshot: a PostgreSQL organization's snapshot, which the thread works from (it never connects to the database itself).
   * giveUp: what ends the service once restarts are given up.
   */
  constructor(
    private readonly dataDir: string,
    private readonly sinks: DeliveryMetricsSink & { track(ev: TrackingEvent): void },
    private readonly log: Logger,
    private readonly snapshot?: () => OrganizationSnapshot,
    private readonly policy = DELIVERY_RESTART_POLICY,
    private readonly giveUp: () => void = () => process.exit(EXIT_CRASHED),
  ) {}

  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      // Its young generation sized deliberately: V8's default lets each thread grow it to 48 MB.
      const w = new Worker(new URL('./delivery-thread-main.js', import.meta.url), { workerData: { dataDir: this.dataDir, snapshot: this.snapshot?.() }, resourceLimits: { maxYoungGenerationSizeMb: DELIVERY_THREAD_YOUNG_MB } });
      this.worker = w;
      const since = Date.now();
      let started = false;
      w.on('message', (m: FromDelivery) => {
        switch (m.type) {
          case 'started':
            started = true;
            resolve();
            break;
          case 'track':
            this.sinks.track(m.ev);
            break;
          case 'outcome':
            this.sinks.outcome(m.labels, m.n);
            break;
          case 'dns':
            this.sinks.dns(m.kind, m.result, m.seconds);
            break;
          case 'stopped':
            break;
        }
      });
      w.on('error', (err) => {
        this.log.log('error', 'delivery.thread.failed', { error: (err as Error)?.stack ?? String(err), action: 'delivery restarts by itself; if this repeats, report the error' });
        if (!started) reject(err);
      });
      w.on('exit', (code) => {
        if (this.worker === w) this.worker = null;
        if (this.stopping) return;
        const next = restartAfterExit(this.policy, this.restarts, Date.now() - since);
        this.restarts = next.attempt;
        if (!next.restart) {
          this.log.log('error', 'delivery.thread.gave-up', {
            code,
            restarts: next.attempt - 1,
            exitCode: EXIT_CRASHED,
            action: 'the service exits for systemd to start it again; messages wait in the queue. Look at the delivery.thread.failed lines before this one, and report the error',
          });
          this.giveUp();
          return;
        }
        this.log.log('error', 'delivery.thread.exited', {
          code,
          attempt: next.attempt,
          maxAttempts: this.policy.maxRestarts,
          delayMs: next.delayMs,
          action: `delivery restarts in ${next.delayMs / 1000} s (restart ${next.attempt} of at most ${this.policy.maxRestarts} in a row); messages wait in the queue meanwhile`,
        });
        this.restartTimer = setTimeout(() => void this.start().catch(() => undefined), next.delayMs);
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
      w.on('message', (m: FromDelivery) => {
        if (m.type === 'stopped') {
          clearTimeout(timer);
          void w.terminate().then(() => resolve());
        }
      });
      w.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      w.postMessage({ type: 'stop' } satisfies ToDelivery);
    });
    this.worker = null;
  }
}
