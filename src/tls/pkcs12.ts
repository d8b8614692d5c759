// Reading PKCS #12 (.pfx/.p12) files (RFC 7292): the integrity MAC (which
// tells a wrong password from a damaged file), certificate and key bags, and
// the password-based encryptions in use: PBES2 (PBKDF2 with AES or 3DES, the
// OpenSSL 3 and current Windows default) and the PKCS #12 PBEs with SHA-1
// (3DES, RC2) of older exports.

import { createDecipheriv, createHash, createHmac, createPrivateKey, pbkdf2Sync, X509Certificate, type KeyObject } from 'node:crypto';
import { child, DerError, integer, octets, oid, parseDer, type Asn1 } from './der.js';
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
  '1.2.840.113549.2.7': 'sha1', '1.2.840.113549.2.8': 'sha224', '1.2.840.113549.2.9': 'sha256',
  '1.2.840.113549.2.10': 'sha384', '1.2.840.113549.2.11': 'sha512',
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
  constructor(message: string, readonly kind: 'password' | 'format' | 'unsupported') {
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

function algorithmId(node: Asn1): { oid: string; params?: Asn1 } {
  return { oid: oid(child(node, 0)), params: node.children[1] };
}

/** Decrypts data under a password-based encryption algorithm identifier. */
function pbeDecrypt(alg: Asn1, data: Buffer, password: string): Buffer {
  const { oid: algOid, params } = algorithmId(alg);
  if (algOid === OID.pbes2) {
    if (!params) throw new DerError('PBES2 without parameters');
    const kdf = algorithmId(child(params, 0));
    const enc = algorithmId(child(params, 1));
    if (kdf.oid !== OID.pbkdf2 || !kdf.params) throw new Pkcs12Error(`the file uses the key derivation ${kdf.oid}, which is not supported (PBKDF2 is).`, 'unsupported');
    const salt = octets(child(kdf.params, 0));
    const iterations = integer(child(kdf.params, 1));
    let prf = 'sha1';
    for (const c of kdf.params.children.slice(2)) if (c.tag === 0x30) prf = PRFS[oid(child(c, 0))] ?? '';
    const cipher = PBES2_CIPHERS[enc.oid];
    if (!cipher || !prf) throw new Pkcs12Error(`the file uses the encryption ${enc.oid}, which is not supported (AES-CBC and 3DES are).`, 'unsupported');
    const key = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, cipher.keyLength, prf);
    const d = createDecipheriv(cipher.cipher, key, octets(enc.params!));
    return Buffer.concat([d.update(data), d.final()]);
  }
  const pbe = PKCS12_PBES[algOid];
  if (!pbe || !params) throw new Pkcs12Error(`the file uses the encryption ${algOid}, which is not supported.`, 'unsupported');
  const salt = octets(child(params, 0));
  const iterations = integer(child(params, 1));
  const pw = bmpPassword(password);
  const key = pkcs12Kdf('sha1', 64, pw, salt, 1, iterations, pbe.keyLength);
  const iv = pkcs12Kdf('sha1', 64, pw, salt, 2, iterations, 8);
  if (pbe.cipher === 'rc2') return rc2CbcDecrypt(key, pbe.bits!, iv, data);
  const k = pbe.keyLength === 16 ? Buffer.concat([key, key.subarray(0, 8)]) : key;
  const d = createDecipheriv('des-ede3-cbc', k, iv);
  return Buffer.concat([d.update(data), d.final()]);
}

function verifyMac(macData: Asn1, content: Buffer, password: string): boolean {
  const digestInfo = child(macData, 0);
  const hashOid = oid(child(child(digestInfo, 0), 0));
  const expected = octets(child(digestInfo, 1));
  const salt = octets(child(macData, 1));
  const iterations = macData.children[2] ? integer(macData.children[2]) : 1;
  const hash = HASHES[hashOid];
  if (!hash) throw new Pkcs12Error(`the file's integrity check uses the digest ${hashOid}, which is not supported.`, 'unsupported');
  // An empty password is encoded either as two zero bytes or as nothing, depending on the tool.
  const candidates = password === '' ? [bmpPassword(''), Buffer.alloc(0)] : [bmpPassword(password)];
  return candidates.some((pw) => {
    const key = pkcs12Kdf(hash.name, hash.block, pw, salt, 3, iterations, hash.size);
    return createHmac(hash.name, key).update(content).digest().equals(expected);
  });
}

function attributes(bag: Asn1): { keyId?: string; friendlyName?: string } {
  const out: { keyId?: string; friendlyName?: string } = {};
  const set = bag.children[2];
  if (!set) return out;
  for (const attr of set.children) {
    const type = oid(child(attr, 0));
    const value = child(child(attr, 1), 0);
    if (type === OID.localKeyId) out.keyId = octets(value).toString('hex');
    if (type === OID.friendlyName && value.tag === 0x1e) out.friendlyName = Buffer.from(value.content).swap16().toString('utf16le');
  }
  return out;
}

function readSafeContents(data: Buffer, password: string, out: Pkcs12Contents): void {
  for (const bag of parseDer(data).children) {
    const type = oid(child(bag, 0));
    const value = child(child(bag, 1), 0);
    const attrs = attributes(bag);
    if (type === OID.certBag) {
      if (oid(child(value, 0)) !== OID.x509Certificate) continue;
      const der = octets(child(child(value, 1), 0));
      out.certificates.push({ cert: new X509Certificate(der), ...attrs });
    } else if (type === OID.keyBag) {
      out.keys.push({ key: createPrivateKey({ key: rebuild(value), format: 'der', type: 'pkcs8' }), ...attrs });
    } else if (type === OID.shroudedKeyBag) {
      const plain = pbeDecrypt(child(value, 0), octets(child(value, 1)), password);
      out.keys.push({ key: createPrivateKey({ key: plain, format: 'der', type: 'pkcs8' }), ...attrs });
    }
  }
}

/** The DER of a node read from a definite-length encoding (keyBag values). */
function rebuild(node: Asn1): Buffer {
  const len = node.content.length;
  const header = len < 0x80 ? Buffer.from([node.tag, len]) : (() => {
    const bytes: number[] = [];
    for (let n = len; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
    return Buffer.from([node.tag, 0x80 | bytes.length, ...bytes]);
  })();
  return Buffer.concat([header, node.content]);
}

/** True when the bytes look like a PKCS #12 file (a PFX with version 3). */
export function isPkcs12(data: Buffer): boolean {
  try {
    const pfx = parseDer(data);
    return pfx.tag === 0x30 && integer(child(pfx, 0)) === 3 && oid(child(child(pfx, 1), 0)) === OID.data;
  } catch {
    return false;
  }
}

/** Reads a PKCS #12 file. Throws Pkcs12Error: kind 'password' for a wrong password, 'format' for a damaged file. */
export function readPkcs12(data: Buffer, password: string): Pkcs12Contents {
  let pfx: Asn1;
  let content: Buffer;
  try {
    pfx = parseDer(data);
    if (integer(child(pfx, 0)) !== 3) throw new DerError('not version 3');
    const authSafe = child(pfx, 1);
    if (oid(child(authSafe, 0)) !== OID.data) throw new Pkcs12Error('the file is signed with a public key (not password-protected), which is not supported.', 'unsupported');
    content = octets(child(child(authSafe, 1), 0));
  } catch (err) {
    if (err instanceof Pkcs12Error) throw err;
    throw new Pkcs12Error('the file is not a valid PKCS #12 (.pfx) file or is damaged.', 'format');
  }
  const macData = pfx.children[2];
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
    for (const info of parseDer(content).children) {
      const type = oid(child(info, 0));
      if (type === OID.data) {
        readSafeContents(octets(child(child(info, 1), 0)), password, out);
      } else if (type === OID.encryptedData) {
        const eci = child(child(child(info, 1), 0), 1);
        const encrypted = child(eci, 2);
        readSafeContents(pbeDecrypt(child(eci, 1), octets(encrypted), password), password, out);
      }
    }
  } catch (err) {
    if (err instanceof Pkcs12Error) throw err;
    // Without a MAC a wrong password shows up here, as a padding or structure error.
    throw new Pkcs12Error(macData ? 'the PKCS #12 (.pfx) file is damaged: its contents cannot be read.' : 'the password is not correct for this PKCS #12 (.pfx) file, or the file is damaged.', macData ? 'format' : 'password');
  }
  return out;
}
