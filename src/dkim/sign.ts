// DKIM signing of outbound mail (RFC 6376) with mailauth's signer: the
// signature covers the exact bytes that go to the next hop, so it is made at
// delivery, after every header change. The domain signed for is the From
// header's (RFC 5322.From, one address), when a DKIM signing configuration of
// that domain is enabled. Headers signed: those RFC 6376 §5.4.1 recommends,
// plus Message-ID, Sender and the MIME fields; From is oversigned (named once
// more than it occurs) so that no second From can be added without breaking
// the signature (RFC 6376 §8.15).

import { createRequire } from 'node:module';
import { parseHeader } from '../smtp/message-headers.js';
import { splitContent } from '../smtp/header-section.js';

/** RFC 6376 §5.4.1's list, then Message-ID, Sender and the MIME fields. */
export const DKIM_SIGNED_HEADERS = [
  'From',
  'Reply-To',
  'Subject',
  'Date',
  'To',
  'Cc',
  'Resent-Date',
  'Resent-From',
  'Resent-To',
  'Resent-Cc',
  'In-Reply-To',
  'References',
  'List-Id',
  'List-Help',
  'List-Unsubscribe',
  'List-Subscribe',
  'List-Post',
  'List-Owner',
  'List-Archive',
  'Message-ID',
  'Sender',
  'MIME-Version',
  'Content-Type',
  'Content-Transfer-Encoding',
];

export interface DkimSigningKey {
  domain: string;
  selector: string;
  privateKeyPem: string;
  /** "relaxed/relaxed" and the like. */
  canonicalization: string;
}

interface ParsedHeaderLine {
  key: string;
  casedKey: string;
  line: Buffer;
}
interface SignerInstance {
  signatureHeaders: string[];
  errors: { err: Error }[];
  on(event: string, cb: (...args: unknown[]) => void): void;
  end(chunk: Buffer): void;
  messageHeaders(headers: { parsed: ParsedHeaderLine[] }): Promise<void>;
}
type SignerClass = new (options: Record<string, unknown>) => SignerInstance;

const require = createRequire(import.meta.url);
// mailauth's DkimSigner (what its dkimSign runs). It lists every header once, so
// oversigning From is done by naming the From it found twice in h=: the
// verifier (RFC 6376 §5.4.2) takes the last From for the first name and, finding
// no other, the null string for the second, which is what the signer hashed.
const { DkimSigner } = require('mailauth/lib/dkim/dkim-signer.js') as { DkimSigner: SignerClass };

class OversigningSigner extends DkimSigner {
  override async messageHeaders(headers: { parsed: ParsedHeaderLine[] }): Promise<void> {
    for (const h of headers.parsed) if (h.key === 'from') h.casedKey = `${h.casedKey}: ${h.casedKey}`;
    return super.messageHeaders(headers);
  }
}

/** The domain of the message's one From address; null when there is none, or more than one. */
export function fromDomain(message: Buffer): string | null {
  const { header } = splitContent(message);
  const froms = parseHeader(header).filter((f) => f.name.toLowerCase() === 'from');
  if (froms.length !== 1) return null;
  // The addr-spec: inside <...> when there is a display name, else the whole value (comments removed).
  const value = froms[0].value.replace(/\([^()]*\)/g, ' ').trim();
  const angle = /<([^<>]*)>\s*$/.exec(value);
  const address = (angle ? angle[1] : value).trim();
  if (address.includes(',') || (!angle && /[<>\s]/.test(address))) return null;
  const at = address.lastIndexOf('@');
  if (at <= 0 || at === address.length - 1) return null;
  return address
    .slice(at + 1)
    .replace(/\.$/, '')
    .toLowerCase();
}

/** The DKIM-Signature field (with CRLF) for `message`, signed with `key`. */
export async function dkimSignature(message: Buffer, key: DkimSigningKey, now: Date = new Date()): Promise<string> {
  const signer = new OversigningSigner({
    canonicalization: key.canonicalization,
    headerList: DKIM_SIGNED_HEADERS.join(':'),
    signTime: now,
    signatureData: [{ signingDomain: key.domain, selector: key.selector, privateKey: key.privateKeyPem, canonicalization: key.canonicalization }],
  });
  await new Promise<void>((resolve, reject) => {
    signer.on('finish', () => resolve());
    signer.on('error', (err) => reject(err as Error));
    signer.end(message);
  });
  if (signer.errors.length > 0 || signer.signatureHeaders.length === 0) {
    throw new Error(`DKIM signing failed for d=${key.domain} s=${key.selector}: ${signer.errors.map((e) => e.err.message).join('; ') || 'no signature made'}`);
  }
  return `${signer.signatureHeaders.join('\r\n')}\r\n`;
}

/** The message with its DKIM-Signature on top. */
export async function signMessage(message: Buffer, key: DkimSigningKey, now?: Date): Promise<Buffer> {
  return Buffer.concat([Buffer.from(await dkimSignature(message, key, now), 'latin1'), message]);
}
