// Retention of the CSV log folders (protocol logs, message tracking): Exchange's
// MaxFileSize, MaxAge and MaxDirectorySize. When a log opens a new file it
// removes the oldest files of its own kind that are older than MaxAge, then
// more of the oldest while the folder is over MaxDirectorySize. The file being
// written is never removed.

import { readdirSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';

export interface LogRetention {
  maxFileBytes: number;
  /** 0 = no age limit. */
  maxAgeMs: number;
  /** null = unlimited. */
  maxDirectoryBytes: number | null;
}

/** The day and sequence number in a log file's name (RECV20261127-3.LOG), which order files better than their mtime (a write still flushing moves it). */
function nameOrder(path: string): [number, number] | null {
  const m = /(\d{8})-(\d+)\.[A-Za-z]+$/.exec(path);
  return m ? [Number(m[1]), Number(m[2])] : null;
}

function oldestFirst(a: { path: string; mtime: number }, b: { path: string; mtime: number }): number {
  const x = nameOrder(a.path);
  const y = nameOrder(b.path);
  if (x && y) return x[0] - y[0] || x[1] - y[1];
  return a.mtime - b.mtime || a.path.localeCompare(b.path);
}

/** Removes files named like `pattern` in `folder` beyond the limits; returns the paths removed. */
/** `written`: sizes of files whose writes may still be in flight (their size on disk lags). */
export function pruneLogFolder(folder: string, pattern: RegExp, current: string, r: LogRetention, now = Date.now(), written: ReadonlyMap<string, number> = new Map()): string[] {
  const files = readdirSync(folder)
    .filter((f) => pattern.test(f))
    .flatMap((f) => {
      const path = join(folder, f);
      try {
        const st = statSync(path);
        return [{ path, size: Math.max(st.size, written.get(path) ?? 0), mtime: st.mtimeMs }];
      } catch {
        return [];
      }
    })
    .sort(oldestFirst);
  let total = files.reduce((n, f) => n + f.size, 0);
  const removed: string[] = [];
  for (const f of files) {
    if (f.path === current) continue;
    const tooOld = r.maxAgeMs > 0 && now - f.mtime > r.maxAgeMs;
    const tooBig = r.maxDirectoryBytes !== null && total > r.maxDirectoryBytes;
    if (!tooOld && !tooBig) continue;
    try {
      unlinkSync(f.path);
      total -= f.size;
      removed.push(f.path);
    } catch {
      // already gone (another process pruned it)
    }
  }
  return removed;
}
