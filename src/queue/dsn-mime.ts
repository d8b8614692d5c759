// Low-level MIME and header helpers used to build delivery status
// notifications: RFC 5322 dates, header folding, RFC 2047 encoded-words,
// quoted-printable, boundary choice and splitting an original message into
// its header section and body.

import { createHash } from 'node:crypto';

const CRLF = '\r\n';
/** RFC 5322 §2.1.1: lines SHOULD be at most 78 characters, MUST be at most 998. */
export const FOLD_COLUMN = 78;
export const MAX_LINE = 998;

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** RFC 5322 §3.3 date-time in UTC, e.g. "Tue, 07 Nov 2023 04:20:14 +0000". */
export function rfc5322Date(d: Date): string {
  if (Number.isNaN(d.getTime())) throw new RangeError('invalid date');
  return `${DAYS[d.getUTCDay()]}, ${pad2(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ` + `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())} +0000`;
}

/** Replaces CR, LF and other control characters (which could split or inject header lines) with spaces. */
export function oneLine(s: string): string {
  return s.replace(/[\x00-\x1f\x7f]+/g, ' ').trim();
}

/** oneLine(), then every non-ASCII character replaced with '?' (for 7-bit-only fields). */
export function asciiLine(s: string): string {
  return oneLine(s).replace(/[^\x20-\x7e]/gu, '?');
}

export function isAscii(s: string): boolean {
  return /^[\x00-\x7f]*$/.test(s);
}

/**
 * Formats "Name: value" folded at whitespace so that lines stay within 78
 * columns where possible. A word longer than a line is kept whole unless the
 * line would pass 998 characters, in which case it is split hard.
 * Returns the field with CRLF line breaks and no trailing CRLF.
 */
export function foldField(name: string, value: string): string {
  const max = MAX_LINE - name.length - 2;
  const words: string[] = [];
  for (const word of value.split(' ')) {
    // Pathological words are split hard so that no line passes 998 characters.
    for (let i = 0; i < word.length; i += max) words.push(word.slice(i, i + max));
  }
  const lines: string[] = [];
  let line = `${name}:`;
  let empty = true;
  for (const word of words) {
    if (empty || line.length + 1 + word.length <= FOLD_COLUMN) {
      line += ` ${word}`;
    } else {
      lines.push(line);
      line = ` ${word}`;
    }
    empty = false;
  }
  lines.push(line);
  return lines.join(CRLF);
}

/**
 * RFC 2047 "B" encoded-words for a UTF-8 string, separated by spaces (so
 * foldField() can put them on separate lines). Characters are never split
 * across words; each word carries at most 30 octets (52 characters).
 */
export function encodedWords(text: string): string {
  const words: string[] = [];
  let chunk: Buffer[] = [];
  let size = 0;
  const flush = (): void => {
    if (chunk.length === 0) return;
    words.push(`=?UTF-8?B?${Buffer.concat(chunk).toString('base64')}?=`);
    chunk = [];
    size = 0;
  };
  for (const ch of text) {
    const bytes = Buffer.from(ch, 'utf8');
    if (size + bytes.length > 30) flush();
    chunk.push(bytes);
    size += bytes.length;
  }
  flush();
  return words.join(' ');
}

/**
 * An unstructured header value (RFC 5322 §3.2.5) made safe for a header:
 * plain when printable ASCII, otherwise an ASCII prefix followed by the
 * encoded-words of the rest.
 */
export function unstructuredValue(prefix: string, text: string): string {
  const clean = oneLine(text);
  if (/^[\x20-\x7e]*$/.test(clean)) return `${prefix}${clean}`.trim();
  return `${prefix}${encodedWords(clean)}`.trim();
}

/**
 * Quoted-printable (RFC 2045 §6.7) for text whose lines are separated by CRLF.
 * Lines are at most 76 characters; "=XX" escapes are never split.
 */
export function quotedPrintable(data: Buffer): string {
  const out: string[] = [];
  const text = data.toString('latin1');
  for (const srcLine of text.split(CRLF)) {
    let line = '';
    for (let i = 0; i < srcLine.length; i++) {
      const c = srcLine.charCodeAt(i);
      const last = i === srcLine.length - 1;
      let enc: string;
      if ((c >= 33 && c <= 126 && c !== 61) || ((c === 32 || c === 9) && !last)) enc = srcLine[i]!;
      else enc = `=${c.toString(16).toUpperCase().padStart(2, '0')}`;
      if (line.length + enc.length > 75) {
        out.push(`${line}=`);
        line = '';
      }
      line += enc;
    }
    out.push(line);
  }
  return out.join(CRLF);
}

/** True when a text needs an encoding for 7-bit transport (8-bit bytes, controls, or lines over 998 octets). */
export function needsEncoding(data: Buffer): boolean {
  let lineLen = 0;
  for (let i = 0; i < data.length; i++) {
    const b = data[i]!;
    if (b === 0x0a) {
      if (i === 0 || data[i - 1] !== 0x0d) return true;
      lineLen = 0;
      continue;
    }
    if (b === 0x0d) {
      if (data[i + 1] !== 0x0a) return true;
      continue;
    }
    if (b >= 0x80 || b === 0 || (b < 0x20 && b !== 0x09) || b === 0x7f) return true;
    if (++lineLen > MAX_LINE) return true;
  }
  return false;
}

export type TransferEncoding = '7bit' | '8bit' | 'binary';

/**
 * The narrowest identity transfer encoding for CRLF-normalised data:
 * "binary" when it has NUL bytes or lines over 998 octets, "8bit" when it has
 * octets above 127, otherwise "7bit".
 */
export function identityEncoding(data: Buffer): TransferEncoding {
  let eight = false;
  let lineLen = 0;
  for (let i = 0; i < data.length; i++) {
    const b = data[i]!;
    if (b === 0x0d || b === 0x0a) {
      lineLen = 0;
      continue;
    }
    if (b === 0) return 'binary';
    if (++lineLen > MAX_LINE) return 'binary';
    if (b >= 0x80) eight = true;
  }
  return eight ? '8bit' : '7bit';
}

/** Converts lone LF and lone CR to CRLF. Returns the input itself when nothing changes. */
export function normalizeCrlf(data: Buffer): Buffer {
  let clean = true;
  for (let i = 0; i < data.length; i++) {
    const b = data[i]!;
    if (b === 0x0a && (i === 0 || data[i - 1] !== 0x0d)) {
      clean = false;
      break;
    }
    if (b === 0x0d && data[i + 1] !== 0x0a) {
      clean = false;
      break;
    }
  }
  if (clean) return data;
  const out = Buffer.alloc(data.length * 2);
  let o = 0;
  for (let i = 0; i < data.length; i++) {
    const b = data[i]!;
    if (b === 0x0d) {
      out[o++] = 0x0d;
      out[o++] = 0x0a;
      if (data[i + 1] === 0x0a) i++;
    } else if (b === 0x0a) {
      out[o++] = 0x0d;
      out[o++] = 0x0a;
    } else {
      out[o++] = b;
    }
  }
  return out.subarray(0, o);
}

export interface SplitMessage {
  /** The header fields, CRLF-normalised, each line ending in CRLF (no blank line). */
  header: Buffer;
  /** Everything after the header section (after the blank line when there was one). */
  body: Buffer;
  /** False when the header section ended without an empty line (or the message has no body at all). */
  hadSeparator: boolean;
}

const FIELD_START = /^[\x21-\x39\x3b-\x7e]+[ \t]*:/;

/**
 * Splits a message into header and body. The header section ends at the
 * first empty line, or, for malformed input, at the first line that is
 * neither a header field nor a continuation line.
 */
export function splitMessage(content: Buffer): SplitMessage {
  const data = normalizeCrlf(content);
  let pos = 0;
  let first = true;
  while (pos < data.length) {
    const eol = data.indexOf('\r\n', pos, 'latin1');
    const end = eol < 0 ? data.length : eol;
    if (end === pos) {
      return { header: data.subarray(0, pos), body: data.subarray(pos + 2), hadSeparator: true };
    }
    const b = data[pos]!;
    const continuation = (b === 0x20 || b === 0x09) && !first;
    if (!continuation) {
      const head = data.subarray(pos, Math.min(end, pos + 1000)).toString('latin1');
      if (!FIELD_START.test(head)) break;
    }
    first = false;
    if (eol < 0) {
      // Header without a final line break: terminate it.
      return { header: Buffer.concat([data, Buffer.from(CRLF)]), body: Buffer.alloc(0), hadSeparator: false };
    }
    pos = eol + 2;
  }
  return { header: data.subarray(0, pos), body: data.subarray(pos), hadSeparator: false };
}

/** Cuts a header section to at most `limit` octets at a field boundary. */
export function truncateHeader(header: Buffer, limit: number): { header: Buffer; truncated: boolean } {
  if (header.length <= limit) return { header, truncated: false };
  let cut = 0;
  let pos = 0;
  while (pos < header.length) {
    const eol = header.indexOf('\r\n', pos, 'latin1');
    if (eol < 0 || eol + 2 > limit) break;
    const next = header[eol + 2];
    pos = eol + 2;
    if (next !== 0x20 && next !== 0x09) cut = pos;
  }
  return { header: header.subarray(0, cut), truncated: true };
}

/** The n-th boundary candidate for a DSN; deterministic for a given Message-ID. */
export function boundaryCandidate(seed: string, n: number): string {
  const h = createHash('sha256').update(`${seed}\0${n}`).digest('hex').slice(0, 24);
  // "=_" cannot occur in quoted-printable or base64 output.
  return `=_GH-DSN-${h}`;
}

/** A boundary string that occurs in none of the given part bodies. */
export function chooseBoundary(seed: string, bodies: readonly Buffer[]): string {
  for (let n = 0; ; n++) {
    const candidate = boundaryCandidate(seed, n);
    if (!bodies.some((b) => b.includes(candidate, 0, 'latin1'))) return candidate;
  }
}
