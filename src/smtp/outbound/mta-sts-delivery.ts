// MTA-STS (RFC 8461 §4, §5) applied to one delivery attempt of a DNS-routed
// queue, and the TLS-RPT (RFC 8460) outcome of each session it opens.
//
// - enforce: only MX hosts the policy names are tried; each connection must
//   use STARTTLS, and its certificate must chain to a trusted certificate (the
//   system store plus the server's) and carry the MX host's name. Otherwise no
//   message is sent over it, and the refusal (domain, mode, host, what
//   failed) becomes the queue's LastError: the mail waits and is retried.
// - testing: delivery goes on as usual; the same checks are made and their
//   failures recorded for the TLS report (and logged).
// - none, or no policy: delivery as usual; sessions are counted as
//   no-policy-found (with TLS: success; without: starttls-not-supported).
// - A policy that cannot be fetched (and none cached) counts as a failure of
//   its kind (sts-policy-fetch-error, sts-policy-invalid, sts-webpki-invalid)
//   and delivery goes on as without a policy (RFC 8461 §5).

import type { Logger } from '../../observability/logger.js';
import type { CachedPolicy, TlsSessionResult, TlsResultType } from '../../mta-sts/mta-sts-store.js';
import { mxAllowed, type StsLookup } from '../../mta-sts/sts-policy.js';
import { STARTTLS_REQUIRED_TEXT } from './classify.js';
import type { ConnectFailure, OutboundPolicy, OutboundTarget, TlsSessionInfo } from './connection.js';

/** What delivery needs for MTA-STS: policy lookup and the TLS-RPT counter. */
export interface MtaStsHooks {
  lookup(domain: string, dns: 'external' | 'internal'): Promise<StsLookup>;
  record(result: TlsSessionResult): void;
}

type Verdict = { ok: true } | { ok: false; resultType: TlsResultType; what: string; reason: string };

/** One delivery attempt's MTA-STS state for a next-hop domain. */
export class StsAttempt {
  private constructor(
    private readonly hooks: MtaStsHooks,
    readonly domain: string,
    readonly policy: CachedPolicy | null,
    private readonly log: Logger,
    private readonly now: () => number,
  ) {}

  static async begin(hooks: MtaStsHooks, domain: string, dns: 'external' | 'internal', log: Logger, now: () => number): Promise<StsAttempt> {
    const found = await hooks.lookup(domain, dns);
    if (found.kind === 'error') {
      hooks.record({ at: now(), policyDomain: domain, policyType: 'sts', policyString: [], mxHost: [], resultType: found.resultType, failureReasonCode: found.detail });
      log.log('warn', 'mtasts.policy.failed', { domain, policyId: found.policyId, resultType: found.resultType, error: found.detail, action: 'delivery goes on without an MTA-STS policy; the failure is in the next TLS report' });
    }
    const policy = found.kind === 'policy' && found.policy.mode !== 'none' ? found.policy : null;
    if (found.kind === 'policy' && found.source === 'fetched') log.log('info', 'mtasts.policy.fetched', { domain, policyId: found.policy.id, mode: found.policy.mode, mx: found.policy.mx, maxAge: found.policy.maxAge });
    return new StsAttempt(hooks, domain, policy, log, now);
  }

  get enforcing(): boolean {
    return this.policy?.mode === 'enforce';
  }

  private describe(): string {
    return `MTA-STS policy of ${this.domain} (mode ${this.policy!.mode}, id ${this.policy!.id})`;
  }

  /**
   * The targets this attempt may use. enforce: only MX hosts the policy names; when none is left,
   * `refusal` is the queue's LastError. testing: all of them, the mismatches recorded.
   */
  screen(targets: OutboundTarget[]): { targets: OutboundTarget[]; refusal?: string } {
    if (!this.policy) return { targets };
    const allowed = targets.filter((t) => mxAllowed(this.policy!, t.host));
    const refused = [...new Set(targets.filter((t) => !allowed.includes(t)).map((t) => t.host))];
    for (const host of refused) {
      this.record({ resultType: 'validation-failure', receivingMxHostname: host, failureReasonCode: `MX host not named by the policy (mx: ${this.policy.mx.join(', ')})` });
    }
    if (refused.length > 0 && !this.enforcing) {
      this.log.log('warn', 'mtasts.testing.failure', {
        domain: this.domain,
        policyId: this.policy.id,
        resultType: 'validation-failure',
        mxHosts: refused,
        policyMx: this.policy.mx,
        action: 'delivered anyway (mode testing); in the next TLS report',
      });
    }
    if (!this.enforcing) return { targets };
    if (allowed.length === 0) {
      return { targets: [], refusal: `451 4.7.5 ${this.describe()} refused delivery: none of the MX hosts (${refused.join(', ')}) is named by the policy (mx: ${this.policy.mx.join(', ')}); the message waits in the queue` };
    }
    return { targets: allowed };
  }

  /** The connection policy: TLS required under enforce; the chain judged against the trusted certificates always. */
  connectionPolicy(p: OutboundPolicy): OutboundPolicy {
    return this.enforcing ? { ...p, tls: 'required', verifyChain: true } : { ...p, verifyChain: true };
  }

  /**
   * The MTA-STS verdict on one connection attempt (recorded for TLS-RPT). Returns the refusal text
   * when the policy is enforced and the session does not satisfy it, else null.
   */
  check(target: OutboundTarget, conn: { tls?: TlsSessionInfo | { protocol: string; cipher: string; authorized: boolean } | null } | ConnectFailure): string | null {
    let verdict: Verdict;
    if ('text' in conn) {
      if (conn.stage !== 'tls') return null; // no TLS session was reached: not counted
      verdict =
        conn.text === STARTTLS_REQUIRED_TEXT
          ? { ok: false, resultType: 'starttls-not-supported', what: 'did not offer STARTTLS', reason: 'STARTTLS not offered' }
          : { ok: false, resultType: 'validation-failure', what: `failed the TLS negotiation (${conn.text})`, reason: 'TLS negotiation failed' };
    } else {
      verdict = judge(target.host, conn.tls ?? null);
    }
    if (verdict.ok) {
      this.record({ resultType: null, receivingMxHostname: target.host, receivingIp: target.address });
      return null;
    }
    if (!this.policy && verdict.resultType !== 'starttls-not-supported') {
      // Without a policy only a missing STARTTLS is worth reporting; certificates are not checked.
      if ('text' in conn) return null;
      this.record({ resultType: null, receivingMxHostname: target.host, receivingIp: target.address });
      return null;
    }
    this.record({ resultType: verdict.resultType, receivingMxHostname: target.host, receivingIp: target.address, failureReasonCode: verdict.reason });
    if (!this.policy) return null;
    const text = `451 4.7.5 ${this.describe()} refused delivery: ${target.host} [${target.address}] ${verdict.what}`;
    if (!this.enforcing) {
      this.log.log('warn', 'mtasts.testing.failure', {
        domain: this.domain,
        policyId: this.policy.id,
        resultType: verdict.resultType,
        target: `${target.host} [${target.address}]`,
        error: verdict.what,
        action: 'delivered anyway (mode testing); in the next TLS report',
      });
      return null;
    }
    this.log.log('warn', 'mtasts.enforce.refused', { domain: this.domain, policyId: this.policy.id, resultType: verdict.resultType, target: `${target.host} [${target.address}]`, error: verdict.what });
    return text;
  }

  private record(r: { resultType: TlsResultType | null; receivingMxHostname?: string; receivingIp?: string; failureReasonCode?: string }): void {
    try {
      this.hooks.record({
        at: this.now(),
        policyDomain: this.domain,
        policyType: this.policy ? 'sts' : 'no-policy-found',
        policyString: this.policy?.lines ?? [],
        mxHost: this.policy?.mx ?? [],
        ...r,
      });
    } catch (err) {
      this.log.log('warn', 'tlsrpt.record.failed', { domain: this.domain, error: (err as Error).message });
    }
  }
}

/** RFC 8461 §4.2: TLS, a chain to a trusted certificate, and the MX host's name on the certificate. */
function judge(host: string, info: TlsSessionInfo | { protocol: string; cipher: string; authorized: boolean } | null): Verdict {
  if (!info) return { ok: false, resultType: 'starttls-not-supported', what: 'did not offer STARTTLS', reason: 'STARTTLS not offered' };
  const full = info as TlsSessionInfo;
  if (!info.authorized) {
    const code = full.authorizationError ?? 'UNKNOWN';
    if (code === 'CERT_HAS_EXPIRED') return { ok: false, resultType: 'certificate-expired', what: `presented an expired certificate (valid to ${full.certificate?.validTo ?? '?'})`, reason: code };
    return { ok: false, resultType: 'certificate-not-trusted', what: `presented a certificate that does not chain to a trusted certificate (${code}; issuer ${full.certificate?.issuer || '?'})`, reason: code };
  }
  if (full.identity && !full.identity.matches) {
    return { ok: false, resultType: 'certificate-host-mismatch', what: `presented a certificate that does not carry the name ${host} (it names ${full.certificate?.names.join(', ') || 'nothing'})`, reason: 'certificate name mismatch' };
  }
  return { ok: true };
}
