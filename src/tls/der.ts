// A small reader for DER and BER encodings (definite and indefinite lengths,
// constructed strings), enough to walk PKCS #12 and PKCS #7 structures.

export interface Asn1 {
  /** Identifier octet: class, constructed bit and tag number (low tag numbers only). */
  tag: number;
  constructed: boolean;
  /** Content octets (for constructed strings: the concatenated segments, see octets()). */
  content: Buffer;
  children: Asn1[];
}

export class DerError extends Error {
  override name = 'DerError';
}

function readLength(buf: Buffer, pos: number): { length: number | null; pos: number } {
  if (pos >= buf.length) throw new DerError('truncated length');
  const first = buf[pos++];
  if (first < 0x80) return { length: first, pos };
  if (first === 0x80) return { length: null, pos };
  const n = first & 0x7f;
  if (n > 4 || pos + n > buf.length) throw new DerError('bad length');
  let length = 0;
  for (let i = 0; i < n; i++) length = length * 256 + buf[pos++];
  return { length, pos };
}

function readOne(buf: Buffer, pos: number, depth: number): { node: Asn1; pos: number } {
  if (depth > 64) throw new DerError('nesting too deep');
  if (pos >= buf.length) throw new DerError('truncated');
  const tag = buf[pos++];
  if ((tag & 0x1f) === 0x1f) throw new DerError('high tag numbers are not supported');
  const constructed = (tag & 0x20) !== 0;
  const len = readLength(buf, pos);
  pos = len.pos;
  if (len.length === null) {
    if (!constructed) throw new DerError('indefinite length on a primitive value');
    const children: Asn1[] = [];
    const start = pos;
    while (!(buf[pos] === 0 && buf[pos + 1] === 0)) {
      const r = readOne(buf, pos, depth + 1);
      children.push(r.node);
      pos = r.pos;
      if (pos >= buf.length) throw new DerError('missing end-of-contents');
    }
    return { node: { tag, constructed, content: buf.subarray(start, pos), children }, pos: pos + 2 };
  }
  const end = pos + len.length;
  if (end > buf.length) throw new DerError('value runs past the end of the data');
  const content = buf.subarray(pos, end);
  const children: Asn1[] = [];
  if (constructed) {
    let p = pos;
    while (p < end) {
      const r = readOne(buf.subarray(0, end), p, depth + 1);
      children.push(r.node);
      p = r.pos;
    }
  }
  return { node: { tag, constructed, content, children }, pos: end };
}

/** Parses one value that must fill the whole buffer. */
export function parseDer(buf: Buffer): Asn1 {
  const r = readOne(buf, 0, 0);
  if (r.pos !== buf.length) throw new DerError('trailing data');
  return r.node;
}

/** The octets of an OCTET STRING, joining the segments of a constructed (BER) one. */
export function octets(node: Asn1): Buffer {
  if (!node.constructed) return node.content;
  return Buffer.concat(node.children.map(octets));
}

export function oid(node: Asn1): string {
  if (node.tag !== 0x06) throw new DerError('expected an object identifier');
  const b = node.content;
  const parts: number[] = [];
  let v = 0;
  for (let i = 0; i < b.length; i++) {
    v = v * 128 + (b[i] & 0x7f);
    if ((b[i] & 0x80) === 0) {
      if (parts.length === 0) parts.push(v < 80 ? Math.floor(v / 40) : 2, v < 80 ? v % 40 : v - 80);
      else parts.push(v);
      v = 0;
    }
  }
  return parts.join('.');
}

export function integer(node: Asn1): number {
  if (node.tag !== 0x02) throw new DerError('expected an integer');
  let v = 0;
  for (const byte of node.content) v = v * 256 + byte;
  return v;
}

/** The child at `index`, failing clearly when the structure is not as expected. */
export function child(node: Asn1, index: number): Asn1 {
  const c = node.children[index];
  if (!c) throw new DerError('unexpected structure');
  return c;
}

/** Re-encodes a node as DER (tag, definite length, content) – for values read from BER. */
export function encode(tag: number, content: Buffer): Buffer {
  const len = content.length;
  let header: number[];
  if (len < 0x80) header = [tag, len];
  else {
    const bytes: number[] = [];
    for (let n = len; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
    header = [tag, 0x80 | bytes.length, ...bytes];
  }
  return Buffer.concat([Buffer.from(header), content]);
}
