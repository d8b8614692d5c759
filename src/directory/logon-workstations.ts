// "Log On To": an account whose LogonWorkstations (AD's userWorkstations)
// lists computers may log on only from those computers. Every logon path asks
// LogonWorkstations.check() once the password is known to be right (SMTP AUTH
// on any Receive connector today; the management endpoint and anything later
// the same way).
//
// Windows checks the name of the computer that performs the logon. Here that
// computer is the client of the connection: each listed name is resolved to
// its addresses and the logon is allowed when the client's address is one of
// them.
// - A single label (a NetBIOS name, EDGE01) gets the directory's DNS domain
//   appended (edge01.contoso.com); an FQDN is used as written.
// - A name is looked up in the hosts file the DNS settings select, then with
//   the server's DNS settings (A and AAAA), asynchronously.
// - Answers are cached for their DNS TTL (at most MAX_CACHE_MS), failures for
//   FAILURE_CACHE_MS, and concurrent logons share one lookup: a burst of AUTHs
//   asks DNS once per name.
// - Fail closed: a name that does not resolve allows nothing, and when no
//   listed name gives the client's address the logon is refused; the verdict
//   says what each name resolved to (or why it did not), for the log.

import { Resolver } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';
import { logonWorkstationNames } from '../config/model/account.js';
import { classifyDnsError } from '../dns/classify-dns-error.js';
import { DEFAULT_TIMEOUT_MS, DEFAULT_TRIES, hostsFilePath, nodeServerText, type DnsSettings } from '../dns/dns-settings.js';
import { HostsFile } from '../dns/hosts-file.js';
import type { ModelObject } from '../store/repository.js';

/** Longest a resolved name is trusted without asking again (a longer TTL is cut to this). */
export const MAX_CACHE_MS = 60_000;
/** Shortest: a TTL of 0 still serves a burst of logons. */
export const MIN_CACHE_MS = 1_000;
/** How long a failed resolution is remembered before it is tried again. */
export const FAILURE_CACHE_MS = 5_000;
/** Most names remembered. */
export const MAX_CACHE_ENTRIES = 1_000;

/** One listed computer, as the logon saw it. */
export interface ResolvedWorkstation {
  /** As listed (EDGE01). */
  name: string;
  /** What was looked up (edge01.contoso.com). */
  fqdn: string;
  addresses: string[];
  /** Why the name gave no address; absent when it resolved. */
  error?: string;
}

export type WorkstationVerdict =
  { allowed: true; restricted: false } | { allowed: true; restricted: true; matched: ResolvedWorkstation; workstations: string } | { allowed: false; restricted: true; workstations: string; resolved: ResolvedWorkstation[] };

/** The name lookups the check needs: addresses with their TTL in seconds. */
export interface WorkstationLookup {
  resolve4(name: string): Promise<{ address: string; ttl: number }[]>;
  resolve6(name: string): Promise<{ address: string; ttl: number }[]>;
}

export interface LogonWorkstationsOptions {
  /** The directory's DNS domain, appended to single-label names. */
  dnsDomain: () => string;
  /** The server's DNS settings in force (they follow the configuration). */
  dns: () => DnsSettings;
  /** Lookups for given settings (default: Node's resolver asking the settings' servers). */
  lookup?: (settings: DnsSettings) => WorkstationLookup;
  now?: () => number;
}

/** The name looked up for a listed computer: a single label gets the DNS domain appended. */
export function workstationFqdn(name: string, dnsDomain: string): string {
  const host = name.trim().replace(/\.$/, '').toLowerCase();
  return host.includes('.') || dnsDomain === '' ? host : `${host}.${dnsDomain.toLowerCase().replace(/\.$/, '')}`;
}

/** An address in one comparable form (IPv4-mapped IPv6 as IPv4, IPv6 fully written out); null when it is none. */
export function canonicalAddress(address: string): string | null {
  const text = address.trim().replace(/%.*$/, '');
  if (!ipaddr.isValid(text)) return null;
  return ipaddr.process(text).toNormalizedString();
}

/** The first listed computer one of whose addresses is the client's, or null. */
export function matchingWorkstation(resolved: ResolvedWorkstation[], client: string): ResolvedWorkstation | null {
  const mine = canonicalAddress(client);
  if (mine === null) return null;
  return resolved.find((w) => w.addresses.some((a) => canonicalAddress(a) === mine)) ?? null;
}

/** "EDGE01 (edge01.contoso.com) -> 127.10.1.2" or "EDGE02 (edge02.contoso.com) -> did not resolve: ..." */
export function describeResolution(w: ResolvedWorkstation): string {
  const label = w.name.toLowerCase() === w.fqdn ? w.fqdn : `${w.name} (${w.fqdn})`;
  return `${label} -> ${w.error !== undefined ? `did not resolve: ${w.error}` : w.addresses.join(', ')}`;
}

interface CacheEntry {
  expires: number;
  result: Promise<{ addresses: string[]; error?: string; ttlMs: number }>;
}

export class LogonWorkstations {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly lookups = new Map<string, WorkstationLookup>();
  private readonly hostsFiles = new Map<string, HostsFile>();
  private readonly now: () => number;

  constructor(private readonly options: LogonWorkstationsOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Whether `account` may log on from `client` (an IP address). Never throws. */
  async check(account: ModelObject, client: string): Promise<WorkstationVerdict> {
    const names = logonWorkstationNames(account.values.LogonWorkstations);
    if (names.length === 0) return { allowed: true, restricted: false };
    const workstations = names.join(',');
    const domain = this.options.dnsDomain();
    let settings: DnsSettings | null = null;
    let unusable = '';
    try {
      settings = this.options.dns();
    } catch (err) {
      unusable = `the server's DNS settings cannot be used: ${(err as Error).message}`;
    }
    const resolved = await Promise.all(
      names.map(async (name): Promise<ResolvedWorkstation> => {
        const fqdn = workstationFqdn(name, domain);
        const r = settings ? await this.resolve(fqdn, settings) : { addresses: [], error: unusable };
        return { name, fqdn, addresses: r.addresses, ...(r.error !== undefined && { error: r.error }) };
      }),
    );
    const matched = matchingWorkstation(resolved, client);
    return matched ? { allowed: true, restricted: true, matched, workstations } : { allowed: false, restricted: true, workstations, resolved };
  }

  private resolve(fqdn: string, settings: DnsSettings): Promise<{ addresses: string[]; error?: string }> {
    const key = `${JSON.stringify(settings)}|${fqdn}`;
    const now = this.now();
    const hit = this.cache.get(key);
    if (hit && hit.expires > now) return hit.result;
    const entry: CacheEntry = { expires: Number.POSITIVE_INFINITY, result: this.lookUp(fqdn, settings) };
    // Until it settles, concurrent logons share this lookup; then it is kept for its TTL.
    void entry.result.then((r) => {
      entry.expires = this.now() + r.ttlMs;
    });
    this.cache.delete(key);
    this.cache.set(key, entry);
    for (const [k, e] of this.cache) {
      if (this.cache.size <= MAX_CACHE_ENTRIES) break;
      if (e !== entry) this.cache.delete(k);
    }
    return entry.result;
  }

  private async lookUp(fqdn: string, settings: DnsSettings): Promise<{ addresses: string[]; error?: string; ttlMs: number }> {
    try {
      return await this.lookUpOnce(fqdn, settings);
    } catch (err) {
      return { addresses: [], error: `the lookup failed: ${(err as Error).message}`, ttlMs: FAILURE_CACHE_MS };
    }
  }

  private async lookUpOnce(fqdn: string, settings: DnsSettings): Promise<{ addresses: string[]; error?: string; ttlMs: number }> {
    const path = hostsFilePath(settings);
    if (path !== null) {
      let hosts = this.hostsFiles.get(path);
      if (!hosts) this.hostsFiles.set(path, (hosts = new HostsFile(path)));
      const listed = await hosts.lookup(fqdn);
      if (listed.length > 0) return { addresses: listed, ttlMs: MIN_CACHE_MS };
    }
    const lookup = this.lookupFor(settings);
    const [v4, v6] = await Promise.allSettled([lookup.resolve4(fqdn), lookup.resolve6(fqdn)]);
    const answers = [v4, v6].flatMap((r) => (r.status === 'fulfilled' ? r.value : []));
    if (answers.length > 0) {
      const ttl = Math.min(...answers.map((a) => a.ttl)) * 1000;
      return { addresses: answers.map((a) => a.address), ttlMs: Math.max(MIN_CACHE_MS, Math.min(MAX_CACHE_MS, ttl)) };
    }
    const servers = settings.servers.length > 0 ? settings.servers.map(nodeServerText).join(', ') : "the system's name servers";
    const errors = [v4, v6].flatMap((r) => (r.status === 'rejected' ? [r.reason as NodeJS.ErrnoException] : []));
    const hard = errors.find((e) => e.code !== 'ENODATA') ?? errors[0];
    const why = hard ? dnsFailure(hard) : 'no A or AAAA record';
    return { addresses: [], error: `${why} (asked ${servers}${path !== null ? ` after the hosts file ${path}` : ''})`, ttlMs: FAILURE_CACHE_MS };
  }

  private lookupFor(settings: DnsSettings): WorkstationLookup {
    const key = JSON.stringify(settings);
    let lookup = this.lookups.get(key);
    if (!lookup) {
      lookup = this.options.lookup ? this.options.lookup(settings) : nodeLookup(settings);
      this.lookups.set(key, lookup);
    }
    return lookup;
  }
}

function dnsFailure(err: NodeJS.ErrnoException): string {
  const c = classifyDnsError(err);
  if (c.class === 'nxdomain') return 'the name does not exist (NXDOMAIN)';
  if (c.class === 'nodata') return 'no A or AAAA record';
  return `DNS query failed with error ${c.reason}`;
}

function nodeLookup(settings: DnsSettings): WorkstationLookup {
  const resolver = new Resolver({ timeout: settings.timeoutMs ?? DEFAULT_TIMEOUT_MS, tries: settings.tries ?? DEFAULT_TRIES });
  if (settings.servers.length > 0) resolver.setServers(settings.servers.map(nodeServerText));
  return {
    resolve4: (name) => resolver.resolve4(name, { ttl: true }),
    resolve6: (name) => resolver.resolve6(name, { ttl: true }),
  };
}
