// Verifies the certificate chain a client presented in a TLS handshake
// against the trusted roots: the system's and the certificates imported with
// Import-ExchangeCertificate (a partner's self-signed certificate is trusted
// by importing it, as on Windows). Used where the server asks for a client
// certificate (Domain Security). The handshake itself already proved that
// the client holds the leaf's private key.

import { X509Certificate } from 'node:crypto';
import { rootCertificates, type DetailedPeerCertificate } from 'node:tls';

const MAX_DEPTH = 10;
let systemRoots: X509Certificate[] | null = null;

function parse(pems: readonly string[]): X509Certificate[] {
  const out: X509Certificate[] = [];
  for (const pem of pems) {
    try {
      out.push(new X509Certificate(pem));
    } catch {
      // An unreadable stored certificate trusts nothing.
    }
  }
  return out;
}

function validityProblem(c: X509Certificate, now: Date): string | null {
  if (now < new Date(c.validFrom)) return 'CERT_NOT_YET_VALID';
  if (now > new Date(c.validTo)) return 'CERT_HAS_EXPIRED';
  return null;
}

/** `issuer` signed `c` and may sign certificates (a CA), or `c` is `issuer` itself (self-signed). */
function signedBy(c: X509Certificate, issuer: X509Certificate): boolean {
  try {
    return c.issuer === issuer.subject && (issuer.ca || issuer.fingerprint256 === c.fingerprint256) && c.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

/**
 * null when the chain leads to a trusted certificate, else an OpenSSL-style reason
 * (DEPTH_ZERO_SELF_SIGNED_CERT, UNABLE_TO_GET_ISSUER_CERT, CERT_HAS_EXPIRED, ...).
 */
export function clientChainProblem(peer: DetailedPeerCertificate | null | undefined, importedPem: readonly string[], now = new Date()): string | null {
  if (!peer?.raw) return 'NO_CERTIFICATE';
  systemRoots ??= parse(rootCertificates);
  const trusted = [...parse(importedPem), ...systemRoots];
  let node: DetailedPeerCertificate = peer;
  let cert = new X509Certificate(peer.raw);
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    const invalid = validityProblem(cert, now);
    if (invalid) return invalid;
    if (trusted.some((t) => t.fingerprint256 === cert.fingerprint256)) return null;
    const anchor = trusted.find((t) => signedBy(cert, t));
    if (anchor) return validityProblem(anchor, now);
    const next = node.issuerCertificate;
    if (!next?.raw || next === node || next.fingerprint256 === node.fingerprint256) {
      return signedBy(cert, cert) ? (depth === 0 ? 'DEPTH_ZERO_SELF_SIGNED_CERT' : 'SELF_SIGNED_CERT_IN_CHAIN') : 'UNABLE_TO_GET_ISSUER_CERT';
    }
    const issuer = new X509Certificate(next.raw);
    if (!signedBy(cert, issuer)) return 'CERT_SIGNATURE_FAILURE';
    node = next;
    cert = issuer;
  }
  return 'CERT_CHAIN_TOO_LONG';
}
