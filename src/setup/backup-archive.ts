// The backup file of a server (`gatehouse backup`, `gatehouse restore`): one
// file, written 0600, in a simple format of its own so that a damaged or cut
// file is told apart from a good one (every file carries its SHA-256, the
// whole archive ends with a record that counts its entries and hashes all
// that came before it):
//
//   GATEHOUSE-BACKUP 1\n
//   {"kind":"manifest", "server": ..., "role": ..., ...}\n        (JSON, one line)
//   {"kind":"folder","path":"server/spool"}\n
//   {"kind":"file","path":"server/queue.db","size":N}\n <N octets> \n <sha256 hex>\n
//   ...
//   {"kind":"end","entries":K,"sha256":"<hex of every octet before this line>"}\n
//
// Paths are relative: server/... is the server folder, organization/... the
// organization store and its key. Modes are not recorded: a restored folder is
// 0700 and every file 0600, as the service requires.

import { createHash, type Hash } from 'node:crypto';
import { closeSync, fstatSync, fsyncSync, openSync, readSync, writeSync } from 'node:fs';

export const BACKUP_MAGIC = 'GATEHOUSE-BACKUP';
export const BACKUP_FORMAT = 1;
const CHUNK = 1 << 20;
const MAX_LINE = 64 * 1024;

export interface BackupManifest {
  kind: 'manifest';
  server: string;
  role: string;
  fqdn: string;
  createdAt: string;
  product: string;
  /** Where the organization store was: none (Edge), sqlite (in this file under organization/), postgresql (not in this file). */
  organization: 'none' | 'sqlite' | 'postgresql';
  /** The organization store's file name when it is in the archive. */
  organizationFile?: string;
  /** The server folder the backup was taken from. */
  dataDir: string;
}

export type ArchiveEntry = { kind: 'folder'; path: string } | { kind: 'file'; path: string; size: number };

/** A backup file that is not one, or is damaged: restore stops before anything is moved into place. */
export class BackupFileError extends Error {
  override name = 'BackupFileError';
}

/** Writes an archive to an open file descriptor. */
export class ArchiveWriter {
  private readonly hash: Hash = createHash('sha256');
  private entries = 0;
  bytes = 0;

  constructor(
    private readonly fd: number,
    manifest: BackupManifest,
  ) {
    this.put(Buffer.from(`${BACKUP_MAGIC} ${BACKUP_FORMAT}\n`));
    this.line(manifest);
  }

  folder(path: string): void {
    this.line({ kind: 'folder', path });
    this.entries++;
  }

  /**
   * Adds the file open at `source` (the caller opened it, so a file removed meanwhile still reads
   * whole): exactly its size when this starts.
   */
  file(path: string, source: number): void {
    const size = fstatSync(source).size;
    this.line({ kind: 'file', path, size });
    const fileHash = createHash('sha256');
    const buf = Buffer.allocUnsafe(CHUNK);
    let done = 0;
    while (done < size) {
      const n = readSync(source, buf, 0, Math.min(CHUNK, size - done), done);
      if (n === 0) throw new Error(`${path} became shorter while it was copied (${done} of ${size} octets)`);
      const part = buf.subarray(0, n);
      fileHash.update(part);
      this.put(part);
      done += n;
    }
    this.put(Buffer.from(`\n${fileHash.digest('hex')}\n`));
    this.entries++;
  }

  /** Writes the end record and makes the file durable. */
  finish(): void {
    const digest = this.hash.copy().digest('hex');
    this.put(Buffer.from(JSON.stringify({ kind: 'end', entries: this.entries, sha256: digest }) + '\n'));
    fsyncSync(this.fd);
  }

  private line(value: object): void {
    this.put(Buffer.from(JSON.stringify(value) + '\n'));
  }

  private put(b: Buffer): void {
    this.hash.update(b);
    let off = 0;
    while (off < b.length) off += writeSync(this.fd, b, off, b.length - off);
    this.bytes += b.length;
  }
}

/** Reads an archive from the start, checking as it goes; every error names the file and what is wrong. */
export class ArchiveReader {
  private readonly fd: number;
  private readonly hash: Hash = createHash('sha256');
  private buf = Buffer.alloc(0);
  private pos = 0;
  private eof = false;
  private entries = 0;
  readonly manifest: BackupManifest;

  constructor(private readonly file: string) {
    try {
      this.fd = openSync(file, 'r');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new BackupFileError(code === 'ENOENT' ? `${file} does not exist; give the file gatehouse backup wrote (--from FILE)` : `cannot read ${file}: ${(err as Error).message}`);
    }
    const first = this.readLine(64, false);
    const m = first === null ? null : /^GATEHOUSE-BACKUP (\d+)$/.exec(first);
    if (!m) {
      closeSync(this.fd);
      throw new BackupFileError(`${file} is not a Gatehouse backup (it does not start with "${BACKUP_MAGIC}"); give the file gatehouse backup wrote`);
    }
    if (Number(m[1]) !== BACKUP_FORMAT) {
      closeSync(this.fd);
      throw new BackupFileError(`${file} is a Gatehouse backup in format ${m[1]}; this Gatehouse reads format ${BACKUP_FORMAT}: restore it with the Gatehouse that wrote it, or a newer one`);
    }
    const manifest = this.record();
    if (manifest.kind !== 'manifest' || typeof manifest.server !== 'string' || typeof manifest.role !== 'string') this.damaged('its manifest is missing or incomplete');
    this.manifest = manifest as unknown as BackupManifest;
  }

  /**
   * The next entry, or null after the end record (checked: entry count and the hash of the whole
   * archive). For a file, `content` must be called with a destination before the next entry.
   */
  next(): (ArchiveEntry & { content?: (fd: number) => void }) | null {
    const before = this.hash.copy().digest('hex');
    const r = this.record();
    if (r.kind === 'end') {
      if (r.entries !== this.entries || r.sha256 !== before) this.damaged('its end record does not match its content');
      if (this.pos >= this.buf.length) this.fill();
      if (this.pos < this.buf.length) this.damaged('it has data after its end record');
      return null;
    }
    if (typeof r.path !== 'string' || !safePath(r.path)) this.damaged(`it names an unsafe path (${JSON.stringify(r.path)})`);
    this.entries++;
    if (r.kind === 'folder') return { kind: 'folder', path: r.path as string };
    if (r.kind !== 'file' || typeof r.size !== 'number' || !Number.isSafeInteger(r.size) || r.size < 0) this.damaged(`an entry is not understood (${JSON.stringify(r).slice(0, 120)})`);
    const path = r.path as string;
    const size = r.size as number;
    return {
      kind: 'file',
      path,
      size,
      content: (fd: number) => {
        const h = createHash('sha256');
        let left = size;
        while (left > 0) {
          const part = this.take(left);
          if (part.length === 0) this.damaged(`it ends inside ${path} (cut short?)`);
          h.update(part);
          let off = 0;
          while (off < part.length) off += writeSync(fd, part, off, part.length - off);
          left -= part.length;
        }
        const nl = this.take(1);
        const sum = this.readLine(80, true);
        if (nl.length !== 1 || nl[0] !== 0x0a || sum !== h.digest('hex')) this.damaged(`the content of ${path} does not match its checksum`);
      },
    };
  }

  close(): void {
    closeSync(this.fd);
  }

  private damaged(what: string): never {
    throw new BackupFileError(`${this.file} is damaged: ${what}. Nothing was restored; use another copy of the backup`);
  }

  private record(): Record<string, unknown> {
    const text = this.readLine(MAX_LINE, true);
    if (text === null) this.damaged('it ends before its end record (cut short?)');
    try {
      const v = JSON.parse(text) as unknown;
      if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
    } catch {
      // reported below
    }
    return this.damaged('a record is not readable');
  }

  /** Up to `max` octets from the buffer or the file (fewer only at the end of the file). */
  private take(max: number): Buffer {
    if (this.pos >= this.buf.length) this.fill();
    const n = Math.min(max, this.buf.length - this.pos);
    const part = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    this.hash.update(part);
    return part;
  }

  /** A line without its newline; null at the end of the file. Longer than max: damaged (or not an archive). */
  private readLine(max: number, inArchive: boolean): string | null {
    const parts: Buffer[] = [];
    let length = 0;
    for (;;) {
      if (this.pos >= this.buf.length) this.fill();
      if (this.pos >= this.buf.length) {
        if (length === 0) return null;
        if (inArchive) this.damaged('it ends inside a record (cut short?)');
        return null;
      }
      const nl = this.buf.indexOf(0x0a, this.pos);
      const end = nl < 0 ? this.buf.length : nl;
      const part = this.buf.subarray(this.pos, end);
      this.hash.update(this.buf.subarray(this.pos, nl < 0 ? end : end + 1));
      parts.push(part);
      length += part.length;
      this.pos = nl < 0 ? end : end + 1;
      if (length > max) {
        if (inArchive) this.damaged('a record is too long');
        return null;
      }
      if (nl >= 0) return Buffer.concat(parts).toString('utf8');
    }
  }

  private fill(): void {
    if (this.eof) return;
    const buf = Buffer.allocUnsafe(CHUNK);
    const n = readSync(this.fd, buf, 0, CHUNK, null);
    if (n === 0) this.eof = true;
    this.buf = buf.subarray(0, n);
    this.pos = 0;
  }
}

/** Relative, under server/ or organization/, without . or .. components. */
export function safePath(path: string): boolean {
  const parts = path.split('/');
  return (parts[0] === 'server' || parts[0] === 'organization') && parts.length >= 2 && parts.every((p) => p !== '' && p !== '.' && p !== '..' && !p.includes('\0') && !p.includes('\\'));
}
