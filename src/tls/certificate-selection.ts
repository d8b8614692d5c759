// Which certificate STARTTLS uses (spec exchange-operations.md §6.4): the one
// named by the connector's TlsCertificateName ("<I>issuer<S>subject") when
// set; otherwise, among the server's certificates enabled for SMTP whose
// subject CN or a subject alternative name matches the connector's Fqdn (a
// wildcard covers one label), those usable for TLS now – valid dates, a
// private key, RSA of at least 1024 bits, Server Authentication allowed –
// ranked CA-issued before self-signed, then by the latest NotBefore. Several
// certificates with the TlsCertificateName's issuer and subject (renewals):
// those enabled for SMTP first, then the same order.
// Get-ExchangeCertificate -DomainName lists candidates in the same order.

import { X509Certificate } from 'node:crypto';
import { certificateSchema } from '../config/model/certificate.js';
import type { ModelObject, Repository } from '../store/repository.js';
import { describeCertificate, type CertificateInfo } from './certificate-info.js';
import { commonName, domainMatches, parseTlsCertificateName, sameDn } from './names.js';

export interface SelectedCertificate {
  thumbprint: string;
  subject: string;
  certificatePem: string;
  privateKeyPem: string;
  chainPem?: string;
}

/** Services of a stored certificate, upper-case ("SMTP", "IMAP", ...). */
export function servicesOf(obj: ModelObject): Set<string> {
  return new Set(
    String(obj.values.Services ?? '')
      .split(',')
      .map((s) => s.trim().toUpperCase())
      .filter((s) => s !== '' && s !== 'NONE'),
  );
}

export function isPending(obj: ModelObject): boolean {
  return typeof obj.values.CertificateRequest === 'string' && obj.values.CertificateRequest !== '' && !obj.values.CertificatePem;
}

export function hasPrivateKey(obj: ModelObject): boolean {
  return typeof obj.values.PrivateKey === 'string' && obj.values.PrivateKey !== '';
}

/** Public facts of a stored certificate; null for a pending request or unreadable PEM. */
export function infoOf(obj: ModelObject): CertificateInfo | null {
  if (isPending(obj) || typeof obj.values.CertificatePem !== 'string') return null;
  try {
    return describeCertificate(new X509Certificate(obj.values.CertificatePem));
  } catch {
    return null;
  }
}

/** True when the certificate's subject CN or one of its names covers `name`. */
export function coversName(obj: ModelObject, name: string): boolean {
  const domains = Array.isArray(obj.values.CertificateDomains) ? obj.values.CertificateDomains.map(String) : [];
  const cn = commonName(String(obj.values.Subject ?? ''));
  return [...domains, ...(cn ? [cn] : [])].some((d) => domainMatches(d, name));
}

/** Usable by the transport for TLS at `now`: issued (not pending), in its validity period, with a private key, RSA >= 1024, Server Authentication allowed. */
export function usableForTls(obj: ModelObject, now: Date): boolean {
  const info = infoOf(obj);
  if (!info || !hasPrivateKey(obj)) return false;
  if (now < info.notBefore || now > info.notAfter) return false;
  if (info.keyAlgorithm !== 'rsa' || (info.keySize ?? 0) < 1024) return false;
  return info.serverAuth;
}

/** CA-issued before self-signed, then the latest NotBefore, then thumbprint (stable order). */
export function compareCandidates(a: ModelObject, b: ModelObject): number {
  const sa = a.values.IsSelfSigned === true ? 1 : 0;
  const sb = b.values.IsSelfSigned === true ? 1 : 0;
  if (sa !== sb) return sa - sb;
  const na = infoOf(a)?.notBefore.getTime() ?? 0;
  const nb = infoOf(b)?.notBefore.getTime() ?? 0;
  if (na !== nb) return nb - na;
  return String(a.values.Name).localeCompare(String(b.values.Name));
}

/** The server's certificates STARTTLS could use for `name`, best first (no secrets opened). */
export function smtpCandidates(certs: ModelObject[], name: string, tlsCertificateName: string | null, now: Date): ModelObject[] {
  if (tlsCertificateName) {
    const wanted = parseTlsCertificateName(tlsCertificateName);
    if (!wanted) return [];
    return certs
      .filter((c) => sameDn(String(c.values.Issuer ?? ''), wanted.issuer) && sameDn(String(c.values.Subject ?? ''), wanted.subject) && usableForTls(c, now))
      .sort((a, b) => (servicesOf(a).has('SMTP') ? 0 : 1) - (servicesOf(b).has('SMTP') ? 0 : 1) || compareCandidates(a, b));
  }
  return certs.filter((c) => servicesOf(c).has('SMTP') && coversName(c, name) && usableForTls(c, now)).sort(compareCandidates);
}

export function serverCertificates(repo: Repository, serverName: string): ModelObject[] {
  const server = serverName.toLowerCase();
  return repo.list(certificateSchema).filter((c) => c.server.toLowerCase() === server);
}

/**
 * The certificate (with its private key) for STARTTLS on a connector of
 * `serverName` whose Fqdn is `name`, or null when none qualifies (STARTTLS is
 * then not offered). `tlsCertificateName` is the connector's TlsCertificateName:
 * when set, only that certificate may be used.
 */
export function selectSmtpCertificate(repo: Repository, serverName: string, name: string, tlsCertificateName: string | null, now: Date = new Date()): SelectedCertificate | null {
  const best = smtpCandidates(serverCertificates(repo, serverName), name, tlsCertificateName, now)[0];
  if (!best) return null;
  const privateKeyPem = repo.openSecret(String(best.values.PrivateKey), `${best.schema.typeName}/${best.guid}/PrivateKey`);
  const chain = typeof best.values.ChainPem === 'string' && best.values.ChainPem.trim() !== '' ? best.values.ChainPem : undefined;
  return {
    thumbprint: String(best.values.Name),
    subject: String(best.values.Subject),
    certificatePem: String(best.values.CertificatePem),
    privateKeyPem,
    ...(chain ? { chainPem: chain } : {}),
  };
}

/**
 * The certificate (with its private key) the management endpoint serves: the one enabled for
 * IIS; for a folder set up before IIS was assigned, the newest usable self-signed one (setup's).
 */
export function selectIisCertificate(repo: Repository, serverName: string, now: Date = new Date()): SelectedCertificate | null {
  const usable = serverCertificates(repo, serverName).filter((c) => usableForTls(c, now));
  const best = usable.find((c) => servicesOf(c).has('IIS')) ?? (serverCertificates(repo, serverName).some((c) => servicesOf(c).has('IIS')) ? undefined : usable.filter((c) => c.values.IsSelfSigned === true).sort(compareCandidates)[0]);
  if (!best) return null;
  const chain = typeof best.values.ChainPem === 'string' && best.values.ChainPem.trim() !== '' ? best.values.ChainPem : undefined;
  return {
    thumbprint: String(best.values.Name),
    subject: String(best.values.Subject),
    certificatePem: String(best.values.CertificatePem),
    privateKeyPem: repo.openSecret(String(best.values.PrivateKey), `${best.schema.typeName}/${best.guid}/PrivateKey`),
    ...(chain ? { chainPem: chain } : {}),
  };
}
