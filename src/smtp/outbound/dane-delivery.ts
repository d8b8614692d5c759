// DANE for SMTP (RFC 7672) applied to one delivery attempt of a DNS-routed
// queue (Send connectors with DaneEnabled, the default).
//
// - The TLSA records of each MX host are looked up with DNSSEC-aware queries
//   to the connector's DNS servers (dns/dane-records.ts). Nothing changes for
//   a domain whose servers do not validate or whose records are unsigned.
// - A host with usable TLSA records is connected to with STARTTLS required
//   and the certificate checked against them at the handshake
//   (smtp/outbound/dane-check.ts); the connector's TlsAuthLevel does not
//   apply there (DANE replaces the CA checks, RFC 7672 §3.1).
// - A host whose TLSA lookup failed (bogus, no answer) is not used; when no
//   host is left the attempt's LastError says why and the mail waits.
// - When DANE applies to any MX host of the domain, MTA-STS is not used for
//   it (RFC 8461 §2: DANE takes precedence).

import type { Logger } from '../../observability/logger.js';
import { daneHostStates, tlsaText, type DaneHostState } from '../../dns/dane-records.js';
import type { SecureLookup } from '../../dns/dnssec-lookup.js';
import type { OutboundPolicy, OutboundTarget } from './connection.js';

export class DaneAttempt {
  private constructor(
    readonly domain: string,
    private readonly states: Map<string, DaneHostState>,
  ) {}

  static async begin(lookup: SecureLookup, domain: string, targets: OutboundTarget[], log: Logger): Promise<DaneAttempt> {
    const d = domain.toLowerCase();
    const port = targets[0]?.port ?? 25;
    const states = await daneHostStates(
      lookup,
      d,
      targets.map((t) => t.host),
      port,
    );
    for (const [host, st] of states) {
      if (st.kind === 'dane') log.log('info', 'dane.tlsa.found', { domain: d, host, port, tlsa: st.tlsa.map(tlsaText) });
      else if (st.kind === 'failed') log.log('warn', 'dane.tlsa.failed', { domain: d, host, port, error: st.reason, action: 'the host is not used' });
    }
    return new DaneAttempt(d, states);
  }

  /** DANE applies to at least one host of the domain (a usable TLSA record, or a failed TLSA lookup of a secure host). */
  get applies(): boolean {
    return [...this.states.values()].some((s) => s.kind !== 'none');
  }

  /** The targets that may be used; when none is left, `refusal` is the queue's LastError. */
  screen(targets: OutboundTarget[]): { targets: OutboundTarget[]; refusal?: string } {
    const failed = (t: OutboundTarget) => this.states.get(t.host.toLowerCase())?.kind === 'failed';
    const usable = targets.filter((t) => !failed(t));
    if (usable.length > 0) return { targets: usable };
    const reasons = [...new Set(targets.map((t) => (this.states.get(t.host.toLowerCase()) as { reason: string }).reason))];
    return { targets: [], refusal: `451 4.7.5 DANE: no MX host of ${this.domain} can be used: ${reasons.join('; ')}; the message waits in the queue` };
  }

  /** The connection policy for one host: with TLSA records, STARTTLS required and the DANE check. */
  policy(host: string, base: OutboundPolicy): OutboundPolicy {
    const st = this.states.get(host.toLowerCase());
    if (st?.kind !== 'dane') return base;
    const { verifyChain: _unused, ...rest } = base;
    return { ...rest, tls: 'required', tlsAuthLevel: null, dane: { tlsa: st.tlsa, names: [host.toLowerCase(), this.domain] } };
  }
}
