// Waits until a running service has applied every configuration change in
// its store: reads the store's change counter (through the store interface)
// and waits for the service's config.applied line that reached it.

import { openServer } from '../../src/setup/server-folder.js';
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
