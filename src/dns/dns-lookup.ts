// The three DNS queries mail routing needs, behind a small interface so that
// tests can substitute a fake; and the real one, backed by Node's c-ares
// resolver (dns.promises.Resolver) with the configured servers.
//
// Invariants: a NodeDnsLookup built with servers asks only those servers (in
// order); built with none it asks the system's configured name servers.
// Errors are Node's (with `code`), unchanged; callers classify them.

import { Resolver } from 'node:dns/promises';
import { DEFAULT_TIMEOUT_MS, DEFAULT_TRIES, nodeServerText, type DnsSettings } from './dns-settings.js';
import type { MxRecord } from './order-mx.js';

export interface DnsLookup {
  resolveMx(name: string): Promise<MxRecord[]>;
  resolve4(name: string): Promise<string[]>;
  resolve6(name: string): Promise<string[]>;
}

export class NodeDnsLookup implements DnsLookup {
  private readonly resolver: Resolver;

  constructor(settings: DnsSettings) {
    this.resolver = new Resolver({ timeout: settings.timeoutMs ?? DEFAULT_TIMEOUT_MS, tries: settings.tries ?? DEFAULT_TRIES });
    if (settings.servers.length > 0) this.resolver.setServers(settings.servers.map(nodeServerText));
  }

  /** The servers in Node's text form ("127.0.0.1:5353", "[::1]:53"). */
  servers(): string[] {
    return this.resolver.getServers();
  }

  resolveMx(name: string): Promise<MxRecord[]> {
    return this.resolver.resolveMx(name);
  }

  resolve4(name: string): Promise<string[]> {
    return this.resolver.resolve4(name);
  }

  resolve6(name: string): Promise<string[]> {
    return this.resolver.resolve6(name);
  }
}
