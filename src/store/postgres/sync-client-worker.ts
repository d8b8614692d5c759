// The thread behind SyncPgClient: holds one node-postgres connection and
// answers each request on the shared port, then wakes the caller blocked in
// Atomics.wait. A lost connection is reopened at the next request (not
// inside a transaction: the caller learns that its transaction is gone).

import { workerData, type MessagePort } from 'node:worker_threads';
import type pg from 'pg';
import { connectOrganization } from './connect.js';
import type { PgTarget } from './connection-options.js';
import type { SyncReply, SyncRequest } from './sync-client.js';

const { target, password, port, signal } = workerData as { target: PgTarget; password?: string; port: MessagePort; signal: Int32Array };
let client: pg.Client | null = null;
let broken = false;
let inTransaction = false;

async function handle(req: SyncRequest): Promise<SyncReply> {
  if (req.op === 'close') {
    await client?.end().catch(() => undefined);
    client = null;
    return { ok: true, rows: [], rowCount: 0 };
  }
  if (broken && client) {
    await client.end().catch(() => undefined);
    client = null;
    if (inTransaction) {
      inTransaction = false;
      throw Object.assign(new Error('the connection to the organization store was lost during the transaction; nothing of it was written'), { code: 'connection-lost' });
    }
  }
  if (!client) {
    client = await connectOrganization(target, password);
    broken = false;
    client.on('error', () => {
      broken = true;
    });
    client.on('end', () => {
      broken = true;
    });
  }
  const r = await client.query({ text: req.sql, values: req.params ?? [] });
  if (/^\s*(BEGIN|START TRANSACTION)/i.test(req.sql)) inTransaction = true;
  else if (/^\s*(COMMIT|ROLLBACK|END)\s*$/i.test(req.sql)) inTransaction = false;
  return { ok: true, rows: r.rows as Record<string, unknown>[], rowCount: r.rowCount ?? 0 };
}

port.on('message', (req: SyncRequest) => {
  void handle(req)
    .then(
      (reply) => port.postMessage(reply),
      (err: Error & { code?: string; detail?: string; constraint?: string }) => {
        if (err.code === undefined || /^(ECONN|EPIPE|ETIMEDOUT)/.test(err.code)) broken = true;
        port.postMessage({ ok: false, message: err.message, code: err.code, name: err.name, ...(err.constraint && { constraint: err.constraint }) } satisfies SyncReply);
      },
    )
    .finally(() => {
      Atomics.store(signal, 0, 1);
      Atomics.notify(signal, 0);
    });
});
