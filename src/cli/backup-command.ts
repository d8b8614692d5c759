// `gatehouse backup` and `gatehouse restore`: the command lines around
// setup/backup.ts and setup/restore.ts. What they did is printed for the
// admin; a backup file that is missing, not one, or damaged is one clear
// line on standard error (exit 1), with nothing restored.

import { backupServer } from '../setup/backup.js';
import { BackupFileError, restoreServer } from '../setup/restore.js';

export async function runBackup(dataDir: string, to: string, out: (text: string) => void): Promise<number> {
  const result = await backupServer({ dataDir, to });
  for (const line of result.lines) out(line + '\n');
  return 0;
}

export function runRestore(o: { from: string; dataDir: string; force: boolean; orgPath?: string }, out: (text: string) => void, err: (text: string) => void): number {
  try {
    const result = restoreServer(o);
    for (const line of result.lines) out(line + '\n');
    return 0;
  } catch (e) {
    if (!(e instanceof BackupFileError)) throw e;
    err(`gatehouse restore: ${e.message}\n`);
    return 1;
  }
}
