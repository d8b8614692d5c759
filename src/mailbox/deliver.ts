// Delivery of one message into a Maildir folder.
// Invariants:
// - the message is written completely into tmp/ and fsynced before it becomes
//   visible; it appears in new/ by one link (or rename) and never partially;
// - an existing file in new/ is never replaced: names are claimed with O_EXCL in
//   tmp/ and by link() in new/, and a taken name is regenerated (bounded);
// - new/ is fsynced after the message appears, and directories this call
//   creates (mode 0700) are fsynced into their parents;
// - on failure no file of this delivery is left behind in tmp/ or new/, and the
//   caller gets a MaildirDeliveryError saying whether to retry.

import { link, mkdir, open, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { invalidInput, maildirError } from './errors.js';
import { uniqueName } from './unique-name.js';

export interface MaildirDelivery {
  /** Absolute path of the delivered file in new/. */
  file: string;
  /** Size in bytes of the delivered file (added header lines included). */
  size: number;
}

export interface MaildirEnvelope {
  returnPath: string;
  deliveredTo: string;
}

const MAX_NAME_ATTEMPTS = 5;

/** The folder's directory under root; rejects absolute paths and '..' segments. */
export function folderPath(root: string, folder: string): string {
  if (folder.includes('\0') || isAbsolute(folder) || folder.split(/[\\/]/).includes('..')) {
    throw invalidInput(`invalid Maildir folder name: ${JSON.stringify(folder)}`);
  }
  return resolve(root, folder);
}

function checkHeaderValue(what: string, value: string): void {
  if (/[\r\n\0]/.test(value)) throw invalidInput(`${what} contains a line break or NUL: ${JSON.stringify(value)}`);
}

/** The Return-Path and Delivered-To lines, in the message's own line-ending style. */
export function deliveryHeaders(message: Buffer, envelope: MaildirEnvelope): Buffer {
  checkHeaderValue('Return-Path', envelope.returnPath);
  checkHeaderValue('Delivered-To', envelope.deliveredTo);
  const lf = message.indexOf(0x0a);
  const eol = lf > 0 && message[lf - 1] === 0x0d ? '\r\n' : lf === 0 ? '\n' : lf < 0 ? '\r\n' : '\n';
  const rp = envelope.returnPath.trim();
  const bracketed = rp.startsWith('<') && rp.endsWith('>') ? rp : `<${rp}>`;
  return Buffer.from(`Return-Path: ${bracketed}${eol}Delivered-To: ${envelope.deliveredTo.trim()}${eol}`, 'utf8');
}

async function fsyncDir(path: string): Promise<void> {
  let h: FileHandle | undefined;
  try {
    h = await open(path, 'r');
    await h.sync();
  } catch (err) {
    throw maildirError('directory fsync', path, err);
  } finally {
    await h?.close().catch(() => undefined);
  }
}

/**
 * Creates `path` and any missing parents (0700) one level at a time, so a failure reports the real cause
 * (recursive mkdir can report ENOENT for a read-only volume), and fsyncs each parent that gained an entry.
 */
async function makeDirs(path: string): Promise<void> {
  const missing: string[] = [];
  for (let d = path; ; d = dirname(d)) {
    try {
      await stat(d);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || d === dirname(d)) throw maildirError('folder creation', d, err);
      missing.unshift(d);
    }
  }
  for (const d of missing) {
    try {
      await mkdir(d, { mode: 0o700 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw maildirError('folder creation', d, err);
      continue; // created concurrently by another delivery
    }
    await fsyncDir(dirname(d));
  }
}

/** Creates dir/{tmp,new,cur} (0700) where missing, making each creation durable. */
export async function ensureMaildir(dir: string): Promise<void> {
  for (const sub of ['tmp', 'new', 'cur']) await makeDirs(join(dir, sub));
}

async function writeAll(h: FileHandle, buffers: Buffer[]): Promise<void> {
  for (const buf of buffers) {
    let off = 0;
    while (off < buf.length) {
      const { bytesWritten } = await h.write(buf, off, buf.length - off);
      if (bytesWritten <= 0) throw Object.assign(new Error('short write'), { code: 'EIO' });
      off += bytesWritten;
    }
  }
}

/** Writes the file into tmp/ under a fresh name; returns that name. */
async function writeTmp(tmpDir: string, buffers: Buffer[], size: number): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    const name = uniqueName({ size });
    const path = join(tmpDir, name);
    let h: FileHandle;
    try {
      h = await open(path, 'wx', 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST' && attempt < MAX_NAME_ATTEMPTS) continue;
      throw maildirError('delivery (creating the file in tmp/)', path, err);
    }
    try {
      await writeAll(h, buffers);
      await h.sync();
      await h.close();
    } catch (err) {
      await h.close().catch(() => undefined);
      await unlink(path).catch(() => undefined);
      throw maildirError('delivery (writing the file in tmp/)', path, err);
    }
    return name;
  }
}

/** Moves tmp/<name> into new/ without replacing anything there; returns the final path. */
async function publish(dir: string, name: string, size: number): Promise<string> {
  const from = join(dir, 'tmp', name);
  let target = name;
  try {
    for (let attempt = 1; ; attempt++) {
      const to = join(dir, 'new', target);
      try {
        await link(from, to);
        await unlink(from).catch(() => undefined);
        return to;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EEXIST' && attempt < MAX_NAME_ATTEMPTS) {
          target = uniqueName({ size });
          continue;
        }
        // Filesystems without hard links: rename is still atomic, and the name came from O_EXCL in tmp/.
        if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'EMLINK') {
          await rename(from, to);
          return to;
        }
        throw err;
      }
    }
  } catch (err) {
    await unlink(from).catch(() => undefined);
    throw maildirError('delivery (moving the file into new/)', join(dir, 'new'), err);
  }
}

/**
 * Delivers one message into <root>/<folder>/ (a Maildir; tmp/ new/ cur/ are created 0700 when missing).
 * Prepends "Return-Path: <returnPath>" and "Delivered-To: <deliveredTo>" in the message's line-ending style,
 * writes and fsyncs the file in tmp/ under a unique name (<sec>.M<usec>P<pid>Q<n>.<host>,S=<size>),
 * moves it into new/ and fsyncs new/. Throws MaildirDeliveryError (see `transient`).
 */
export async function deliverToMaildir(root: string, folder: string, message: Buffer, envelope: MaildirEnvelope): Promise<MaildirDelivery> {
  const dir = folderPath(root, folder);
  const headers = deliveryHeaders(message, envelope);
  const size = headers.length + message.length;
  await ensureMaildir(dir);
  const name = await writeTmp(join(dir, 'tmp'), [headers, message], size);
  const file = await publish(dir, name, size);
  try {
    await fsyncDir(join(dir, 'new'));
  } catch (err) {
    // The message is complete and visible but not yet durable: withdraw it so a retry cannot duplicate it.
    await unlink(file).catch(() => undefined);
    throw err;
  }
  return { file, size };
}
