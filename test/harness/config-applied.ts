// Waits until a running service has applied every configuration change in
// its store: reads the store's change counter (through the store interface)
// and waits for the service's config.applied line that reached it.

import { readFileSync } from 'node:fs';
import { openServer } from '../../src/setup/server-folder.js';
import { until } from './peers.js';
import type { RunningService } from './service.js';

export function storeChangeCounter(dataDir: string): number {
  const server = openServer(dataDir);
  try {
    return server.config.changeCounter();
  } finally {
    server.close();
  }
}

export async function configApplied(service: RunningService, dataDir: string, timeoutMs = 15_000): Promise<void> {
  const counter = storeChangeCounter(dataDir);
  await service.waitFor((l) => l.event === 'config.applied' && Number(l.changeCounter) >= counter, timeoutMs, `the service applying configuration change ${counter}`);
}

/**
 * The same wait for a service that this test did not start (the lab's): reads
 * its log file (JSON lines) until a config.applied line reaches the store's
 * change counter.
 */
export async function configAppliedInLog(logFile: string, dataDir: string, timeoutMs = 15_000): Promise<void> {
  const counter = storeChangeCounter(dataDir);
  const applied = () =>
    readFileSync(logFile, 'utf8')
      .split('\n')
      .some((l) => {
        if (!l.includes('"config.applied"')) return false;
        try {
          return Number((JSON.parse(l) as { changeCounter?: unknown }).changeCounter) >= counter;
        } catch {
          return false; // a line still being written
        }
      });
  await until(applied, timeoutMs, `the service logging to ${logFile} applying configuration change ${counter}`);
}
