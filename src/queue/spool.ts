// The spool: the folder beside queue.db where the bodies of large messages
// live as files, so that an SMTP session streams a message to disk as it
// arrives instead of holding it in memory.
//
// A file is created by the session that receives the message (SpoolFile),
// written once, fsync'd before the message is committed, and referenced by the
// message's row in the queue (bodies.file). The commit that references it also
// fsyncs the folder, so the file's name is as durable as the row. The file is
// deleted when the message leaves the queue. Files that no row references (a
// session that was cut off, a crash between the file and its commit, a crash
// between the removal of a row and its file) are removed when the service
// starts (sweepSpool).
//
// Files are 0600 in a 0700 folder: they hold mail.

import { randomUUID } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, unlinkSync } from 'node:fs';
import { open, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** The spool folder of a queue database. */
export function spoolDirFor(queueDbPath: string): string {
  return join(dirname(queueDbPath), 'spool');
}

export function ensureSpoolDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/** Makes the names of files created in `dir` durable (one fsync of the folder). */
export function syncSpoolDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Removes the files no message references; returns how many. Only while nothing else writes to the spool. */
export function sweepSpool(dir: string, referenced: ReadonlySet<string>): number {
  let removed = 0;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 0;
  }
  for (const name of names) {
    if (referenced.has(name)) continue;
    try {
      unlinkSync(join(dir, name));
      removed++;
    } catch {
      // gone already
    }
  }
  return removed;
}

/** Deletes the files of messages that left the queue (after their rows are gone). */
export function removeSpoolFiles(dir: string, names: readonly string[]): void {
  for (const name of names) {
    try {
      unlinkSync(join(dir, name));
    } catch {
      // already gone (or removed by the sweep at the next start)
    }
  }
}

/**
 * One body file being written. write() copies what it is given into blocks of the file's own,
 * so the caller may reuse its buffer at once; full blocks go to the disk in order. `pending` says how many octets are not on their way to the disk yet, so the writer can
 * stop reading from the network meanwhile (drained()).
 */
export class SpoolFile {
  readonly name = randomUUID();
  readonly path: string;
  /** Octets given to write() and not yet written. */
  pending = 0;
  /** Octets written. */
  size = 0;
  private handle: Promise<FileHandle>;
  private chain: Promise<void> = Promise.resolve();
  private failure: Error | null = null;
  private discarded = false;
  private waiters: (() => void)[] = [];
  /** The block being filled. */
  private block: Buffer | null = null;
  private blockLength = 0;

  constructor(readonly dir: string) {
    this.path = join(dir, this.name);
    this.handle = open(this.path, 'wx', 0o600);
    // The first write, or finish/discard, reports a failure to open.
    this.handle.catch((err: Error) => {
      this.failure ??= err;
    });
  }

  /** Copies `chunk` for writing; the caller keeps its buffer. */
  write(chunk: Uint8Array): void {
    if (this.discarded || this.failure) return;
    this.pending += chunk.length;
    let at = 0;
    while (at < chunk.length) {
      if (!this.block) {
        // A fresh block each time: short-lived buffers, freed once written, keep the allocator's
        // heap from being pinned by blocks that live as long as a slow session.
        this.block = Buffer.allocUnsafe(SpoolFile.BLOCK);
        this.blockLength = 0;
      }
      const n = Math.min(chunk.length - at, this.block.length - this.blockLength);
      this.block.set(chunk.subarray(at, at + n), this.blockLength);
      this.blockLength += n;
      at += n;
      if (this.blockLength === this.block.length) this.flushBlock();
    }
  }

  /** Sends the block being filled to the disk. */
  private flushBlock(): void {
    const block = this.block;
    const length = this.blockLength;
    this.block = null;
    this.blockLength = 0;
    if (!block || length === 0) return;
    this.chain = this.chain.then(async () => {
      try {
        if (!this.failure && !this.discarded) {
          const fh = await this.handle;
          let at = 0;
          while (at < length) at += (await fh.write(block, at, length - at)).bytesWritten;
          this.size += length;
        }
      } catch (err) {
        this.failure ??= err as Error;
      } finally {
        this.pending -= length;
        if (this.pending <= SpoolFile.LOW_WATER) this.wake();
      }
    });
  }

  /** Resolves once fewer than LOW_WATER octets wait to be written. */
  drained(): Promise<void> {
    if (this.pending <= SpoolFile.LOW_WATER || this.failure || this.discarded) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Writes what is left, fsyncs and closes the file; throws the file's first error. */
  async finish(): Promise<void> {
    this.flushBlock();
    await this.chain;
    const fh = await this.handle.catch(() => null);
    if (!this.failure && fh) {
      try {
        await fh.sync();
      } catch (err) {
        this.failure = err as Error;
      }
    }
    await fh?.close().catch(() => undefined);
    if (this.failure) throw this.failure;
  }

  /** Stops writing and deletes the file. */
  async discard(): Promise<void> {
    if (this.discarded) return;
    this.discarded = true;
    this.block = null;
    this.wake();
    await this.chain;
    const fh = await this.handle.catch(() => null);
    await fh?.close().catch(() => undefined);
    if (fh) await unlink(this.path).catch(() => undefined);
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const resolve of w) resolve();
  }

  /** Octets per write to the disk. */
  static readonly BLOCK = 64 * 1024;
  /** Octets given to write() before the writer should wait (drained()). */
  static readonly HIGH_WATER = 2 * SpoolFile.BLOCK;
  static readonly LOW_WATER = SpoolFile.BLOCK;
}
