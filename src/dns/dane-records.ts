// Which DANE TLSA records (RFC 6698, RFC 7672) apply to the MX hosts of one
// recipient domain, from DNSSEC-aware lookups (dnssec-lookup.ts).
//
// Per host, one of:
// - dane: the domain's MX records (or, for an implicit MX, the domain's
//   authenticated denial of MX), the host's address records and its TLSA
//   records `_<port>._tcp.<host>` were all authenticated (AD), and at least
//   one TLSA record is usable: usage DANE-TA(2) or DANE-EE(3) (PKIX-TA(0) and
//   PKIX-EE(1) are not for SMTP, RFC 7672 §3.1.3), selector 0 or 1, matching
//   type 0, 1 (32-octet SHA-256) or 2 (64-octet SHA-512).
// - none: something on the way was insecure (no AD), there are no TLSA
//   records (authenticated denial), or none is usable: ordinary delivery.
// - failed: the MX and address records were secure but the TLSA lookup gave
//   no usable answer (SERVFAIL from a validating resolver = bogus, or no
//   answer at all): RFC 7672 §2.2 says the host must not be used.

import type { SecureLookup, TlsaRecord } from './dnssec-lookup.js';

export type { TlsaRecord } from './dnssec-lookup.js';

export type DaneHostState = { kind: 'dane'; tlsa: TlsaRecord[] } | { kind: 'none'; why: string } | { kind: 'failed'; reason: string };

/** True for a record this implementation can use for SMTP (see the file comment). */
export function usableTlsa(r: TlsaRecord): boolean {
  if (r.usage !== 2 && r.usage !== 3) return false;
  if (r.selector !== 0 && r.selector !== 1) return false;
  if (r.matchingType === 0) return r.data.length > 0;
  if (r.matchingType === 1) return r.data.length === 32;
  if (r.matchingType === 2) return r.data.length === 64;
  return false;
}

/** "3 1 1 ab12cd34…" for logs and texts. */
export function tlsaText(r: TlsaRecord): string {
  const hex = r.data.toString('hex');
  return `${r.usage} ${r.selector} ${r.matchingType} ${hex.length > 16 ? `${hex.slice(0, 16)}…` : hex}`;
}

/** The DANE state of each host (lower case, no trailing dot) of `domain`, for SMTP on `port`. */
export async function daneHostStates(lookup: SecureLookup, domain: string, hosts: string[], port: number): Promise<Map<string, DaneHostState>> {
  const out = new Map<string, DaneHostState>();
  const names = [...new Set(hosts.map((h) => h.toLowerCase().replace(/\.$/, '')))];
  const d = domain.toLowerCase().replace(/\.$/, '');
  let mx;
  try {
    mx = await lookup.query(d, 'MX');
  } catch {
    for (const h of names) out.set(h, { kind: 'none', why: `the MX lookup of ${d} got no answer` });
    return out;
  }
  if (mx.rcode !== 'NOERROR' || !mx.authenticated) {
    for (const h of names) out.set(h, { kind: 'none', why: `the MX records of ${d} are not DNSSEC-authenticated` });
    return out;
  }
  const exchanges = new Set(mx.mx.map((r) => r.exchange));
  await Promise.all(
    names.map(async (host) => {
      const viaMx = exchanges.has(host) || (mx.mx.length === 0 && host === d);
      out.set(host, viaMx ? await hostState(lookup, host, port) : { kind: 'none', why: `${host} is not an authenticated MX host of ${d}` });
    }),
  );
  return out;
}

async function hostState(lookup: SecureLookup, host: string, port: number): Promise<DaneHostState> {
  try {
    let addr = await lookup.query(host, 'A');
    if (addr.rcode === 'NOERROR' && addr.addresses.length === 0) addr = await lookup.query(host, 'AAAA');
    if (addr.rcode !== 'NOERROR' || !addr.authenticated) return { kind: 'none', why: `the address records of ${host} are not DNSSEC-authenticated` };
  } catch {
    return { kind: 'none', why: `the address lookup of ${host} got no answer` };
  }
  const name = `_${port}._tcp.${host}`;
  let tlsa;
  try {
    tlsa = await lookup.query(name, 'TLSA');
  } catch (err) {
    return { kind: 'failed', reason: `the TLSA lookup of ${name} got no answer (${(err as Error).message})` };
  }
  if (tlsa.rcode !== 'NOERROR' && tlsa.rcode !== 'NXDOMAIN') {
    return { kind: 'failed', reason: `the TLSA lookup of ${name} failed with ${tlsa.rcode}${tlsa.rcode === 'SERVFAIL' ? ' (DNSSEC validation failed or the zone is unreachable)' : ''}` };
  }
  if (!tlsa.authenticated) return { kind: 'none', why: `the TLSA answer for ${name} is not DNSSEC-authenticated` };
  if (tlsa.tlsa.length === 0) return { kind: 'none', why: `${name} has no TLSA record` };
  const usable = tlsa.tlsa.filter(usableTlsa);
  if (usable.length === 0) return { kind: 'none', why: `none of the TLSA records of ${name} is usable for SMTP (${tlsa.tlsa.map(tlsaText).join('; ')})` };
  return { kind: 'dane', tlsa: usable };
}
