// Files as the shell reads and writes them: paths resolved from the shell's
// working directory (`.\x.csv` and `~` as an admin writes them), text
// decoded by its byte-order mark, and the -Encoding names of Windows
// PowerShell 5.1 turned into bytes. Files are created by the process, so they
// belong to the user who runs the shell. The default encoding is UTF-8
// without a byte-order mark (5.1's `>` writes UTF-16, which Linux tools read
// badly); `-Encoding Unicode` gives 5.1's form.

import { appendFileSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { ConversionError } from './command.js';
import { LocalCommandError } from './errors.js';

export const ENCODING_NAMES = ['Unknown', 'String', 'Unicode', 'BigEndianUnicode', 'UTF8', 'UTF7', 'UTF32', 'ASCII', 'Default', 'OEM', 'Byte'] as const;
export type EncodingName = (typeof ENCODING_NAMES)[number];

/** -Encoding: one of 5.1's names (case-insensitive); UTF7 is refused. */
export function convertEncoding(v: unknown): EncodingName {
  const s = String(Array.isArray(v) && v.length === 1 ? v[0] : v).trim();
  const hit = ENCODING_NAMES.find((n) => n.toLowerCase() === s.toLowerCase());
  if (!hit) {
    throw new ConversionError(
      `Cannot convert value "${s}" to type "Microsoft.PowerShell.Commands.FileSystemCmdletProviderEncoding". Error: "Unable to match the identifier name ${s} to a valid enumerator name. Specify one of the following enumerator names and try again:\n${ENCODING_NAMES.join(', ')}"`,
    );
  }
  if (hit === 'UTF7') throw new ConversionError('UTF7 is not available here; use UTF8, Unicode or ASCII.');
  return hit;
}

/** An absolute path for what the admin typed. */
export function resolvePath(path: string): string {
  let p = path.trim();
  if (p.startsWith('FileSystem::')) p = p.slice('FileSystem::'.length);
  if (process.platform !== 'win32') p = p.replace(/\\/g, '/');
  if (p === '~' || p.startsWith('~/')) p = homedir() + p.slice(1);
  return isAbsolute(p) ? resolve(p) : resolve(process.cwd(), p);
}

function replaceOutside(text: string, max: number): string {
  let out = '';
  for (const ch of text) out += ch.codePointAt(0)! > max ? '?' : ch;
  return out;
}

/** The bytes of `text` in an encoding; `bom` false when appending to a file that has content. */
export function encodeText(text: string, encoding: EncodingName | undefined, bom = true): Buffer {
  switch (encoding) {
    case 'Unicode':
    case 'String':
    case 'Unknown':
      return Buffer.concat([bom ? Buffer.from([0xff, 0xfe]) : Buffer.alloc(0), Buffer.from(text, 'utf16le')]);
    case 'BigEndianUnicode': {
      const le = Buffer.from(text, 'utf16le');
      for (let i = 0; i + 1 < le.length; i += 2) [le[i], le[i + 1]] = [le[i + 1], le[i]];
      return Buffer.concat([bom ? Buffer.from([0xfe, 0xff]) : Buffer.alloc(0), le]);
    }
    case 'UTF32': {
      const cps = [...text].map((c) => c.codePointAt(0) as number);
      const b = Buffer.alloc(cps.length * 4 + (bom ? 4 : 0));
      let o = 0;
      if (bom) {
        b.writeUInt32LE(0xfeff, 0);
        o = 4;
      }
      for (const cp of cps) {
        b.writeUInt32LE(cp, o);
        o += 4;
      }
      return b;
    }
    case 'UTF8':
      return Buffer.concat([bom ? Buffer.from([0xef, 0xbb, 0xbf]) : Buffer.alloc(0), Buffer.from(text, 'utf8')]);
    case 'ASCII':
    case 'OEM':
      return Buffer.from(replaceOutside(text, 0x7f), 'latin1');
    case 'Default':
    case 'Byte':
      return Buffer.from(replaceOutside(text, 0xff), 'latin1');
    default:
      return Buffer.from(text, 'utf8');
  }
}

/** Text of a file, decoded by its byte-order mark (UTF-8 when there is none). */
export function decodeText(buf: Buffer): string {
  if (buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) return buf.subarray(3).toString('utf8');
  if (buf.length >= 4 && buf[0] === 0xff && buf[1] === 0xfe && buf[2] === 0 && buf[3] === 0) {
    let s = '';
    for (let i = 4; i + 3 < buf.length; i += 4) s += String.fromCodePoint(buf.readUInt32LE(i));
    return s;
  }
  if (buf.length >= 2 && buf[0] === 0xff && buf[1] === 0xfe) return buf.subarray(2).toString('utf16le');
  if (buf.length >= 2 && buf[0] === 0xfe && buf[1] === 0xff) {
    const b = Buffer.from(buf.subarray(2));
    for (let i = 0; i + 1 < b.length; i += 2) [b[i], b[i + 1]] = [b[i + 1], b[i]];
    return b.toString('utf16le');
  }
  return buf.toString('utf8');
}

/** The error a cmdlet reports for a failed file operation, with PowerShell's wording. */
export function fileError(e: unknown, path: string, reading: boolean): LocalCommandError {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT' && reading) {
    return new LocalCommandError(`Cannot find path '${path}' because it does not exist.`, { errorId: 'PathNotFound', category: 'ObjectNotFound', reason: 'ItemNotFoundException', targetName: path, targetType: 'String' });
  }
  if (code === 'ENOENT') {
    return new LocalCommandError(`Could not find a part of the path '${path}'.`, { errorId: 'FileOpenFailure', category: 'OpenError', reason: 'DirectoryNotFoundException' });
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return new LocalCommandError(`Access to the path '${path}' is denied.`, { errorId: 'FileOpenFailure', category: 'OpenError', reason: 'UnauthorizedAccessException' });
  }
  if (code === 'EISDIR') {
    return new LocalCommandError(`Access to the path '${path}' is denied. It is a directory.`, { errorId: 'FileOpenFailure', category: 'OpenError', reason: 'UnauthorizedAccessException' });
  }
  return new LocalCommandError(`${reading ? 'Reading' : 'Writing'} '${path}' failed: ${(e as Error)?.message ?? String(e)}`, { errorId: 'FileOpenFailure', category: 'OpenError', reason: 'IOException' });
}

/** Text in a named encoding (a byte-order mark of that encoding is skipped); BOM detection when none is named. */
export function decodeAs(buf: Buffer, encoding: EncodingName | undefined): string {
  switch (encoding) {
    case undefined:
    case 'Unknown':
      return decodeText(buf);
    case 'Unicode':
    case 'String':
      return buf.subarray(buf[0] === 0xff && buf[1] === 0xfe ? 2 : 0).toString('utf16le');
    case 'BigEndianUnicode': {
      const b = Buffer.from(buf.subarray(buf[0] === 0xfe && buf[1] === 0xff ? 2 : 0));
      for (let i = 0; i + 1 < b.length; i += 2) [b[i], b[i + 1]] = [b[i + 1], b[i]];
      return b.toString('utf16le');
    }
    case 'UTF32': {
      let s = '';
      for (let i = buf.readUInt32LE(0) === 0xfeff ? 4 : 0; i + 3 < buf.length; i += 4) s += String.fromCodePoint(buf.readUInt32LE(i));
      return s;
    }
    case 'UTF8':
      return buf.subarray(buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0).toString('utf8');
    default:
      return buf.toString('latin1');
  }
}

export function readText(path: string, encoding?: EncodingName): string {
  return decodeAs(readFileSync(path), encoding);
}

/** The lines of a text file (a final line break does not add an empty line). */
export function readTextLines(path: string, encoding?: EncodingName): string[] {
  let text: string;
  try {
    text = readText(path, encoding);
  } catch (e) {
    throw fileError(e, path, true);
  }
  if (text === '') return [];
  const lines = text.split(/\r?\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Writes (or appends) text; throws the cmdlet's file error. */
export function writeText(path: string, text: string, encoding: EncodingName | undefined, append: boolean): void {
  try {
    if (append) {
      const hasContent = existsSync(path) && statSync(path).size > 0;
      appendFileSync(path, encodeText(text, encoding, !hasContent));
    } else {
      writeFileSync(path, encodeText(text, encoding, true));
    }
  } catch (e) {
    throw fileError(e, path, false);
  }
}
