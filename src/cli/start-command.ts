// `gatehouse start`: the transport service of one server in the foreground,
// for systemd or a terminal. Logs are JSON lines on standard output; the
// readiness line (event "service.ready") names every bound address. SIGHUP
// re-reads the configuration; SIGTERM and SIGINT stop accepting, let
// sessions finish, and exit 0. When no enabled Receive connector can bind,
// the service does not start: it exits 1 with each address and why. Under a
// `Type=notify` systemd unit it says READY=1 once the listeners are bound
// (and pings the watchdog when the unit sets WatchdogSec). The status file (service.json) tells
// `gatehouse status` what is running, and keeps a second service off the folder.
// Before anything runs, the server folder (and a Mailbox server's organization
// store, and log folders kept elsewhere) must be private to the service's user,
// and the metrics token file, when given, must be too.
// An error nothing caught is logged with its stack (service.crashed) and the
// process exits 70 for systemd to start it again (process-failure.ts).

import ipaddr from 'ipaddr.js';
import { JsonLogger } from '../observability/logger.js';
import type { MetricsEndpoint } from '../observability/metrics.js';
import { loadMetricsToken, MetricsTokenError } from '../observability/metrics-token.js';
import { exitOnUncaughtErrors } from '../observability/process-failure.js';
import { loadTransportConfig } from '../config/transport-config.js';
import { describeListener, TransportService } from '../roles/transport-service.js';
import { removeServiceStatus, runningService, writeServiceStatus } from '../observability/service-status.js';
import { ServiceNotifier } from '../roles/service-notify.js';
import { checkPrivate, ExposedFolderError, serverPrivateAreas } from '../setup/folder-privacy.js';
import { openServiceServer, organizationStoreOf, orgKeyPath, type OpenServer } from '../setup/server-folder.js';
import { askOrganizationPassword } from '../setup/organization-password.js';
import { setMigrationReporter } from '../store/schema-migrations.js';
import { startManagementEndpoint } from './management-endpoint.js';

export interface MetricsOption {
  host: string;
  port: number;
  /** --metrics-token-file */
  tokenFile?: string;
}

/** Refuses a server folder, organization store or log folder that group or others can read or write. */
function checkFolderPrivacy(server: OpenServer): void {
  const t = loadTransportConfig(server.repo, server.role, server.name, server.fqdn);
  const orgPath = server.engine === 'sqlite' && server.config !== server.local ? server.config.location : undefined;
  checkPrivate(
    serverPrivateAreas({
      dataDir: server.dataDir,
      ...(orgPath && { orgPath, orgKeyPath: orgKeyPath(orgPath) }),
      logFolders: [t.receiveProtocolLog.folder, t.sendProtocolLog.folder, t.messageTrackingLogPath, t.connectivityLog.folder],
    }),
  );
}

function isLoopback(host: string): boolean {
  try {
    return ipaddr.process(host).range() === 'loopback';
  } catch {
    return false;
  }
}

export async function runStart(dir: string, metrics?: MetricsOption): Promise<number> {
  const log = new JsonLogger();
  // An error nothing caught is logged with its stack, and the service exits for systemd to start it again.
  exitOnUncaughtErrors(process, log);
  // A store migrated as it opens (an older server.db, organization store or queue.db) is logged with where its copy went.
  setMigrationReporter((m) =>
    log.log('warn', 'store.migrated', { store: m.store, path: m.location, fromVersion: m.from, toVersion: m.to, backup: m.backup, action: `the copy from before the migration is ${m.backup}; remove it once the server runs well` }),
  );
  const orgPassword = await askOrganizationPassword(organizationStoreOf(dir));
  const server = await openServiceServer(dir, log, { ...(orgPassword !== undefined && { orgPassword }) });
  const other = runningService(server.dataDir);
  if (other) {
    await server.close();
    throw new Error(`the transport service of ${other.server} is already running from ${server.dataDir} (pid ${other.pid}, since ${other.startedAt}); stop it first (kill -TERM ${other.pid}, or systemctl stop)`);
  }
  let endpoint: MetricsEndpoint | undefined;
  try {
    checkFolderPrivacy(server);
    if (metrics) endpoint = { host: metrics.host, port: metrics.port, ...(metrics.tokenFile !== undefined && { token: loadMetricsToken(metrics.tokenFile) }) };
  } catch (err) {
    if (!(err instanceof ExposedFolderError) && !(err instanceof MetricsTokenError)) throw err;
    const fields =
      err instanceof ExposedFolderError ? { error: err.message, path: err.report.examples[0]!.path, mode: `0${err.report.examples[0]!.mode.toString(8)}`, action: err.area.fix } : { error: err.message, option: '--metrics-token-file' };
    log.log('error', 'service.start.failed', { server: server.name, folder: server.dataDir, ...fields });
    await server.close();
    return 1;
  }
  if (endpoint && !endpoint.token && !isLoopback(endpoint.host)) {
    log.log('warn', 'metrics.unauthenticated', { address: endpoint.host, port: endpoint.port, action: 'anyone who reaches this address reads the metrics and the health detail; give --metrics-token-file FILE, or a loopback address' });
  }
  const metricsUrl = metrics && `http://${metrics.host.includes(':') ? `[${metrics.host}]` : metrics.host}:${metrics.port}/metrics`;
  const metricsTokenFile = endpoint?.token?.file;
  const startedAt = new Date().toISOString();
  const notifier = ServiceNotifier.fromEnvironment(log);
  let ready = false;
  // The PowerShell virtual directory: remote shells, following the configuration like the listeners.
  const management = startManagementEndpoint(dir, log, orgPassword);
  const onApplied = (listening: string[], changeCounter: number, failed: string[]) => {
    management.applied();
    if (ready) notifier?.status(serviceState(listening, failed));
    try {
      writeServiceStatus(server.dataDir, {
        server: server.name,
        role: server.role,
        fqdn: server.fqdn,
        pid: process.pid,
        startedAt,
        listening,
        ...(failed.length > 0 && { failed }),
        ...(metricsUrl && { metrics: metricsUrl }),
        ...(metricsTokenFile && { metricsTokenFile }),
        changeCounter,
        appliedAt: new Date().toISOString(),
      });
    } catch (err) {
      log.log('warn', 'service.status.write-failed', { folder: server.dataDir, error: (err as Error).message, action: 'gatehouse status will not see this service; check the folder is writable and has free space' });
    }
  };
  const service = new TransportService(server, log.child({ server: server.name }), { ...(endpoint && { metrics: endpoint }), onApplied });
  let bound;
  try {
    await notifier?.open();
    bound = await service.start();
  } catch (err) {
    log.log('error', 'service.start.failed', { error: (err as Error).message });
    await management.stop().catch(() => undefined);
    await service.stop(0).catch(() => undefined);
    removeServiceStatus(server.dataDir);
    notifier?.close();
    return 1;
  }
  const failed = service.listenerFailures();
  if (bound.length === 0 && failed.length > 0) {
    log.log('error', 'service.start.failed', {
      server: server.name,
      error: `none of the enabled Receive connectors could listen: ${failed.join('; ')}`,
      failed,
      action: "free these addresses, or change the Bindings of the Receive connectors (gatehouse shell -c 'Set-ReceiveConnector NAME -Bindings ADDRESS:PORT'), then start again",
    });
    await management.stop().catch(() => undefined);
    await service.stop(0).catch(() => undefined);
    removeServiceStatus(server.dataDir);
    notifier?.close();
    return 1;
  }
  ready = true;
  notifier?.ready(serviceState(bound.map(describeListener), failed));
  if (failed.length > 0) log.log('warn', 'service.degraded', { server: server.name, failed, action: 'the other Receive connectors run; gatehouse status exits 4 until every binding listens' });
  log.log('info', 'service.ready', {
    server: server.name,
    fqdn: server.fqdn,
    role: server.role,
    pid: process.pid,
    listening: bound.map(describeListener),
    ...(metricsUrl && { metrics: metricsUrl, metricsAuthentication: metricsTokenFile ? 'bearer' : 'none' }),
  });
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.log('info', 'service.stopping', { signal });
      notifier?.stopping();
      const dataDir = server.dataDir;
      management
        .stop()
        .catch(() => undefined)
        .then(() => service.stop())
        .then(
          () => {
            removeServiceStatus(dataDir);
            notifier?.close();
            log.log('info', 'service.stopped', {});
            resolve(0);
          },
          (err) => {
            removeServiceStatus(dataDir);
            notifier?.close();
            log.log('error', 'service.stop.failed', { error: (err as Error).message });
            resolve(1);
          },
        );
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGHUP', () => void service.reload('SIGHUP'));
  });
}

/** The one-line STATUS= systemd shows in `systemctl status`. */
function serviceState(listening: string[], failed: string[]): string {
  const on = listening.length === 0 ? 'listening on nothing (every Receive connector is disabled)' : `listening on ${listening.length} address${listening.length === 1 ? '' : 'es'}`;
  return failed.length === 0 ? on : `degraded: ${on}, ${failed.length} failed to bind (gatehouse status)`;
}
