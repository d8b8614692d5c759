// `gatehouse status`: is the transport service of a server folder running,
// what it listens on, and what is waiting in its queues. Exit status as LSB
// init scripts and systemd expect: 0 running, 3 not running.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { listQueues, QueueDb } from '../cmdlets/queue-view.js';
import { runningService } from '../roles/service-status.js';
import { openServer, type OpenServer } from '../setup/server-folder.js';

export const EXIT_RUNNING = 0;
export const EXIT_STOPPED = 3;

export function runStatus(dir: string, out: (text: string) => void): number {
  const server = openServer(dir);
  try {
    const live = runningService(server.dataDir);
    const lines: string[] = [];
    lines.push(`${server.name} (${server.role}, ${server.fqdn}): ${live ? `running, pid ${live.pid}, since ${live.startedAt}` : 'not running'}`);
    if (live) {
      lines.push(`  listening:     ${live.listening.length > 0 ? live.listening.join('\n                 ') : 'nothing (every Receive connector is disabled or failed to bind; see the service log)'}`);
      if (live.metrics) lines.push(`  metrics:       ${live.metrics} (${live.metricsTokenFile ? `Authorization: Bearer, token in ${live.metricsTokenFile}` : 'no authentication'})`);
      lines.push(`  configuration: change ${live.changeCounter}, applied ${live.appliedAt}`);
    }
    lines.push(...queueSummary(server));
    out(lines.join('\n') + '\n');
    return live ? EXIT_RUNNING : EXIT_STOPPED;
  } finally {
    server.close();
  }
}

function queueSummary(server: OpenServer): string[] {
  if (!existsSync(join(server.dataDir, 'queue.db'))) return ['  queues:        none yet (the service has never run)'];
  const q = new QueueDb(server);
  try {
    const queues = listQueues(q).filter((v) => v.messageCount > 0 || (v.row !== null && v.status !== 'Ready'));
    if (queues.length === 0) return ['  queues:        empty'];
    const oldest = q.state.oldestWaiting();
    const now = Date.now();
    const rows = queues.map((v) => {
      const t = oldest.get(v.hop ?? '');
      return [`${server.name}\\${v.name}`, v.deliveryType, v.status, String(v.messageCount), t === undefined ? '' : age(now - t), v.nextHopDomain, v.row?.lastError ?? ''];
    });
    const head = ['Identity', 'DeliveryType', 'Status', 'Messages', 'Oldest', 'NextHopDomain', 'LastError'];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const fmt = (r: string[]) => '  ' + r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd();
    return ['  queues:', fmt(head), fmt(head.map((h) => '-'.repeat(h.length))), ...rows.map(fmt)];
  } finally {
    q.close();
  }
}

function age(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${String(Math.floor(s / 60) % 60).padStart(2, '0')}m`;
  return `${Math.floor(s / 86400)}d${String(Math.floor(s / 3600) % 24).padStart(2, '0')}h`;
}
