// Mailbox storage quotas at delivery: the size of a Maildir folder (what
// Get-MailboxStatistics calls TotalItemSize), the refusal of a mailbox at or
// over its ProhibitSendReceiveQuota (Exchange's 554 5.2.2 "mailbox full"),
// and the warning message a mailbox receives once when a delivery takes it
// across its IssueWarningQuota.
// Invariants: a folder's size is recounted whenever new/ or cur/ changed
// since the last count (their modification times; on a filesystem with
// whole-second times, also while that second is recent), so files added or
// removed by any process are seen; deliveries through this process add
// their size without a recount.

import { statSync } from 'node:fs';
import { join } from 'node:path';
import { folderPath } from './deliver.js';
import { maildirStatistics } from './statistics.js';

interface Counted {
  size: number;
  stamp: string;
}

/** Sizes of Maildir folders, recounted only when a folder changed. */
export class MaildirSizes {
  private readonly counted = new Map<string, Counted>();

  private stamp(dir: string): string {
    const now = BigInt(Date.now()) * 1_000_000n;
    return ['new', 'cur']
      .map((sub) => {
        try {
          const st = statSync(join(dir, sub), { bigint: true });
          // A filesystem with whole-second times can change twice within one second: a time that recent proves nothing.
          if (st.mtimeNs % 1_000_000_000n === 0n && now - st.mtimeNs < 2_000_000_000n) return `racy:${now}:${Math.random()}`;
          return `${st.mtimeNs}:${st.ino}`;
        } catch {
          return '-';
        }
      })
      .join('|');
  }

  /** Bytes held in new/ and cur/ of <root>/<folder>. */
  size(root: string, folder: string): number {
    const dir = folderPath(root, folder);
    const stamp = this.stamp(dir);
    const known = this.counted.get(dir);
    if (known && known.stamp === stamp) return known.size;
    const size = maildirStatistics(root, folder).totalItemSize;
    this.counted.set(dir, { size, stamp });
    return size;
  }

  /** Records a delivery made by this process: the new size without a recount (when the folder was counted just before). */
  added(root: string, folder: string, before: number, bytes: number): void {
    const dir = folderPath(root, folder);
    this.counted.set(dir, { size: before + bytes, stamp: this.stamp(dir) });
  }
}

/** A refused delivery: permanent, with the reply the NDR and the queue show. */
export class MailboxFullError extends Error {
  override readonly name = 'MailboxFullError';
  readonly transient = false;
  readonly enhanced = '5.2.2';
  readonly reply: string;
  constructor(address: string, size: number, quota: number) {
    const text = `The mailbox of ${address} is full: it holds ${formatBytes(size)} and its ProhibitSendReceiveQuota is ${formatBytes(quota)}`;
    super(text);
    this.reply = `554 5.2.2 mailbox full; STOREDRV.Deliver.Exception:QuotaExceededException.MapiExceptionShutoffQuotaExceeded; Failed to process message due to a permanent exception with message ${text}.`;
  }
}

/** Exchange's way of showing a size: "2 GB (2,147,483,648 bytes)". */
export function formatBytes(bytes: number): string {
  const units: [string, number][] = [
    ['TB', 1024 ** 4],
    ['GB', 1024 ** 3],
    ['MB', 1024 ** 2],
    ['KB', 1024],
  ];
  const [unit, n] = units.find(([, n]) => bytes >= n) ?? ['B', 1];
  const value = unit === 'B' ? String(bytes) : String(Math.floor((bytes / n) * 1000) / 1000);
  return `${value} ${unit} (${bytes.toLocaleString('en-US')} bytes)`;
}

/** Whether a delivery of `bytes` into a mailbox of `before` bytes takes it across `warning`. */
export function crossesWarning(before: number, bytes: number, warning: number | null): boolean {
  return warning !== null && before < warning && before + bytes >= warning;
}

/** The quota warning delivered to the mailbox itself, as Exchange's "Your mailbox is almost full." */
export function quotaWarningMessage(o: { to: string; displayName: string; from: string; fqdn: string; size: number; warning: number; prohibitSend: number | null; prohibitSendReceive: number | null; now: Date }): Buffer {
  const lines = [`${o.displayName},`, '', `Your mailbox is almost full. It holds ${formatBytes(o.size)}; the warning limit is ${formatBytes(o.warning)}.`];
  if (o.prohibitSend !== null) lines.push(`At ${formatBytes(o.prohibitSend)} you will no longer be able to send messages.`);
  if (o.prohibitSendReceive !== null) lines.push(`At ${formatBytes(o.prohibitSendReceive)} you will no longer be able to send or receive messages.`);
  lines.push('', 'Delete items you no longer need, or ask your administrator for a larger quota.');
  const id = `<${o.now.getTime().toString(36)}.${Math.random().toString(36).slice(2)}@${o.fqdn}>`;
  const header = [
    `From: Microsoft Exchange <${o.from}>`,
    `To: ${o.to}`,
    'Subject: Your mailbox is almost full.',
    `Date: ${o.now.toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: ${id}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    'X-MS-Exchange-Organization-AutoSubmitted: Auto-Generated',
    'Auto-Submitted: auto-generated',
  ];
  return Buffer.from(`${header.join('\r\n')}\r\n\r\n${lines.join('\r\n')}\r\n`, 'utf8');
}
