// `gatehouse backup`: a consistent copy of a server folder, taken while its
// service runs, into one file (backup-archive.ts).
//
// - The stores (server.db, queue.db with the tracking index, the SQLite
//   organization store of a Mailbox server) are copied with SQLite's online
//   backup: each copy is the store as one transaction saw it.
// - The queue's large bodies are spool files that its rows name
//   (bodies.file). A file is created before the row that names it is
//   committed and removed after that row is gone, so the copy pins files
//   first and reads the queue second: every spool file present is hard-linked
//   into a private staging folder (a link keeps its content even when the
//   service removes the name), then queue.db is copied; a file the copy names
//   that came after the pinning is linked then; if it is gone already (its
//   message left the queue meanwhile), the round starts again. So every
//   message in the copied queue has its body in the backup.
// - The keys (master.key, the organization's key) and every other file of the
//   folder (Maildir folders, logs) are copied as they are; the status file of
//   the running service and old store copies (FILE.before-vN) are left out.
// An organization store in PostgreSQL is not in the file: it is backed up with
// pg_dump, and the command says so.

import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, linkSync, lstatSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, unlinkSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { PRODUCT_VERSION } from '../config/model/server.js';
import { QUEUE_SCHEMA } from '../queue/sqlite-queue-store.js';
import { spoolDirFor } from '../queue/spool.js';
import { STATUS_FILE } from '../observability/service-status.js';
import { assertSqliteReadable } from '../store/schema-migrations.js';
import { configSchema } from '../store/sqlite-config-store.js';
import { ArchiveWriter, type BackupManifest } from './backup-archive.js';
import { isInside, PRIVATE_FOLDER_MODE } from './folder-privacy.js';
import { MASTER_KEY, orgKeyPath, SERVER_DB, serverDbPath } from './server-folder.js';

export const QUEUE_DB = 'queue.db';
/** How many times the spool and the queue are read again when a message left the queue between the two. */
const ROUNDS = 20;

export interface BackupOptions {
  dataDir: string;
  to: string;
}

export interface BackupResult {
  lines: string[];
  /** Messages in the copied queue, and how many of them have a spool file. */
  messages: number;
  spooled: number;
}

/** A folder named so that neither the service nor a later backup takes it for its own. */
const STAGING_PREFIX = '.backup-staging-';

/** Removes the staging folders of backups whose process is gone (killed mid-way): they hold links to old spool files. */
function removeAbandonedStaging(dir: string): void {
  for (const name of readdirSync(dir)) {
    if (!name.startsWith(STAGING_PREFIX)) continue;
    const pid = Number(name.slice(STAGING_PREFIX.length).split('-')[0]);
    let alive = false;
    try {
      process.kill(pid, 0);
      alive = Number.isInteger(pid) && pid > 0;
    } catch (err) {
      alive = (err as NodeJS.ErrnoException).code === 'EPERM';
    }
    if (!alive) rmSync(join(dir, name), { recursive: true, force: true });
  }
}

/** The organization store of a server: none (Edge), a SQLite file, or a PostgreSQL connection string. */
export function organizationOf(orgStore: string | undefined): { kind: 'none' } | { kind: 'sqlite'; path: string } | { kind: 'postgresql'; display: string } {
  if (!orgStore) return { kind: 'none' };
  if (/^postgres(ql)?:\/\//i.test(orgStore)) return { kind: 'postgresql', display: withoutPassword(orgStore) };
  return { kind: 'sqlite', path: orgStore };
}

/** A connection string as it may be shown: the password replaced by ***. */
export function withoutPassword(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/\/\/([^:/@]*):[^@]*@/, '//$1:***@');
  }
}

interface ServerMeta {
  role: string;
  name: string;
  fqdn: string;
  orgStore?: string;
}

function readServerMeta(dir: string): ServerMeta {
  const path = serverDbPath(dir);
  if (!existsSync(path)) throw new Error(`${dir} is not a Gatehouse server folder (no ${SERVER_DB}); give the folder of a server (--data DIR)`);
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    assertSqliteReadable(db, configSchema(SERVER_DB), path);
    const meta = new Map((db.prepare('SELECT key, value FROM config_meta').all() as { key: string; value: string }[]).map((r) => [r.key, r.value]));
    if (meta.get('setup_complete') !== 'true') throw new Error(`setup of ${dir} did not finish; there is nothing to back up`);
    return { role: meta.get('role')!, name: meta.get('name')!, fqdn: meta.get('fqdn')!, orgStore: meta.get('org_store') };
  } finally {
    db.close();
  }
}

/** SQLite's online backup of the store at `source` into `target` (created 0600). */
async function copyStore(source: string, target: string, schema: Parameters<typeof assertSqliteReadable>[1]): Promise<void> {
  const db = new Database(source, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    assertSqliteReadable(db, schema, source);
    if (existsSync(target)) unlinkSync(target);
    closeSync(openSync(target, 'wx', 0o600));
    // All pages in one step after the first: a step reads one consistent state, where small steps
    // would start over each time the service commits meanwhile.
    await db.backup(target, { progress: () => 0x7fffffff });
  } finally {
    db.close();
  }
}

/** Pins the spool's files (hard links in `pins`); returns the names pinned. */
function pinSpool(spool: string, pins: string, pinned: Set<string>): void {
  let names: string[];
  try {
    names = readdirSync(spool);
  } catch {
    return; // no spool yet
  }
  for (const name of names) if (!pinned.has(name) && pin(spool, pins, name)) pinned.add(name);
}

function pin(spool: string, pins: string, name: string): boolean {
  try {
    linkSync(join(spool, name), join(pins, name));
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return false; // removed meanwhile: its message left the queue
    if (code === 'EEXIST') return true;
    throw new Error(`cannot pin the spool file ${join(spool, name)} for the backup (${code}): the backup needs hard links inside the server folder`);
  }
}

/**
 * Copies queue.db consistently with the spool (see the header) into staging/queue.db; the spool
 * files its copy names are pinned in staging/spool. Returns those names and the message count.
 */
async function copyQueue(dir: string, staging: string): Promise<{ files: string[]; messages: number } | null> {
  const source = join(dir, QUEUE_DB);
  if (!existsSync(source)) return null; // the service has never run
  const spool = spoolDirFor(source);
  const pins = join(staging, 'spool');
  mkdirSync(pins, { mode: PRIVATE_FOLDER_MODE });
  const pinned = new Set<string>();
  const copy = join(staging, QUEUE_DB);
  for (let round = 1; round <= ROUNDS; round++) {
    pinSpool(spool, pins, pinned);
    await copyStore(source, copy, QUEUE_SCHEMA);
    const db = new Database(copy, { readonly: true, fileMustExist: true });
    let files: string[];
    let messages: number;
    try {
      const hasFile = (db.prepare("SELECT COUNT(*) AS n FROM pragma_table_info('bodies') WHERE name = 'file'").get() as { n: number }).n > 0;
      files = hasFile ? (db.prepare('SELECT file FROM bodies WHERE file IS NOT NULL').all() as { file: string }[]).map((r) => r.file) : [];
      messages = (db.prepare('SELECT COUNT(*) AS n FROM messages').get() as { n: number }).n;
    } finally {
      db.close();
    }
    // Files named by the copy that came after the pinning: pinned now, unless gone already.
    const missing = files.filter((f) => !pinned.has(f) && !(pin(spool, pins, f) && pinned.add(f)));
    if (missing.length === 0) return { files, messages };
  }
  throw new Error(`the queue of ${dir} changed too fast to be copied with its spool files (${ROUNDS} tries); try again, or stop the service for the backup`);
}

/** Every file and folder of the server folder that is copied as it is (not the stores, the spool, the status file). */
function plainEntries(dir: string, skip: (rel: string) => boolean): { folders: string[]; files: string[] } {
  const folders: string[] = [];
  const files: string[] = [];
  const walk = (rel: string) => {
    let names: string[];
    try {
      names = readdirSync(join(dir, rel)).sort(maildirOrder);
    } catch {
      return; // removed meanwhile
    }
    for (const name of names) {
      const r = rel === '' ? name : `${rel}/${name}`;
      if (skip(r)) continue;
      let st;
      try {
        st = lstatSync(join(dir, r));
      } catch {
        continue;
      }
      if (st.isDirectory()) {
        folders.push(r);
        walk(r);
      } else if (st.isFile()) {
        files.push(r);
      }
    }
  };
  walk('');
  return { folders, files };
}

/** Maildir's new/ before cur/: a message a reader moves from one to the other meanwhile is still copied once at least. */
function maildirOrder(a: string, b: string): number {
  const rank = (n: string) => (n === 'new' ? 0 : n === 'cur' ? 1 : 2);
  return rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0);
}

function isStoreFile(rel: string, store: string): boolean {
  return rel === store || rel === `${store}-wal` || rel === `${store}-shm` || rel === `${store}-journal` || rel.startsWith(`${store}.before-v`);
}

export async function backupServer(o: BackupOptions): Promise<BackupResult> {
  const dir = resolve(o.dataDir);
  const to = resolve(o.to);
  const meta = readServerMeta(dir);
  if (isInside(dir, to)) throw new Error(`${to} is inside the server folder ${dir}; write the backup somewhere else (another disk or host is best)`);
  if (existsSync(to)) throw new Error(`${to} exists already; the backup does not overwrite a file: give another name, or remove it first`);
  if (!existsSync(dirname(to))) throw new Error(`the folder ${dirname(to)} does not exist; create it first, or give another --to FILE`);
  const org = organizationOf(meta.orgStore);

  removeAbandonedStaging(dir);
  const staging = join(dir, `${STAGING_PREFIX}${process.pid}-${randomBytes(6).toString('hex')}`);
  mkdirSync(staging, { mode: PRIVATE_FOLDER_MODE });
  const partial = `${to}.partial-${randomBytes(6).toString('hex')}`;
  let fd: number | null = null;
  try {
    // Server store and organization store first: the queue's copy is then the newest, so every
    // message in it was routed with configuration that is in the backup or older.
    await copyStore(serverDbPath(dir), join(staging, SERVER_DB), configSchema(SERVER_DB));
    if (org.kind === 'sqlite') await copyStore(org.path, join(staging, basename(org.path)), configSchema(basename(org.path)));
    const queue = await copyQueue(dir, staging);

    const manifest: BackupManifest = {
      kind: 'manifest',
      server: meta.name,
      role: meta.role,
      fqdn: meta.fqdn,
      createdAt: new Date().toISOString(),
      product: PRODUCT_VERSION,
      organization: org.kind,
      ...(org.kind === 'sqlite' && { organizationFile: basename(org.path) }),
      dataDir: dir,
    };
    fd = openSync(partial, 'wx', 0o600);
    const archive = new ArchiveWriter(fd, manifest);
    const add = (path: string, source: string) => {
      let src: number;
      try {
        src = openSync(source, 'r');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
        throw err;
      }
      try {
        archive.file(path, src);
      } finally {
        closeSync(src);
      }
      return true;
    };
    add(`server/${SERVER_DB}`, join(staging, SERVER_DB));
    if (queue) {
      add(`server/${QUEUE_DB}`, join(staging, QUEUE_DB));
      archive.folder('server/spool');
      for (const f of queue.files) add(`server/spool/${f}`, join(staging, 'spool', f));
    }
    // An organization store kept inside the server folder is in the backup already (its online copy).
    const orgInside = org.kind === 'sqlite' && isInside(dir, org.path) ? relative(dir, org.path) : null;
    const plain = plainEntries(
      dir,
      (rel) =>
        rel.startsWith(STAGING_PREFIX) ||
        rel === 'spool' ||
        rel === STATUS_FILE ||
        isStoreFile(rel, SERVER_DB) ||
        isStoreFile(rel, QUEUE_DB) ||
        (orgInside !== null && (isStoreFile(rel, orgInside) || rel === relative(dir, orgKeyPath(org.kind === 'sqlite' ? org.path : '')))),
    );
    if (!plain.files.includes(MASTER_KEY)) throw new Error(`the master key ${join(dir, MASTER_KEY)} is missing; without it the server's secrets cannot be read, and a backup without it is of no use`);
    for (const f of plain.folders) archive.folder(`server/${f}`);
    let copied = 0;
    for (const f of plain.files) if (add(`server/${f}`, join(dir, f))) copied++;
    if (org.kind === 'sqlite') {
      add(`organization/${basename(org.path)}`, join(staging, basename(org.path)));
      if (!add(`organization/${basename(orgKeyPath(org.path))}`, orgKeyPath(org.path))) throw new Error(`the organization key ${orgKeyPath(org.path)} is missing; without it the organization's secrets cannot be read`);
    }
    archive.finish();
    closeSync(fd);
    fd = null;
    renameSync(partial, to);
    const lines = [
      `Backed up ${meta.role === 'Mailbox' ? 'Mailbox' : 'Edge Transport'} server ${meta.name} (${meta.fqdn}) from ${dir} to ${to} (${archive.bytes} octets, mode 0600).`,
      queue ? `Queue: ${queue.messages} message${queue.messages === 1 ? '' : 's'}, ${queue.files.length} of them with a body in the spool; all are in the backup.` : 'Queue: none yet (the service has never run).',
      `Also in the backup: the server store${meta.role === 'Mailbox' ? '' : ' (configuration and certificates)'}, the master key, and ${copied - 1} other file${copied === 2 ? '' : 's'} of the folder as ${copied === 2 ? 'it was' : 'they were'} (Maildir folders, logs).`,
    ];
    if (org.kind === 'sqlite') lines.push(`Organization store: ${org.path} and its key ${orgKeyPath(org.path)} are in the backup.`);
    if (org.kind === 'postgresql') {
      lines.push(`The organization of ${meta.name} lives in PostgreSQL (${org.display}); it is NOT in this file. Back it up with pg_dump (see the README, "Backup and restore"), at about the same time.`);
    }
    lines.push(`Restore with: gatehouse restore --from ${to} --data DIR`);
    return { lines, messages: queue?.messages ?? 0, spooled: queue?.files.length ?? 0 };
  } finally {
    if (fd !== null) {
      closeSync(fd);
      rmSync(partial, { force: true });
    }
    rmSync(staging, { recursive: true, force: true });
  }
}
