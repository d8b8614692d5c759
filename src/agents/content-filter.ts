// The Content Filter agent's spam confidence level (spec exchange-edge-agents.md
// §3.5). Exchange scored messages with SmartScreen, whose updates ended in
// 2016; Gatehouse's SCL comes from what it knows, as documented in the README:
// - a GoodWord of the custom list in the subject or text: SCL 0; a BadWord: 9
//   (GoodWord wins when both are there);
// - otherwise the sum of the evidence, at most 9: the Sender ID result (Fail
//   5, SoftFail 3, PermError 2, TempError or None 1), a sender the Sender
//   Filter stamped as blocked (4), and a client a DNS block list provider
//   names, whose message still came in for a recipient that bypasses the
//   providers (IPBlockListProvidersConfig BypassedRecipients) (5);
// - the DMARC agent's verdicts (dmarc.ts), unless its policy is bypassed for
//   the message: DMARC fail under p=reject 5, under p=quarantine 4, under
//   p=none 2; a DKIM signature that fails when none passes for the From
//   domain 1. An aligned DKIM pass (the From domain's own signature) and a
//   DMARC pass lower nothing: they are listed among the reasons as evidence.
// - with the Gatehouse setting RspamdUrl, when the custom list did not decide:
//   rspamd's verdict too (rspamd.ts), the higher SCL of the two counting.
//   rspamd's action gives the SCL: reject, discard or quarantine 9, rewrite
//   subject 7, add header 6, greylist or soft reject 4, no action nothing.
//   Its score is reported, not counted: rspamd's own thresholds (its actions)
//   say what the score means. A GoodWord or BadWord decides alone, and rspamd
//   is not asked.
// The message is read with mailparser (the text and HTML parts decoded);
// messages over 11 MB are not scanned, as in Exchange.

import { simpleParser } from 'mailparser';
import type { RspamdAction, RspamdAnswer } from './rspamd.js';
import type { SenderIdStatus } from './sender-id.js';

/** What the DMARC agent found, for the SCL. */
export interface MailAuthEvidence {
  dmarc: string;
  policy: 'none' | 'quarantine' | 'reject' | null;
  /** A DKIM signature failed and none passed for the From domain. */
  dkimFail: boolean;
  /** A DKIM signature of the From domain (aligned) passed. */
  alignedDkimPass: boolean;
  fromDomain: string;
}

/** The SCL a DMARC failure adds, by the policy the From domain publishes. */
export const DMARC_FAIL_WEIGHT = { reject: 5, quarantine: 4, none: 2 } as const;

/** Larger messages are not scanned (Exchange's limit). */
export const MAX_SCANNED_OCTETS = 11 * 1024 * 1024;

export interface SclVerdict {
  scl: number;
  /** The evidence, for the agent log and the Antispam-Report stamp. */
  reasons: string[];
  /** A custom word decided it. */
  customList: boolean;
  /** rspamd's verdict as stamped in the Antispam-Report: RSPAMD:<action> <score>/<required_score>. */
  rspamd?: string;
}

/** The SCL each of rspamd's actions stands for. */
export const RSPAMD_SCL: Record<RspamdAction, number> = {
  reject: 9,
  discard: 9,
  quarantine: 9,
  'rewrite subject': 7,
  'add header': 6,
  greylist: 4,
  'soft reject': 4,
  'no action': 0,
};

/** The SCL with rspamd's answer: the higher of the two, and its verdict (or its failure) among the reasons. */
export function withRspamd(v: SclVerdict, answer: RspamdAnswer): SclVerdict {
  if (answer.kind === 'failed') return { ...v, reasons: [...v.reasons, `rspamd not counted (${answer.why})`.slice(0, 300)] };
  const r = answer.verdict;
  const token = `RSPAMD:${r.action} ${r.score.toFixed(2)}/${r.requiredScore.toFixed(2)}`;
  const scl = RSPAMD_SCL[r.action];
  const reason = `${token}${r.symbols.length ? ` [${r.symbols.join(' ')}]` : ''} (${scl > 0 ? `SCL ${scl}` : 'no raise'})`;
  return { ...v, scl: Math.max(v.scl, scl), reasons: [...v.reasons, reason], rspamd: token };
}

const SENDER_ID_WEIGHT: Partial<Record<SenderIdStatus, number>> = { Fail: 5, SoftFail: 3, PermError: 2, TempError: 1, None: 1 };

/** The text the phrases are looked for in: the subject and the decoded text and HTML parts, lower-cased. */
export async function messageText(message: Buffer): Promise<string> {
  const parsed = await simpleParser(message, { skipImageLinks: true, skipTextToHtml: true, skipTextLinks: true });
  return [parsed.subject ?? '', parsed.text ?? '', typeof parsed.html === 'string' ? parsed.html.replace(/<[^>]*>/g, ' ') : ''].join('\n').toLowerCase();
}

export function scoreMessage(o: { text: string; phrases: { text: string; good: boolean }[]; senderId: SenderIdStatus | null; blockedSender: boolean; listedBy?: string | null; mailAuth?: MailAuthEvidence | null }): SclVerdict {
  const good = o.phrases.find((p) => p.good && o.text.includes(p.text));
  if (good) return { scl: 0, reasons: [`GoodWord "${good.text}"`], customList: true };
  const bad = o.phrases.find((p) => !p.good && o.text.includes(p.text));
  if (bad) return { scl: 9, reasons: [`BadWord "${bad.text}"`], customList: true };
  const reasons: string[] = [];
  let scl = 0;
  const sid = o.senderId ? (SENDER_ID_WEIGHT[o.senderId] ?? 0) : 0;
  if (sid > 0) {
    scl += sid;
    reasons.push(`SenderIdStatus ${o.senderId} (+${sid})`);
  }
  if (o.blockedSender) {
    scl += 4;
    reasons.push('blocked sender stamped by the Sender Filter (+4)');
  }
  if (o.listedBy) {
    scl += 5;
    reasons.push(`client listed by ${o.listedBy} (+5)`);
  }
  const a = o.mailAuth;
  if (a) {
    if (a.dmarc === 'fail') {
      const w = DMARC_FAIL_WEIGHT[a.policy ?? 'none'];
      scl += w;
      reasons.push(`DMARC fail for ${a.fromDomain} (p=${a.policy ?? 'none'}) (+${w})`);
    } else if (a.dmarc === 'pass') {
      reasons.push(`DMARC pass for ${a.fromDomain} (no change)`);
    }
    if (a.alignedDkimPass) reasons.push(`DKIM pass for ${a.fromDomain} (no change)`);
    else if (a.dkimFail) {
      scl += 1;
      reasons.push('DKIM signature failed (+1)');
    }
  }
  return { scl: Math.min(9, scl), reasons, customList: false };
}
