// A server folder is private to the user the service runs as: it holds queued
// mail, Maildirs, the configuration, master keys and logs. Setup makes it so
// (folders 0700, files 0600) and `gatehouse start` refuses a folder, an
// organization store or a log folder that group or others can read or write,
// naming the first such path and the command that fixes it.
//
// The rule: no read or write bit for group or others, on files and folders
// alike. A search bit alone (o+x on a folder) exposes neither names nor
// contents, and lets a Maildir reader running as another user reach the
// mailboxes it was given; it is allowed.

import { chmodSync, lstatSync, readdirSync, statSync, type Stats } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';

/** The process umask of setup, shell and start: what they create is private to their user. */
export const PRIVATE_UMASK = 0o077;
export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_FOLDER_MODE = 0o700;
/** Read or write for group or others. */
const EXPOSED_BITS = 0o066;

export interface Exposure {
  path: string;
  kind: 'file' | 'folder';
  mode: number;
}

export interface ExposureReport {
  /** The first few exposed paths, in walking order. */
  examples: Exposure[];
  /** How many paths are exposed in all. */
  count: number;
}

/** `0644` */
export function octalMode(mode: number): string {
  return '0' + (mode & 0o7777).toString(8).padStart(3, '0');
}

/** A path as a person pastes it into a shell command. */
export function shellPath(path: string): string {
  return /^[A-Za-z0-9_./@%+=:,-]+$/.test(path) ? path : `'${path.replace(/'/g, `'\\''`)}'`;
}

function statOrNull(path: string, follow: boolean): Stats | null {
  try {
    return follow ? statSync(path) : lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null; // gone meanwhile (a Maildir tmp/ file, a log pruned)
    throw new Error(`cannot check the mode of ${path}: ${(err as Error).message}`);
  }
}

const MAX_EXAMPLES = 3;

/**
 * Walks `paths` (folders recursively; symbolic links followed once, to what they point at) and
 * reports what group or others can read or write. Missing paths are skipped.
 */
export function findExposed(paths: string[], options: { recursive?: boolean } = {}): ExposureReport {
  const report: ExposureReport = { examples: [], count: 0 };
  const seen = new Set<string>();
  const visit = (path: string, depthLeft: number) => {
    const st = statOrNull(path, true);
    if (!st) return;
    const id = `${st.dev}:${st.ino}`;
    if (seen.has(id)) return;
    seen.add(id);
    const folder = st.isDirectory();
    if ((st.mode & EXPOSED_BITS) !== 0) {
      report.count++;
      if (report.examples.length < MAX_EXAMPLES) report.examples.push({ path, kind: folder ? 'folder' : 'file', mode: st.mode & 0o7777 });
    }
    if (!folder || depthLeft === 0) return;
    let names: string[];
    try {
      names = readdirSync(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw new Error(`cannot list ${path} to check its modes: ${(err as Error).message}`);
    }
    for (const name of names.sort()) visit(join(path, name), depthLeft - 1);
  };
  for (const p of paths) visit(resolve(p), options.recursive === false ? 0 : Number.POSITIVE_INFINITY);
  return report;
}

/**
 * Makes `root` and everything under it private: folders 0700, files 0600 (symbolic links are
 * left alone). Setup runs it over the folder it created.
 */
export function makePrivate(root: string): void {
  const walk = (path: string) => {
    const st = statOrNull(path, false);
    if (!st || st.isSymbolicLink()) return;
    if (st.isDirectory()) {
      chmodSync(path, PRIVATE_FOLDER_MODE);
      for (const name of readdirSync(path)) walk(join(path, name));
    } else {
      chmodSync(path, PRIVATE_FILE_MODE);
    }
  };
  walk(resolve(root));
}

/** Makes existing files 0600; one owned by another user is left for `start` to report. */
export function makeFilesPrivate(files: string[]): void {
  for (const f of files) {
    try {
      chmodSync(f, PRIVATE_FILE_MODE);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'EPERM') throw err;
    }
  }
}

/** One place the service keeps data, and how to make it private again. */
export interface PrivateArea {
  /** What it is, for the message: "the server folder", "the organization store", ... */
  what: string;
  paths: string[];
  recursive: boolean;
  /** The command that fixes it (one shell command, nothing else). */
  fix: string;
  /** Advice after the command, if any. */
  note?: string;
}

export class ExposedFolderError extends Error {
  override name = 'ExposedFolderError';
  constructor(
    readonly area: PrivateArea,
    readonly report: ExposureReport,
  ) {
    const first = report.examples[0]!;
    const more =
      report.count > 1
        ? ` (and ${report.count - 1} more path${report.count > 2 ? 's' : ''}${
            report.examples.length > 1
              ? `, e.g. ${report.examples
                  .slice(1)
                  .map((e) => `${e.path} ${octalMode(e.mode)}`)
                  .join(', ')}`
              : ''
          })`
        : '';
    super(
      `${first.path} (${area.what}) is readable or writable by group or others: ${first.kind} mode ${octalMode(first.mode)}${more}. ` +
        `It holds mail, configuration, keys or logs, so the service does not start until it is private to its user. Fix it with: ${area.fix}${area.note ? ` (${area.note})` : ''}`,
    );
  }
}

/** Throws ExposedFolderError for the first area that group or others can read or write. */
export function checkPrivate(areas: PrivateArea[]): void {
  for (const area of areas) {
    const report = findExposed(area.paths, { recursive: area.recursive });
    if (report.count > 0) throw new ExposedFolderError(area, report);
  }
}

/** Whether `path` is `folder` or inside it. */
export function isInside(folder: string, path: string): boolean {
  const rel = relative(resolve(folder), resolve(path));
  return rel === '' || (rel !== '..' && !rel.startsWith('..' + sep) && !isAbsolute(rel));
}

/**
 * What `gatehouse start` checks: the server folder with everything in it (stores, queue, keys,
 * Maildirs, logs), the organization store and its key on a Mailbox server, and any log folder
 * that Set-TransportService put outside the server folder.
 */
export function serverPrivateAreas(o: { dataDir: string; orgPath?: string; orgKeyPath?: string; logFolders: string[] }): PrivateArea[] {
  const dir = resolve(o.dataDir);
  const areas: PrivateArea[] = [{ what: 'the server folder', paths: [dir], recursive: true, fix: `chmod -R go-rwx ${shellPath(dir)}` }];
  if (o.orgPath) {
    const store = resolve(o.orgPath);
    const key = o.orgKeyPath ? resolve(o.orgKeyPath) : undefined;
    // The glob takes the -wal and -shm files that exist when the command runs (SQLite removes them at the last close).
    areas.push({
      what: 'the organization store',
      paths: [store, `${store}-wal`, `${store}-shm`, ...(key ? [key] : [])],
      recursive: false,
      fix: `chmod go-rwx ${shellPath(store)}*${key ? ` ${shellPath(key)}` : ''}`,
    });
  }
  const outside = [...new Set(o.logFolders.map((f) => resolve(dir, f)))].filter((f) => !isInside(dir, f));
  for (const folder of outside) {
    areas.push({
      what: 'a log folder of this server',
      paths: [folder],
      recursive: true,
      fix: `chmod -R go-rwx ${shellPath(folder)}`,
      note: 'if other programs share that folder, give the log a folder of its own with Set-TransportService instead',
    });
  }
  return areas;
}
