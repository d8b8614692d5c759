// Item count, total size and last delivery time of one Maildir folder.
// Invariants: only regular files in new/ and cur/ count (tmp/ holds
// deliveries in progress; names starting with '.' are not messages); a
// file's size comes from the S= field of its name when present, otherwise
// from stat; its time from the <sec>.M<usec> prefix, otherwise from mtime.
// Files that vanish while counting (expunged or moved) are skipped.

import { readdirSync, statSync, type Dirent } from 'node:fs';
import { join } from 'node:path';
import { folderPath } from './deliver.js';
import { maildirError } from './errors.js';
import { parseName } from './unique-name.js';

export interface MaildirStatistics {
  itemCount: number;
  totalItemSize: number;
  lastDeliveryTime: Date | null;
}

export function maildirStatistics(root: string, folder: string): MaildirStatistics {
  const dir = folderPath(root, folder);
  const stats: MaildirStatistics = { itemCount: 0, totalItemSize: 0, lastDeliveryTime: null };
  for (const sub of ['new', 'cur']) {
    const subdir = join(dir, sub);
    let entries: Dirent[];
    try {
      entries = readdirSync(subdir, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw maildirError('statistics', subdir, err);
    }
    for (const entry of entries) {
      if (entry.name.startsWith('.') || entry.isDirectory()) continue;
      let { time, size } = parseName(entry.name);
      if (size === null || time === null || !entry.isFile()) {
        let st;
        try {
          st = statSync(join(subdir, entry.name));
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
          throw maildirError('statistics', join(subdir, entry.name), err);
        }
        if (!st.isFile()) continue;
        size ??= st.size;
        time ??= st.mtime;
      }
      stats.itemCount += 1;
      stats.totalItemSize += size;
      if (stats.lastDeliveryTime === null || time.getTime() > stats.lastDeliveryTime.getTime()) stats.lastDeliveryTime = time;
    }
  }
  return stats;
}
