// `gatehouse check`, connectors and routes: enabled Receive connectors whose
// bindings and remote IP ranges collide (a store written around validation,
// by an older version or by hand); Send connectors that routing can never
// choose (another connector wins every address space they have, or no server
// sources them); accepted domains that no route reaches (their mail waits in
// Unreachable); smart-host credentials sent where TLS is not required.

import { validateReceiveConnector } from '../config/validate.js';
import type { ModelObject } from '../store/repository.js';
import type { ServerRoleName } from '../config/model/server.js';
import type { TransportConfig } from '../config/transport-config.js';
import { routeRecipient, type RoutingInput } from '../routing/categorizer.js';
import type { SendConnectorConfig } from '../routing/send-connector-config.js';
import { psName, shellFix, type Finding } from './check-finding.js';

export function checkReceiveBindings(dir: string, role: ServerRoleName, connectors: ModelObject[]): Finding[] {
  const out: Finding[] = [];
  const enabled = connectors.filter((c) => c.values.Enabled === true);
  const reported = new Set<string>();
  for (const c of enabled) {
    const others = enabled.filter((o) => o !== c).map((o) => ({ name: String(o.values.Name), values: o.values }));
    const problems = validateReceiveConnector(c.values, others, { role }).filter((p) => (p.property === 'Bindings' || p.property === 'RemoteIPRanges') && /Receive connector "/.test(p.message));
    for (const p of problems) {
      const other = /Receive connector "([^"]+)"/.exec(p.message)![1];
      const pair = [String(c.values.Name), other].sort().join('\n');
      if (reported.has(pair)) continue;
      reported.add(pair);
      out.push({
        area: 'receive-connectors',
        problem: `Receive connectors ${c.server}\\${String(c.values.Name)} and ${c.server}\\${other} collide: ${p.message} Which one takes a connection is undefined`,
        // Validation refuses the change unless it ends the collision: a binding of its own for one of the two.
        fix: shellFix(dir, `Set-ReceiveConnector ${psName(other)} -Bindings IP.ADDRESS:PORT`),
      });
    }
  }
  return out;
}

/** Domains that exercise an address space: its own domain, a name under a wildcard, any name for "*", the accepted domains for "--". */
function probesOf(address: string, config: TransportConfig): string[] {
  if (address === '--') return config.acceptedDomains.filter((r) => r.type !== 'ExternalRelay').map((r) => r.domain.domain || 'gatehouse-check.invalid');
  if (address === '*') return ['gatehouse-check.invalid'];
  if (address.startsWith('*.')) return [address.slice(2), `gatehouse-check.${address.slice(2)}`];
  return [address];
}

function routingInput(config: TransportConfig, serverName: string): RoutingInput {
  return { role: config.role, serverName, acceptedDomains: config.acceptedDomains, sendConnectors: config.sendConnectors, intraOrg: config.intraOrg };
}

export function checkSendConnectors(dir: string, config: TransportConfig): Finding[] {
  const out: Finding[] = [];
  for (const c of config.sendConnectors) {
    if (!c.enabled) continue;
    const remove = shellFix(dir, `Remove-SendConnector ${psName(c.name)} -Confirm:$false`);
    const sources = config.role === 'EdgeTransport' ? [config.serverName] : c.sourceTransportServers;
    if (sources.length === 0) {
      out.push({
        area: 'send-connectors',
        problem: `Send connector ${c.name} has no SourceTransportServers, so no server ever sends through it`,
        fix: shellFix(dir, `Set-SendConnector ${psName(c.name)} -SourceTransportServers ${config.serverName}`),
      });
      continue;
    }
    const input = routingInput(config, sources[0]);
    const probes = c.addressSpaces.filter((s) => s.isSmtp).flatMap((s) => probesOf(s.address, config));
    if (probes.length === 0) continue;
    let winner: string | undefined;
    const chosen = probes.some((d) => {
      const r = routeRecipient(d, 0, input);
      if (r.kind === 'queue' && r.connector === c.guid) return true;
      if (r.kind === 'queue' && r.connector) winner ??= config.sendConnectors.find((x) => x.guid === r.connector)?.name;
      return false;
    });
    if (chosen) continue;
    out.push({
      area: 'send-connectors',
      problem: `Send connector ${c.name} (${c.addressSpaces.map(String).join(', ')}) is never chosen: ${winner ? `Send connector ${winner} has the same or a more specific address space at a lower cost (or an earlier name)` : 'its address spaces lead elsewhere (accepted domains delivered here)'}`,
      fix: remove,
    });
  }
  return out;
}

export function checkAcceptedDomainRoutes(dir: string, config: TransportConfig): Finding[] {
  const out: Finding[] = [];
  for (const rule of config.acceptedDomains) {
    if (config.role === 'Mailbox' && rule.type === 'Authoritative') continue;
    const domain = rule.domain.domain;
    if (!domain) continue;
    const r = routeRecipient(domain, 0, routingInput(config, config.serverName));
    if (!(r.kind === 'queue' && r.deliveryType === 'Unreachable')) continue;
    const name = `To ${domain}`;
    const command =
      rule.type === 'ExternalRelay'
        ? `New-SendConnector -Name ${psName(name)} -AddressSpaces ${domain}${config.role === 'Mailbox' ? ` -SourceTransportServers ${config.serverName}` : ''}`
        : `New-SendConnector -Name ${psName(name)} -AddressSpaces ${domain} -DNSRoutingEnabled $false -SmartHosts MAILBOX.SERVER.FQDN${config.role === 'Mailbox' ? ` -SourceTransportServers ${config.serverName}` : ''}`;
    out.push({
      area: 'accepted-domains',
      problem: `accepted domain ${rule.name} (${domain}, ${rule.type}) has no route: no enabled Send connector covers it, so its mail waits in the Unreachable queue`,
      fix: shellFix(dir, command),
    });
  }
  return out;
}

function sendsCredentialInClear(c: SendConnectorConfig): boolean {
  return c.credential !== null && c.smartHostAuthMechanism === 'BasicAuth' && (!c.requireTls || c.ignoreStartTls);
}

export function checkSmartHostCredentials(dir: string, config: TransportConfig): Finding[] {
  return config.sendConnectors.filter(sendsCredentialInClear).map((c) => ({
    area: 'send-connectors',
    problem: `Send connector ${c.name} gives its smart-host credential (${c.credential!.userName}) with BasicAuth while TLS is ${c.ignoreStartTls ? 'ignored (IgnoreSTARTTLS)' : 'not required'}: a peer without STARTTLS, or anyone in the path who strips it, receives the password in clear`,
    fix: shellFix(dir, `Set-SendConnector ${psName(c.name)} -SmartHostAuthMechanism BasicAuthRequireTLS -RequireTLS $true${c.ignoreStartTls ? ' -IgnoreSTARTTLS $false' : ''}`),
  }));
}
