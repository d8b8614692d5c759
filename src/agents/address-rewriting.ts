// The Edge's Address Rewriting agents (spec exchange-edge-agents.md §3.8):
// which address an address becomes, and the rewrite of a message's header
// fields. Pure: the session decides when (mail from the Internet: its RCPT
// TO only; mail leaving the organization: MAIL FROM and the originator and
// recipient fields below), this module decides what.
//
// Outbound, the closest entry wins: an entry for the address itself, then
// one for its domain, then the closest *.domain (domain flattening) whose
// ExceptionList does not hold the address's domain. Inbound, only entries
// that are not OutboundOnly apply, from the external address (or domain)
// back to the internal one; *.domain entries are always outbound only.
//
// A header field is rewritten in place: only the address itself changes;
// display names, comments, quoted strings, the other fields (Return-Path,
// Received, Message-ID...) and the body, with the headers of its MIME parts
// and attached messages, are left byte for byte. A line the change made
// longer than RFC 5322's 998 octets is folded again. The header is handled
// as octets (latin1 round-trips every byte), so UTF-8 text passes intact.

import addressparser from 'nodemailer/lib/addressparser';
import { scopeOf } from '../config/model/address-rewrite-entry.js';

export interface AddressRewriteEntry {
  name: string;
  /** user@dom, dom or *.dom (as stored: parsed, domain in lower case). */
  internalAddress: string;
  /** An address, or a domain. */
  externalAddress: string;
  /** Domains (with their subdomains) a *.dom entry leaves alone. */
  exceptionList: string[];
  outboundOnly: boolean;
}

/** One rewrite: the address it gave, and the entry that gave it. */
export interface Rewrite {
  address: string;
  entry: string;
}

/** The header fields Exchange's Address Rewriting Outbound agent rewrites (lower case). */
export const OUTBOUND_FIELDS: ReadonlySet<string> = new Set(['to', 'cc', 'from', 'sender', 'reply-to', 'return-receipt-to', 'disposition-notification-to', 'resent-from', 'resent-sender']);

/** RFC 5322 §2.1.1: a line holds at most 998 octets, CRLF excluded. */
export const MAX_LINE_OCTETS = 998;
/** The length folding aims for (RFC 5322 §2.1.1's SHOULD). */
const FOLD_AT = 78;

function splitAddress(address: string): { local: string; domain: string } | null {
  const at = address.lastIndexOf('@');
  if (at < 1 || at === address.length - 1) return null;
  return {
    local: address.slice(0, at),
    domain: address
      .slice(at + 1)
      .toLowerCase()
      .replace(/\.$/, ''),
  };
}

function within(domain: string, base: string): boolean {
  return domain === base || domain.endsWith(`.${base}`);
}

/** The entries, indexed for both directions. Built once per configuration, used per address. */
export class AddressRewriter {
  private readonly outAddress = new Map<string, AddressRewriteEntry>();
  private readonly outDomain = new Map<string, AddressRewriteEntry>();
  /** *.dom entries, the closest (longest domain) first. */
  private readonly outFlatten: { base: string; entry: AddressRewriteEntry }[] = [];
  private readonly inAddress = new Map<string, AddressRewriteEntry>();
  private readonly inDomain = new Map<string, AddressRewriteEntry>();

  constructor(entries: readonly AddressRewriteEntry[]) {
    for (const e of entries) {
      const internal = e.internalAddress.toLowerCase();
      const external = e.externalAddress.toLowerCase();
      const scope = scopeOf(internal);
      if (scope === 'Address') {
        this.outAddress.set(internal, e);
        if (!e.outboundOnly && !this.inAddress.has(external)) this.inAddress.set(external, e);
      } else if (scope === 'Domain') {
        this.outDomain.set(internal, e);
        if (!e.outboundOnly && !this.inDomain.has(external)) this.inDomain.set(external, e);
      } else {
        this.outFlatten.push({ base: internal.slice(2), entry: e });
      }
    }
    this.outFlatten.sort((a, b) => b.base.length - a.base.length);
  }

  get empty(): boolean {
    return this.outAddress.size + this.outDomain.size + this.outFlatten.length === 0;
  }

  /** Mail leaving the organization: the external form of an internal address, or null when no entry applies. */
  outbound(address: string): Rewrite | null {
    const parts = splitAddress(address);
    if (!parts) return null;
    const lower = `${parts.local.toLowerCase()}@${parts.domain}`;
    const own = this.outAddress.get(lower);
    if (own) return changed(address, own.externalAddress, own);
    const domain = this.outDomain.get(parts.domain);
    if (domain) return changed(address, `${parts.local}@${domain.externalAddress}`, domain);
    const flat = this.outFlatten.find((f) => within(parts.domain, f.base) && !f.entry.exceptionList.some((x) => within(parts.domain, x.toLowerCase())));
    return flat ? changed(address, `${parts.local}@${flat.entry.externalAddress}`, flat.entry) : null;
  }

  /** Mail from the Internet: the internal address of an external recipient, or null. */
  inbound(address: string): Rewrite | null {
    const parts = splitAddress(address);
    if (!parts) return null;
    const own = this.inAddress.get(`${parts.local.toLowerCase()}@${parts.domain}`);
    if (own) return changed(address, own.internalAddress, own);
    const domain = this.inDomain.get(parts.domain);
    return domain ? changed(address, `${parts.local}@${domain.internalAddress}`, domain) : null;
  }
}

function changed(from: string, to: string, entry: AddressRewriteEntry): Rewrite | null {
  return from.toLowerCase() === to.toLowerCase() ? null : { address: to, entry: entry.name };
}

/** One field's change, for the log. */
export interface FieldRewrite {
  field: string;
  from: string;
  to: string;
  entry: string;
}

/**
 * Whether the message's content is signed or encrypted as a whole (S/MIME, PGP/MIME): its
 * originator fields are then left alone, so that the signer still matches From.
 */
export function isSignedOrEncrypted(header: Buffer): boolean {
  const field = headerFields(header.toString('latin1')).find((f) => f.name.toLowerCase() === 'content-type');
  if (!field) return false;
  const type = unfold(field.raw.slice(field.raw.indexOf(':') + 1))
    .trim()
    .split(';')[0]
    .trim()
    .toLowerCase();
  return type === 'multipart/signed' || type === 'multipart/encrypted' || type === 'application/pkcs7-mime' || type === 'application/x-pkcs7-mime';
}

/**
 * Rewrites the addresses of the fields in `fields` (lower-case names) with `map`. `header` is the
 * message's header block (its fields, without the empty line). Returns the same Buffer when
 * nothing changed.
 */
export function rewriteHeaderFields(header: Buffer, map: (address: string) => Rewrite | null, fields: ReadonlySet<string> = OUTBOUND_FIELDS): { header: Buffer; changes: FieldRewrite[] } {
  const text = header.toString('latin1');
  const changes: FieldRewrite[] = [];
  let out = '';
  let touched = false;
  for (const f of headerFields(text)) {
    const colon = f.raw.indexOf(':');
    const name = f.raw.slice(0, colon).trim();
    if (colon < 0 || !fields.has(name.toLowerCase())) {
      out += f.raw;
      continue;
    }
    const value = f.raw.slice(colon + 1);
    const replacements = new Map<string, string>();
    const found: FieldRewrite[] = [];
    for (const m of addressparser(unfold(value), { flatten: true })) {
      const address = m.address.trim();
      if (!address.includes('@') || replacements.has(address.toLowerCase())) continue;
      const r = map(Buffer.from(address, 'latin1').toString('utf8'));
      if (!r) continue;
      replacements.set(address.toLowerCase(), Buffer.from(r.address, 'utf8').toString('latin1'));
      found.push({ field: name, from: Buffer.from(address, 'latin1').toString('utf8'), to: r.address, entry: r.entry });
    }
    if (replacements.size === 0) {
      out += f.raw;
      continue;
    }
    const replaced = new Set<string>();
    const next = replaceAddresses(value, replacements, replaced);
    // Only what was found written as an address counts (the parser may give a form the field does not spell out).
    changes.push(...found.filter((c) => replaced.has(Buffer.from(c.from, 'utf8').toString('latin1').toLowerCase())));
    touched ||= next !== value;
    out += foldLongLines(f.raw.slice(0, colon + 1) + next);
  }
  return { header: touched ? Buffer.from(out, 'latin1') : header, changes };
}

/** The fields of a header block, each with its continuation lines and line ends, in order. */
export function headerFields(text: string): { name: string; raw: string }[] {
  const fields: { name: string; raw: string }[] = [];
  let at = 0;
  while (at < text.length) {
    let end = text.indexOf('\n', at);
    end = end < 0 ? text.length : end + 1;
    // Continuation lines (starting with a space or a tab) belong to the field.
    while (end < text.length && (text[end] === ' ' || text[end] === '\t')) {
      const next = text.indexOf('\n', end);
      end = next < 0 ? text.length : next + 1;
    }
    const raw = text.slice(at, end);
    fields.push({ name: raw.slice(0, Math.max(0, raw.indexOf(':'))).trim(), raw });
    at = end;
  }
  return fields;
}

function unfold(value: string): string {
  return value.replace(/\r?\n(?=[ \t])/g, '').replace(/\r?\n$/, '');
}

/** Characters that may stand right before or after an address in an address list. */
function isDelimiter(c: string | undefined): boolean {
  return c === undefined || c === '<' || c === '>' || c === ',' || c === ':' || c === ';' || c === ' ' || c === '\t' || c === '\r' || c === '\n' || c === '(';
}

/**
 * Replaces each address of `replacements` (keys in lower case) where it stands as an address: not
 * inside a quoted string (a display name) or a comment.
 */
function replaceAddresses(value: string, replacements: Map<string, string>, replaced: Set<string>): string {
  let out = '';
  let i = 0;
  while (i < value.length) {
    if (isDelimiter(value[i - 1])) {
      let hit = false;
      for (const [from, to] of replacements) {
        if (value.length - i >= from.length && value.slice(i, i + from.length).toLowerCase() === from && isDelimiter(value[i + from.length])) {
          out += to;
          i += from.length;
          replaced.add(from);
          hit = true;
          break;
        }
      }
      if (hit) continue;
    }
    const c = value[i];
    if (c === '"') {
      const end = skipQuoted(value, i);
      out += value.slice(i, end);
      i = end;
    } else if (c === '(') {
      const end = skipComment(value, i);
      out += value.slice(i, end);
      i = end;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

function skipQuoted(s: string, start: number): number {
  let i = start + 1;
  while (i < s.length && s[i] !== '"') i += s[i] === '\\' ? 2 : 1;
  return Math.min(s.length, i + 1);
}

function skipComment(s: string, start: number): number {
  let depth = 0;
  let i = start;
  while (i < s.length) {
    const c = s[i];
    if (c === '\\') i += 2;
    else {
      if (c === '(') depth++;
      else if (c === ')' && --depth === 0) return i + 1;
      else if (c === '"' && depth === 0) return i;
      i++;
    }
  }
  return s.length;
}

/**
 * Folds again the lines of a field that are longer than 998 octets, at its spaces or after its
 * commas (outside quoted strings and comments), aiming at 78. Other lines are kept as they are.
 */
export function foldLongLines(field: string): string {
  const eol = field.includes('\r\n') ? '\r\n' : '\n';
  const ends = field.endsWith(eol);
  const lines = (ends ? field.slice(0, -eol.length) : field).split(eol);
  if (lines.every((l) => Buffer.byteLength(l, 'latin1') <= MAX_LINE_OCTETS)) return field;
  const folded: string[] = [];
  for (const line of lines) {
    if (line.length <= MAX_LINE_OCTETS) {
      folded.push(line);
      continue;
    }
    folded.push(...foldLine(line));
  }
  return folded.join(eol) + (ends ? eol : '');
}

/** Break points of one long line: before a space or tab, or right after a comma, outside quotes and comments. */
function foldLine(line: string): string[] {
  const out: string[] = [];
  let current = '';
  let lastBreak = -1; // index in `current` where a break may go
  let breakInsertsSpace = false;
  let i = 0;
  const push = (piece: string, breakable: 'before' | 'after-comma' | null) => {
    if (breakable === 'before' && current.length > 0) {
      lastBreak = current.length;
      breakInsertsSpace = false;
    }
    current += piece;
    if (breakable === 'after-comma') {
      lastBreak = current.length;
      breakInsertsSpace = true;
    }
    while (current.length > FOLD_AT && lastBreak > 0) {
      out.push(current.slice(0, lastBreak));
      current = (breakInsertsSpace ? ' ' : '') + current.slice(lastBreak);
      lastBreak = -1;
      if (current.trim() === '') break;
    }
  };
  while (i < line.length) {
    const c = line[i];
    if (c === '"') {
      const end = skipQuoted(line, i);
      push(line.slice(i, end), null);
      i = end;
    } else if (c === '(') {
      const end = skipComment(line, i);
      push(line.slice(i, end), null);
      i = end;
    } else if (c === ' ' || c === '\t') {
      push(c, 'before');
      i++;
    } else if (c === ',' && line[i + 1] !== ' ' && line[i + 1] !== '\t') {
      push(c, 'after-comma');
      i++;
    } else {
      push(c, null);
      i++;
    }
  }
  if (current !== '') out.push(current);
  return out;
}

/** What the Outbound agent made of a message: its new MAIL FROM and header, and what changed. */
export interface OutboundRewrite {
  sender: string;
  header: Buffer;
  /** The MAIL FROM's rewrite, if any. */
  envelope: FieldRewrite | null;
  fields: FieldRewrite[];
}

/**
 * Mail leaving the organization: MAIL FROM and the header fields of OUTBOUND_FIELDS, each address
 * by its closest entry. A signed or encrypted message keeps its header fields (rewriting From
 * would no longer match the signer); its MAIL FROM, outside the signature, is still rewritten.
 * Null when nothing changed.
 */
export function rewriteOutbound(rewriter: AddressRewriter, sender: string, header: Buffer): OutboundRewrite | null {
  if (rewriter.empty) return null;
  const r = sender === '' ? null : rewriter.outbound(sender);
  const envelope = r ? { field: 'MAIL FROM', from: sender, to: r.address, entry: r.entry } : null;
  const fields = isSignedOrEncrypted(header) ? { header, changes: [] } : rewriteHeaderFields(header, (a) => rewriter.outbound(a));
  if (!envelope && fields.changes.length === 0) return null;
  return { sender: r ? r.address : sender, header: fields.header, envelope, fields: fields.changes };
}
