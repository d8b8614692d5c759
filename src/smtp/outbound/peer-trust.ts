// Who may receive a Send connector's credential. AUTH LOGIN/PLAIN hands the
// password to whoever answers, so inside TLS it goes only to a peer that has
// proved it is the smart host: its certificate chains to a certificate this
// server trusts (the system's CAs and those imported with
// Import-ExchangeCertificate) and carries the name the connection was made
// for: the smart host as written in SmartHosts, or for an IP-literal smart host
// that IP address in the certificate's subjectAltName, matched as Node's
// tls.checkServerIdentity does (RFC 6125: DNS SANs before the CN, a "*" for
// exactly one leftmost label, IP SANs for addresses).
//
// Only the connector's own explicit word waives this: TlsAuthLevel
// EncryptionOnly ("encrypt, check nothing"). TlsAuthLevel not set (the default)
// and CertificateValidation check it before AUTH; DomainValidation has checked
// the chain and the name the admin gave (TlsDomain) during the handshake.

import tls from 'node:tls';

/** The parts of a connection policy this decision reads. */
export interface CredentialPolicy {
  tlsAuthLevel: 'EncryptionOnly' | 'CertificateValidation' | 'DomainValidation' | null;
  auth?: unknown;
}

/** True when the credential may be sent only after the peer proved its identity (see above). */
export function credentialNeedsProof(policy: CredentialPolicy): boolean {
  return policy.auth !== undefined && policy.tlsAuthLevel !== 'EncryptionOnly' && policy.tlsAuthLevel !== 'DomainValidation';
}

/** Whether a certificate carries the name a connection was made for. */
export interface PeerIdentity {
  /** The name (or IP address) the certificate must carry. */
  name: string;
  matches: boolean;
  /** Why not, as the identity check says it. */
  reason?: string;
}

/** The name check of tls.checkServerIdentity for `name` (a host name or an IP literal, brackets allowed). */
export function peerIdentity(name: string, cert: tls.PeerCertificate): PeerIdentity {
  const wanted = name.replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
  const err = tls.checkServerIdentity(wanted, cert);
  return err ? { name: wanted, matches: false, reason: err.message } : { name: wanted, matches: true };
}

/** What a TLS session showed about the peer: the chain verdict and the identity check. */
export interface PeerProof {
  /** The chain verified against the trusted certificates. */
  authorized: boolean;
  /** OpenSSL's code when it did not (e.g. DEPTH_ZERO_SELF_SIGNED_CERT). */
  authorizationError?: string;
  /** Absent when the peer presented no certificate. */
  identity?: PeerIdentity;
  /** The names the certificate carries (DNS SANs, else the CN), for the texts. */
  names?: string[];
}

/** Why the credential is withheld: the chain, the name, or both; null when the peer proved itself. */
export interface CredentialRefusal {
  untrusted: { code: string } | null;
  wrongName: { name: string; names: string[] } | null;
  noCertificate: boolean;
}

export function credentialRefusal(proof: PeerProof): CredentialRefusal | null {
  if (!proof.identity) return { untrusted: { code: proof.authorizationError ?? 'NO_PEER_CERTIFICATE' }, wrongName: null, noCertificate: true };
  const untrusted = proof.authorized ? null : { code: proof.authorizationError ?? 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' };
  const wrongName = proof.identity.matches ? null : { name: proof.identity.name, names: proof.names ?? [] };
  return untrusted || wrongName ? { untrusted, wrongName, noCertificate: false } : null;
}
