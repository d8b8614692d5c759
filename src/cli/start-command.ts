// `gatehouse start`: the transport service of one server in the foreground,
// for systemd or a terminal. Logs are JSON lines on standard output; the
// readiness line (event "service.ready") names every bound address. SIGHUP
// re-reads the configuration; SIGTERM and SIGINT stop accepting, let
// sessions finish, and exit 0.

import { JsonLogger } from '../observability/logger.js';
import { describeListener, TransportService } from '../roles/transport-service.js';
import { openServer } from '../setup/server-folder.js';

export async function runStart(dir: string, metrics?: { host: string; port: number }): Promise<number> {
  const server = openServer(dir);
  const log = new JsonLogger();
  const service = new TransportService(server, log.child({ server: server.name }), { ...(metrics && { metrics }) });
  let bound;
  try {
    bound = await service.start();
  } catch (err) {
    log.log('error', 'service.start.failed', { error: (err as Error).message });
    await service.stop(0).catch(() => undefined);
    return 1;
  }
  log.log('info', 'service.ready', { server: server.name, fqdn: server.fqdn, role: server.role, pid: process.pid, listening: bound.map(describeListener), ...(metrics && { metrics: `http://${metrics.host.includes(':') ? `[${metrics.host}]` : metrics.host}:${metrics.port}/metrics` }) });
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.log('info', 'service.stopping', { signal });
      service.stop().then(
        () => { log.log('info', 'service.stopped', {}); resolve(0); },
        (err) => { log.log('error', 'service.stop.failed', { error: (err as Error).message }); resolve(1); },
      );
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGHUP', () => void service.reload('SIGHUP'));
  });
}
