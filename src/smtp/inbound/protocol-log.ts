// The SMTP protocol logs (spec exchange-operations.md §4): CSV files
// RECVyyyymmdd-n.LOG in ReceiveProtocolLogPath, shared by every Receive
// connector with ProtocolLoggingLevel Verbose, and SENDyyyymmdd-n.LOG in
// SendProtocolLogPath for Send connectors; Exchange's header and fields.
// Lines are appended asynchronously in order (a session never waits for the
// log); AUTH payloads never reach it (the sessions write placeholders).
// Set-TransportService's MaxFileSize, MaxAge and MaxDirectorySize apply.

import { createWriteStream, mkdirSync, readdirSync, statSync, type WriteStream } from 'node:fs';
import { dirname, join } from 'node:path';
import { pruneLogFolder, type LogRetention } from '../../observability/log-retention.js';
import type { Logger } from '../../observability/logger.js';

const FIELDS = 'date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context';

export interface ProtocolLogSettings extends LogRetention {
  /** Absolute folder. */
  folder: string;
}

export type ProtocolEvent = '+' | '-' | '>' | '<' | '*';

export interface ProtocolLogLine {
  connector: string;
  session: string;
  sequence: number;
  local: string;
  remote: string;
  event: ProtocolEvent;
  data: string;
  context?: string;
}

function csv(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""').replace(/[\r\n]+/g, ' ')}"` : v;
}

export class ProtocolLog {
  private stream: WriteStream | null = null;
  private file = '';
  private bytes = 0;
  private day = '';
  private failed = false;

  constructor(private readonly settings: () => ProtocolLogSettings, private readonly log: Logger, private readonly kind: 'RECV' | 'SEND' = 'RECV') {}

  write(line: ProtocolLogLine, now = new Date()): void {
    const text = [now.toISOString(), line.connector, line.session, String(line.sequence), line.local, line.remote, line.event, line.data, line.context ?? '']
      .map(csv).join(',') + '\r\n';
    const out = this.open(now, text.length);
    if (!out) return;
    out.write(text);
    this.bytes += Buffer.byteLength(text);
  }

  /** Ends the current file; resolves once its lines are written. */
  close(): Promise<void> {
    const stream = this.stream;
    this.stream = null;
    if (!stream) return Promise.resolve();
    return new Promise((resolve) => {
      stream.once('error', () => resolve());
      stream.end(() => resolve());
    });
  }

  private open(now: Date, next: number): WriteStream | null {
    const day = now.toISOString().slice(0, 10).replace(/-/g, '');
    const s = this.settings();
    if (this.stream && day === this.day && this.bytes + next <= s.maxFileBytes && dirname(this.file) === s.folder) return this.stream;
    void this.close();
    try {
      const dir = s.folder;
      mkdirSync(dir, { recursive: true });
      const existing = readdirSync(dir).filter((f) => f.startsWith(`${this.kind}${day}-`)).map((f) => Number(/-(\d+)\.LOG$/i.exec(f)?.[1] ?? 0));
      // The current file may not be on disk yet (streams open asynchronously).
      if (this.file !== '' && dirname(this.file) === dir && this.day === day) existing.push(Number(/-(\d+)\.LOG$/i.exec(this.file)?.[1] ?? 0));
      let n = existing.length > 0 ? Math.max(...existing) : 1;
      let path = join(dir, `${this.kind}${day}-${n}.LOG`);
      let size = 0;
      try {
        size = statSync(path).size;
      } catch {
        size = 0;
      }
      // The file just closed may still be flushing: its size on disk lags.
      const rolled = path === this.file;
      if (rolled) size = Math.max(size, this.bytes);
      if (size > 0 && size + next > s.maxFileBytes) {
        n++;
        path = join(dir, `${this.kind}${day}-${n}.LOG`);
        size = 0;
      }
      this.stream = createWriteStream(path, { flags: 'a' });
      this.stream.on('error', (err) => {
        this.log.log('error', 'protocol-log.write.failed', { file: path, error: err.message, action: `check ${this.kind === 'RECV' ? 'Receive' : 'Send'}ProtocolLogPath (Set-TransportService) and free disk space` });
        this.stream = null;
      });
      this.file = path;
      this.day = day;
      this.bytes = size;
      if (size === 0) {
        const header = `#Software: Gatehouse\r\n#Version: 0.1.0\r\n#Log-type: SMTP ${this.kind === 'RECV' ? 'Receive' : 'Send'} Protocol Log\r\n#Date: ${now.toISOString()}\r\n#Fields: ${FIELDS}\r\n`;
        this.stream.write(header);
        this.bytes += header.length;
        pruneLogFolder(dir, new RegExp(`^${this.kind}\\d{8}-\\d+\\.LOG$`, 'i'), path, s);
      }
      this.failed = false;
      return this.stream;
    } catch (err) {
      if (!this.failed) this.log.log('error', 'protocol-log.open.failed', { error: (err as Error).message, action: `check ${this.kind === 'RECV' ? 'Receive' : 'Send'}ProtocolLogPath (Set-TransportService)` });
      this.failed = true;
      return null;
    }
  }

  get currentFile(): string {
    return this.file;
  }
}
