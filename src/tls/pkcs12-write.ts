// Writing PKCS #12 (.pfx) files (RFC 7292) for Export-ExchangeCertificate
// -Password: the certificates in a certificate bag, the private key in a
// shrouded key bag encrypted with PBES2 (PBKDF2-SHA256, AES-256-CBC, as
// OpenSSL 3 and current Windows write them), both tied by a local key id and
// the friendly name, and an HMAC-SHA256 integrity MAC over the contents.
// Windows, OpenSSL and Import-ExchangeCertificate read the result.

import { createHash, createHmac, createPrivateKey, randomBytes, X509Certificate } from 'node:crypto';
import { encode } from './der.js';
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

const seq = (...items: Buffer[]) => encode(0x30, Buffer.concat(items));
const set = (...items: Buffer[]) => encode(0x31, Buffer.concat(items));
const octetString = (b: Buffer) => encode(0x04, b);
const explicit0 = (b: Buffer) => encode(0xa0, b);
const nul = () => Buffer.from([0x05, 0x00]);

function integer(n: number): Buffer {
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  if (bytes.length === 0 || bytes[0] & 0x80) bytes.unshift(0);
  return encode(0x02, Buffer.from(bytes));
}

function objectId(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const out: number[] = [parts[0] * 40 + parts[1]];
  for (const p of parts.slice(2)) {
    const chunk: number[] = [p & 0x7f];
    for (let v = Math.floor(p / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift((v & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return encode(0x06, Buffer.from(out));
}

function bmpString(text: string): Buffer {
  const b = Buffer.alloc(text.length * 2);
  for (let i = 0; i < text.length; i++) b.writeUInt16BE(text.charCodeAt(i), i * 2);
  return encode(0x1e, b);
}

/** The password as PKCS #12's own KDF wants it: UTF-16BE with a terminating zero. */
function bmpPassword(password: string): Buffer {
  const b = Buffer.alloc(password.length * 2 + 2);
  for (let i = 0; i < password.length; i++) b.writeUInt16BE(password.charCodeAt(i), i * 2);
  return b;
}

function contentInfoData(content: Buffer): Buffer {
  return seq(objectId(OID.data), explicit0(octetString(content)));
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
  const bagAttributes = (withKeyId: boolean) => set(
    ...(withKeyId ? [seq(objectId(OID.localKeyId), set(octetString(keyId)))] : []),
    ...(withKeyId && input.friendlyName ? [seq(objectId(OID.friendlyName), set(bmpString(input.friendlyName)))] : []),
  );
  const certBags = certs.map((der, i) => seq(
    objectId(OID.certBag),
    explicit0(seq(objectId(OID.x509Certificate), explicit0(octetString(der)))),
    ...(i === 0 ? [bagAttributes(true)] : []),
  ));
  // Node writes PKCS #8 EncryptedPrivateKeyInfo with PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC).
  const encryptedKey = createPrivateKey(input.privateKeyPem).export({ format: 'der', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: input.password }) as Buffer;
  const keyBag = seq(objectId(OID.shroudedKeyBag), explicit0(encryptedKey), bagAttributes(true));
  const authenticatedSafe = seq(contentInfoData(seq(...certBags)), contentInfoData(seq(keyBag)));
  const salt = randomBytes(16);
  const macKey = pkcs12Kdf('sha256', 64, bmpPassword(input.password), salt, 3, MAC_ITERATIONS, 32);
  const mac = createHmac('sha256', macKey).update(authenticatedSafe).digest();
  const macData = seq(seq(seq(objectId(OID.sha256), nul()), octetString(mac)), octetString(salt), integer(MAC_ITERATIONS));
  return seq(integer(3), contentInfoData(authenticatedSafe), macData);
}
