// `gatehouse restore`: brings a backup file (backup-archive.ts) back into a
// server folder. Everything is first written to a private folder beside the
// target and checked whole (every file's checksum, the end record); only then
// is it moved into place, so a damaged or cut backup leaves the target as it
// was. The restored folder is 0700 and every file 0600, as `gatehouse start`
// requires. A Mailbox server's SQLite organization store comes back as a new
// file (by default organization.db beside the folder, as setup places it),
// never over an existing one that other Mailbox servers may be using; the
// restored server store names it. Restored to another folder, the server's
// DataPath (and its mailbox databases' folders) follow the new place.

import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fchmodSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmdirSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';
import Database from 'better-sqlite3';
import { serverSchema } from '../config/model/server.js';
import { runningService } from '../observability/service-status.js';
import { ArchiveReader, BackupFileError, type BackupManifest } from './backup-archive.js';
import { makePrivate, PRIVATE_FILE_MODE, PRIVATE_FOLDER_MODE } from './folder-privacy.js';
import { defaultOrgPath, orgKeyPath, SERVER_DB } from './server-folder.js';

export { BackupFileError };

export interface RestoreOptions {
  from: string;
  dataDir: string;
  /** Replace what the folder holds. */
  force?: boolean;
  /** Where a Mailbox server's SQLite organization store goes (default: organization.db beside the folder). */
  orgPath?: string;
}

export interface RestoreResult {
  lines: string[];
  manifest: BackupManifest;
}

function checkTarget(dir: string, force: boolean): boolean {
  if (!existsSync(dir)) return false;
  const names = readdirSync(dir);
  if (names.length === 0) return false;
  if (!force) throw new Error(`${dir} is not empty; restore does not overwrite a folder. Give an empty or new folder, or --force to replace what ${dir} holds`);
  const running = runningService(dir);
  if (running) throw new Error(`the transport service of ${running.server} is running from ${dir} (pid ${running.pid}); stop it before restoring over its folder`);
  return true;
}

/** Extracts the archive: server/... into `serverStaging`, organization/... to `orgFiles` (archive name -> staging path). */
function extract(reader: ArchiveReader, serverStaging: string, orgFiles: Map<string, string>): number {
  let files = 0;
  for (let entry = reader.next(); entry !== null; entry = reader.next()) {
    const [root, ...rest] = entry.path.split('/');
    let target: string;
    if (root === 'server') {
      target = join(serverStaging, ...rest);
    } else {
      const mapped = orgFiles.get(rest.join('/'));
      if (!mapped || entry.kind !== 'file') throw new BackupFileError(`${entry.path} in the backup is not a file of the organization store this backup names`);
      target = mapped;
    }
    if (entry.kind === 'folder') {
      mkdirSync(target, { recursive: true, mode: PRIVATE_FOLDER_MODE });
      continue;
    }
    mkdirSync(dirname(target), { recursive: true, mode: PRIVATE_FOLDER_MODE });
    const fd = openSync(target, 'wx', PRIVATE_FILE_MODE);
    try {
      fchmodSync(fd, PRIVATE_FILE_MODE);
      entry.content!(fd);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    files++;
  }
  return files;
}

/** The restored stores name their new places: the organization store, the server's DataPath, its mailbox databases' folders. */
function repoint(serverDb: string, configDb: string, manifest: BackupManifest, dir: string, orgPath: string | null): void {
  if (orgPath) {
    const db = new Database(serverDb, { fileMustExist: true });
    try {
      db.prepare("UPDATE config_meta SET value = ? WHERE key = 'org_store'").run(orgPath);
    } finally {
      db.close();
    }
  }
  if (manifest.dataDir === dir) return;
  const db = new Database(configDb, { fileMustExist: true });
  try {
    db.transaction(() => {
      db.prepare("UPDATE config_objects SET data = json_set(data, '$.DataPath', ?) WHERE type = ? AND server = '' AND name = ? COLLATE NOCASE").run(dir, serverSchema.typeName, manifest.server);
      const old = manifest.dataDir + sep;
      db.prepare("UPDATE config_objects SET data = json_set(data, '$.FolderPath', ? || substr(json_extract(data, '$.FolderPath'), ?)) WHERE substr(json_extract(data, '$.FolderPath'), 1, ?) = ?").run(
        dir + sep,
        old.length + 1,
        old.length,
        old,
      );
    })();
  } finally {
    db.close();
  }
}

export function restoreServer(o: RestoreOptions): RestoreResult {
  const dir = resolve(o.dataDir);
  const reader = new ArchiveReader(resolve(o.from));
  const manifest = reader.manifest;
  const staging = `${dir}.restoring-${randomBytes(6).toString('hex')}`;
  let orgStaging: string | null = null;
  try {
    const replace = checkTarget(dir, o.force === true);
    if (o.orgPath !== undefined && manifest.organization !== 'sqlite') {
      throw new Error(
        `--org places a Mailbox server's SQLite organization store; this backup of ${manifest.server} holds none (${manifest.organization === 'postgresql' ? 'its organization is in PostgreSQL' : 'an Edge Transport server keeps its own configuration'})`,
      );
    }
    let orgPath: string | null = null;
    const orgFiles = new Map<string, string>();
    if (manifest.organization === 'sqlite') {
      orgPath = resolve(o.orgPath ?? defaultOrgPath(dir));
      for (const f of [orgPath, orgKeyPath(orgPath)]) {
        if (existsSync(f))
          throw new Error(
            `${f} exists: other Mailbox servers may be using that organization store, and restore never overwrites it. Give --org FILE to restore the backup's organization store to a new file (its key goes beside it), or move ${f} away first`,
          );
      }
      mkdirSync(dirname(orgPath), { recursive: true, mode: PRIVATE_FOLDER_MODE });
      orgStaging = `${orgPath}.restoring-${randomBytes(6).toString('hex')}`;
      mkdirSync(orgStaging, { mode: PRIVATE_FOLDER_MODE });
      const file = manifest.organizationFile ?? 'organization.db';
      orgFiles.set(file, join(orgStaging, 'store'));
      orgFiles.set(basename(orgKeyPath(file)), join(orgStaging, 'key'));
    }
    mkdirSync(dirname(dir), { recursive: true, mode: PRIVATE_FOLDER_MODE });
    mkdirSync(staging, { mode: PRIVATE_FOLDER_MODE });
    const files = extract(reader, staging, orgFiles);
    if (!existsSync(join(staging, SERVER_DB))) throw new BackupFileError(`${o.from} holds no ${SERVER_DB}; it is not a backup of a server folder`);
    if (orgStaging && (!existsSync(join(orgStaging, 'store')) || !existsSync(join(orgStaging, 'key')))) {
      throw new BackupFileError(`${o.from} names an organization store but does not hold it and its key whole`);
    }
    repoint(join(staging, SERVER_DB), orgStaging ? join(orgStaging, 'store') : join(staging, SERVER_DB), manifest, dir, orgPath);
    makePrivate(staging);

    // Into place: the folder (what it held, with --force, goes only once the new content is there).
    let aside: string | null = null;
    if (replace) {
      aside = `${dir}.replaced-${randomBytes(6).toString('hex')}`;
      renameSync(dir, aside);
    } else if (existsSync(dir)) {
      rmdirSync(dir); // empty
    }
    renameSync(staging, dir);
    if (aside) rmSync(aside, { recursive: true, force: true });
    if (orgPath && orgStaging) {
      renameSync(join(orgStaging, 'key'), orgKeyPath(orgPath));
      renameSync(join(orgStaging, 'store'), orgPath);
      rmSync(orgStaging, { recursive: true, force: true });
      orgStaging = null;
    }

    const lines = [
      `Restored ${manifest.role === 'Mailbox' ? 'Mailbox' : 'Edge Transport'} server ${manifest.server} (${manifest.fqdn}), backed up at ${manifest.createdAt} from ${manifest.dataDir}, into ${dir} (${files} files${replace ? '; what the folder held before is removed' : ''}).`,
      `The folder is private to this user (0700, files 0600): run the service as this user.`,
    ];
    if (orgPath) lines.push(`Organization store: ${orgPath} (key ${orgKeyPath(orgPath)}); ${manifest.server}'s server store now names it.`);
    if (manifest.organization === 'postgresql')
      lines.push(`The organization of ${manifest.server} is in PostgreSQL and was not in this backup: if it was lost too, restore it from its pg_dump before starting the service (see the README, "Backup and restore").`);
    lines.push(`If the server the backup was taken from still runs, stop it for good first: both would be ${manifest.server}, with the same certificates and queue.`);
    lines.push(`Start it with: gatehouse start --data ${o.dataDir}`);
    return { lines, manifest };
  } finally {
    reader.close();
    rmSync(staging, { recursive: true, force: true });
    if (orgStaging) rmSync(orgStaging, { recursive: true, force: true });
  }
}
