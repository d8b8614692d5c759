// `gatehouse status`: is the transport service of a server folder running,
// what it listens on, and what is waiting in its queues. Exit status as LSB
// init scripts and systemd expect: 0 running, 3 not running, and 4 (status
// unknown to LSB, here "degraded") when it runs but some enabled Receive
// connectors could not bind. --json gives the same as one JSON object.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { listQueues, QueueDb } from '../cmdlets/queue-view.js';
import { runningService } from '../observability/service-status.js';
import { openServer, type OpenServer } from '../setup/server-folder.js';

export const EXIT_RUNNING = 0;
export const EXIT_STOPPED = 3;
export const EXIT_DEGRADED = 4;

export function runStatus(dir: string, out: (text: string) => void, options: { json?: boolean } = {}): number {
  const server = openServer(dir);
  try {
    const live = runningService(server.dataDir);
    const failed = live?.failed ?? [];
    const state = !live ? 'stopped' : failed.length > 0 ? 'degraded' : 'running';
    const code = state === 'running' ? EXIT_RUNNING : state === 'degraded' ? EXIT_DEGRADED : EXIT_STOPPED;
    if (options.json) {
      out(
        JSON.stringify(
          {
            server: server.name,
            role: server.role,
            fqdn: server.fqdn,
            state,
            ...(live && { pid: live.pid, startedAt: live.startedAt, listening: live.listening, failed, changeCounter: live.changeCounter, appliedAt: live.appliedAt, ...(live.metrics && { metrics: live.metrics }) }),
            queues: queueRows(server),
          },
          null,
          2,
        ) + '\n',
      );
      return code;
    }
    const lines: string[] = [];
    lines.push(`${server.name} (${server.role}, ${server.fqdn}): ${live ? `${state === 'degraded' ? 'degraded' : 'running'}, pid ${live.pid}, since ${live.startedAt}` : 'not running'}`);
    if (live) {
      lines.push(`  listening:     ${live.listening.length > 0 ? live.listening.join('\n                 ') : 'nothing (every Receive connector is disabled)'}`);
      if (failed.length > 0) lines.push(`  not listening: ${failed.join('\n                 ')}`, '                 (free these addresses or change the Bindings: Set-ReceiveConnector NAME -Bindings ADDRESS:PORT)');
      if (live.metrics) lines.push(`  metrics:       ${live.metrics} (${live.metricsTokenFile ? `Authorization: Bearer, token in ${live.metricsTokenFile}` : 'no authentication'})`);
      lines.push(`  configuration: change ${live.changeCounter}, applied ${live.appliedAt}`);
    }
    lines.push(...queueSummary(server));
    out(lines.join('\n') + '\n');
    return code;
  } finally {
    server.close();
  }
}

/** The queues with mail or trouble, for --json (null before the service ever ran). */
function queueRows(server: OpenServer): { identity: string; deliveryType: string; status: string; messageCount: number; nextHopDomain: string; lastError: string | null }[] | null {
  if (!existsSync(join(server.dataDir, 'queue.db'))) return null;
  const q = new QueueDb(server);
  try {
    return listQueues(q)
      .filter((v) => v.messageCount > 0 || (v.row !== null && v.status !== 'Ready'))
      .map((v) => ({
        identity: `${server.name}\\${v.name}`,
        deliveryType: v.deliveryType,
        status: v.status,
        messageCount: v.messageCount,
        nextHopDomain: v.nextHopDomain,
        lastError: v.row?.lastError ?? null,
      }));
  } finally {
    q.close();
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
    const fmt = (r: string[]) =>
      '  ' +
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i])))
        .join('  ')
        .trimEnd();
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
