// The CSV log files Exchange admins know (protocol, connectivity): one file
// per day and number, PREFIXyyyymmdd-n.LOG, starting with Exchange's #-header;
// a new file at MaxFileSize, the folder pruned by MaxAge and MaxDirectorySize
// whenever a file starts, and a changed folder followed without a restart.
// Lines are appended asynchronously in order, so no SMTP session waits for
// the log; a log that cannot be written says so once and the service goes on.

import { createWriteStream, mkdirSync, readdirSync, statSync, type WriteStream } from 'node:fs';
import { dirname, join } from 'node:path';
import { pruneLogFolder, type LogRetention } from './log-retention.js';
import type { Logger } from './logger.js';

export interface RollingLogSettings extends LogRetention {
  /** Absolute folder. */
  folder: string;
}

export interface RollingLogKind {
  /** File name prefix: RECV, SEND, CONNECTLOG. */
  prefix: string;
  /** The #Log-type header. */
  logType: string;
  fields: string[];
  /** The Set-TransportService parameter that names the folder, for error messages. */
  pathParameter: string;
}

export function csvCell(v: string): string {
  const s = v.replace(/[\r\n]+/g, ' ');
  return /[",]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export class RollingLog {
  private stream: WriteStream | null = null;
  private file = '';
  private bytes = 0;
  private day = '';
  private failed = false;
  /** Files whose streams are still being written out, with the bytes written to each: their size on disk lags. */
  private readonly unflushed = new Map<string, number>();

  constructor(
    private readonly settings: () => RollingLogSettings,
    private readonly kind: RollingLogKind,
    private readonly log: Logger,
  ) {}

  /** Appends one line: the date-time cell first, then `cells`. */
  write(cells: string[], now = new Date()): void {
    const text = [now.toISOString(), ...cells].map(csvCell).join(',') + '\r\n';
    const size = Buffer.byteLength(text);
    const out = this.open(now, size);
    if (!out) return;
    out.write(text);
    this.bytes += size;
  }

  /** Ends the current file; resolves once its lines are written. */
  close(): Promise<void> {
    const stream = this.stream;
    this.stream = null;
    if (!stream) return Promise.resolve();
    const file = this.file;
    this.unflushed.set(file, this.bytes);
    return new Promise((resolve) => {
      const done = () => {
        this.unflushed.delete(file);
        // A file opened while the machine is busy may reach the disk after the pruning its successor
        // started: once it is written out, the folder is pruned again.
        this.prune(dirname(file));
        resolve();
      };
      stream.once('error', done);
      stream.end(done);
    });
  }

  /** Removes files past MaxAge and the oldest past MaxDirectorySize, never the open one; files still flushing count what was written to them. */
  private prune(dir: string): void {
    const s = this.settings();
    if (dir !== s.folder) return;
    try {
      pruneLogFolder(dir, new RegExp(`^${this.kind.prefix}\\d{8}-\\d+\\.LOG$`, 'i'), this.file, s, Date.now(), new Map(this.unflushed));
    } catch {
      // the folder is gone or unreadable: the next file's open says so
    }
  }

  get currentFile(): string {
    return this.file;
  }

  private open(now: Date, next: number): WriteStream | null {
    const day = now.toISOString().slice(0, 10).replace(/-/g, '');
    const s = this.settings();
    if (this.stream && day === this.day && this.bytes + next <= s.maxFileBytes && dirname(this.file) === s.folder) return this.stream;
    void this.close();
    const { prefix } = this.kind;
    try {
      const dir = s.folder;
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const numbers = readdirSync(dir)
        .filter((f) => f.startsWith(`${prefix}${day}-`))
        .map((f) => Number(/-(\d+)\.LOG$/i.exec(f)?.[1] ?? 0));
      // The current file may not be on disk yet (streams open asynchronously).
      if (this.file !== '' && dirname(this.file) === dir && this.day === day) numbers.push(Number(/-(\d+)\.LOG$/i.exec(this.file)?.[1] ?? 0));
      let n = numbers.length > 0 ? Math.max(...numbers) : 1;
      let path = join(dir, `${prefix}${day}-${n}.LOG`);
      let size = 0;
      try {
        size = statSync(path).size;
      } catch {
        size = 0;
      }
      // The file just closed may still be flushing: its size on disk lags.
      if (path === this.file) size = Math.max(size, this.bytes);
      if (size > 0 && size + next > s.maxFileBytes) {
        n++;
        path = join(dir, `${prefix}${day}-${n}.LOG`);
        size = 0;
      }
      // Private to the service's user (0600): the logs name senders, recipients and peers.
      const stream = createWriteStream(path, { flags: 'a', mode: 0o600 });
      stream.on('error', (err) => {
        this.log.log('error', 'log-file.write.failed', { log: this.kind.logType, file: path, error: err.message, action: `check ${this.kind.pathParameter} (Set-TransportService) and free disk space` });
        if (this.stream === stream) this.stream = null;
      });
      this.stream = stream;
      this.file = path;
      this.day = day;
      this.bytes = size;
      if (size === 0) {
        const header = `#Software: Gatehouse\r\n#Version: 0.1.0\r\n#Log-type: ${this.kind.logType}\r\n#Date: ${now.toISOString()}\r\n#Fields: ${this.kind.fields.join(',')}\r\n`;
        stream.write(header);
        this.bytes += Buffer.byteLength(header);
        this.prune(dir);
      }
      this.failed = false;
      return stream;
    } catch (err) {
      if (!this.failed) this.log.log('error', 'log-file.open.failed', { log: this.kind.logType, folder: s.folder, error: (err as Error).message, action: `check ${this.kind.pathParameter} (Set-TransportService)` });
      this.failed = true;
      return null;
    }
  }
}
