// What the receiving server does to a message's header before queueing it:
// counts hops (Received headers; those naming this server are local hops),
// enforces MaxHeaderSize, removes the headers the session has no right to
// send (Received/Resent-* without Accept-Routing-Headers; internal
// organization headers without Accept-Organization-Headers), adds a
// Message-ID when there is none, and puts its own Received header on top.
// The header is handled as latin1 text so that every byte survives; the body
// is not touched.

const CRLF = Buffer.from('\r\n');

export interface HeaderSplit {
  /** The header block including its final CRLF (without the empty line). */
  header: string;
  /** The body, starting after the empty line (empty when there is none). */
  body: Buffer;
  /** Whether an empty line separated header and body. */
  hasSeparator: boolean;
}

export function splitMessage(message: Buffer): HeaderSplit {
  if (message.subarray(0, 2).equals(CRLF)) return { header: '', body: message.subarray(2), hasSeparator: true };
  const end = message.indexOf('\r\n\r\n');
  if (end < 0) return { header: message.toString('latin1'), body: Buffer.alloc(0), hasSeparator: false };
  return { header: message.subarray(0, end + 2).toString('latin1'), body: message.subarray(end + 4), hasSeparator: true };
}

export interface HeaderField {
  name: string;
  /** The whole field as it was, with its folding and final CRLF. */
  raw: string;
  /** The unfolded value, trimmed. */
  value: string;
}

export function parseHeader(header: string): HeaderField[] {
  const fields: HeaderField[] = [];
  const lines = header.split('\r\n');
  if (lines[lines.length - 1] === '') lines.pop();
  for (const line of lines) {
    if ((line.startsWith(' ') || line.startsWith('\t')) && fields.length > 0) {
      const last = fields[fields.length - 1];
      last.raw += line + '\r\n';
      last.value = (last.value + ' ' + line.trim()).trim();
      continue;
    }
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon).trim() : '';
    fields.push({ name, raw: line + '\r\n', value: colon > 0 ? line.slice(colon + 1).trim() : line });
  }
  return fields;
}

export interface HeaderPolicy {
  keepRoutingHeaders: boolean;
  keepOrganizationHeaders: boolean;
  maxHeaderSize: number;
  maxHopCount: number;
  /** 0 = no check. */
  maxLocalHopCount: number;
  /** Names of this server (FQDN, connector FQDN) that mark a Received header as a local hop. */
  localNames: string[];
  /** How the sender authenticated, stamped as X-MS-Exchange-Organization-AuthAs unless a trusted
   *  session (keepOrganizationHeaders) already brought one. */
  authAs: 'Anonymous' | 'Internal';
}

export type HeaderVerdict =
  | { ok: true; message: Buffer; messageId: string; subject: string; from: string; hops: number; authAs: string }
  | { ok: false; reason: 'header-too-large' | 'hop-count' | 'local-hop-count' };

const ORGANIZATION_HEADER = /^(x-ms-exchange-organization-|x-ms-exchange-forest-|x-gatehouse-organization-)/i;
const ROUTING_HEADER = /^(received|resent-[a-z-]+)$/i;

/**
 * Checks and rewrites the header. `received` builds this server's Received
 * header (without the field name) once the Message-ID is known.
 */
export function processHeader(message: Buffer, policy: HeaderPolicy, received: string, newMessageId: () => string): HeaderVerdict {
  const split = splitMessage(message);
  if (Buffer.byteLength(split.header, 'latin1') > policy.maxHeaderSize) return { ok: false, reason: 'header-too-large' };
  const fields = parseHeader(split.header);
  const receivedFields = fields.filter((f) => f.name.toLowerCase() === 'received');
  if (receivedFields.length >= policy.maxHopCount) return { ok: false, reason: 'hop-count' };
  if (policy.maxLocalHopCount > 0) {
    const names = policy.localNames.map((n) => n.toLowerCase());
    const local = receivedFields.filter((f) => {
      const by = /\bby\s+([^\s;()]+)/i.exec(f.value)?.[1]?.toLowerCase();
      return by !== undefined && names.includes(by);
    }).length;
    if (local >= policy.maxLocalHopCount) return { ok: false, reason: 'local-hop-count' };
  }
  const kept = fields.filter((f) => {
    if (!policy.keepRoutingHeaders && ROUTING_HEADER.test(f.name)) return false;
    if (!policy.keepOrganizationHeaders && ORGANIZATION_HEADER.test(f.name)) return false;
    return true;
  });
  const get = (name: string) => kept.find((f) => f.name.toLowerCase() === name)?.value ?? '';
  let messageId = get('message-id');
  const added: string[] = [];
  if (!messageId) {
    messageId = newMessageId();
    added.push(`Message-ID: ${messageId}\r\n`);
  }
  let authAs = get('x-ms-exchange-organization-authas');
  if (!authAs) {
    authAs = policy.authAs;
    added.push(`X-MS-Exchange-Organization-AuthAs: ${authAs}\r\n`);
  }
  const header = `Received: ${received}\r\n` + kept.map((f) => f.raw).join('') + added.join('');
  const parts: Buffer[] = [Buffer.from(header, 'latin1')];
  if (split.hasSeparator) parts.push(CRLF, split.body);
  return { ok: true, message: Buffer.concat(parts), messageId, subject: get('subject'), from: get('from') || get('sender'), hops: receivedFields.length, authAs };
}

/** RFC 5322 date for Received headers: "Fri, 27 Nov 2026 17:34:56 +0000". */
export function rfc5322Date(d: Date): string {
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const pad = (n: number) => String(n).padStart(2, '0');
  const offset = -d.getTimezoneOffset();
  const sign = offset >= 0 ? '+' : '-';
  const local = new Date(d.getTime() + offset * 60_000);
  return `${days[local.getUTCDay()]}, ${local.getUTCDate()} ${months[local.getUTCMonth()]} ${local.getUTCFullYear()} ` +
    `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())} ${sign}${pad(Math.floor(Math.abs(offset) / 60))}${pad(Math.abs(offset) % 60)}`;
}

/**
 * The header firewall on the way out (spec exchange-connectors.md §2): a Send
 * connector whose usage does not grant the next hop the organization rights
 * removes the internal organization and forest headers; a Custom connector
 * also removes routing headers (Received, Resent-*). Returns the message
 * itself when nothing has to go.
 */
export function firewallForSend(message: Buffer, strip: { organization: boolean; routing: boolean }): Buffer {
  if (!strip.organization && !strip.routing) return message;
  const split = splitMessage(message);
  const fields = parseHeader(split.header);
  const kept = fields.filter((f) => !(strip.organization && ORGANIZATION_HEADER.test(f.name)) && !(strip.routing && ROUTING_HEADER.test(f.name)));
  if (kept.length === fields.length) return message;
  const parts: Buffer[] = [Buffer.from(kept.map((f) => f.raw).join(''), 'latin1')];
  if (split.hasSeparator) parts.push(CRLF, split.body);
  return Buffer.concat(parts);
}
