import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Logger } from '../observability/logger.js';
import { DELIVERY_RESTART_POLICY, DeliveryThread, restartAfterExit, type RestartDecision } from './delivery-thread.js';

const policy = DELIVERY_RESTART_POLICY;

/** The decisions for a thread that keeps exiting after running ranMs each time. */
function row(ranMs: number, exits: number): RestartDecision[] {
  const out: RestartDecision[] = [];
  let previous = 0;
  for (let i = 0; i < exits; i++) {
    const d = restartAfterExit(policy, previous, ranMs);
    out.push(d);
    previous = d.attempt;
  }
  return out;
}

describe("restartAfterExit (the delivery thread's restart policy)", () => {
  it('waits 1 s, then doubles the delay up to 60 s, for 10 restarts in a row', () => {
    const delays = row(100, 10).map((d) => (d.restart ? d.delayMs : -1));
    assert.deepEqual(delays, [1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000, 60000]);
  });

  it('gives up at the 11th exit in a row, and keeps giving up', () => {
    const decisions = row(100, 12);
    assert.deepEqual(decisions[10], { restart: false, attempt: 11 });
    assert.equal(decisions[11]!.restart, false);
  });

  it('starts the row again after a thread that ran for 5 minutes', () => {
    assert.deepEqual(restartAfterExit(policy, 7, policy.stableMs), { restart: true, attempt: 1, delayMs: 1000 });
    assert.deepEqual(restartAfterExit(policy, 10, policy.stableMs + 1), { restart: true, attempt: 1, delayMs: 1000 });
    assert.deepEqual(restartAfterExit(policy, 7, policy.stableMs - 1), { restart: true, attempt: 8, delayMs: 60000 });
    assert.deepEqual(restartAfterExit(policy, 10, policy.stableMs - 1), { restart: false, attempt: 11 });
  });

  it('follows another policy', () => {
    const p = { firstDelayMs: 10, maxDelayMs: 35, maxRestarts: 3, stableMs: 50 };
    assert.deepEqual(restartAfterExit(p, 0, 0), { restart: true, attempt: 1, delayMs: 10 });
    assert.deepEqual(restartAfterExit(p, 1, 0), { restart: true, attempt: 2, delayMs: 20 });
    assert.deepEqual(restartAfterExit(p, 2, 0), { restart: true, attempt: 3, delayMs: 35 });
    assert.deepEqual(restartAfterExit(p, 3, 0), { restart: false, attempt: 4 });
  });
});

describe('DeliveryThread', () => {
  it('restarts a thread that dies with growing delays, logging each, then gives up', async () => {
    // A folder that holds no server: the real delivery thread dies as it starts, every time.
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-delivery-thread-'));
    const lines: Array<{ level: string; event: string; fields: Record<string, unknown> }> = [];
    const log = { log: (level: string, event: string, fields: Record<string, unknown>) => lines.push({ level, event, fields }), child: () => log } as unknown as Logger;
    const sinks = { track: () => undefined, outcome: () => undefined, dns: () => undefined };
    try {
      let gaveUp!: () => void;
      const givenUp = new Promise<void>((resolve) => {
        gaveUp = resolve;
      });
      const timeout = setTimeout(() => gaveUp(), 30_000);
      const thread = new DeliveryThread(dir, sinks, log, undefined, { firstDelayMs: 20, maxDelayMs: 30, maxRestarts: 3, stableMs: 60_000 }, () => gaveUp());
      await assert.rejects(thread.start());
      await givenUp;
      clearTimeout(timeout);
      await thread.stop(0);
      const exited = lines.filter((l) => l.event === 'delivery.thread.exited').map((l) => [l.fields.attempt, l.fields.maxAttempts, l.fields.delayMs]);
      assert.deepEqual(exited, [
        [1, 3, 20],
        [2, 3, 30],
        [3, 3, 30],
      ]);
      const gave = lines.filter((l) => l.event === 'delivery.thread.gave-up');
      assert.equal(gave.length, 1);
      assert.equal(gave[0]!.level, 'error');
      assert.equal(gave[0]!.fields.restarts, 3);
      assert.equal(lines.filter((l) => l.event === 'delivery.thread.failed').length, 4, 'each of the 4 threads logged its error');
      assert.equal(lines.at(-1)!.event, 'delivery.thread.gave-up');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
