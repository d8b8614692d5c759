// ESMTP parameters of MAIL FROM and RCPT TO (RFC 5321 §4.1.2 esmtp-param),
// and xtext (RFC 3461 §4).
//
// MAIL: SIZE=n (RFC 1870), BODY=7BIT|8BITMIME|BINARYMIME (RFC 6152, RFC 3030),
//       SMTPUTF8 (RFC 6531), RET=FULL|HDRS and ENVID=xtext (RFC 3461 §4.3-4.4),
//       AUTH=xtext|<> (RFC 4954 §5), REQUIRETLS (RFC 8689 §3, no value; advertised,
//       and so accepted, only inside TLS: elsewhere 530 5.7.10).
// RCPT: NOTIFY=NEVER | SUCCESS,FAILURE,DELAY (RFC 3461 §4.1),
//       ORCPT=addr-type;xtext (RFC 3461 §4.2).
// Invariants: keywords are case-insensitive; a keyword given twice, a value
// that breaks its syntax, or a value where none belongs -> 501 5.5.4 Invalid
// arguments; a keyword we do not know or did not advertise -> 501 5.5.4
// Unrecognized parameter; a BODY type not advertised -> 501 5.5.4 Unsupported
// BODY type. Nothing here applies limits (SIZE against MaxMessageSize is the
// session's job).

import { Replies, type SmtpReply } from './reply.js';

export type BodyType = '7BIT' | '8BITMIME' | 'BINARYMIME';
export type NotifyCondition = 'NEVER' | 'SUCCESS' | 'FAILURE' | 'DELAY';

export interface MailParams {
  /** Declared size (RFC 1870); values beyond 2^53-1 are clamped to it. */
  readonly size?: number;
  readonly body?: BodyType;
  readonly smtpUtf8: boolean;
  readonly ret?: 'FULL' | 'HDRS';
  /** ENVID, xtext-decoded. */
  readonly envid?: string;
  /** AUTH= mailbox, xtext-decoded; null for "AUTH=<>". */
  readonly auth?: string | null;
  /** REQUIRETLS (RFC 8689): the message may travel on only over validated TLS to hops that support it. */
  readonly requireTls?: boolean;
}

export interface RcptParams {
  /** ["NEVER"] alone, or a set of SUCCESS/FAILURE/DELAY. */
  readonly notify?: readonly NotifyCondition[];
  /** ORCPT: address type (e.g. "rfc822") and the xtext-decoded address. */
  readonly orcpt?: { readonly addrType: string; readonly address: string };
}

/** What the server advertised in its EHLO reply (all default to true). */
export interface ParamOptions {
  readonly size?: boolean;
  readonly dsn?: boolean;
  readonly eightBitMime?: boolean;
  readonly binaryMime?: boolean;
  readonly smtpUtf8?: boolean;
  /** REQUIRETLS is advertised (the session is inside TLS). */
  readonly requireTls?: boolean;
}

export type ParamsResult<T> = { readonly params: T } | { readonly error: SmtpReply };

/** RFC 3461 §4.4: ENVID at most 100 characters; §4.2: ORCPT at most 500. */
export const MAX_ENVID_CHARS = 100;
export const MAX_ORCPT_CHARS = 500;

const KEYWORD = /^[A-Za-z0-9][A-Za-z0-9-]*$/;
// esmtp-value: %d33-60 / %d62-126 (RFC 5321 §4.1.2); UTF-8 only with SMTPUTF8.
const VALUE = /^[\x21-\x3c\x3e-\x7e]+$/;

/**
 * Decodes xtext ("+HH" escapes, RFC 3461 §4); null when not valid xtext, or when an escape encodes
 * a control character (C0, DEL or C1: "+0D+0A" would put a line break into an ORCPT or ENVID that
 * later lands in a DSN's fields).
 */
export function decodeXtext(text: string): string | null {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2b) {
      const hex = text.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return null;
      const octet = parseInt(hex, 16);
      if (octet < 0x20 || (octet >= 0x7f && octet <= 0x9f)) return null;
      out += String.fromCharCode(octet);
      i += 2;
    } else if (c >= 0x21 && c <= 0x7e && c !== 0x3d) {
      out += text[i];
    } else return null;
  }
  return out;
}

interface RawParam {
  readonly keyword: string;
  readonly value: string | undefined;
}

function splitParams(rest: string): RawParam[] | SmtpReply {
  const out: RawParam[] = [];
  const seen = new Set<string>();
  for (const token of rest.split(' ')) {
    if (token === '') continue; // tolerate repeated spaces
    const eq = token.indexOf('=');
    const keyword = (eq < 0 ? token : token.slice(0, eq)).toUpperCase();
    const value = eq < 0 ? undefined : token.slice(eq + 1);
    if (!KEYWORD.test(keyword)) return Replies.invalidArguments;
    if (value !== undefined && !VALUE.test(value)) return Replies.invalidArguments;
    if (seen.has(keyword)) return Replies.invalidArguments;
    seen.add(keyword);
    out.push({ keyword, value });
  }
  return out;
}

export function parseMailParams(rest: string, options: ParamOptions = {}): ParamsResult<MailParams> {
  const raw = splitParams(rest);
  if (!Array.isArray(raw)) return { error: raw };
  let size: number | undefined;
  let body: BodyType | undefined;
  let smtpUtf8 = false;
  let ret: 'FULL' | 'HDRS' | undefined;
  let envid: string | undefined;
  let auth: string | null | undefined;
  let requireTls = false;
  for (const { keyword, value } of raw) {
    switch (keyword) {
      case 'REQUIRETLS':
        // RFC 8689 §3: only in a session that is itself protected by TLS.
        if (options.requireTls === false) return { error: Replies.requireTlsNeedsTls };
        if (value !== undefined) return { error: Replies.invalidArguments };
        requireTls = true;
        break;
      case 'SIZE':
        // XXX: with SizeEnabled Disabled we refuse SIZE= as not advertised;
        // whether Exchange ignores it instead is unconfirmed.
        if (options.size === false) return { error: Replies.unrecognizedParameter };
        // RFC 1870 §3: size-value ::= 1*20DIGIT
        if (value === undefined || !/^[0-9]{1,20}$/.test(value)) return { error: Replies.invalidArguments };
        size = Math.min(Number(value), Number.MAX_SAFE_INTEGER);
        break;
      case 'BODY': {
        const v = value?.toUpperCase();
        if (v === '7BIT') body = '7BIT';
        else if (v === '8BITMIME' && options.eightBitMime !== false) body = '8BITMIME';
        else if (v === 'BINARYMIME' && options.binaryMime !== false) body = 'BINARYMIME';
        else return { error: value === undefined ? Replies.invalidArguments : Replies.unsupportedBodyType };
        break;
      }
      case 'SMTPUTF8':
        if (options.smtpUtf8 === false) return { error: Replies.unrecognizedParameter };
        if (value !== undefined) return { error: Replies.invalidArguments };
        smtpUtf8 = true;
        break;
      case 'RET': {
        if (options.dsn === false) return { error: Replies.unrecognizedParameter };
        const v = value?.toUpperCase();
        if (v !== 'FULL' && v !== 'HDRS') return { error: Replies.invalidArguments };
        ret = v;
        break;
      }
      case 'ENVID': {
        if (options.dsn === false) return { error: Replies.unrecognizedParameter };
        const decoded = value === undefined || value.length > MAX_ENVID_CHARS ? null : decodeXtext(value);
        if (decoded === null) return { error: Replies.invalidArguments };
        envid = decoded;
        break;
      }
      case 'AUTH': {
        if (value === '<>') {
          auth = null;
          break;
        }
        const decoded = value === undefined ? null : decodeXtext(value);
        if (decoded === null || decoded === '') return { error: Replies.invalidArguments };
        auth = decoded;
        break;
      }
      default:
        return { error: Replies.unrecognizedParameter };
    }
  }
  const params: MailParams = {
    smtpUtf8,
    ...(size !== undefined && { size }),
    ...(body !== undefined && { body }),
    ...(ret !== undefined && { ret }),
    ...(envid !== undefined && { envid }),
    ...(auth !== undefined && { auth }),
    ...(requireTls && { requireTls }),
  };
  return { params };
}

export function parseRcptParams(rest: string, options: ParamOptions = {}): ParamsResult<RcptParams> {
  const raw = splitParams(rest);
  if (!Array.isArray(raw)) return { error: raw };
  let notify: NotifyCondition[] | undefined;
  let orcpt: { addrType: string; address: string } | undefined;
  for (const { keyword, value } of raw) {
    switch (keyword) {
      case 'NOTIFY': {
        if (options.dsn === false) return { error: Replies.unrecognizedParameter };
        if (value === undefined) return { error: Replies.invalidArguments };
        const list = value.toUpperCase().split(',');
        const set = new Set(list);
        if (set.size !== list.length) return { error: Replies.invalidArguments };
        if (set.has('NEVER') && list.length > 1) return { error: Replies.invalidArguments };
        if (!list.every((c) => c === 'NEVER' || c === 'SUCCESS' || c === 'FAILURE' || c === 'DELAY')) {
          return { error: Replies.invalidArguments };
        }
        notify = list as NotifyCondition[];
        break;
      }
      case 'ORCPT': {
        if (options.dsn === false) return { error: Replies.unrecognizedParameter };
        if (value === undefined || value.length > MAX_ORCPT_CHARS) return { error: Replies.invalidArguments };
        const semi = value.indexOf(';');
        const addrType = semi < 0 ? '' : value.slice(0, semi);
        if (!/^[A-Za-z0-9-]+$/.test(addrType)) return { error: Replies.invalidArguments };
        const address = decodeXtext(value.slice(semi + 1));
        if (address === null || address === '') return { error: Replies.invalidArguments };
        orcpt = { addrType: addrType.toLowerCase(), address };
        break;
      }
      default:
        return { error: Replies.unrecognizedParameter };
    }
  }
  return { params: { ...(notify && { notify }), ...(orcpt && { orcpt }) } };
}
