// The self-signed certificate Setup creates for a server, as Exchange does:
// Subject CN=<server name>, subject alternative names <server name> and
// <FQDN>, RSA 2048 with SHA-256, valid five years, usable for TLS server and
// client authentication. The Receive connectors' Fqdn must match it.

// @peculiar/x509 resolves its ASN.1 schemas through tsyringe, which needs the Reflect metadata API.
import 'reflect-metadata';
import { webcrypto, createHash } from 'node:crypto';
import * as x509 from '@peculiar/x509';

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

function pem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n').replace(/\n?$/, '\n');
  return `-----BEGIN ${label}-----\n${b64}-----END ${label}-----\n`;
}

export async function createSelfSignedCertificate(serverName: string, fqdn: string, now = new Date()): Promise<GeneratedCertificate> {
  const alg = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 };
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as CryptoKeyPair;
  const notBefore = new Date(now.getTime() - 60_000);
  const notAfter = new Date(now.getTime());
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + 5);
  const domains = [...new Set([serverName, fqdn].map((d) => d.toLowerCase()))];
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(16))).toString('hex').replace(/^[89a-f]/, '1'),
    name: `CN=${serverName}`,
    notBefore,
    notAfter,
    signingAlgorithm: alg,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      new x509.SubjectAlternativeNameExtension(domains.map((d) => ({ type: 'dns' as const, value: d }))),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const der = cert.rawData;
  return {
    certificatePem: cert.toString('pem') + '\n',
    privateKeyPem: pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)),
    thumbprint: createHash('sha1').update(Buffer.from(der)).digest('hex').toUpperCase(),
    subject: `CN=${serverName}`,
    domains,
    notBefore,
    notAfter,
  };
}
