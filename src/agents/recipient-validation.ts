// Recipient validation on an Edge without EdgeSync (Set-RecipientFilterConfig
// -RecipientValidationEnabled $true): the Edge has no copy of the
// organization's recipients, so it asks the next hop inside, the way Postfix's
// reject_unverified_recipient does. A recipient of an authoritative domain is
// routed as its mail would be (the "To Internal Org" connector: its smart
// hosts or MX, its TLS and credential), and the Mailbox server is asked with
// MAIL FROM:<>, RCPT TO and RSET: no message is sent. Its answer is kept for
// a while (positive and negative lifetimes are settings); a probe that gets
// no answer (no connection, a 4xx, a timeout) is not kept and the client is
// told to try again, so an address is never refused on a guess.

import type { Resolution } from '../dns/index.js';
import { routeRecipient } from '../routing/categorizer.js';
import { outboundPolicy, usesBasicAuth } from '../routing/outbound-policy.js';
import type { SendConnectorConfig } from '../routing/send-connector-config.js';
import { acceptedDomainFor, type TransportConfig } from '../config/transport-config.js';
import type { ConnectFailure, OutboundPolicy, OutboundTarget, ProbeResult } from '../smtp/outbound/connection.js';

export type Validation =
  /** The inside takes mail for the address. */
  | { kind: 'exists'; cached: boolean }
  /** The inside refused it permanently: its reply. */
  | { kind: 'unknown'; reply: string; cached: boolean }
  /** No answer: why, for the log. Never kept. */
  | { kind: 'unavailable'; why: string };

/** What a probe needs of a connection (OutboundConnection). */
export interface ProbeConnection {
  probe(addresses: string[], sender?: string): Promise<ProbeResult>;
  close(): Promise<void>;
}

export interface RecipientValidatorDeps {
  config(): TransportConfig;
  resolver(kind: 'external' | 'internal'): { resolveMailDomain(domain: string): Promise<Resolution>; resolveSmartHost(name: string): Promise<Resolution> };
  credential(c: SendConnectorConfig): { username: string; password: string } | null;
  trustedCertificates(): string[];
  connect(target: OutboundTarget, policy: OutboundPolicy): Promise<ProbeConnection | ConnectFailure>;
  now?: () => number;
}

export interface CacheLifetimes {
  positiveMs: number;
  negativeMs: number;
}

/** The most answers kept; the oldest go first. */
const MAX_CACHED = 50_000;
/** The next hop's addresses tried per probe. */
const MAX_TARGETS = 3;
/** A probe's bound, all tries included: the client waits at RCPT TO meanwhile. */
const PROBE_BUDGET_MS = 30_000;

export class RecipientValidator {
  private readonly cache = new Map<string, { exists: boolean; reply: string; at: number }>();
  private readonly inFlight = new Map<string, Promise<Validation>>();

  constructor(private readonly deps: RecipientValidatorDeps) {}

  /** Whether validation applies to the address: a recipient of one of the organization's authoritative domains. */
  applies(address: string): boolean {
    const rule = acceptedDomainFor(this.deps.config().acceptedDomains, address.slice(address.lastIndexOf('@') + 1));
    return rule?.type === 'Authoritative';
  }

  /** Asks the inside about the address (or answers from the cache). */
  validate(address: string, lifetimes: CacheLifetimes): Promise<Validation> {
    const key = address.toLowerCase();
    const now = (this.deps.now ?? Date.now)();
    const hit = this.cache.get(key);
    // Lifetimes apply as they are now, so that a change to them applies to the answers already kept.
    if (hit && now - hit.at < (hit.exists ? lifetimes.positiveMs : lifetimes.negativeMs)) return Promise.resolve(hit.exists ? { kind: 'exists', cached: true } : { kind: 'unknown', reply: hit.reply, cached: true });
    if (hit) this.cache.delete(key);
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = this.probe(address)
        .then((v) => {
          this.remember(key, v, lifetimes);
          return v;
        })
        .finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    return pending;
  }

  /** Forgets every answer (the lifetimes or the organization changed). */
  clear(): void {
    this.cache.clear();
  }

  get size(): number {
    return this.cache.size;
  }

  private remember(key: string, v: Validation, lifetimes: CacheLifetimes): void {
    if (v.kind === 'unavailable') return;
    const ms = v.kind === 'exists' ? lifetimes.positiveMs : lifetimes.negativeMs;
    if (ms <= 0) return;
    if (this.cache.size >= MAX_CACHED) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(key, { exists: v.kind === 'exists', reply: v.kind === 'unknown' ? v.reply : '', at: (this.deps.now ?? Date.now)() });
  }

  private probe(address: string): Promise<Validation> {
    let timer: NodeJS.Timeout | undefined;
    const budget = new Promise<Validation>((resolve) => {
      timer = setTimeout(() => resolve({ kind: 'unavailable', why: `the inside did not answer within ${PROBE_BUDGET_MS / 1000} s` }), PROBE_BUDGET_MS);
    });
    return Promise.race([this.ask(address), budget]).finally(() => clearTimeout(timer));
  }

  private async ask(address: string): Promise<Validation> {
    const config = this.deps.config();
    const domain = address.slice(address.lastIndexOf('@') + 1).toLowerCase();
    const route = routeRecipient(
      domain,
      0,
      {
        role: config.role,
        serverName: config.serverName,
        acceptedDomains: config.acceptedDomains,
        sendConnectors: config.sendConnectors,
        intraOrg: config.intraOrg,
      },
      address,
    );
    if (route.kind !== 'queue' || route.deliveryType === 'Unreachable') {
      return { kind: 'unavailable', why: `no Send connector of ${config.serverName} covers ${domain}, so there is no next hop to ask (New-SendConnector -Usage Internal -AddressSpaces ${domain} -SmartHosts <Mailbox servers>)` };
    }
    const connector = config.sendConnectors.find((c) => c.guid === route.connector);
    if (!connector) return { kind: 'unavailable', why: `the Send connector routing chose for ${domain} is gone` };
    const dns = route.deliveryType === 'DnsConnectorDelivery';
    const kind = dns && connector.useExternalDnsServers ? 'external' : 'internal';
    const targets: OutboundTarget[] = [];
    const failures: string[] = [];
    for (const name of dns ? [route.nextHopDomain] : connector.smartHosts.map(String)) {
      const res = dns ? await this.deps.resolver(kind).resolveMailDomain(name) : await this.deps.resolver('internal').resolveSmartHost(name);
      if (!res.ok) {
        failures.push(`${name}: ${res.text}`);
        continue;
      }
      for (const h of res.hosts) for (const a of h.addresses) targets.push({ host: dns ? h.name : name, address: a, port: connector.port });
    }
    if (targets.length === 0) return { kind: 'unavailable', why: `the next hop of Send connector "${connector.name}" did not resolve: ${failures.join('; ')}` };
    const policy = outboundPolicy(connector, {
      serverFqdn: config.fqdn,
      defaultSourceAddress: config.defaultSourceAddress,
      deliveryType: route.deliveryType,
      nextHopDomain: route.nextHopDomain,
      credential: usesBasicAuth(connector) ? this.deps.credential(connector) : null,
      trustedCertificates: this.deps.trustedCertificates(),
    });
    const tried: string[] = [];
    for (const target of targets.slice(0, MAX_TARGETS)) {
      const conn = await this.deps.connect(target, { ...policy, connectTimeoutMs: 10_000, greetingTimeoutMs: 15_000, inactivityTimeoutMs: Math.min(policy.inactivityTimeoutMs, 15_000) });
      if ('stage' in conn) {
        tried.push(`${target.host} [${target.address}]: ${conn.text}`);
        continue;
      }
      try {
        const result = await conn.probe([address]);
        if (result.kind === 'sender-refused') {
          return { kind: 'unavailable', why: `${target.host} [${target.address}] refused the probe's blank sender: ${result.reply} (the inside must take MAIL FROM:<> from this Edge)` };
        }
        const [outcome] = result.outcomes;
        if (outcome.status === 'delivered') return { kind: 'exists', cached: false };
        if (outcome.status === 'permanent') return { kind: 'unknown', reply: outcome.reply, cached: false };
        return { kind: 'unavailable', why: `${target.host} [${target.address}] answered ${outcome.reply}` };
      } finally {
        await conn.close();
      }
    }
    return { kind: 'unavailable', why: `no next hop of Send connector "${connector.name}" took the probe: ${tried.join('; ')}` };
  }
}
