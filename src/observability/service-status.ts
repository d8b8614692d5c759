// The running service's status file, `service.json` in the server folder:
// who is running (pid, since when), what it listens on, where its metrics
// are, and which configuration it applied. `gatehouse start` writes it
// atomically at start and after every reload and removes it at a clean stop;
// `gatehouse status` reads it (degraded when some listeners failed), and `start` refuses a folder whose service is
// still alive. A file left by a killed service names a dead pid and counts as
// stopped.

import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export const STATUS_FILE = 'service.json';

export interface ServiceStatus {
  server: string;
  role: string;
  fqdn: string;
  pid: number;
  startedAt: string;
  listening: string[];
  /** Sockets of enabled Receive connectors that could not be bound, with why (the service is degraded). */
  failed?: string[];
  metrics?: string;
  /** The bearer token file of the metrics endpoint (its path; the token is never written here). */
  metricsTokenFile?: string;
  changeCounter: number;
  appliedAt: string;
}

export function writeServiceStatus(dir: string, status: ServiceStatus): void {
  const path = join(dir, STATUS_FILE);
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, JSON.stringify(status, null, 2) + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/** Removes the file only if it still names this process (a newer service may own it). */
export function removeServiceStatus(dir: string, pid = process.pid): void {
  const current = readServiceStatus(dir);
  if (current?.pid === pid) rmSync(join(dir, STATUS_FILE), { force: true });
}

export function readServiceStatus(dir: string): ServiceStatus | undefined {
  let text: string;
  try {
    text = readFileSync(join(dir, STATUS_FILE), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const s = JSON.parse(text) as ServiceStatus;
    return Number.isInteger(s.pid) && s.pid > 0 ? s : undefined;
  } catch {
    return undefined;
  }
}

/** True when `pid` is a live gatehouse process (a reused pid running something else is not). */
export function isServiceAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes('gatehouse');
  } catch {
    return true;
  }
}

/** The live service of a folder, if any. */
export function runningService(dir: string): ServiceStatus | undefined {
  const s = readServiceStatus(dir);
  return s && s.pid !== process.pid && isServiceAlive(s.pid) ? s : undefined;
}
