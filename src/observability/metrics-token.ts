// The bearer token of the metrics endpoint (`gatehouse start
// --metrics-token-file FILE`). The file must be a regular file owned by the
// user the service runs as, readable by nobody else (0600 or 0400), holding
// one token of at least 16 visible ASCII characters. Only the token's SHA-256
// digest is kept; a request's token is hashed the same way and compared in
// constant time. The token itself is never logged or written anywhere.

import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';

const MIN_LENGTH = 16;
const MAX_LENGTH = 4096;

export class MetricsTokenError extends Error {
  override name = 'MetricsTokenError';
}

export type BearerCheck = 'absent' | 'invalid' | 'valid';

const digest = (text: string | Buffer) => createHash('sha256').update(text).digest();

export class MetricsToken {
  private readonly hash: Buffer;

  constructor(
    token: string,
    readonly file: string,
  ) {
    this.hash = digest(token);
  }

  /** Checks an Authorization header: absent, invalid (wrong scheme or token), or valid. */
  check(authorization: string | undefined): BearerCheck {
    if (authorization === undefined) return 'absent';
    const m = /^Bearer +(\S+) *$/i.exec(authorization);
    // Hashing first makes both sides 32 bytes, so the comparison takes the same time whatever was sent.
    const presented = digest(m ? m[1] : '');
    return timingSafeEqual(presented, this.hash) && m !== null ? 'valid' : 'invalid';
  }
}

/** Reads the token file, refusing one that others could read or that another user owns. */
export function loadMetricsToken(path: string, uid = process.getuid?.()): MetricsToken {
  const file = resolve(path);
  const fix = `chown $(id -un) ${file} && chmod 600 ${file}`;
  let st;
  try {
    st = statSync(file);
  } catch (err) {
    throw new MetricsTokenError(`cannot read the metrics token file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}. Create it with: (umask 077; openssl rand -hex 32 > ${file})`);
  }
  if (!st.isFile()) throw new MetricsTokenError(`the metrics token file ${file} is not a regular file`);
  if ((st.mode & 0o077) !== 0) {
    throw new MetricsTokenError(`the metrics token file ${file} is open to group or others (mode 0${(st.mode & 0o777).toString(8)}); it must be 0600 or 0400. Fix it with: ${fix}`);
  }
  if (uid !== undefined && st.uid !== uid) {
    throw new MetricsTokenError(`the metrics token file ${file} is owned by uid ${st.uid}, not by the user the service runs as (uid ${uid}). Fix it with: ${fix}`);
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new MetricsTokenError(`cannot read the metrics token file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const token = text.replace(/\r?\n$/, '');
  if (!/^[\x21-\x7e]+$/.test(token) || token.length > MAX_LENGTH) {
    throw new MetricsTokenError(`the metrics token file ${file} must hold one token of visible ASCII characters on one line, without spaces (e.g. from: openssl rand -hex 32)`);
  }
  if (token.length < MIN_LENGTH) {
    throw new MetricsTokenError(`the token in ${file} has ${token.length} characters; use at least ${MIN_LENGTH} (e.g. openssl rand -hex 32 > ${file})`);
  }
  return new MetricsToken(token, file);
}
