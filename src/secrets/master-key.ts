// The master key of a server (or of the organization): 32 random bytes in a
// file of mode 0600 beside, never inside, the database it protects. Stored
// secrets (send-connector credentials, certificate private keys) are sealed
// with it; losing the file makes them unreadable, so setup tells the admin to
// back it up together with the database.

import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';

const KEY_BYTES = 32;

export function createMasterKey(path: string): Buffer {
  return writeMasterKey(path, randomBytes(KEY_BYTES));
}

/** Writes a key to a new file (0600, fsync'd): a copy of an organization's key, or a new one. */
export function writeMasterKey(path: string, key: Buffer): Buffer {
  // 'wx': never overwrite an existing key (that would orphan every stored secret).
  const fd = openSync(path, 'wx', 0o600);
  try {
    writeSync(fd, key.toString('base64') + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return key;
}

export function loadMasterKey(path: string): Buffer {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read the master key ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}. Stored secrets cannot be used without it; restore it from the backup taken at setup.`);
  }
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new Error(`the master key ${path} is readable by other users (mode ${mode.toString(8)}); run: chmod 600 ${path}`);
  }
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== KEY_BYTES) throw new Error(`the master key ${path} is damaged (expected ${KEY_BYTES} bytes of base64)`);
  return key;
}
