// MTA-STS policy discovery (RFC 8461 §3): the `_mta-sts.<domain>` TXT record
// and the policy file at https://mta-sts.<domain>/.well-known/mta-sts.txt,
// cached per its max_age (mta-sts-store.ts). mailauth's helpers read the TXT
// record (resolvePolicy), parse the file (parsePolicy) and match MX hosts
// (validateMx); the DNS queries and the HTTPS fetch are ours, so that they go
// only to the configured DNS servers and validate the policy host's
// certificate against the system store plus the certificates trusted in this
// server's store, as outbound TLS does.
//
// Rules (RFC 8461 §3.3, §5.1):
// - TXT id equal to the cached policy's: the cached policy; a different id:
//   fetch anew, and keep the cached one when the fetch fails.
// - No TXT record (or a DNS failure) with a cached policy: the cached policy.
// - The fetch: no redirects, status 200, Content-Type text/plain, at most
//   64 KB, within 15 s (each a failure of its own kind for TLS-RPT).

import https from 'node:https';
import tls from 'node:tls';
import { Resolver } from 'node:dns/promises';
import { parsePolicy, resolvePolicy, validateMx } from 'mailauth/lib/mta-sts.js';
import { DEFAULT_TIMEOUT_MS, DEFAULT_TRIES, nodeServerText, type DnsSettings } from '../dns/dns-settings.js';
import type { CachedPolicy, MtaStsStore, TlsResultType } from './mta-sts-store.js';

const FETCH_TIMEOUT_MS = 15_000;
const MAX_POLICY_BYTES = 64 * 1024;

/** The answer for one recipient domain. */
export type StsLookup = { kind: 'policy'; policy: CachedPolicy; source: 'cache' | 'fetched' } | { kind: 'none' } | { kind: 'error'; resultType: TlsResultType; detail: string; policyId: string };

/** A DNS resolver asking only the given servers, with the (name, rrtype) call mailauth expects. */
export class StsDns {
  private readonly resolver: Resolver;

  constructor(settings: DnsSettings) {
    this.resolver = new Resolver({ timeout: settings.timeoutMs ?? DEFAULT_TIMEOUT_MS, tries: settings.tries ?? DEFAULT_TRIES });
    if (settings.servers.length > 0) this.resolver.setServers(settings.servers.map(nodeServerText));
  }

  readonly resolve = (name: string, rrtype: string): Promise<unknown> => {
    switch (rrtype) {
      case 'TXT':
        return this.resolver.resolveTxt(name);
      case 'A':
        return this.resolver.resolve4(name);
      case 'AAAA':
        return this.resolver.resolve6(name);
      default:
        return Promise.reject(new Error(`unexpected DNS query type ${rrtype}`));
    }
  };

  txt(name: string): Promise<string[][]> {
    return this.resolver.resolveTxt(name);
  }

  /** A and AAAA addresses of a name, IPv4 first; [] when it has none. */
  async addresses(name: string): Promise<string[]> {
    const [a, aaaa] = await Promise.allSettled([this.resolver.resolve4(name), this.resolver.resolve6(name)]);
    return [...(a.status === 'fulfilled' ? a.value : []), ...(aaaa.status === 'fulfilled' ? aaaa.value : [])];
  }
}

class FetchError extends Error {
  constructor(
    readonly resultType: TlsResultType,
    message: string,
  ) {
    super(message);
  }
}

/** GET https://mta-sts.<domain>/.well-known/mta-sts.txt from the address the configured DNS gives. */
export async function fetchPolicyText(domain: string, dns: StsDns, trusted: string[]): Promise<string> {
  const host = `mta-sts.${domain}`;
  const addresses = await dns.addresses(host);
  if (addresses.length === 0) throw new FetchError('sts-policy-fetch-error', `${host} has no A or AAAA record`);
  return new Promise<string>((resolve, reject) => {
    const req = https.request(
      {
        host: addresses[0],
        port: 443,
        path: '/.well-known/mta-sts.txt',
        method: 'GET',
        servername: host,
        headers: { host, 'user-agent': 'Gatehouse' },
        ca: [...tls.rootCertificates, ...trusted],
        rejectUnauthorized: true,
        checkServerIdentity: (_h, cert) => tls.checkServerIdentity(host, cert),
        timeout: FETCH_TIMEOUT_MS,
        agent: false,
      },
      (res) => {
        const status = res.statusCode ?? 0;
        if (status !== 200) {
          res.resume();
          return reject(new FetchError('sts-policy-fetch-error', `https://${host}/.well-known/mta-sts.txt answered HTTP ${status}${status >= 300 && status < 400 ? ' (redirects are not followed)' : ''}`));
        }
        const type = String(res.headers['content-type'] ?? '');
        if (!/^text\/plain\b/i.test(type)) {
          res.resume();
          return reject(new FetchError('sts-policy-invalid', `https://${host}/.well-known/mta-sts.txt has Content-Type "${type}", not text/plain`));
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_POLICY_BYTES) {
            req.destroy(new FetchError('sts-policy-invalid', `the policy file of ${domain} is larger than 64 KB`));
            return;
          }
          chunks.push(c);
        });
        res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new FetchError('sts-policy-fetch-error', `https://${host}/.well-known/mta-sts.txt did not answer within ${FETCH_TIMEOUT_MS / 1000} s`)));
    req.on('error', (err: Error & { code?: string }) => {
      if (err instanceof FetchError) return reject(err);
      const code = err.code ?? '';
      if (/CERT|SELF_SIGNED|UNABLE_TO|ALTNAME|HOSTNAME/.test(code)) return reject(new FetchError('sts-webpki-invalid', `the certificate of ${host} is not valid: ${err.message}`));
      reject(new FetchError('sts-policy-fetch-error', `https://${host}/.well-known/mta-sts.txt: ${err.message}`));
    });
    req.end();
  });
}

/** Whether an MX host name is one the policy allows (mailauth's validateMx). */
export function mxAllowed(policy: CachedPolicy, host: string): boolean {
  return validateMx(host, { mode: policy.mode, mx: policy.mx } as Parameters<typeof validateMx>[1]).valid;
}

export interface StsPoliciesOptions {
  store: MtaStsStore;
  dns: (kind: 'external' | 'internal') => StsDns;
  trustedCertificates: () => string[];
  now?: () => number;
}

/** Policy discovery with the cache (see the file comment). */
export class StsPolicies {
  private readonly now: () => number;

  constructor(private readonly o: StsPoliciesOptions) {
    this.now = o.now ?? Date.now;
  }

  async lookup(domainInput: string, kind: 'external' | 'internal'): Promise<StsLookup> {
    const domain = domainInput.toLowerCase().replace(/\.$/, '');
    const now = this.now();
    const cached = this.o.store.policy(domain, now);
    const dns = this.o.dns(kind);
    let id: string | false;
    try {
      id = await resolvePolicy(domain, { resolver: dns.resolve as never });
    } catch {
      // A DNS failure (or several STSv1 records): the cached policy if any, else none.
      return cached ? { kind: 'policy', policy: cached, source: 'cache' } : { kind: 'none' };
    }
    if (!id) return cached ? { kind: 'policy', policy: cached, source: 'cache' } : { kind: 'none' };
    if (cached && cached.id === id) return { kind: 'policy', policy: cached, source: 'cache' };
    let text: string;
    let parsed: { mode: string; mx?: string[]; maxAge: number };
    try {
      text = await fetchPolicyText(domain, dns, this.o.trustedCertificates());
    } catch (err) {
      if (cached) return { kind: 'policy', policy: cached, source: 'cache' };
      const e = err as Error & { resultType?: TlsResultType };
      return { kind: 'error', resultType: e.resultType ?? 'sts-policy-fetch-error', detail: e.message, policyId: id };
    }
    try {
      parsed = parsePolicy(text) as unknown as { mode: string; mx?: string[]; maxAge: number };
    } catch (err) {
      if (cached) return { kind: 'policy', policy: cached, source: 'cache' };
      return { kind: 'error', resultType: 'sts-policy-invalid', detail: `the policy file of ${domain} is not valid: ${(err as Error).message}`, policyId: id };
    }
    const policy: CachedPolicy = {
      domain,
      id,
      mode: parsed.mode as CachedPolicy['mode'],
      mx: parsed.mx ?? [],
      maxAge: parsed.maxAge,
      lines: text
        .split(/\r?\n/)
        .map((l) => l.trim())
        .filter((l) => l !== ''),
      fetchedAt: now,
      expiresAt: now + parsed.maxAge * 1000,
    };
    this.o.store.savePolicy(policy);
    return { kind: 'policy', policy, source: 'fetched' };
  }
}
