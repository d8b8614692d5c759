// Reading PKCS #12 (.pfx/.p12) files (RFC 7292): the integrity MAC (which
// tells a wrong password from a damaged file), certificate and key bags, and
// the password-based encryptions in use: PBES2 (PBKDF2 with AES or 3DES, the
// OpenSSL 3 and current Windows default) and the PKCS #12 PBEs with SHA-1
// (3DES, RC2) of older exports. The structures are read with @peculiar/asn1-pfx
// and asn1-cms (asn1js underneath, which takes the BER of some Windows exports:
// indefinite lengths, constructed OCTET STRINGs). The PKCS #12 key derivation
// (RFC 7292 appendix B.2) and RC2 (rc2.ts) stay here: Node's crypto offers
// neither, and OpenSSL 3 keeps RC2 in its legacy provider, which Node does not load.

import { createDecipheriv, createHash, createHmac, createPrivateKey, pbkdf2Sync, X509Certificate, type KeyObject } from 'node:crypto';
import { EncryptedContentInfo, type ContentInfo } from '@peculiar/asn1-cms';
import { AuthenticatedSafe, CertBag, PFX, SafeContents, type MacData, type SafeBag } from '@peculiar/asn1-pfx';
import { AsnConvert } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import * as asn1js from 'asn1js';
import { rc2CbcDecrypt } from './rc2.js';

const OID = {
  data: '1.2.840.113549.1.7.1',
  encryptedData: '1.2.840.113549.1.7.6',
  keyBag: '1.2.840.113549.1.12.10.1.1',
  shroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  friendlyName: '1.2.840.113549.1.9.20',
  localKeyId: '1.2.840.113549.1.9.21',
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
};

const HASHES: Record<string, { name: string; block: number; size: number }> = {
  '1.3.14.3.2.26': { name: 'sha1', block: 64, size: 20 },
  '2.16.840.1.101.3.4.2.4': { name: 'sha224', block: 64, size: 28 },
  '2.16.840.1.101.3.4.2.1': { name: 'sha256', block: 64, size: 32 },
  '2.16.840.1.101.3.4.2.2': { name: 'sha384', block: 128, size: 48 },
  '2.16.840.1.101.3.4.2.3': { name: 'sha512', block: 128, size: 64 },
};

const PRFS: Record<string, string> = {
  '1.2.840.113549.2.7': 'sha1',
  '1.2.840.113549.2.8': 'sha224',
  '1.2.840.113549.2.9': 'sha256',
  '1.2.840.113549.2.10': 'sha384',
  '1.2.840.113549.2.11': 'sha512',
};

const PBES2_CIPHERS: Record<string, { cipher: string; keyLength: number }> = {
  '2.16.840.1.101.3.4.1.2': { cipher: 'aes-128-cbc', keyLength: 16 },
  '2.16.840.1.101.3.4.1.22': { cipher: 'aes-192-cbc', keyLength: 24 },
  '2.16.840.1.101.3.4.1.42': { cipher: 'aes-256-cbc', keyLength: 32 },
  '1.2.840.113549.3.7': { cipher: 'des-ede3-cbc', keyLength: 24 },
};

/** pbeWithSHAAnd…: cipher, key length, effective RC2 bits. */
const PKCS12_PBES: Record<string, { cipher: 'des-ede3-cbc' | 'rc2'; keyLength: number; bits?: number }> = {
  '1.2.840.113549.1.12.1.3': { cipher: 'des-ede3-cbc', keyLength: 24 },
  '1.2.840.113549.1.12.1.4': { cipher: 'des-ede3-cbc', keyLength: 16 },
  '1.2.840.113549.1.12.1.5': { cipher: 'rc2', keyLength: 16, bits: 128 },
  '1.2.840.113549.1.12.1.6': { cipher: 'rc2', keyLength: 5, bits: 40 },
};

export class Pkcs12Error extends Error {
  override name = 'Pkcs12Error';
  constructor(
    message: string,
    readonly kind: 'password' | 'format' | 'unsupported',
  ) {
    super(message);
  }
}

export interface Pkcs12Contents {
  /** Certificates in file order, with the local key id and friendly name when the file gives them. */
  certificates: { cert: X509Certificate; keyId?: string; friendlyName?: string }[];
  keys: { key: KeyObject; keyId?: string; friendlyName?: string }[];
}

/** Password as PKCS #12 wants it for its own KDF: UTF-16BE with a terminating zero. */
function bmpPassword(password: string): Buffer {
  const b = Buffer.alloc(password.length * 2 + 2);
  for (let i = 0; i < password.length; i++) b.writeUInt16BE(password.charCodeAt(i), i * 2);
  return b;
}

/** RFC 7292 appendix B.2 key derivation. */
export function pkcs12Kdf(hash: string, block: number, password: Buffer, salt: Buffer, id: number, iterations: number, length: number): Buffer {
  const repeatTo = (src: Buffer): Buffer => {
    if (src.length === 0) return Buffer.alloc(0);
    const n = block * Math.ceil(src.length / block);
    const out = Buffer.alloc(n);
    for (let i = 0; i < n; i++) out[i] = src[i % src.length];
    return out;
  };
  const D = Buffer.alloc(block, id);
  const I = Buffer.concat([repeatTo(salt), repeatTo(password)]);
  const result: Buffer[] = [];
  let total = 0;
  while (total < length) {
    let A = createHash(hash).update(D).update(I).digest();
    for (let r = 1; r < iterations; r++) A = createHash(hash).update(A).digest();
    result.push(A);
    total += A.length;
    if (total >= length) break;
    const B = Buffer.alloc(block);
    for (let i = 0; i < block; i++) B[i] = A[i % A.length];
    for (let j = 0; j < I.length; j += block) {
      let carry = 1;
      for (let k = block - 1; k >= 0; k--) {
        const sum = I[j + k] + B[k] + carry;
        I[j + k] = sum & 0xff;
        carry = sum >> 8;
      }
    }
  }
  return Buffer.concat(result).subarray(0, length);
}

/** A structure that is not what PKCS #12 says; reported as a damaged file. */
class FormatError extends Error {}

/** One BER value filling `data`. */
function ber(data: ArrayBuffer | Uint8Array): asn1js.AsnType {
  const r = asn1js.fromBER(data);
  if (r.offset === -1 || r.offset !== data.byteLength) throw new FormatError(r.result.error || 'trailing data');
  return r.result;
}

/** The octets of an OCTET STRING, the segments of a constructed (BER) one joined. */
function octets(value: asn1js.AsnType | ArrayBuffer): Buffer {
  const node = value instanceof ArrayBuffer ? ber(value) : value;
  if (!(node instanceof asn1js.OctetString)) throw new FormatError('expected an OCTET STRING');
  return Buffer.from(node.getValue());
}

function integer(node: asn1js.AsnType | undefined): number {
  if (!(node instanceof asn1js.Integer)) throw new FormatError('expected an INTEGER');
  return node.valueBlock.valueDec;
}

/** The elements of a SEQUENCE. */
function elements(data: ArrayBuffer | Uint8Array | undefined): asn1js.AsnType[] {
  const node = data === undefined ? undefined : ber(data);
  if (!(node instanceof asn1js.Sequence)) throw new FormatError('expected a SEQUENCE');
  return node.valueBlock.value;
}

function algorithm(node: asn1js.AsnType | undefined): AlgorithmIdentifier {
  if (!node) throw new FormatError('missing algorithm identifier');
  return AsnConvert.parse(node.toBER(), AlgorithmIdentifier);
}

/** Decrypts data under a password-based encryption algorithm identifier. */
function pbeDecrypt(alg: AlgorithmIdentifier, data: Buffer, password: string): Buffer {
  const params = alg.parameters ?? undefined;
  if (alg.algorithm === OID.pbes2) {
    if (!params) throw new FormatError('PBES2 without parameters');
    const [kdfNode, encNode] = elements(params);
    const kdf = algorithm(kdfNode);
    const enc = algorithm(encNode);
    if (kdf.algorithm !== OID.pbkdf2 || !kdf.parameters) throw new Pkcs12Error(`the file uses the key derivation ${kdf.algorithm}, which is not supported (PBKDF2 is).`, 'unsupported');
    const [saltNode, iterationsNode, ...more] = elements(kdf.parameters);
    const salt = octets(saltNode);
    const iterations = integer(iterationsNode);
    let prf = 'sha1';
    for (const c of more) if (c instanceof asn1js.Sequence) prf = PRFS[algorithm(c).algorithm] ?? '';
    const cipher = PBES2_CIPHERS[enc.algorithm];
    if (!cipher || !prf) throw new Pkcs12Error(`the file uses the encryption ${enc.algorithm}, which is not supported (AES-CBC and 3DES are).`, 'unsupported');
    if (!enc.parameters) throw new FormatError('no IV');
    const key = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, cipher.keyLength, prf);
    const d = createDecipheriv(cipher.cipher, key, octets(enc.parameters));
    return Buffer.concat([d.update(data), d.final()]);
  }
  const pbe = PKCS12_PBES[alg.algorithm];
  if (!pbe || !params) throw new Pkcs12Error(`the file uses the encryption ${alg.algorithm}, which is not supported.`, 'unsupported');
  const [saltNode, iterationsNode] = elements(params);
  const salt = octets(saltNode);
  const iterations = integer(iterationsNode);
  const pw = bmpPassword(password);
  const key = pkcs12Kdf('sha1', 64, pw, salt, 1, iterations, pbe.keyLength);
  const iv = pkcs12Kdf('sha1', 64, pw, salt, 2, iterations, 8);
  if (pbe.cipher === 'rc2') return rc2CbcDecrypt(key, pbe.bits!, iv, data);
  const k = pbe.keyLength === 16 ? Buffer.concat([key, key.subarray(0, 8)]) : key;
  const d = createDecipheriv('des-ede3-cbc', k, iv);
  return Buffer.concat([d.update(data), d.final()]);
}

function verifyMac(macData: MacData, content: Buffer, password: string): boolean {
  const hashOid = macData.mac.digestAlgorithm.algorithm;
  const expected = Buffer.from(macData.mac.digest.buffer);
  const salt = Buffer.from(macData.macSalt.buffer);
  const iterations = macData.iterations;
  const hash = HASHES[hashOid];
  if (!hash) throw new Pkcs12Error(`the file's integrity check uses the digest ${hashOid}, which is not supported.`, 'unsupported');
  // An empty password is encoded either as two zero bytes or as nothing, depending on the tool.
  const candidates = password === '' ? [bmpPassword(''), Buffer.alloc(0)] : [bmpPassword(password)];
  return candidates.some((pw) => {
    const key = pkcs12Kdf(hash.name, hash.block, pw, salt, 3, iterations, hash.size);
    return createHmac(hash.name, key).update(content).digest().equals(expected);
  });
}

function attributes(bag: SafeBag): { keyId?: string; friendlyName?: string } {
  const out: { keyId?: string; friendlyName?: string } = {};
  for (const attr of bag.bagAttributes ?? []) {
    const first = attr.attrValues[0];
    if (!first) throw new FormatError('attribute without a value');
    const value = ber(first);
    if (attr.attrId === OID.localKeyId) out.keyId = octets(value).toString('hex');
    if (attr.attrId === OID.friendlyName && value instanceof asn1js.BmpString) out.friendlyName = Buffer.from(value.valueBlock.valueHexView).swap16().toString('utf16le');
  }
  return out;
}

function readSafeContents(data: Buffer, password: string, out: Pkcs12Contents): void {
  for (const bag of AsnConvert.parse(data, SafeContents)) {
    const attrs = attributes(bag);
    if (bag.bagId === OID.certBag) {
      const cert = AsnConvert.parse(bag.bagValue, CertBag);
      if (cert.certId !== OID.x509Certificate) continue;
      out.certificates.push({ cert: new X509Certificate(octets(cert.certValue)), ...attrs });
    } else if (bag.bagId === OID.keyBag) {
      out.keys.push({ key: createPrivateKey({ key: Buffer.from(bag.bagValue), format: 'der', type: 'pkcs8' }), ...attrs });
    } else if (bag.bagId === OID.shroudedKeyBag) {
      // EncryptedPrivateKeyInfo (PKCS8ShroudedKeyBag); its OCTET STRING may be constructed.
      const [algorithmNode, encryptedNode] = elements(bag.bagValue);
      const plain = pbeDecrypt(algorithm(algorithmNode), octets(encryptedNode), password);
      out.keys.push({ key: createPrivateKey({ key: plain, format: 'der', type: 'pkcs8' }), ...attrs });
    }
  }
}

/** The PFX, when the bytes are one with version 3 and password integrity (the content type data). */
function parsePfx(data: Buffer): PFX {
  const pfx = AsnConvert.parse(data, PFX);
  if (pfx.version !== 3) throw new FormatError('not version 3');
  return pfx;
}

/** True when the bytes look like a PKCS #12 file (a PFX with version 3). */
export function isPkcs12(data: Buffer): boolean {
  try {
    return parsePfx(data).authSafe.contentType === OID.data;
  } catch {
    return false;
  }
}

/** The octets a ContentInfo of type data carries. */
function dataContent(info: ContentInfo): Buffer {
  return octets(info.content);
}

/** Reads a PKCS #12 file. Throws Pkcs12Error: kind 'password' for a wrong password, 'format' for a damaged file. */
export function readPkcs12(data: Buffer, password: string): Pkcs12Contents {
  let pfx: PFX;
  let content: Buffer;
  try {
    pfx = parsePfx(data);
    if (pfx.authSafe.contentType !== OID.data) throw new Pkcs12Error('the file is signed with a public key (not password-protected), which is not supported.', 'unsupported');
    content = dataContent(pfx.authSafe);
  } catch (err) {
    if (err instanceof Pkcs12Error) throw err;
    throw new Pkcs12Error('the file is not a valid PKCS #12 (.pfx) file or is damaged.', 'format');
  }
  // An absent MacData leaves the parser's empty default, without a digest algorithm.
  const macData = pfx.macData?.mac.digestAlgorithm.algorithm ? pfx.macData : undefined;
  if (macData) {
    let ok: boolean;
    try {
      ok = verifyMac(macData, content, password);
    } catch (err) {
      if (err instanceof Pkcs12Error) throw err;
      throw new Pkcs12Error('the integrity data of the PKCS #12 (.pfx) file cannot be read; the file is damaged.', 'format');
    }
    if (!ok) throw new Pkcs12Error('the password is not correct for this PKCS #12 (.pfx) file.', 'password');
  }
  const out: Pkcs12Contents = { certificates: [], keys: [] };
  try {
    for (const info of AsnConvert.parse(content, AuthenticatedSafe)) {
      if (info.contentType === OID.data) {
        readSafeContents(dataContent(info), password, out);
      } else if (info.contentType === OID.encryptedData) {
        // EncryptedData ::= SEQUENCE { version, encryptedContentInfo, ... }
        const eci = AsnConvert.parse(elements(info.content)[1]?.toBER() ?? new ArrayBuffer(0), EncryptedContentInfo);
        const encrypted = eci.encryptedContent;
        if (!encrypted) throw new FormatError('no encrypted content');
        const bytes = encrypted.value ? Buffer.from(encrypted.value.buffer) : Buffer.concat((encrypted.constructedValue ?? []).map((o) => Buffer.from(o.buffer)));
        readSafeContents(pbeDecrypt(eci.contentEncryptionAlgorithm, bytes, password), password, out);
      }
    }
  } catch (err) {
    if (err instanceof Pkcs12Error) throw err;
    // Without a MAC a wrong password shows up here, as a padding or structure error.
    throw new Pkcs12Error(macData ? 'the PKCS #12 (.pfx) file is damaged: its contents cannot be read.' : 'the password is not correct for this PKCS #12 (.pfx) file, or the file is damaged.', macData ? 'format' : 'password');
  }
  return out;
}
