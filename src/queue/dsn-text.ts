// The human-readable first part of a delivery status notification, laid out
// like Exchange's NDRs: a section for the sender, then diagnostic information
// for administrators and the original message headers.

import type { DsnInput, DsnRecipient } from './dsn.js';
import { oneLine, rfc5322Date, splitMessage, truncateHeader } from './dsn-mime.js';

/** At most this much of the original header is quoted in the text. */
export const TEXT_HEADER_LIMIT = 64 * 1024;

type Action = DsnRecipient['action'];

/** Explanations for the sender, by exact enhanced status code. */
const FAILED_TEXT: Record<string, string> = {
  '5.1.0': "The sender's address was refused by the destination. Check the sender address, or contact your email admin.",
  '5.1.1': "The email address you entered couldn't be found. Check the recipient's address for typing errors and try to resend the message. If the problem continues, contact the recipient by other means to verify the address.",
  '5.1.2': "The recipient's domain couldn't be found. Check the part of the address after the @ sign for typing errors and try to resend the message.",
  '5.1.3': "The recipient's address isn't a valid email address. Check its format and try to resend the message.",
  '5.1.4': 'The recipient address belongs to a domain reserved for documentation or testing and was refused.',
  '5.1.5': 'The recipient address belongs to a domain reserved for documentation or testing and was refused.',
  '5.1.6': "Recipient addresses in single-label domains (no dot after the @ sign) aren't accepted.",
  '5.1.7': 'Your sender address is invalid or unknown to the destination, so the message was refused. Contact your email admin.',
  '5.1.8': 'The destination refused your sender address. Your account may be blocked from sending to this recipient; contact your email admin.',
  '5.1.10': "The recipient's address doesn't exist at the destination domain. The address may be wrong or out of date; check it and try again.",
  '5.2.1': "The recipient's mailbox isn't accepting messages right now, or the message was held by a content filter.",
  '5.2.2': "The recipient's mailbox is full and can't accept messages now. Try resending the message later, or contact the recipient by other means.",
  '5.2.3': 'The message is too large for this recipient. Try sending a smaller message, or send large attachments another way.',
  '5.2.4': "The message couldn't be delivered to all members of a distribution group.",
  '5.3.0': 'The message caused repeated processing errors and was removed from the queue.',
  '5.3.4': 'The message is larger than the maximum size the receiving system accepts. Remove or shrink attachments and try again.',
  '5.3.5': 'A mail system along the route is configured incorrectly (the message would have looped back to the sending server).',
  '5.4.1': 'The destination server refused to relay the message for this recipient.',
  '5.4.4': "The message couldn't be routed: the recipient's domain doesn't exist or has no mail server. Check the domain part of the address.",
  '5.4.6': 'A routing loop was detected: the message passed through too many servers and was stopped. Contact your email admin.',
  '5.4.7': "The message couldn't be delivered within the time allowed, so the server stopped trying.",
  '4.4.7': "The message couldn't be delivered within the time allowed, so the server stopped trying. The destination may be down or unreachable.",
  '5.4.8': 'A routing loop was detected while resolving the recipient. Contact your email admin.',
  '5.5.2': 'The receiving server rejected the conversation because of a protocol error.',
  '5.5.3': 'The message has too many recipients. Split the recipient list and resend.',
  '5.6.0': "The message's content couldn't be processed by the receiving system.",
  '5.7.1': "You aren't allowed to send to this recipient: the destination refused delivery (not authorized, or relaying denied). If you think you should be allowed, contact the recipient's email admin.",
  '5.7.3': "The receiving server requires authentication or a secure (TLS) connection that could not be established, so delivery wasn't authorized.",
  '5.7.8': 'Authentication with the receiving server failed.',
};

/** Explanations for still-pending (delayed) recipients. */
const DELAYED_TEXT: Record<string, string> = {
  '4.4.0': "The destination's mail server couldn't be reached or didn't respond correctly.",
  '4.4.1': 'The connection to the destination mail server timed out or was refused.',
  '4.4.2': 'The connection to the destination mail server was dropped.',
  '4.4.3': "The destination's mail server couldn't be found (DNS lookup failure).",
  '4.4.7': "The destination hasn't accepted the message yet.",
  '4.3.1': 'A mail server along the route is short of resources.',
  '4.3.2': 'A mail server along the route is temporarily not accepting messages.',
  '4.2.2': "The recipient's mailbox is full.",
  '4.7.0': 'The destination temporarily refused the message for policy reasons.',
};

/** Fallbacks by status subject (the middle number of x.y.z). */
const FAILED_BY_SUBJECT: Record<string, string> = {
  '1': "There's a problem with the recipient's address.",
  '2': "There's a problem with the recipient's mailbox.",
  '3': "There's a problem with the receiving mail system.",
  '4': "There's a network or routing problem on the way to the recipient.",
  '5': 'The receiving server reported a protocol error.',
  '6': "The receiving system couldn't handle the message's content.",
  '7': 'Delivery was refused for security or policy reasons.',
};

export function explain(action: Action, status: string): string | undefined {
  if (action === 'delayed') {
    return DELAYED_TEXT[status] ?? DELAYED_TEXT[status.replace(/^5\./, '4.')] ?? "There's a temporary problem delivering to this recipient.";
  }
  if (action !== 'failed') return undefined;
  const exact = FAILED_TEXT[status];
  if (exact) return exact;
  if (/^5\.7\.9\d\d$/.test(status)) return 'Delivery was refused by a mail flow rule for this recipient.';
  if (status.startsWith('4.4.')) return "The destination couldn't be reached within the time allowed, so the server stopped trying.";
  const subject = /^\d\.(\d{1,3})\./.exec(status)?.[1];
  return (subject && FAILED_BY_SUBJECT[subject]) ?? "The message couldn't be delivered to this recipient.";
}

/**
 * The code whose explanation is shown. A delayed recipient's 4.4.7 only says
 * "still trying"; the enhanced code of the last reply says why.
 */
function explainedStatus(r: DsnRecipient): string {
  const status = oneLine(r.status);
  if (r.action !== 'delayed' || status !== '4.4.7' || !r.diagnostic) return status;
  return /^\d{3}[ -]#?(4\.\d{1,3}\.\d{1,3})\b/.exec(oneLine(r.diagnostic))?.[1] ?? status;
}

const HEADINGS: Record<Action, string> = {
  failed: 'Delivery has failed to these recipients or groups:',
  delayed: 'Delivery is delayed to these recipients or groups:',
  delivered: 'Your message has been delivered to the following recipients:',
  relayed: "Your message has been relayed to the following recipients, but the receiving server didn't confirm delivery:",
  expanded: 'Your message has been delivered to the following groups, which were expanded to their members:',
};

/** The order in which sections appear; the kind's own action comes first. */
function sectionOrder(kind: DsnInput['kind']): Action[] {
  const primary: Action = kind === 'failure' ? 'failed' : kind === 'delay' ? 'delayed' : 'delivered';
  return [primary, ...(['failed', 'delayed', 'delivered', 'relayed', 'expanded'] as Action[]).filter((a) => a !== primary)];
}

/** "1 day, 19 hours and 54 minutes". */
export function describeDuration(ms: number): string {
  const totalMinutes = Math.max(0, Math.round(ms / 60000));
  const days = Math.floor(totalMinutes / 1440);
  const hours = Math.floor((totalMinutes % 1440) / 60);
  const minutes = totalMinutes % 60;
  const parts: string[] = [];
  if (days) parts.push(`${days} ${days === 1 ? 'day' : 'days'}`);
  if (hours) parts.push(`${hours} ${hours === 1 ? 'hour' : 'hours'}`);
  if (minutes || parts.length === 0) parts.push(`${minutes} ${minutes === 1 ? 'minute' : 'minutes'}`);
  return parts.length === 1 ? parts[0]! : `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
}

/** The original header as text for quoting (invalid UTF-8 shown as U+FFFD), LF line ends. */
export function quotedHeader(content: Buffer): string {
  const { header, truncated } = truncateHeader(splitMessage(content).header, TEXT_HEADER_LIMIT);
  let text = new TextDecoder('utf-8', { fatal: false }).decode(header).replace(/\r\n/g, '\n');
  // Remaining controls other than tab and line ends would be invisible or harmful in the text part.
  text = text.replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '?');
  if (truncated) text += '[the remaining header fields were left out]\n';
  return text;
}

/**
 * The text of the first (human-readable) part, with LF line ends. buildDsn()
 * converts the line ends to CRLF.
 */
export function humanReadableText(input: DsnInput): string {
  const out: string[] = [];
  const subject = oneLine(input.original.subject);

  for (const action of sectionOrder(input.kind)) {
    const group = input.recipients.filter((r) => r.action === action);
    if (group.length === 0) continue;
    out.push(HEADINGS[action], '');
    for (const r of group) {
      out.push(oneLine(r.address));
      const why = explain(action, explainedStatus(r));
      if (why) out.push(why);
      out.push('');
    }
  }

  out.push(`Subject: ${subject}`, '');
  const delayed = input.recipients.filter((r) => r.action === 'delayed');
  if (delayed.length > 0) {
    out.push("This message hasn't been delivered yet. Delivery will continue to be attempted.", '');
    const until = delayed.map((r) => r.willRetryUntil?.getTime()).filter((t): t is number => t !== undefined && !Number.isNaN(t));
    if (until.length > 0) {
      const last = Math.max(...until);
      out.push(
        `The server will keep trying to deliver this message until ${rfc5322Date(new Date(last))} ` + `(for the next ${describeDuration(last - input.now.getTime())}). ` + "You'll be notified if the message can't be delivered by that time.",
        '',
      );
    }
  }

  out.push('Diagnostic information for administrators:', '', `Generating server: ${oneLine(input.reportingMta)}`, '');
  for (const r of input.recipients) {
    out.push(oneLine(r.address));
    const remote = r.remoteMta ? oneLine(r.remoteMta) : '';
    const diagnostic = r.diagnostic ? oneLine(r.diagnostic) : '';
    if (remote) out.push(remote);
    if (remote && diagnostic) out.push(`Remote Server returned '${diagnostic}'`);
    else if (diagnostic) out.push(`'${diagnostic}'`);
    else out.push(`Status ${oneLine(r.status)}`);
    if (r.lastAttempt && !Number.isNaN(r.lastAttempt.getTime())) out.push(`Last attempt: ${rfc5322Date(r.lastAttempt)}`);
    out.push('');
  }

  out.push('Original message headers:', '');
  return `${out.join('\n')}\n${quotedHeader(input.original.content)}`;
}
