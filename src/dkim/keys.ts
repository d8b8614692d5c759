// DKIM key pairs: RSA (1024 or 2048 bits, rsa-sha256) or Ed25519
// (ed25519-sha256, RFC 8463), made by Node's crypto, with the DNS TXT record
// value that publishes the public key (RFC 6376 §3.6.1: p= is the base64 of
// the SubjectPublicKeyInfo for RSA; RFC 8463 §4.2: the raw 32-byte key for
// Ed25519).

import { generateKeyPairSync } from 'node:crypto';

export interface DkimKeyPair {
  /** PKCS#8 PEM: sealed before it is stored. */
  privateKeyPem: string;
  /** The TXT record value: v=DKIM1; k=rsa; p=... */
  txtValue: string;
  keyType: 'RSA' | 'Ed25519';
  bits: number;
}

export function generateDkimKey(keyType: 'RSA' | 'Ed25519', bits: number): DkimKeyPair {
  if (keyType === 'Ed25519') {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const spki = publicKey.export({ type: 'spki', format: 'der' });
    const raw = spki.subarray(spki.length - 32); // the SPKI of an Ed25519 key ends with the 32-byte key
    return { privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), txtValue: `v=DKIM1; k=ed25519; p=${raw.toString('base64')}`, keyType, bits: 256 };
  }
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  return { privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), txtValue: `v=DKIM1; k=rsa; p=${spki.toString('base64')}`, keyType, bits };
}
