// Sender reputation, the Protocol Analysis agent's judgement of the source
// addresses that send mail from the Internet (spec exchange-edge-agents.md
// §3.6). Exchange computes a sender reputation level (SRL, 0-9) from HELO
// analysis, reverse DNS, the SCLs of a sender's past messages and an open
// proxy test. Gatehouse keeps it simple, from what the other agents saw of
// each address:
//  - the share of its messages the Content Filter scored SCL 7 or more;
//  - the share of its recipients the Recipient Filter refused (unknown or
//    blocked: a directory harvest);
//  - the share of its messages whose HELO/EHLO name claimed to be this
//    organization (an accepted domain, this server's name) or an address
//    literal other than its own.
// The SRL is 9 times the largest of the three shares, rounded, and 0 until the
// address has sent 20 messages (MAIL FROM). When it reaches SrlBlockThreshold,
// the address goes on the IP Block list for SenderBlockingPeriod hours as an
// entry sender reputation made (IsMachineGenerated), refused with the IP
// Block list's MachineEntryRejectionResponse, and its profile starts again.
// Profiles live in the service's memory: a restart forgets them, not the
// blocks, which are in the store. The open proxy test is not made.

/** Messages an address sends before its SRL is computed (Exchange: 20). */
export const MIN_MESSAGES = 20;
/** The SCL from which a message counts as spam for the SRL. */
export const SPAM_SCL = 7;
/** The most addresses followed at once; the least recently seen go first. */
const MAX_PROFILES = 100_000;

export interface SenderProfile {
  messages: number;
  forgedHelo: number;
  scored: number;
  spam: number;
  recipients: number;
  refusedRecipients: number;
}

/** What the SRL of an address rests on, for logs. */
export function describeProfile(p: SenderProfile): string {
  return `${p.messages} messages, ${p.spam} of ${p.scored} scored SCL ${SPAM_SCL} or more, ${p.refusedRecipients} of ${p.recipients} recipients refused, ${p.forgedHelo} with a forged HELO`;
}

/** The SRL (0-9) of a profile; 0 below MIN_MESSAGES. */
export function senderReputationLevel(p: SenderProfile): number {
  if (p.messages < MIN_MESSAGES) return 0;
  const share = (part: number, whole: number) => (whole > 0 ? part / whole : 0);
  const worst = Math.max(share(p.spam, p.scored), share(p.refusedRecipients, p.recipients), share(p.forgedHelo, p.messages));
  return Math.min(9, Math.round(worst * 9));
}

/** Whether a HELO/EHLO name pretends to be us, or is an address literal that is not the client's. */
export function forgedHelo(helo: string, clientIp: string, ours: readonly string[]): boolean {
  const name = helo.trim().toLowerCase();
  if (name === '') return false;
  const literal = /^\[(?:ipv6:)?([^\]]+)\]$/i.exec(name);
  if (literal) return literal[1].toLowerCase() !== clientIp.toLowerCase();
  return ours.some((d) => name === d.toLowerCase());
}

export class SenderReputation {
  private readonly profiles = new Map<string, SenderProfile>();

  /** The profile of an address (a copy), or null when it has sent nothing since its last block or the start. */
  profile(ip: string): SenderProfile | null {
    const p = this.profiles.get(ip);
    return p ? { ...p } : null;
  }

  /** A message began (MAIL FROM); forged: its HELO name. */
  message(ip: string, forged: boolean): SenderProfile {
    const p = this.touch(ip);
    p.messages++;
    if (forged) p.forgedHelo++;
    return p;
  }

  /** The Recipient Filter's verdict on a recipient. */
  recipient(ip: string, refused: boolean): SenderProfile {
    const p = this.touch(ip);
    p.recipients++;
    if (refused) p.refusedRecipients++;
    return p;
  }

  /** The Content Filter's SCL of a message. */
  scored(ip: string, scl: number): SenderProfile {
    const p = this.touch(ip);
    p.scored++;
    if (scl >= SPAM_SCL) p.spam++;
    return p;
  }

  /** Starts the address's profile again (after a block). */
  forget(ip: string): void {
    this.profiles.delete(ip);
  }

  private touch(ip: string): SenderProfile {
    let p = this.profiles.get(ip);
    if (p) {
      // Most recently seen last, so the oldest is first to go.
      this.profiles.delete(ip);
    } else {
      p = { messages: 0, forgedHelo: 0, scored: 0, spam: 0, recipients: 0, refusedRecipients: 0 };
      if (this.profiles.size >= MAX_PROFILES) this.profiles.delete(this.profiles.keys().next().value!);
    }
    this.profiles.set(ip, p);
    return p;
  }
}
