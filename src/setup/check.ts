// `gatehouse check --data DIR`: the whole configuration of one server, read
// offline from its folder as `postfix check` reads Postfix's, and reported as
// findings, each with the command that fixes it. It never writes to the
// folder and runs whether the service is running or not. The organization
// store of a Mailbox server is opened first: when it cannot be, that is the
// finding, and only the folder's modes are checked besides.

import { resolve } from 'node:path';
import { receiveConnectorSchema } from '../config/model/receive-connector.js';
import { loadTransportConfig } from '../config/transport-config.js';
import { isPostgresUrl, parseOrganizationUrl } from '../store/postgres/connection-options.js';
import { serverCertificates } from '../tls/certificate-selection.js';
import { checkCertificates } from './check-certificates.js';
import { checkDns } from './check-dns.js';
import { checkFileModes } from './check-files.js';
import { shellQuote, type Finding } from './check-finding.js';
import { checkAcceptedDomainRoutes, checkReceiveBindings, checkSendConnectors, checkSmartHostCredentials } from './check-routing.js';
import { serverPrivateAreas, shellPath } from './folder-privacy.js';
import { openServer, orgKeyPath, organizationStoreOf, type OpenServer } from './server-folder.js';

export interface CheckOptions {
  /** Skip the DNS probe (no packet leaves the machine). */
  offline?: boolean;
  now?: Date;
  orgPassword?: string;
}

export interface CheckResult {
  server: { name: string; role: string; fqdn: string } | null;
  findings: Finding[];
}

/** Why the organization store could not be opened, and what to run. */
function storeFinding(dir: string, orgStore: string, err: Error): Finding {
  if (isPostgresUrl(orgStore)) {
    let t: { host: string; port: number; database: string; user: string } | undefined;
    try {
      t = parseOrganizationUrl(orgStore);
    } catch {
      t = undefined;
    }
    const password = /password|authentication/i.test(err.message);
    return {
      area: 'organization-store',
      problem: `the organization store ${orgStore} cannot be opened: ${err.message}`,
      fix:
        t && password
          ? `printf '%s\\n' ${shellQuote(`${t.host}:${t.port}:${t.database}:${t.user}:PASSWORD`)} >> ~/.pgpass && chmod 0600 ~/.pgpass`
          : t
            ? `pg_isready -h ${shellPath(t.host)} -p ${t.port} -d ${shellPath(t.database)} -U ${shellPath(t.user)}`
            : `gatehouse setup --help`,
    };
  }
  return {
    area: 'organization-store',
    problem: `the organization store ${orgStore} cannot be opened: ${err.message}`,
    fix: `gatehouse restore --from BACKUP-FILE --data ${shellPath(resolve(dir))} --force --org ${shellPath(orgStore)}`,
  };
}

export async function checkServer(dir: string, options: CheckOptions = {}): Promise<CheckResult> {
  const now = options.now ?? new Date();
  const orgStore = organizationStoreOf(dir);
  let server: OpenServer;
  try {
    server = openServer(dir, { ...(options.orgPassword !== undefined && { orgPassword: options.orgPassword }) });
    // A PostgreSQL store connects on first use.
    server.config.changeCounter();
  } catch (err) {
    if (orgStore === undefined) throw err;
    return { server: null, findings: [storeFinding(dir, orgStore, err as Error), ...checkFileModes(serverPrivateAreas({ dataDir: dir, logFolders: [] }))] };
  }
  try {
    const findings: Finding[] = [];
    const t = loadTransportConfig(server.repo, server.role, server.name, server.fqdn);
    const orgPath = server.engine === 'sqlite' && server.config !== server.local ? server.config.location : undefined;
    findings.push(
      ...checkFileModes(
        serverPrivateAreas({
          dataDir: server.dataDir,
          ...(orgPath && { orgPath, orgKeyPath: orgKeyPath(orgPath) }),
          logFolders: [t.receiveProtocolLog.folder, t.sendProtocolLog.folder, t.messageTrackingLogPath, t.connectivityLog.folder],
        }),
      ),
    );
    findings.push(...checkCertificates(server.dataDir, serverCertificates(server.repo, server.name), t.receiveConnectors, now));
    const receive = server.repo.list(receiveConnectorSchema).filter((c) => c.server.toLowerCase() === server.name.toLowerCase());
    findings.push(...checkReceiveBindings(server.dataDir, server.role, receive));
    findings.push(...checkSendConnectors(server.dataDir, t));
    findings.push(...checkAcceptedDomainRoutes(server.dataDir, t));
    findings.push(...checkSmartHostCredentials(server.dataDir, t));
    if (!options.offline) findings.push(...(await checkDns(server.dataDir, server.name, t.dns)));
    return { server: { name: server.name, role: server.role, fqdn: server.fqdn }, findings };
  } finally {
    await server.close();
  }
}
