// The public facts Gatehouse keeps and shows about a certificate, read from
// its PEM: thumbprint, subject and issuer in the Windows order, the names it
// is valid for, validity, key size and whether it may serve TLS.

import { createHash, X509Certificate } from 'node:crypto';
import { certificateDomains, displayName } from './names.js';

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const ANY_EKU = '2.5.29.37.0';

export interface CertificateInfo {
  thumbprint: string;
  subject: string;
  issuer: string;
  domains: string[];
  notBefore: Date;
  notAfter: Date;
  isSelfSigned: boolean;
  serialNumber: string;
  keyAlgorithm: string;
  keySize: number | null;
  /** Extended key usage absent, or containing Server Authentication. */
  serverAuth: boolean;
}

export function thumbprintOf(der: Buffer): string {
  return createHash('sha1').update(der).digest('hex').toUpperCase();
}

export function describeCertificate(cert: X509Certificate): CertificateInfo {
  // Issued by itself: same name, and its own key verifies the signature (checkIssued would also
  // require keyCertSign, which self-signed server certificates usually lack).
  let selfSigned = false;
  if (cert.subject === cert.issuer) {
    try {
      selfSigned = cert.verify(cert.publicKey);
    } catch {
      selfSigned = false;
    }
  }
  const eku = cert.keyUsage as string[] | undefined;
  const details = cert.publicKey.asymmetricKeyDetails;
  return {
    thumbprint: thumbprintOf(cert.raw),
    subject: displayName(cert.subject),
    issuer: displayName(cert.issuer),
    domains: certificateDomains(cert),
    notBefore: new Date(cert.validFrom),
    notAfter: new Date(cert.validTo),
    isSelfSigned: selfSigned,
    serialNumber: cert.serialNumber.toUpperCase(),
    keyAlgorithm: cert.publicKey.asymmetricKeyType ?? 'unknown',
    keySize: details?.modulusLength ?? null,
    serverAuth: !eku || eku.length === 0 || eku.includes(SERVER_AUTH) || eku.includes(ANY_EKU),
  };
}

/** PEM text of one DER object. */
export function toPem(label: string, der: ArrayBuffer | Uint8Array): string {
  const b64 = Buffer.from(der as ArrayBuffer)
    .toString('base64')
    .replace(/.{64}/g, '$&\n')
    .replace(/\n?$/, '\n');
  return `-----BEGIN ${label}-----\n${b64}-----END ${label}-----\n`;
}
