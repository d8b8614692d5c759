// What Import-ExchangeCertificate reads: PEM text (certificates, optionally
// with the private key – plain or encrypted – and the chain), a DER
// certificate, PKCS #7 (.p7b, PEM or DER) and PKCS #12 (.pfx/.p12). The result
// is the end-entity certificate, its key when the data holds it, and the
// other certificates as the chain.

import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { ContentInfo, id_signedData } from '@peculiar/asn1-cms';
import { AsnConvert } from '@peculiar/asn1-schema';
import * as asn1js from 'asn1js';
import { isPkcs12, Pkcs12Error, readPkcs12 } from './pkcs12.js';

export class ImportError extends Error {
  override name = 'ImportError';
  constructor(
    message: string,
    readonly kind: 'password' | 'format' | 'unsupported' | 'key',
  ) {
    super(message);
  }
}

export interface ImportedCertificate {
  certificate: X509Certificate;
  privateKey: KeyObject | null;
  chain: X509Certificate[];
  friendlyName?: string;
}

function pkcs7Certificates(der: Buffer): X509Certificate[] {
  const ci = AsnConvert.parse(der, ContentInfo);
  if (ci.contentType !== id_signedData) throw new ImportError('the PKCS #7 data is not a certificate bundle (signedData).', 'format');
  // SignedData ::= SEQUENCE { version, digestAlgorithms, encapContentInfo, certificates [0] IMPLICIT SET OF ... OPTIONAL, ... }
  const signed = asn1js.fromBER(ci.content).result;
  if (!(signed instanceof asn1js.Sequence)) throw new ImportError('the PKCS #7 data is damaged.', 'format');
  const certs = signed.valueBlock.value.find((c) => c.idBlock.tagClass === 3 && c.idBlock.tagNumber === 0 && c.idBlock.isConstructed) as asn1js.Constructed | undefined;
  // Each certificate exactly as it came (its thumbprint is over these bytes).
  return (certs?.valueBlock.value ?? []).map((c) => new X509Certificate(Buffer.from(c.valueBeforeDecodeView)));
}

function readPem(text: string, password: string | null, certs: X509Certificate[], keys: KeyObject[]): void {
  const re = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;
  for (const m of text.matchAll(re)) {
    const label = m[1];
    const block = m[0];
    const der = Buffer.from(m[2].replace(/^[A-Za-z-]+:.*$/gm, '').replace(/\s+/g, ''), 'base64');
    switch (label) {
      case 'CERTIFICATE':
      case 'X509 CERTIFICATE':
      case 'TRUSTED CERTIFICATE':
        certs.push(new X509Certificate(der));
        break;
      case 'PKCS7':
      case 'CERTIFICATE CHAIN':
        certs.push(...pkcs7Certificates(der));
        break;
      case 'PRIVATE KEY':
      case 'RSA PRIVATE KEY':
      case 'EC PRIVATE KEY':
        if (/Proc-Type:\s*4,ENCRYPTED/.test(block) && password === null) throw new ImportError('the private key in the PEM text is encrypted: give its password with -Password.', 'password');
        try {
          keys.push(createPrivateKey({ key: block, format: 'pem', ...(password !== null ? { passphrase: password } : {}) }));
        } catch {
          throw new ImportError(/ENCRYPTED/.test(block) ? 'the password is not correct for the encrypted private key.' : 'the private key in the PEM text cannot be read.', /ENCRYPTED/.test(block) ? 'password' : 'format');
        }
        break;
      case 'ENCRYPTED PRIVATE KEY':
        if (password === null) throw new ImportError('the private key in the PEM text is encrypted: give its password with -Password.', 'password');
        try {
          keys.push(createPrivateKey({ key: block, format: 'pem', passphrase: password }));
        } catch {
          throw new ImportError('the password is not correct for the encrypted private key.', 'password');
        }
        break;
      case 'CERTIFICATE REQUEST':
      case 'NEW CERTIFICATE REQUEST':
        throw new ImportError('this is a certificate request, not a certificate: send it to the certification authority and import the certificate it issues.', 'format');
      default:
        break;
    }
  }
}

/** The end-entity certificate: the one matching the key, else the one that issued none of the others. */
function pickLeaf(certs: X509Certificate[], key: KeyObject | null): X509Certificate {
  if (key) {
    const match = certs.find((c) => {
      try {
        return c.checkPrivateKey(key);
      } catch {
        return false;
      }
    });
    if (!match) throw new ImportError('the private key does not belong to any certificate in the data.', 'key');
    return match;
  }
  return certs.find((c) => !certs.some((o) => o !== c && o.checkIssued(c))) ?? certs[0];
}

/** Reads certificate data in any of the accepted formats; `password` null when none was given. */
export function readCertificateData(data: Buffer, password: string | null): ImportedCertificate {
  const certs: X509Certificate[] = [];
  const keys: KeyObject[] = [];
  let friendlyName: string | undefined;
  const text = data.toString('latin1');
  try {
    if (text.includes('-----BEGIN ')) {
      readPem(text, password, certs, keys);
    } else if (isPkcs12(data)) {
      const p12 = readPkcs12(data, password ?? '');
      certs.push(...p12.certificates.map((c) => c.cert));
      keys.push(...p12.keys.map((k) => k.key));
      friendlyName = p12.certificates.find((c) => c.keyId && p12.keys.some((k) => k.keyId === c.keyId))?.friendlyName ?? p12.keys[0]?.friendlyName;
    } else {
      try {
        certs.push(new X509Certificate(data));
      } catch {
        certs.push(...pkcs7Certificates(data));
      }
    }
  } catch (err) {
    if (err instanceof ImportError) throw err;
    if (err instanceof Pkcs12Error) {
      throw new ImportError(err.kind === 'password' && password === null ? 'the PKCS #12 (.pfx) file is protected by a password: give it with -Password.' : err.message, err.kind);
    }
    throw new ImportError('the data is not a certificate: Import-ExchangeCertificate reads PEM text, DER (.cer), PKCS #7 (.p7b) and PKCS #12 (.pfx, .p12) files.', 'format');
  }
  if (certs.length === 0) throw new ImportError(keys.length ? 'the data holds a private key but no certificate.' : 'the data holds no certificate.', 'format');
  if (keys.length > 1) throw new ImportError('the data holds more than one private key; import one certificate with its key at a time.', 'format');
  const key = keys[0] ?? null;
  const leaf = pickLeaf(certs, key);
  return { certificate: leaf, privateKey: key, chain: certs.filter((c) => c !== leaf && c.raw.compare(leaf.raw) !== 0), friendlyName };
}
