// The commit thread of the transport service: it owns a connection to the
// queue database and writes batches of accepted messages (with the fsync of
// synchronous=FULL) while the main thread goes on serving SMTP sessions.
// Messages: { id, items } in, { id, outcomes } out.

import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { acceptBatchWriter, writeWithFallback, type AcceptItem } from './accept-batch.js';
import { checkpointOnlyAsBackstop, IdleCheckpoints } from './wal-checkpoints.js';

const { path, spoolDir } = workerData as { path: string; spoolDir: string };
const db = new Database(path);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.pragma('busy_timeout = 5000');
checkpointOnlyAsBackstop(db);
const checkpoints = new IdleCheckpoints(db);
const write = acceptBatchWriter(db, spoolDir);

parentPort!.on('message', (msg: { id: number; items: AcceptItem[] } | { close: true }) => {
  if ('close' in msg) {
    checkpoints.stop();
    db.close();
    parentPort!.close();
    return;
  }
  const outcomes = writeWithFallback(write, msg.items).map((o) => (o.ok ? o : { ok: false, error: o.error.message }));
  checkpoints.committed();
  parentPort!.postMessage({ id: msg.id, outcomes });
});
