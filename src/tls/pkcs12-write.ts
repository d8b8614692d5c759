// Writing PKCS #12 (.pfx) files (RFC 7292) for Export-ExchangeCertificate
// -Password: the certificates in a certificate bag, the private key in a
// shrouded key bag encrypted with PBES2 (PBKDF2-SHA256, AES-256-CBC, as
// OpenSSL 3 and current Windows write them), both tied by a local key id and
// the friendly name, and an HMAC-SHA256 integrity MAC over the contents.
// Windows, OpenSSL and Import-ExchangeCertificate read the result. The
// structures are @peculiar/asn1-pfx's, encoded as DER by @peculiar/asn1-schema.

import { createHash, createHmac, createPrivateKey, randomBytes, X509Certificate } from 'node:crypto';
import { ContentInfo } from '@peculiar/asn1-cms';
import { AuthenticatedSafe, CertBag, MacData, PFX, PKCS12Attribute, SafeBag, SafeContents } from '@peculiar/asn1-pfx';
import { DigestInfo } from '@peculiar/asn1-rsa';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import * as asn1js from 'asn1js';
import { pkcs12Kdf } from './pkcs12.js';

const OID = {
  data: '1.2.840.113549.1.7.1',
  shroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  friendlyName: '1.2.840.113549.1.9.20',
  localKeyId: '1.2.840.113549.1.9.21',
  sha256: '2.16.840.1.101.3.4.2.1',
};

const MAC_ITERATIONS = 2048;

/** The DER of an OCTET STRING holding `bytes`. */
function octetString(bytes: Buffer): ArrayBuffer {
  return AsnConvert.serialize(new OctetString(bytes));
}

/** The DER of a BMPString (friendlyName). */
function bmpString(text: string): ArrayBuffer {
  return new asn1js.BmpString({ value: text }).toBER();
}

/** The password as PKCS #12's own KDF wants it: UTF-16BE with a terminating zero. */
function bmpPassword(password: string): Buffer {
  const b = Buffer.alloc(password.length * 2 + 2);
  for (let i = 0; i < password.length; i++) b.writeUInt16BE(password.charCodeAt(i), i * 2);
  return b;
}

/** A bag attribute. (PKCS12Attribute's constructor drops its parameters: the fields are set after it.) */
function attribute(attrId: string, value: ArrayBuffer): PKCS12Attribute {
  return Object.assign(new PKCS12Attribute(), { attrId, attrValues: [value] });
}

function contentInfoData(content: ArrayBuffer | Buffer): ContentInfo {
  return new ContentInfo({ contentType: OID.data, content: octetString(Buffer.isBuffer(content) ? content : Buffer.from(content)) });
}

export interface Pkcs12Input {
  /** The certificate first, then its chain (PEM each; a PEM may hold several). */
  certificatesPem: string[];
  privateKeyPem: string;
  friendlyName?: string;
  password: string;
}

/** Splits PEM text into the DER of each certificate in it. */
function certificatesDer(pems: string[]): Buffer[] {
  const blocks = pems.join('\n').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((b) => new X509Certificate(b).raw);
}

export function writePkcs12(input: Pkcs12Input): Buffer {
  const certs = certificatesDer(input.certificatesPem);
  if (certs.length === 0) throw new Error('no certificate to export');
  const keyId = createHash('sha1').update(certs[0]).digest();
  const bagAttributes = (): PKCS12Attribute[] => [attribute(OID.localKeyId, octetString(keyId)), ...(input.friendlyName ? [attribute(OID.friendlyName, bmpString(input.friendlyName))] : [])];
  const certBags = certs.map(
    (der, i) =>
      new SafeBag({
        bagId: OID.certBag,
        bagValue: AsnConvert.serialize(new CertBag({ certId: OID.x509Certificate, certValue: octetString(der) })),
        ...(i === 0 && { bagAttributes: bagAttributes() }),
      }),
  );
  // Node writes PKCS #8 EncryptedPrivateKeyInfo with PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC).
  const encryptedKey = createPrivateKey(input.privateKeyPem).export({ format: 'der', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: input.password }) as Buffer;
  const keyBag = new SafeBag({ bagId: OID.shroudedKeyBag, bagValue: new Uint8Array(encryptedKey).buffer, bagAttributes: bagAttributes() });
  const authenticatedSafe = Buffer.from(AsnConvert.serialize(new AuthenticatedSafe([contentInfoData(AsnConvert.serialize(new SafeContents(certBags))), contentInfoData(AsnConvert.serialize(new SafeContents([keyBag])))])));
  const salt = randomBytes(16);
  const macKey = pkcs12Kdf('sha256', 64, bmpPassword(input.password), salt, 3, MAC_ITERATIONS, 32);
  const mac = createHmac('sha256', macKey).update(authenticatedSafe).digest();
  const macData = new MacData({
    mac: new DigestInfo({ digestAlgorithm: new AlgorithmIdentifier({ algorithm: OID.sha256, parameters: null }), digest: new OctetString(mac) }),
    macSalt: new OctetString(salt),
    iterations: MAC_ITERATIONS,
  });
  return Buffer.from(AsnConvert.serialize(new PFX({ version: 3, authSafe: contentInfoData(authenticatedSafe), macData })));
}
