// What the receiving server does to a message's header before queueing it:
// splits it into the lines the next hop will receive (header-section.ts: CRLF,
// bare CR and bare LF each end a line) and writes them back with CRLF, counts
// hops (Received headers; those naming this server are local hops), enforces
// MaxHeaderSize, removes the headers the session has no right to send
// (Received/Resent-* without Accept-Routing-Headers; internal organization
// headers without Accept-Organization-Headers), keeps only the newest copy of
// each organization header a trusted peer sent, adds a Message-ID when there
// is none, and puts its own Received header and organization stamp on top.
//
// The header is handled as bytes: every octet of a field survives as it came,
// and the Received header, which may carry UTF-8 addresses (RFC 6532), is
// written as UTF-8. Field names are compared as ASCII. The body is not touched.

import { splitContent } from './header-section.js';

const CRLF = Buffer.from('\r\n');

export interface HeaderField {
  /** The field name as written (before the colon), trimmed; '' for a line that is not a field. */
  readonly name: string;
  /** The whole field: its lines with CRLF line ends. */
  readonly raw: Buffer;
  /** The unfolded value, trimmed, decoded as UTF-8. */
  readonly value: string;
}

const CR = 0x0d;
const LF = 0x0a;
const COLON = 0x3a;

/** One field; its value is decoded only when asked for (most fields are only copied). */
class Field implements HeaderField {
  private decoded: string | undefined;

  constructor(
    readonly name: string,
    readonly raw: Buffer,
    private readonly valueStart: number,
  ) {}

  get value(): string {
    if (this.decoded === undefined) {
      // Unfold: the CRLFs (and the whitespace around them) between the lines become one space.
      this.decoded = this.raw
        .toString('utf8', this.valueStart)
        .replace(/[ \t]*\r\n[ \t]*/g, ' ')
        .trim();
    }
    return this.decoded;
  }
}

/** The fields of a header section (line ends CRLF, bare CR or bare LF), each rewritten with CRLF. */
export function parseHeader(header: Uint8Array): HeaderField[] {
  const buf = Buffer.from(header.buffer, header.byteOffset, header.byteLength);
  const fields: HeaderField[] = [];
  let fieldStart = -1;
  /** The field so far is a stretch of `buf` with CRLF line ends (it can be shared, not copied). */
  let contiguous = true;
  let pieces: Buffer[] = [];
  let fieldEnd = 0;
  const close = () => {
    if (fieldStart < 0) return;
    const raw = contiguous ? buf.subarray(fieldStart, fieldEnd) : Buffer.concat(pieces);
    const colon = raw.indexOf(COLON);
    const lineEnd = raw.indexOf(CR);
    const named = colon > 0 && colon < lineEnd;
    fields.push(new Field(named ? raw.toString('latin1', 0, colon).trim() : '', raw, named ? colon + 1 : 0));
    fieldStart = -1;
    pieces = [];
  };
  let i = 0;
  while (i < buf.length) {
    // One line: [i, end) and its line end.
    const cr = buf.indexOf(CR, i);
    const lf = buf.indexOf(LF, i);
    const end = cr < 0 ? (lf < 0 ? buf.length : lf) : lf < 0 ? cr : Math.min(cr, lf);
    const crlf = buf[end] === CR && buf[end + 1] === LF;
    const next = end >= buf.length ? end : crlf ? end + 2 : end + 1;
    const folded = fieldStart >= 0 && (buf[i] === 0x20 || buf[i] === 0x09);
    if (!folded) {
      close();
      fieldStart = i;
      contiguous = true;
    }
    if (contiguous && !crlf) {
      // A bare CR or LF, or no line end at all: this field is rewritten with CRLF.
      contiguous = false;
      pieces = [buf.subarray(fieldStart, i)];
    }
    if (contiguous) fieldEnd = next;
    else pieces.push(buf.subarray(i, end), CRLF);
    i = next;
  }
  close();
  return fields;
}

export interface HeaderPolicy {
  keepRoutingHeaders: boolean;
  keepOrganizationHeaders: boolean;
  /** Authentication-Results naming this server are kept (a peer trusted to vouch for authentication:
   *  Exchange Servers and Externally Secured sessions, i.e. AcceptAuthenticationFlag); default: keepOrganizationHeaders. */
  keepOwnAuthenticationResults?: boolean;
  maxHeaderSize: number;
  maxHopCount: number;
  /** 0 = no check. */
  maxLocalHopCount: number;
  /** Names of this server (FQDN, connector FQDN) that mark a Received header as a local hop. */
  localNames: string[];
  /** How the sender authenticated, stamped as X-MS-Exchange-Organization-AuthAs unless a trusted
   *  session (keepOrganizationHeaders) already brought one. */
  /** Partner: a domain-secured sender (mutual TLS, Domain Security). */
  authAs: 'Anonymous' | 'Internal' | 'Partner';
}

export type HeaderVerdict =
  | {
      ok: true;
      /** The header to store, CRLF line ends, without the empty line. */
      header: Buffer;
      messageId: string;
      subject: string;
      /** The From field (or Sender when there is no From), for tracking. */
      from: string;
      /** The From and Sender field values, for send-as checks. */
      originators: { from: string; sender: string };
      hops: number;
      authAs: string;
      /** Older copies of organization headers from a trusted peer that were dropped. */
      staleOrganizationHeaders: number;
      /** Authentication-Results fields from outside that claimed this server's authserv-id, dropped (RFC 8601 §5). */
      forgedAuthenticationResults: number;
    }
  | { ok: false; reason: 'header-too-large' | 'hop-count' | 'local-hop-count' };

const ORGANIZATION_HEADER = /^(x-ms-exchange-organization-|x-ms-exchange-forest-|x-gatehouse-organization-)/i;
const ROUTING_HEADER = /^(received|resent-[a-z-]+)$/i;
const AUTH_AS = 'x-ms-exchange-organization-authas';

/** The authserv-id of an Authentication-Results field value (RFC 8601 §2.2), lower-cased. */
export function authservId(value: string): string {
  let s = value.replace(/\r?\n/g, ' ');
  // Comments (CFWS) may come before the id.
  for (let i = 0; i < 5 && /^\s*\(/.test(s); i++) s = s.replace(/^\s*\([^()]*\)/, '');
  return (/^\s*([^\s;()]+)/.exec(s)?.[1] ?? '').toLowerCase();
}

/**
 * Checks and rewrites a header section (as received, without the empty line). `received` is this
 * server's Received header value (without the field name); `newMessageId` makes a Message-ID when
 * the message has none.
 */
export function processHeader(header: Buffer, policy: HeaderPolicy, received: string, newMessageId: () => string): HeaderVerdict {
  if (header.length > policy.maxHeaderSize) return { ok: false, reason: 'header-too-large' };
  const fields = parseHeader(header);
  const receivedFields = fields.filter((f) => f.name.toLowerCase() === 'received');
  // Refused above the limit (MaxHopCount: the most Received headers a message may carry).
  if (receivedFields.length > policy.maxHopCount) return { ok: false, reason: 'hop-count' };
  if (policy.maxLocalHopCount > 0) {
    const names = policy.localNames.map((n) => n.toLowerCase());
    const local = receivedFields.filter((f) => {
      const by = /\bby\s+([^\s;()]+)/i.exec(f.value)?.[1]?.toLowerCase();
      return by !== undefined && names.includes(by);
    }).length;
    if (local > policy.maxLocalHopCount) return { ok: false, reason: 'local-hop-count' };
  }
  // Each hop puts its stamp on top: the first copy of an organization header is the one the
  // immediate (trusted) peer added; any copy below it is older and is never trusted.
  const seenOrganization = new Set<string>();
  let stale = 0;
  let forged = 0;
  const ownIds = policy.localNames.map((n) => n.toLowerCase());
  const kept = fields.filter((f) => {
    if (!policy.keepRoutingHeaders && ROUTING_HEADER.test(f.name)) return false;
    // RFC 8601 §5: results that claim to be this server's, from a peer that is not trusted, are forged.
    if (!(policy.keepOwnAuthenticationResults ?? policy.keepOrganizationHeaders) && f.name.toLowerCase() === 'authentication-results' && ownIds.includes(authservId(f.value))) {
      forged++;
      return false;
    }
    if (!ORGANIZATION_HEADER.test(f.name)) return true;
    if (!policy.keepOrganizationHeaders) return false;
    const key = f.name.toLowerCase();
    if (seenOrganization.has(key)) {
      stale++;
      return false;
    }
    seenOrganization.add(key);
    return true;
  });
  const get = (name: string) => kept.find((f) => f.name.toLowerCase() === name)?.value ?? '';
  let messageId = get('message-id');
  const stamps: string[] = [];
  const trailer: string[] = [];
  if (!messageId) {
    messageId = newMessageId();
    trailer.push(`Message-ID: ${messageId}\r\n`);
  }
  let authAs = get(AUTH_AS);
  if (!authAs) {
    authAs = policy.authAs;
    stamps.push(`X-MS-Exchange-Organization-AuthAs: ${authAs}\r\n`);
  }
  const out = Buffer.concat([Buffer.from(`Received: ${received}\r\n${stamps.join('')}`, 'utf8'), ...kept.map((f) => f.raw), Buffer.from(trailer.join(''), 'utf8')]);
  const from = get('from');
  const sender = get('sender');
  return {
    ok: true,
    header: out,
    messageId,
    subject: get('subject'),
    from: from || sender,
    originators: { from, sender },
    hops: receivedFields.length,
    authAs,
    staleOrganizationHeaders: stale,
    forgedAuthenticationResults: forged,
  };
}

/** RFC 5322 date for Received headers: "Fri, 27 Nov 2026 17:34:56 +0000". */
export function rfc5322Date(d: Date): string {
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const pad = (n: number) => String(n).padStart(2, '0');
  const offset = -d.getTimezoneOffset();
  const sign = offset >= 0 ? '+' : '-';
  const local = new Date(d.getTime() + offset * 60_000);
  return (
    `${days[local.getUTCDay()]}, ${local.getUTCDate()} ${months[local.getUTCMonth()]} ${local.getUTCFullYear()} ` +
    `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())} ${sign}${pad(Math.floor(Math.abs(offset) / 60))}${pad(Math.abs(offset) % 60)}`
  );
}

/**
 * The header firewall on the way out (spec exchange-connectors.md §2): a Send
 * connector whose usage does not grant the next hop the organization rights
 * removes the internal organization and forest headers; a Custom connector
 * also removes routing headers (Received, Resent-*). The header is split by
 * the same rule as on the way in. Returns the message itself when nothing has
 * to go.
 */
export function firewallForSend(message: Buffer, strip: { organization: boolean; routing: boolean }): Buffer {
  if (!strip.organization && !strip.routing) return message;
  const split = splitContent(message);
  const fields = parseHeader(split.header);
  const kept = fields.filter((f) => !(strip.organization && ORGANIZATION_HEADER.test(f.name)) && !(strip.routing && ROUTING_HEADER.test(f.name)));
  if (kept.length === fields.length) return message;
  const parts: Buffer[] = kept.map((f) => f.raw);
  if (split.hasSeparator) parts.push(CRLF, split.body);
  return Buffer.concat(parts);
}
