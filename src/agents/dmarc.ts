// The DMARC agent's check of mail from the Internet: DKIM signatures
// (RFC 6376), the ARC chain (RFC 8617) and the From domain's DMARC policy
// (RFC 7489), evaluated by the mailauth library through the Edge's external
// DNS servers. SPF is not evaluated here: DMARC takes the Sender ID agent's
// result for the MAIL FROM identity (sender-id.ts). The verdicts are written
// into one Authentication-Results field (RFC 8601) naming this Edge, with the
// spf, dkim, dmarc and arc results.

import { createRequire } from 'node:module';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { dmarc as dmarcVerify } from 'mailauth/lib/dmarc/index.js';
import { arc as arcVerify } from 'mailauth/lib/arc/index.js';
import { agentLookup } from '../dns/agent-lookups.js';
import type { DnsSettings } from '../dns/dns-settings.js';
import type { SenderIdResult } from './sender-id.js';

/** The address parser mailauth's DKIM verifier reads From with (its own nodemailer), so that both read a From alike. */
const addressparser = ((): ((s: string) => { address?: string }[]) | null => {
  try {
    return createRequire(createRequire(import.meta.url).resolve('mailauth'))('nodemailer/lib/addressparser') as (s: string) => { address?: string }[];
  } catch {
    return null;
  }
})();

/** Longest the DKIM, ARC and DMARC lookups of one message may take together; past it they are temperror. */
export const VERIFY_TIMEOUT_MS = 10_000;

export type DmarcResult = 'pass' | 'fail' | 'none' | 'temperror' | 'permerror';

export interface MailAuthVerdict {
  /** Each signature's result (one "none" row when the message carries none). */
  dkim: { result: string; domain: string; aligned: boolean; info: string }[];
  /** The DMARC verdict of the From domain, and its published policy (p, or sp for a subdomain). */
  dmarc: { result: DmarcResult; domain: string; policy: 'none' | 'quarantine' | 'reject' | null; info: string };
  arc: { result: string; info: string };
  /** The From address's domain, lower-cased ('' when the message has no single From address). */
  fromDomain: string;
}

interface Row {
  status?: { result?: string; aligned?: string | false };
  info?: string;
  signingDomain?: string;
}

/**
 * Verifies a message as received (header and body). `spf` is the Sender ID agent's result for
 * this transaction. A DNS failure or a timeout gives temperror results, never an exception.
 */
export async function verifyMailAuth(o: { message: Buffer; sender: string; spf: SenderIdResult; dns: DnsSettings }): Promise<MailAuthVerdict> {
  const resolve = agentLookup(o.dns);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((res) => {
    timer = setTimeout(() => res('late'), VERIFY_TIMEOUT_MS);
  });
  try {
    const r = await Promise.race([evaluate(o, resolve), late]);
    if (r === 'late') return temperror(`the DKIM and DMARC lookups took longer than ${VERIFY_TIMEOUT_MS / 1000} seconds`);
    return r;
  } catch (err) {
    return temperror((err as Error).message);
  } finally {
    clearTimeout(timer);
  }
}

/** What the DKIM verifier reports that the DMARC check uses. */
interface Verified {
  results?: unknown[];
  headerFrom?: string | string[];
  arc?: unknown;
}

async function evaluate(o: { message: Buffer; sender: string; spf: SenderIdResult }, resolver: (name: string, rrtype: string) => Promise<string[][] | string[]>): Promise<MailAuthVerdict> {
  // Most mail carries no signature: its From addresses are read from the header alone, as the
  // verifier reads them, instead of parsing and hashing the whole message.
  const d: Verified = unsignedFrom(o.message) ?? ((await dkimVerify(o.message, { resolver, sender: o.sender || undefined })) as unknown as Verified);
  const rows = (d.results ?? []) as Row[];
  const dkim = rows.map((r) => {
    const info = oneLine(r.info ?? `dkim=${r.status?.result ?? 'none'}`);
    // A body that no longer matches its signature's hash is a failed signature (RFC 6376 §6.1.3, RFC 8601 §2.7.1: fail).
    if (r.status?.result === 'neutral' && /^dkim=neutral \(body hash did not verify\)/.test(info)) return { result: 'fail', domain: (r.signingDomain ?? '').toLowerCase(), aligned: false, info: info.replace(/^dkim=neutral/, 'dkim=fail') };
    return { result: r.status?.result ?? 'none', domain: (r.signingDomain ?? '').toLowerCase(), aligned: Boolean(r.status?.aligned), info };
  });
  if (dkim.length === 0) dkim.push({ result: 'none', domain: '', aligned: false, info: 'dkim=none (message not signed)' });
  const a = (await arcVerify(d.arc as never, { resolver } as never)) as unknown as Row;
  const arcResult = a?.status?.result ?? 'none';
  const arc = { result: arcResult, info: oneLine(a?.info ?? `arc=${arcResult}`) };
  const froms = Array.isArray(d.headerFrom) ? d.headerFrom : d.headerFrom ? [d.headerFrom] : [];
  const fromDomain =
    froms.length === 1
      ? String(froms[0])
          .slice(String(froms[0]).lastIndexOf('@') + 1)
          .toLowerCase()
      : '';
  if (!fromDomain) {
    const why = froms.length === 0 ? 'no From address' : 'more than one From address';
    return { dkim, arc, fromDomain, dmarc: { result: 'permerror', domain: '', policy: null, info: `dmarc=permerror (${why})` } };
  }
  const spfPass = o.spf.status === 'Pass' ? [o.spf.domain] : [];
  const m = (await dmarcVerify({
    headerFrom: froms[0] as string,
    spfDomains: spfPass,
    dkimDomains: rows.filter((r) => r.status?.result === 'pass').map((r) => ({ domain: r.signingDomain, aligned: r.status?.aligned })),
    arcResult: a,
    resolver,
  } as never)) as unknown as (Row & { domain?: string; policy?: string }) | false;
  if (!m) return { dkim, arc, fromDomain, dmarc: { result: 'permerror', domain: fromDomain, policy: null, info: 'dmarc=permerror' } };
  const result = (m.status?.result ?? 'none') as DmarcResult;
  const policy = m.policy === 'reject' || m.policy === 'quarantine' || m.policy === 'none' ? m.policy : null;
  return { dkim, arc, fromDomain, dmarc: { result, domain: m.domain ?? fromDomain, policy, info: oneLine(m.info ?? `dmarc=${result}`) } };
}

const SIGNATURE_FIELDS = new Set(['dkim-signature', 'arc-seal', 'arc-message-signature', 'arc-authentication-results']);

/**
 * For a message with no DKIM-Signature and no ARC field: the verifier's findings without running it
 * (no signatures, no ARC chain, the From addresses parsed by the same address parser the verifier
 * uses). Null when the message is signed, has no header end, or the parser cannot be loaded.
 */
export function unsignedFrom(message: Buffer): Verified | null {
  if (!addressparser) return null;
  let end = message.indexOf('\r\n\r\n');
  if (end < 0) end = message.indexOf('\n\n');
  if (end < 0) return null;
  const fields: string[] = [];
  for (const line of message.subarray(0, end).toString('utf8').split(/\r?\n/)) {
    if ((line.startsWith(' ') || line.startsWith('\t')) && fields.length > 0) fields[fields.length - 1] += `\r\n${line}`;
    else fields.push(line);
  }
  const from: string[] = [];
  for (const field of fields) {
    const colon = field.indexOf(':');
    const key = (colon >= 0 ? field.slice(0, colon) : field).trim().toLowerCase();
    if (SIGNATURE_FIELDS.has(key)) return null;
    if (key !== 'from') continue;
    for (const a of addressparser(field.slice(colon + 1).trim())) if (a?.address) from.push(a.address);
  }
  return { results: [{ info: 'dkim=none (message not signed)', status: { comment: 'message not signed', result: 'none' } }], headerFrom: from, arc: { chain: false } };
}

function temperror(why: string): MailAuthVerdict {
  const c = why.replace(/[()\r\n\\]/g, ' ').slice(0, 200);
  return {
    dkim: [{ result: 'temperror', domain: '', aligned: false, info: `dkim=temperror (${c})` }],
    arc: { result: 'none', info: 'arc=none' },
    dmarc: { result: 'temperror', domain: '', policy: null, info: `dmarc=temperror (${c})` },
    fromDomain: '',
  };
}

function oneLine(s: string): string {
  return s.replace(/\r?\n[ \t]*/g, ' ');
}

/**
 * The Authentication-Results field value: this Edge's authserv-id, then spf (first, on the first
 * line), each DKIM signature, dmarc and arc, one per folded line. `action` is the DMARC
 * disposition taken (as Exchange Online writes it: action=none|quarantine|reject|oreject).
 */
export function authenticationResults(mta: string, spfInfo: string, v: MailAuthVerdict, action?: string): string {
  const dmarc = action ? `${v.dmarc.info} action=${action}` : v.dmarc.info;
  return [`${mta}; ${spfInfo}`, ...v.dkim.map((d) => d.info), dmarc, v.arc.info].join(';\r\n\t');
}
