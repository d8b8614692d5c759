// Wires a server's management endpoint into `gatehouse start`: the endpoint's
// cmdlets work on the organization store itself (a connection of their own,
// as a local shell's), and it follows the configuration each time the
// transport service applies it.

import { DEFAULT_LOCKOUT_POLICY } from '../config/model/lockout-policy.js';
import { dnsSettingsFromTransport } from '../dns/index.js';
import type { Logger } from '../observability/logger.js';
import { ManagementEndpoint } from '../remote/endpoint.js';
import { loadTransportConfig, type TransportConfig } from '../config/transport-config.js';
import { openServer } from '../setup/server-folder.js';

export interface ServiceEndpoint {
  /** Re-reads the configuration and re-binds the endpoint (called after each configuration apply). */
  applied(): void;
  stop(): Promise<void>;
}

export function startManagementEndpoint(dir: string, log: Logger, orgPassword: string | undefined): ServiceEndpoint {
  const server = openServer(dir, { ...(orgPassword !== undefined && { orgPassword }) });
  let config: TransportConfig = loadTransportConfig(server.repo, server.role, server.name, server.fqdn);
  const endpoint = new ManagementEndpoint({
    context: { ...server, inService: true },
    log: log.child({ server: server.name, component: 'management' }),
    dns: () => dnsSettingsFromTransport(config.dns, 'internal'),
    lockoutPolicy: () => config.accountLockout ?? DEFAULT_LOCKOUT_POLICY,
    ...(server.trust && { trust: server.trust }),
  });
  return {
    applied() {
      try {
        config = loadTransportConfig(server.repo, server.role, server.name, server.fqdn);
      } catch (err) {
        log.log('error', 'management.config.failed', { error: (err as Error).message, action: 'the endpoint keeps its previous settings; fix the store' });
        return;
      }
      void endpoint.apply();
    },
    async stop() {
      await endpoint.stop();
      server.close();
    },
  };
}
