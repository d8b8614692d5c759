// The hosts of a delivery queue's next hop, in the order they are tried: the
// MX hosts of the domain (DNS connector delivery), or the connector's smart
// hosts, starting at a rotating one (load balancing) with the others after it
// (failover). Hosts that failed recently are skipped for a while, unless all
// have. A lookup that fails gives the typed failure (DowngradeDnsFailures
// makes a permanent one transient).

import type { Resolution } from '../dns/index.js';
import type { QueueRow } from '../queue/delivery-state.js';
import type { TransportConfig } from '../config/transport-config.js';
import { classify, type Classification } from '../smtp/outbound/classify.js';
import type { OutboundTarget } from '../smtp/outbound/connection.js';
import type { SendConnectorConfig } from './send-connector-config.js';

/** What delivery needs from the DNS resolver (dns/mail-resolver.ts). */
export interface ResolverLike {
  resolveMailDomain(domain: string): Promise<Resolution>;
  resolveSmartHost(name: string): Promise<Resolution>;
}

/** The next hop could not be resolved. */
export type NextHopFailure = Classification & { kind: 'transient' | 'permanent' };

export class NextHops {
  private readonly downUntil = new Map<string, number>();
  private roundRobin = 0;

  constructor(private readonly deps: { resolver: (kind: 'external' | 'internal') => ResolverLike; now: () => number }) {}

  async targets(q: QueueRow, connector: SendConnectorConfig): Promise<OutboundTarget[] | NextHopFailure> {
    const now = this.deps.now();
    const up = (t: OutboundTarget[]) => {
      const alive = t.filter((x) => (this.downUntil.get(x.host.toLowerCase()) ?? 0) <= now);
      return alive.length > 0 ? alive : t; // all down: try them anyway rather than wait
    };
    if (q.deliveryType === 'DnsConnectorDelivery') {
      const res = await this.deps.resolver(connector.useExternalDnsServers ? 'external' : 'internal').resolveMailDomain(q.nextHopDomain);
      if (!res.ok) return failure(res.kind === 'permanent' && connector.errorPolicies.includes('DowngradeDnsFailures') ? 'transient' : res.kind, res.text);
      return up(res.hosts.flatMap((h) => h.addresses.map((address) => ({ host: h.name, address, port: connector.port }))));
    }
    // Smart hosts: start at a rotating index (load balancing), the others follow (failover).
    const hosts = connector.smartHosts.map(String);
    const start = this.roundRobin++ % Math.max(1, hosts.length);
    const ordered = [...hosts.slice(start), ...hosts.slice(0, start)];
    const targets: OutboundTarget[] = [];
    let lastError: NextHopFailure | null = null;
    for (const name of ordered) {
      const res = await this.deps.resolver('internal').resolveSmartHost(name);
      if (!res.ok) {
        lastError = failure('transient', res.text);
        continue;
      }
      for (const h of res.hosts) for (const address of h.addresses) targets.push({ host: name, address, port: connector.port });
    }
    if (targets.length === 0) return lastError ?? failure('transient', '451 4.4.0 DNS query failed: no smart host could be resolved');
    return up(targets);
  }

  /** A host that could not be reached is skipped for a while (at most a minute). */
  markDown(host: string, config: TransportConfig): void {
    this.downUntil.set(host.toLowerCase(), this.deps.now() + Math.min(60_000, config.retry.transientFailureRetryIntervalMs));
  }
}

function failure(kind: 'transient' | 'permanent', text: string): NextHopFailure {
  return classify(kind, text) as NextHopFailure;
}
