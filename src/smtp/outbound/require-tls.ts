// REQUIRETLS (RFC 8689 §4.2.1) on the sending side: what a connection must show before a message
// that carries the REQUIRETLS option may go over it, and the texts when it does not.
//
// A REQUIRETLS message is sent only when, on this connection:
//  1. STARTTLS was offered and the TLS handshake succeeded;
//  2. the peer's certificate chains to a trusted certificate (the system's CAs and those imported
//     with Import-ExchangeCertificate), whatever the connector's TlsAuthLevel says;
//  3. the certificate carries the name the connection was made for: the MX host name (DNS
//     delivery) or the smart host as written in SmartHosts (an IP-literal smart host: that address
//     in an IP subjectAltName), matched as RFC 6125 says (peer-trust.ts);
//  4. the EHLO reply inside TLS lists REQUIRETLS, and MAIL FROM then carries the REQUIRETLS option.
// DNSSEC and MTA-STS are not consulted: the MX name is taken from DNS as it is, so step 3 is what
// authenticates the next hop (the RFC's "certificate validation" path).
//
// Enhanced status codes (RFC 8689 §4.2.1 and §6, RFC 5248): 5.7.10 "Encryption needed" for a
// hop without usable TLS or whose certificate does not prove its name; 5.7.30 "REQUIRETLS support
// required" for a hop that does not offer REQUIRETLS.

import { endpointText, type Endpoint } from './classify.js';
import { credentialRefusal, type PeerIdentity } from './peer-trust.js';

/** What a set-up connection showed: its TLS session (null without TLS) and its EHLO keywords. */
export interface RequireTlsEvidence {
  tls: { authorized: boolean; authorizationError?: string; identity?: PeerIdentity; names?: string[] } | null;
  extensions: ReadonlyMap<string, string>;
}

function who(host: string, endpoint: Endpoint): string {
  return `${host} [${endpointText(endpoint)}]`;
}

/** The text for a hop without STARTTLS, or whose handshake failed. */
export function requireTlsNoTlsText(host: string, endpoint: Endpoint, detail?: string): string {
  return `550 5.7.10 REQUIRETLS: ${who(host, endpoint)} ${detail ? `could not negotiate TLS (${detail})` : 'did not offer STARTTLS'}; the message requires TLS (RFC 8689) and was not sent`;
}

/** Why this connection may not carry a REQUIRETLS message (an SMTP reply line), or null when it may. */
export function requireTlsRefusal(host: string, endpoint: Endpoint, evidence: RequireTlsEvidence): string | null {
  if (!evidence.tls) return requireTlsNoTlsText(host, endpoint);
  const refusal = credentialRefusal({
    authorized: evidence.tls.authorized,
    ...(evidence.tls.authorizationError && { authorizationError: evidence.tls.authorizationError }),
    ...(evidence.tls.identity && { identity: evidence.tls.identity }),
    names: evidence.tls.names ?? [],
  });
  if (refusal) {
    const reasons: string[] = [];
    if (refusal.noCertificate) reasons.push('it presented no certificate');
    else {
      if (refusal.untrusted) reasons.push(`its certificate does not chain to a trusted certificate (${refusal.untrusted.code}); import the issuer with Import-ExchangeCertificate if it is yours`);
      if (refusal.wrongName) reasons.push(`its certificate does not carry the name ${refusal.wrongName.name} (it names ${refusal.wrongName.names.join(', ') || 'nothing'})`);
    }
    return `550 5.7.10 REQUIRETLS: ${who(host, endpoint)} could not be authenticated: ${reasons.join('; ')}; the message requires a validated TLS connection (RFC 8689) and was not sent`;
  }
  if (!evidence.extensions.has('REQUIRETLS')) {
    return `550 5.7.30 REQUIRETLS support required: ${who(host, endpoint)} does not offer REQUIRETLS; the message requires it on every hop (RFC 8689) and was not sent`;
  }
  return null;
}
