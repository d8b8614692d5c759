// Domain Security on the receiving side (Set-ReceiveConnector
// -DomainSecureEnabled $true with Set-TransportConfig
// -TLSReceiveDomainSecureList): mail whose sender domain is on the list must
// arrive over TLS from a client that presented a certificate chaining to a
// trusted root (or imported with Import-ExchangeCertificate) and carrying the
// domain's name; it is then marked domain-secured (AuthAs Partner). Anything
// less is refused with a transient reply, so that the partner's mail waits
// in its queue while the certificates are put right.

import type { PeerCertificate } from 'node:tls';
import { enhancedReply, type SmtpReply } from '../protocol/index.js';
import { domainMatches } from '../../tls/names.js';

/** What the client's certificate proved in the TLS handshake. */
export interface ClientCertificate {
  /** The chain verified against the trusted roots and imported certificates. */
  authorized: boolean;
  /** OpenSSL's reason when it did not (e.g. SELF_SIGNED_CERT_IN_CHAIN). */
  error?: string;
  /** DNS names: the subjectAltName DNS entries, else the subject CN. */
  names: string[];
  subject: string;
}

export function clientCertificateOf(cert: PeerCertificate | null | undefined, authorized: boolean, error: Error | string | null | undefined): ClientCertificate | null {
  if (!cert || Object.keys(cert).length === 0) return null;
  const sans = (cert.subjectaltname ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.startsWith('DNS:'))
    .map((s) => s.slice(4));
  const cn = cert.subject?.CN;
  const cns = Array.isArray(cn) ? cn : cn ? [cn] : [];
  return {
    authorized,
    ...(!authorized && error && { error: String(error instanceof Error ? error.message : error) }),
    names: sans.length > 0 ? sans : cns,
    subject: cns[0] ?? '',
  };
}

export type DomainSecurityVerdict = { kind: 'not-required' } | { kind: 'secured'; domain: string; certificate: ClientCertificate } | { kind: 'refused'; domain: string; reply: SmtpReply; reason: string };

const refusal = (text: string) => enhancedReply(454, '4.7.5', `Domain security failure: ${text}`);

/** The verdict for a MAIL FROM domain on a session. */
export function domainSecurity(senderDomain: string, secureDomains: readonly string[], connectorDomainSecure: boolean, tlsActive: boolean, certificate: ClientCertificate | null): DomainSecurityVerdict {
  const domain = senderDomain.toLowerCase();
  if (!connectorDomainSecure || domain === '' || !secureDomains.includes(domain)) return { kind: 'not-required' };
  if (!tlsActive) return { kind: 'refused', domain, reply: refusal(`mail from ${domain} requires mutual TLS (STARTTLS with a client certificate)`), reason: 'no TLS' };
  if (!certificate) return { kind: 'refused', domain, reply: refusal(`mail from ${domain} requires a client certificate`), reason: 'the client presented no certificate' };
  if (!certificate.authorized) {
    return {
      kind: 'refused',
      domain,
      reply: refusal(`the client certificate for ${domain} could not be validated`),
      reason: `the certificate of ${certificate.subject || 'the client'} is not trusted (${certificate.error ?? 'unknown reason'}); import the partner's certificate or its CA with Import-ExchangeCertificate`,
    };
  }
  if (!certificate.names.some((n) => domainMatches(n, domain))) {
    return { kind: 'refused', domain, reply: refusal(`the client certificate does not carry ${domain}`), reason: `the certificate names ${certificate.names.join(', ') || 'nothing'}, not ${domain}` };
  }
  return { kind: 'secured', domain, certificate };
}
