// The delivery thread of the transport service: routing, delivery, retries
// and notifications run here, on their own connections to the queue and the
// configuration, so that the main thread serves SMTP sessions only. The main
// thread tells it when the configuration changed and when to stop; it sends
// back its tracking events (for the log files) and its metrics.

import { parentPort, workerData } from 'node:worker_threads';
import { join } from 'node:path';
import { JsonLogger } from '../observability/logger.js';
import { DeliveryState } from '../queue/delivery-state.js';
import { SqliteQueueStore } from '../queue/sqlite-queue-store.js';
import { openServer } from '../setup/server-folder.js';
import { composeDelivery } from './delivery-composition.js';
import { loadTransportConfig, type TransportConfig } from '../config/transport-config.js';
import type { FromDelivery, ToDelivery } from './delivery-thread.js';
import { SnapshotConfigStore, type OrganizationSnapshot } from '../store/snapshot-config-store.js';

const { dataDir, snapshot } = workerData as { dataDir: string; snapshot?: OrganizationSnapshot };
const post = (m: FromDelivery) => parentPort!.postMessage(m);
const server = openServer(dataDir, { ...(snapshot && { snapshot }) });
const log = new JsonLogger(undefined, { server: server.name, component: 'delivery' });
const load = (): TransportConfig => loadTransportConfig(server.repo, server.role, server.name, server.fqdn);
let config = load();
const store = new SqliteQueueStore(join(server.dataDir, 'queue.db'), { relaxed: true });
store.onTrack = (ev) => post({ type: 'track', ev });
const state = new DeliveryState(store.db, store.relaxed);
const composed = composeDelivery(server, {
  store,
  state,
  config: () => config,
  log,
  metrics: { outcome: (labels, n) => post({ type: 'outcome', labels, n }), dns: (kind, result, seconds) => post({ type: 'dns', kind, result, seconds }) },
});
composed.delivery.configurationChanged();
composed.delivery.start();
post({ type: 'started' });

parentPort!.on('message', (m: ToDelivery) => {
  if (m.type === 'config') {
    try {
      if (m.snapshot && server.config instanceof SnapshotConfigStore) server.config.replace(m.snapshot);
      config = load();
      composed.delivery.configurationChanged();
    } catch (err) {
      log.log('error', 'config.load.failed', { error: (err as Error).message, action: 'delivery keeps the previous configuration' });
    }
  } else if (m.type === 'stop') {
    void composed.close().finally(() => {
      store.close();
      void server.close();
      post({ type: 'stopped' });
    });
  }
});
