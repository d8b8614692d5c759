// Delivery status notifications (RFC 3464 message/delivery-status inside an
// RFC 6522 multipart/report): non-delivery reports, delay notifications and
// success DSNs, with the original message or its header returned as
// RFC 3461's RET and the DSN attach-size limit allow.

import { isIP } from 'node:net';
import { asciiLine, chooseBoundary, foldField, identityEncoding, needsEncoding, normalizeCrlf, oneLine, quotedPrintable, rfc5322Date, splitMessage, truncateHeader, unstructuredValue, type TransferEncoding } from './dsn-mime.js';
import { humanReadableText } from './dsn-text.js';

export { humanReadableText } from './dsn-text.js';

export interface DsnRecipient {
  /** Final recipient. */
  address: string;
  /** "rfc822;user@domain" as received (ORCPT, xtext-decoded), for Original-Recipient. */
  orcpt?: string;
  action: 'failed' | 'delayed' | 'delivered' | 'relayed' | 'expanded';
  /** Enhanced status code, e.g. "5.1.1", "4.4.7". */
  status: string;
  /** The remote reply or our own text, e.g. "550 5.1.1 <bob@fabrikam.com>: Recipient address rejected". */
  diagnostic?: string;
  /** Host name or IP address of the peer that answered. */
  remoteMta?: string;
  lastAttempt?: Date;
  /** Delayed recipients only. */
  willRetryUntil?: Date;
}

export interface DsnInput {
  kind: 'failure' | 'delay' | 'success';
  /** This server's FQDN. */
  reportingMta: string;
  /** Postmaster address (ExternalPostmasterAddress or postmaster@<default domain/FQDN>). */
  from: string;
  /** The original envelope sender; never the null sender. */
  to: string;
  /** content = the whole original message. */
  original: { messageId: string; subject: string; envid?: string; ret?: 'FULL' | 'HDRS'; arrivalDate: Date; content: Buffer };
  recipients: DsnRecipient[];
  /** Above it only the header is returned (text/rfc822-headers); 0 = headers only. */
  maxAttachBytes: number;
  now: Date;
  /** Message-ID for the DSN, e.g. "<uuid@edge01.contoso.net>". */
  messageId: string;
}

/** Display name on the From field of every DSN. */
export const DSN_FROM_NAME = 'Mail Delivery System';
/** Returned header sections are cut (at a field boundary) beyond this size. */
export const MAX_RETURNED_HEADER = 256 * 1024;

const SUBJECT_PREFIX: Record<DsnInput['kind'], string> = {
  failure: 'Undeliverable: ',
  delay: 'Delayed: ',
  success: 'Delivered: ',
};

const CRLF = '\r\n';
const STATUS = /^[245]\.\d{1,3}\.\d{1,3}$/;

/** An envelope address without angle brackets or characters that could break a header. */
function bareAddress(address: string): string {
  const a = oneLine(address);
  return a.startsWith('<') && a.endsWith('>') ? a.slice(1, -1).trim() : a;
}

function msgId(id: string): string {
  const a = asciiLine(id).replace(/\s+/g, '');
  if (a === '' || a === '<>') return '';
  return a.startsWith('<') && a.endsWith('>') ? a : `<${a.replace(/^<|>$/g, '')}>`;
}

/** RFC 6533 utf-8-addr-xtext: characters outside printable ASCII (and "\", "+", "=") as \x{HEX}. */
function escapeUtf8Address(address: string): string {
  let out = '';
  for (const ch of address) {
    const cp = ch.codePointAt(0)!;
    out += cp > 0x20 && cp < 0x7f && ch !== '\\' && ch !== '+' && ch !== '=' ? ch : `\\x{${cp.toString(16).toUpperCase()}}`;
  }
  return out;
}

/** address-type ";" generic-address for Final-Recipient / Original-Recipient. */
function typedAddress(type: string, address: string): string {
  const a = oneLine(address);
  if (/^[\x21-\x7e]*$/.test(a)) return `${type};${a}`;
  return `utf-8;${escapeUtf8Address(a)}`;
}

function originalRecipient(orcpt: string): string {
  const v = oneLine(orcpt);
  const semi = v.indexOf(';');
  if (semi <= 0) return typedAddress('rfc822', v);
  const type = asciiLine(v.slice(0, semi)).replace(/\s+/g, '') || 'rfc822';
  const addr = v.slice(semi + 1).trim();
  return type.toLowerCase() === 'utf-8' ? `utf-8;${escapeUtf8Address(addr)}` : typedAddress(type, addr);
}

function statusOf(r: DsnRecipient): string {
  const s = oneLine(r.status);
  if (STATUS.test(s)) return s;
  return r.action === 'failed' ? '5.0.0' : r.action === 'delayed' ? '4.0.0' : '2.0.0';
}

/** "smtp;<reply>"; our own texts get a reply code and the enhanced status in front. */
function diagnosticCode(r: DsnRecipient, status: string): string {
  const text = asciiLine(r.diagnostic ?? '');
  if (/^[2-5]\d\d([ -]|$)/.test(text)) return `smtp;${text}`;
  const code = r.action === 'failed' ? '550' : status.startsWith('4') || r.action === 'delayed' ? '451' : '250';
  return text.startsWith(status) ? `smtp;${code} ${text}` : `smtp;${code} ${status} ${text}`;
}

function remoteMtaName(host: string): string {
  const h = asciiLine(host).replace(/\s+/g, '');
  if (isIP(h) === 4) return `[${h}]`;
  if (isIP(h) === 6) return `[IPv6:${h}]`;
  return h;
}

function validDate(d: Date | undefined): d is Date {
  return d instanceof Date && !Number.isNaN(d.getTime());
}

/** The message/delivery-status body (RFC 3464 §2), CRLF line ends. */
export function deliveryStatusBody(input: DsnInput): string {
  const fields: string[] = [];
  if (input.original.envid !== undefined && asciiLine(input.original.envid) !== '') {
    fields.push(foldField('Original-Envelope-Id', asciiLine(input.original.envid)));
  }
  fields.push(foldField('Reporting-MTA', `dns;${asciiLine(input.reportingMta)}`));
  if (validDate(input.original.arrivalDate)) fields.push(foldField('Arrival-Date', rfc5322Date(input.original.arrivalDate)));
  const blocks = [fields.join(CRLF)];
  for (const r of input.recipients) {
    const f: string[] = [];
    const status = statusOf(r);
    if (r.orcpt && oneLine(r.orcpt) !== '') f.push(foldField('Original-Recipient', originalRecipient(r.orcpt)));
    f.push(foldField('Final-Recipient', typedAddress('rfc822', bareAddress(r.address))));
    f.push(foldField('Action', r.action));
    f.push(foldField('Status', status));
    if (r.remoteMta && asciiLine(r.remoteMta) !== '') f.push(foldField('Remote-MTA', `dns;${remoteMtaName(r.remoteMta)}`));
    if (r.diagnostic && asciiLine(r.diagnostic) !== '') f.push(foldField('Diagnostic-Code', diagnosticCode(r, status)));
    if (validDate(r.lastAttempt)) f.push(foldField('Last-Attempt-Date', rfc5322Date(r.lastAttempt)));
    if (r.action === 'delayed' && validDate(r.willRetryUntil)) f.push(foldField('Will-Retry-Until', rfc5322Date(r.willRetryUntil)));
    blocks.push(f.join(CRLF));
  }
  return `${blocks.join(CRLF + CRLF)}${CRLF}`;
}

interface Part {
  headers: string[];
  body: Buffer;
  encoding: TransferEncoding;
}

/** Whether the whole original goes back (RFC 3461 §4.3: RET concerns failed DSNs; others carry the header only). */
export function returnsFullMessage(input: DsnInput): boolean {
  if (input.kind !== 'failure') return false;
  if (input.original.ret === 'HDRS') return false;
  if (!(input.maxAttachBytes > 0 && input.original.content.length <= input.maxAttachBytes)) return false;
  // message/rfc822 cannot be transfer-encoded (RFC 2046 §5.2.1): an original with NUL bytes or
  // lines over 998 octets would make the whole report binary, which DATA cannot carry to a
  // peer without BINARYMIME. Such originals come back as their header only.
  return identityEncoding(input.original.content) !== 'binary';
}

function textPart(text: string, contentType: string): Part {
  const data = Buffer.from(text.replace(/\r?\n/g, CRLF), 'utf8');
  if (!needsEncoding(data)) return { headers: [`Content-Type: ${contentType}`, 'Content-Transfer-Encoding: 7bit'], body: data, encoding: '7bit' };
  return {
    headers: [`Content-Type: ${contentType}`, 'Content-Transfer-Encoding: quoted-printable'],
    body: Buffer.from(quotedPrintable(data), 'latin1'),
    encoding: '7bit',
  };
}

function originalPart(input: DsnInput): Part {
  const content = input.original.content;
  if (returnsFullMessage(input)) {
    const split = splitMessage(content);
    // Keep the content as it came, line ends aside; a missing header/body separator is supplied.
    const body = split.hadSeparator || split.body.length === 0 ? normalizeCrlf(content) : Buffer.concat([split.header, Buffer.from(CRLF), split.body]);
    const encoding = identityEncoding(body);
    const headers = ['Content-Type: message/rfc822'];
    if (encoding !== '7bit') headers.push(`Content-Transfer-Encoding: ${encoding}`);
    return { headers, body, encoding };
  }
  const { header } = truncateHeader(splitMessage(content).header, MAX_RETURNED_HEADER);
  if (!needsEncoding(header)) return { headers: ['Content-Type: text/rfc822-headers'], body: header, encoding: '7bit' };
  return {
    headers: ['Content-Type: text/rfc822-headers', 'Content-Transfer-Encoding: quoted-printable'],
    body: Buffer.from(quotedPrintable(header), 'latin1'),
    encoding: '7bit',
  };
}

/** Builds a complete DSN message (RFC 5322, CRLF line ends). */
export function buildDsn(input: DsnInput): Buffer {
  const to = bareAddress(input.to);
  if (to === '') throw new Error('a DSN is never sent to the null reverse-path');
  if (input.recipients.length === 0) throw new Error('a DSN needs at least one recipient');
  const from = bareAddress(input.from);
  if (from === '') throw new Error('a DSN needs a From address');

  const parts: Part[] = [
    textPart(humanReadableText(input), 'text/plain; charset=utf-8'),
    { headers: ['Content-Type: message/delivery-status'], body: Buffer.from(deliveryStatusBody(input), 'latin1'), encoding: '7bit' },
    originalPart(input),
  ];
  const boundary = chooseBoundary(
    input.messageId,
    parts.map((p) => p.body),
  );
  const encoding: TransferEncoding = parts.some((p) => p.encoding === 'binary') ? 'binary' : parts.some((p) => p.encoding === '8bit') ? '8bit' : '7bit';

  const head: string[] = [foldField('From', `${DSN_FROM_NAME} <${from}>`), foldField('To', `<${to}>`), foldField('Subject', unstructuredValue(SUBJECT_PREFIX[input.kind], input.original.subject)), foldField('Date', rfc5322Date(input.now))];
  const id = msgId(input.messageId);
  if (id) head.push(foldField('Message-ID', id));
  const originalId = msgId(input.original.messageId);
  if (originalId) head.push(foldField('In-Reply-To', originalId), foldField('References', originalId));
  head.push('MIME-Version: 1.0', foldField('Content-Type', `multipart/report; report-type=delivery-status; boundary="${boundary}"`));
  if (encoding !== '7bit') head.push(`Content-Transfer-Encoding: ${encoding}`);
  head.push('Auto-Submitted: auto-replied');

  const chunks: Buffer[] = [Buffer.from(`${head.join(CRLF)}${CRLF}${CRLF}This is a MIME-formatted delivery status notification.${CRLF}`, 'utf8')];
  for (const part of parts) {
    chunks.push(Buffer.from(`${CRLF}--${boundary}${CRLF}${part.headers.join(CRLF)}${CRLF}${CRLF}`, 'latin1'), part.body);
  }
  chunks.push(Buffer.from(`${CRLF}--${boundary}--${CRLF}`, 'latin1'));
  return Buffer.concat(chunks);
}

/**
 * The SMTP BODY type a built DSN needs: "BINARYMIME" when it carries NUL
 * bytes or lines over 998 octets, "8BITMIME" when it carries 8-bit octets,
 * otherwise "7BIT".
 */
export function dsnBodyType(dsn: Buffer): '7BIT' | '8BITMIME' | 'BINARYMIME' {
  const e = identityEncoding(dsn);
  return e === 'binary' ? 'BINARYMIME' : e === '8bit' ? '8BITMIME' : '7BIT';
}
