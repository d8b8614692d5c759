// The message tracking log files (spec exchange-operations.md §3.1-3.2): daily
// CSV files MSGTRK<yyyymmdd>-<n>.LOG under MessageTrackingLogPath with
// Exchange's header and field order, a new file when MaxFileSize is reached,
// and the oldest files removed beyond MaxAge and MaxDirectorySize. The files
// are for people and log shippers; Get-MessageTrackingLog searches the
// indexed copy of the same events in the queue database.

import { closeSync, mkdirSync, openSync, readdirSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { pruneLogFolder, type LogRetention } from '../observability/log-retention.js';
import type { Logger } from '../observability/logger.js';
import type { TrackingEvent } from './tracking-event.js';

export const TRACKING_FIELDS = [
  'date-time',
  'client-ip',
  'client-hostname',
  'server-ip',
  'server-hostname',
  'source-context',
  'connector-id',
  'source',
  'event-id',
  'internal-message-id',
  'message-id',
  'network-message-id',
  'recipient-address',
  'recipient-status',
  'total-bytes',
  'recipient-count',
  'related-recipient-address',
  'reference',
  'message-subject',
  'sender-address',
  'return-path',
  'message-info',
  'directionality',
  'tenant-id',
  'original-client-ip',
  'original-server-ip',
  'custom-data',
];

export interface TrackingLogSettings extends LogRetention {
  enabled: boolean;
  folder: string;
  subjects: boolean;
}

function csv(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = String(v).replace(/[\r\n]+/g, ' ');
  return /[",]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function trackingLine(e: TrackingEvent, subjects: boolean): string {
  return (
    [
      e.timestamp.toISOString(),
      e.clientIp,
      e.clientHostname,
      e.serverIp,
      e.serverHostname,
      e.sourceContext,
      e.connectorId,
      e.source,
      e.eventId,
      e.internalMessageId,
      e.messageId,
      e.networkMessageId,
      (e.recipients ?? []).join(';'),
      (e.recipientStatus ?? []).join(';'),
      e.totalBytes,
      e.recipientCount,
      e.relatedRecipientAddress,
      '',
      subjects ? e.messageSubject : '',
      e.sender,
      e.returnPath,
      '',
      e.directionality,
      '',
      '',
      '',
      '',
    ]
      .map(csv)
      .join(',') + '\r\n'
  );
}

export class TrackingLog {
  private fd: number | null = null;
  private bytes = 0;
  private day = '';
  private failed = false;

  constructor(
    private readonly settings: () => TrackingLogSettings,
    private readonly log: Logger,
  ) {}

  /** Lines waiting for the next flush (one write for all the events of a turn of the event loop). */
  private pending: { line: string; at: Date }[] = [];
  private flushScheduled = false;

  write(e: TrackingEvent): void {
    const s = this.settings();
    if (!s.enabled) return;
    this.pending.push({ line: trackingLine(e, s.subjects), at: e.timestamp });
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Writes what is pending (a new file starts on a new day or at MaxFileSize). */
  flush(): void {
    this.flushScheduled = false;
    const s = this.settings();
    while (this.pending.length > 0) {
      const first = this.pending[0];
      try {
        this.open(s, first.at, Buffer.byteLength(first.line));
        // As many lines as fit in this file on this day, in one write.
        let bytes = 0;
        let n = 0;
        for (const p of this.pending) {
          const b = Buffer.byteLength(p.line);
          if (n > 0 && (this.bytes + bytes + b > s.maxFileBytes || p.at.toISOString().slice(0, 10).replace(/-/g, '') !== this.day)) break;
          bytes += b;
          n++;
        }
        writeSync(
          this.fd!,
          this.pending
            .slice(0, n)
            .map((p) => p.line)
            .join(''),
        );
        this.pending.splice(0, n);
        this.bytes += bytes;
        this.failed = false;
      } catch (err) {
        if (!this.failed)
          this.log.log('error', 'tracking.log.write-failed', {
            folder: s.folder,
            error: (err as Error).message,
            action: 'check MessageTrackingLogPath (Set-TransportService) and free disk space; Get-MessageTrackingLog still has the events',
          });
        this.failed = true;
        this.pending = [];
      }
    }
  }

  private open(s: TrackingLogSettings, now: Date, next: number): void {
    const day = now.toISOString().slice(0, 10).replace(/-/g, '');
    if (this.fd !== null && day === this.day && this.bytes + next <= s.maxFileBytes) return;
    this.closeFile();
    mkdirSync(s.folder, { recursive: true, mode: 0o700 });
    const numbers = readdirSync(s.folder)
      .filter((f) => f.startsWith(`MSGTRK${day}-`))
      .map((f) => Number(/-(\d+)\.LOG$/i.exec(f)?.[1] ?? 0));
    let n = numbers.length > 0 ? Math.max(...numbers) : 1;
    let path = join(s.folder, `MSGTRK${day}-${n}.LOG`);
    let size = 0;
    try {
      size = statSync(path).size;
    } catch {
      size = 0;
    }
    if (size + next > s.maxFileBytes && size > 0) {
      n++;
      path = join(s.folder, `MSGTRK${day}-${n}.LOG`);
      size = 0;
    }
    const fd = openSync(path, 'a', 0o600); // the tracking log names senders, recipients and subjects
    if (size === 0) {
      const header = `#Software: Gatehouse\r\n#Version: 0.1.0\r\n#Log-type: Message Tracking Log\r\n#Date: ${now.toISOString()}\r\n#Fields: ${TRACKING_FIELDS.join(',')}\r\n`;
      writeSync(fd, header);
      size = Buffer.byteLength(header);
      pruneLogFolder(s.folder, /^MSGTRK\d{8}-\d+\.LOG$/i, path, s);
    }
    this.fd = fd;
    this.day = day;
    this.bytes = size;
  }

  /** Writes what is pending and closes the file. */
  close(): void {
    this.flush();
    this.closeFile();
  }

  private closeFile(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
