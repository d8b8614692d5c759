// Certificates Gatehouse makes itself: the self-signed certificate Setup
// creates for a server, as Exchange does (Subject CN=<server name>, subject
// alternative names <server name> and <FQDN>), the ones New-ExchangeCertificate
// creates, and certificate requests (PKCS #10) for a certification authority.
// RSA with SHA-256, valid five years, usable for TLS server and client
// authentication.

// @peculiar/x509 resolves its ASN.1 schemas through tsyringe, which needs the Reflect metadata API.
import 'reflect-metadata';
import { webcrypto, createHash } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { toPem } from './certificate-info.js';
import { x509NameString } from './names.js';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export interface GeneratedCertificate {
  certificatePem: string;
  privateKeyPem: string;
  thumbprint: string;
  subject: string;
  domains: string[];
  notBefore: Date;
  notAfter: Date;
}

export interface CertificateOptions {
  /** Subject in the Windows display order: "CN=mail.contoso.com, O=Contoso, C=US". */
  subject: string;
  /** Subject alternative names (DNS). */
  domains: string[];
  keySize?: number;
  now?: Date;
}

export interface GeneratedRequest {
  requestPem: string;
  requestDer: Buffer;
  privateKeyPem: string;
  /** SHA-1 of the request, standing in for a thumbprint until the certificate is issued. */
  thumbprint: string;
}

function algorithm(keySize: number) {
  return { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: keySize };
}

function tlsExtensions(domains: string[]): x509.Extension[] {
  return [
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
    new x509.SubjectAlternativeNameExtension(domains.map((d) => ({ type: 'dns' as const, value: d }))),
  ];
}

export async function generateSelfSignedCertificate(o: CertificateOptions): Promise<GeneratedCertificate> {
  const now = o.now ?? new Date();
  const alg = algorithm(o.keySize ?? 2048);
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as CryptoKeyPair;
  const notBefore = new Date(now.getTime() - 60_000);
  const notAfter = new Date(now.getTime());
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + 5);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(16)))
      .toString('hex')
      .replace(/^[89a-f]/, '1'),
    name: x509NameString(o.subject),
    notBefore,
    notAfter,
    signingAlgorithm: alg,
    keys,
    extensions: [new x509.BasicConstraintsExtension(false, undefined, true), ...tlsExtensions(o.domains), await x509.SubjectKeyIdentifierExtension.create(keys.publicKey)],
  });
  return {
    certificatePem: cert.toString('pem') + '\n',
    privateKeyPem: toPem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)),
    thumbprint: createHash('sha1').update(Buffer.from(cert.rawData)).digest('hex').toUpperCase(),
    subject: o.subject,
    domains: o.domains,
    notBefore,
    notAfter,
  };
}

/** Setup's certificate for a server: CN=<server name>, names <server name> and <FQDN>, RSA 2048. */
export async function createSelfSignedCertificate(serverName: string, fqdn: string, now = new Date()): Promise<GeneratedCertificate> {
  const domains = [...new Set([serverName, fqdn].map((d) => d.toLowerCase()))];
  return generateSelfSignedCertificate({ subject: `CN=${serverName}`, domains, keySize: 2048, now });
}

/** A PKCS #10 request with a new key pair (the key stays with the pending request until the certificate is imported). */
export async function generateCertificateRequest(o: CertificateOptions): Promise<GeneratedRequest> {
  const alg = algorithm(o.keySize ?? 2048);
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as CryptoKeyPair;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: x509NameString(o.subject),
    keys,
    signingAlgorithm: alg,
    extensions: tlsExtensions(o.domains),
  });
  const der = Buffer.from(csr.rawData);
  return {
    requestPem: toPem('NEW CERTIFICATE REQUEST', der),
    requestDer: der,
    privateKeyPem: toPem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)),
    thumbprint: createHash('sha1').update(der).digest('hex').toUpperCase(),
  };
}
