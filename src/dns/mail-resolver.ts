// Where outbound mail goes: the hosts (with addresses) for a recipient domain
// (DNS/MX routing) or for a smart host.
//
// Recipient domains (resolveMailDomain):
// - address literal "[127.0.0.5]" / "[IPv6:::1]": that address, no DNS.
// - MX records: ordered by preference, equal preferences shuffled per call;
//   each host's A and AAAA records (IPv4 first). A host whose name does not
//   resolve, or resolves to nothing, is skipped; if no host is left the
//   result is transient 4.4.0 (the hosts' own zones may recover).
// - no MX (NODATA): implicit MX, the domain's own A/AAAA (RFC 5321 §5.1);
//   neither MX nor A/AAAA: permanent 5.4.4.
// - null MX (a single MX "." , RFC 7505): permanent 5.1.10 (see resolution.ts).
// - NXDOMAIN: permanent 5.4.4. SERVFAIL, timeouts, REFUSED and every other
//   resolver error: transient 4.4.0 (classify-dns-error.ts).
// Smart hosts (resolveSmartHost): an IP (bare or literal) as is; else the
// hosts file; else A/AAAA; else the name's MX records. Every smart host
// failure is transient: a smart host that does not resolve is a
// configuration fault, and mail waits in the queue for it to be fixed.
// Invariants: every call ends within the settings' deadline (default 60 s);
// nothing is cached between calls except the parsed hosts file; only the
// configured servers are asked.

import { DEFAULT_DEADLINE_MS, hostsFilePath, type DnsSettings } from './dns-settings.js';
import { classifyDnsError, type ClassifiedDnsError } from './classify-dns-error.js';
import { NodeDnsLookup, type DnsLookup } from './dns-lookup.js';
import { HostsFile } from './hosts-file.js';
import { orderMx, type MxRecord } from './order-mx.js';
import { readDestination } from './destination-name.js';
import { asTransient, badDestination, noMailRecords, nonExistentDomain, noUsableHost, nullMx, queryFailed, smartHostNoAddress, smartHostNonExistent, type Failure, type MailHost, type Resolution } from './resolution.js';

export type { MailHost, Resolution } from './resolution.js';

/** At most this many MX hosts are looked up per domain. */
export const MAX_MX_HOSTS = 32;

export interface MailResolverOptions {
  /** DNS queries (default: Node's resolver with the settings' servers). */
  lookup?: DnsLookup;
  /** Random source for equal-preference MX order, in [0, 1). */
  random?: () => number;
}

interface AddressOutcome {
  addresses: string[];
  /** Why `addresses` is empty; null when it is not. */
  failure: ClassifiedDnsError | null;
}

export class MailResolver {
  private readonly lookup: DnsLookup;
  private readonly random: () => number;
  private readonly hosts: HostsFile | null;
  private readonly deadlineMs: number;

  constructor(settings: DnsSettings, options: MailResolverOptions = {}) {
    this.lookup = options.lookup ?? new NodeDnsLookup(settings);
    this.random = options.random ?? Math.random;
    const path = hostsFilePath(settings);
    this.hosts = path === null ? null : new HostsFile(path);
    this.deadlineMs = settings.deadlineMs ?? DEFAULT_DEADLINE_MS;
  }

  /** Where mail for a recipient domain goes (see the file comment). */
  resolveMailDomain(domain: string): Promise<Resolution> {
    return this.withDeadline(this.mailDomain(domain));
  }

  /** Where mail for a smart host goes (see the file comment); failures are transient. */
  resolveSmartHost(name: string): Promise<Resolution> {
    return this.withDeadline(this.smartHost(name));
  }

  private async mailDomain(input: string): Promise<Resolution> {
    const dest = readDestination(input);
    if (dest.type === 'invalid') return badDestination(input);
    if (dest.type === 'address') {
      if (!dest.literal) return badDestination(input); // a bare IP is not a mail domain
      return { ok: true, hosts: [{ name: input.trim(), preference: 0, addresses: [dest.address], implicit: true }] };
    }
    const domain = dest.name;
    let records: MxRecord[];
    try {
      records = await this.lookup.resolveMx(domain);
    } catch (err) {
      const c = classifyDnsError(err);
      if (c.class === 'nxdomain') return nonExistentDomain();
      if (c.class === 'badname') return badDestination(input);
      if (c.class === 'transient') return queryFailed(c.reason);
      records = []; // NODATA: implicit MX below
    }
    if (records.length > 0) return this.mxHosts(domain, records);
    const own = await this.addresses(domain);
    if (own.addresses.length > 0) return { ok: true, hosts: [{ name: domain, preference: 0, addresses: own.addresses, implicit: true }] };
    return this.addressFailure(own.failure!, nonExistentDomain(), noMailRecords(domain), input);
  }

  private async smartHost(input: string): Promise<Resolution> {
    const dest = readDestination(input);
    if (dest.type === 'invalid') return asTransient(badDestination(input));
    if (dest.type === 'address') {
      return { ok: true, hosts: [{ name: input.trim(), preference: 0, addresses: [dest.address], implicit: true }] };
    }
    const name = dest.name;
    if (this.hosts) {
      const fromFile = await this.hosts.lookup(name);
      if (fromFile.length > 0) return { ok: true, hosts: [{ name, preference: 0, addresses: fromFile, implicit: true }] };
    }
    const own = await this.addresses(name);
    if (own.addresses.length > 0) return { ok: true, hosts: [{ name, preference: 0, addresses: own.addresses, implicit: true }] };
    if (own.failure!.class !== 'nodata') {
      return asTransient(this.addressFailure(own.failure!, smartHostNonExistent(), smartHostNoAddress(name), input));
    }
    // The name exists without A/AAAA: an MX name is a valid smart host identity.
    let records: MxRecord[];
    try {
      records = await this.lookup.resolveMx(name);
    } catch (err) {
      const c = classifyDnsError(err);
      if (c.class === 'nxdomain') return smartHostNonExistent();
      if (c.class === 'nodata') return smartHostNoAddress(name);
      return asTransient(c.class === 'badname' ? badDestination(input) : queryFailed(c.reason));
    }
    if (records.length === 0) return smartHostNoAddress(name);
    const viaMx = await this.mxHosts(name, records);
    return viaMx.ok ? viaMx : asTransient(viaMx);
  }

  /** The hosts of a non-empty MX record set, or why there are none. */
  private async mxHosts(domain: string, records: MxRecord[]): Promise<Resolution> {
    const isNull = (r: MxRecord) => r.exchange === '' || r.exchange === '.';
    if (records.length === 1 && isNull(records[0])) return nullMx(domain);
    // A "." among other MX records breaks RFC 7505; that record alone is ignored.
    const ordered = orderMx(
      records.filter((r) => !isNull(r)),
      this.random,
    ).slice(0, MAX_MX_HOSTS);
    if (ordered.length === 0) return nullMx(domain);
    const outcomes = await Promise.all(ordered.map((r) => this.addresses(r.exchange)));
    const hosts: MailHost[] = [];
    ordered.forEach((r, i) => {
      if (outcomes[i].addresses.length > 0) {
        hosts.push({ name: r.exchange.replace(/\.$/, '').toLowerCase(), preference: r.priority, addresses: outcomes[i].addresses, implicit: false });
      }
    });
    if (hosts.length > 0) return { ok: true, hosts };
    const transient = outcomes.find((o) => o.failure?.class === 'transient')?.failure;
    const reason = transient ? `DNS query failed with error ${transient.reason}` : 'no A or AAAA record';
    return noUsableHost(domain, reason);
  }

  /** A and AAAA records of `name`, asked together; IPv4 first. */
  private async addresses(name: string): Promise<AddressOutcome> {
    const [a, aaaa] = await Promise.allSettled([this.lookup.resolve4(name), this.lookup.resolve6(name)]);
    const v4 = a.status === 'fulfilled' ? a.value : [];
    const v6 = aaaa.status === 'fulfilled' ? aaaa.value : [];
    const addresses = [...v4, ...v6];
    if (addresses.length > 0) return { addresses, failure: null };
    const errors = [a, aaaa].flatMap((s) => (s.status === 'rejected' ? [classifyDnsError(s.reason)] : []));
    const failure = errors.find((e) => e.class === 'nxdomain') ?? errors.find((e) => e.class === 'transient') ?? errors.find((e) => e.class === 'badname') ?? { class: 'nodata' as const, code: 'ENODATA', reason: 'NoData' };
    return { addresses: [], failure };
  }

  private addressFailure(failure: ClassifiedDnsError, ifNx: Failure, ifNoData: Failure, input: string): Failure {
    switch (failure.class) {
      case 'nxdomain':
        return ifNx;
      case 'nodata':
        return ifNoData;
      case 'badname':
        return badDestination(input);
      case 'transient':
        return queryFailed(failure.reason);
    }
  }

  private withDeadline(work: Promise<Resolution>): Promise<Resolution> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<Resolution>((resolve) => {
      timer = setTimeout(() => resolve(queryFailed('Timeout')), this.deadlineMs);
    });
    return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
  }
}
