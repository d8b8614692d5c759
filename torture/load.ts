// The torture's senders: many concurrent SMTP sessions, each sending a few
// uniquely tagged messages per connection, through every restart of the Edge
// (a refused connection is retried). The ledger records each tag's fate as
// the client saw it: sent (the end of DATA went out), acknowledged (250),
// refused (any other reply); a sent message with neither was cut off (the
// connection died before the reply).

import { SmtpDialog } from '../test/harness/smtp-dialog.js';
import { TRAILER } from './recording-sink.js';

export class Ledger {
  private next = 0;
  readonly sent = new Set<string>();
  readonly acknowledged = new Set<string>();
  readonly refused = new Set<string>();
  /** Replies that ended a transaction before DATA, by command and reply code (e.g. "MAIL 421"). */
  readonly setbacks = new Map<string, number>();
  /** Sessions that sent the end of DATA and wait for the reply: the group commit and its fsync. */
  awaitingReply = 0;

  constructor(private readonly budget: number) {}

  /** A fresh tag, or null when the budget is spent. */
  issue(): string | null {
    if (this.next >= this.budget) return null;
    return `T${String(this.next++).padStart(7, '0')}`;
  }

  /** Whether the reply is the expected one; notes the setback when not. */
  expect(command: string, reply: { code: number } | null, code: number): boolean {
    if (reply?.code === code) return true;
    const key = `${command} ${reply ? reply.code : 'disconnected'}`;
    this.setbacks.set(key, (this.setbacks.get(key) ?? 0) + 1);
    return false;
  }

  get issued(): number {
    return this.next;
  }
}

export interface LoadOptions {
  host: string;
  port: number;
  sessions: number;
  perConnection: number;
  bodyBytes: number;
  /** True when the senders should stop after the message in hand. */
  stop: () => boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function message(tag: string, bodyBytes: number): string {
  const line = 'The quick brown fox jumps over the lazy dog, again and again and again.\r\n';
  const body = line.repeat(Math.max(1, Math.ceil(bodyBytes / line.length)));
  return `Message-ID: <${tag}@torture.test>\r\nFrom: <load@fabrikam.com>\r\nTo: <bob@contoso.com>\r\nSubject: torture ${tag}\r\n\r\n${body}${TRAILER}\r\n.\r\n`;
}

/** Runs the senders until `stop()` or the budget is spent; resolves when every session has ended. */
export async function runLoad(ledger: Ledger, o: LoadOptions): Promise<void> {
  await Promise.all(Array.from({ length: o.sessions }, () => sender(ledger, o)));
}

async function sender(ledger: Ledger, o: LoadOptions): Promise<void> {
  while (!o.stop()) {
    let d: SmtpDialog;
    try {
      d = await SmtpDialog.open(o.host, o.port, undefined, 3000);
    } catch {
      await sleep(50 + Math.random() * 100); // the Edge is down or restarting
      continue;
    }
    try {
      if (!ledger.expect('greeting', await d.reply(30_000), 220)) continue;
      if (!ledger.expect('EHLO', await d.command('EHLO load.fabrikam.com', 30_000), 250)) continue;
      for (let k = 0; k < o.perConnection && !o.stop(); k++) {
        const tag = ledger.issue();
        if (!tag) return;
        if (!ledger.expect('MAIL', await d.command('MAIL FROM:<load@fabrikam.com>', 30_000), 250)) break;
        if (!ledger.expect('RCPT', await d.command('RCPT TO:<bob@contoso.com>', 30_000), 250)) break;
        if (!ledger.expect('DATA', await d.command('DATA', 30_000), 354)) break;
        d.write(message(tag, o.bodyBytes));
        ledger.sent.add(tag);
        ledger.awaitingReply++;
        let reply;
        try {
          reply = await d.reply(30_000);
        } finally {
          ledger.awaitingReply--;
        }
        if (reply === null) break;
        if (reply.code === 250) ledger.acknowledged.add(tag);
        else ledger.refused.add(tag);
      }
      await d.command('QUIT', 5000).catch(() => null);
    } catch {
      // a reply that never came: the session is abandoned, its message counted by the ledger
    } finally {
      d.close();
    }
  }
}
