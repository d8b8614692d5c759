// Writing accepted messages into the queue database: one transaction per
// batch (the envelope, the body written once, the recipients, the RECEIVE
// tracking event). A large message's body is a spool file the session has
// already written and fsync'd; the batch fsyncs the spool folder once, before
// its commit, so no committed row names a file that a crash could lose. The
// same code runs in the service's commit thread and, for the shell, in-process. A refused batch is rolled back whole; the caller
// then writes its items one by one so one refused item does not fail others.

import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { TrackingEvent } from '../tracking/tracking-event.js';
import type { Envelope, SpooledBody } from './queue-store.js';
import { internalIdTaker } from './internal-ids.js';
import { syncSpoolDir } from './spool.js';

export interface AcceptItem {
  envelope: Envelope;
  /** The whole message, or with `spooled` its header and the empty line. */
  body: Uint8Array;
  spooled?: SpooledBody;
}

export interface AcceptResult {
  internalId: number;
  event: TrackingEvent;
}

function receiveEvent(id: number, networkId: string, e: Envelope, size: number): TrackingEvent {
  return {
    timestamp: e.receivedAt,
    clientIp: e.clientIp,
    clientHostname: e.clientHelo,
    serverIp: e.serverIp,
    serverHostname: e.serverFqdn,
    sourceContext: e.tls ? `TLS protocol ${e.tls.protocol} cipher ${e.tls.cipher}` : undefined,
    connectorId: e.connector,
    source: 'SMTP',
    eventId: 'RECEIVE',
    internalMessageId: id,
    messageId: e.messageId,
    networkMessageId: networkId,
    recipients: e.recipients.map((r) => r.address),
    recipientStatus: e.recipients.map(() => 'To'),
    totalBytes: size,
    recipientCount: e.recipients.length,
    messageSubject: e.subject,
    sender: e.headerFrom || e.sender,
    returnPath: e.sender === '' ? '<>' : e.sender,
    directionality: e.authenticatedAs ? 'Originating' : 'Incoming',
    ...(e.originalClientIp && { originalClientIp: e.originalClientIp }),
  };
}

/** The batch writer for a connection (WAL, synchronous=FULL: the commit is durable when it returns). */
export function acceptBatchWriter(db: Database.Database, spoolDir: string): (items: AcceptItem[]) => AcceptResult[] {
  const insertMessage = db.prepare('INSERT INTO messages (id, network_id, received_at, sender, size, envelope) VALUES (?, ?, ?, ?, ?, ?)');
  const nextId = internalIdTaker(db);
  const insertBody = db.prepare('INSERT INTO bodies (message, data, file) VALUES (?, ?, ?)');
  const insertRecipient = db.prepare('INSERT INTO recipients (message, idx, address, orcpt, notify) VALUES (?, ?, ?, ?, ?)');
  const insertEvent = db.prepare('INSERT INTO tracking_events (timestamp, event_id, source, internal_message_id, message_id, data) VALUES (?, ?, ?, ?, ?, ?)');
  const batch = db.transaction((items: AcceptItem[]) =>
    items.map(({ envelope: e, body, spooled }) => {
      const networkId = randomUUID();
      const size = body.length + (spooled?.size ?? 0);
      const id = nextId();
      insertMessage.run(id, networkId, e.receivedAt.getTime(), e.sender, size, JSON.stringify(e));
      insertBody.run(id, Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength), spooled?.file ?? null);
      e.recipients.forEach((r, i) => insertRecipient.run(id, i, r.address, r.orcpt ?? null, r.notify ? r.notify.join(',') : null));
      const ev = receiveEvent(id, networkId, e, size);
      insertEvent.run(ev.timestamp.getTime(), ev.eventId, ev.source, id, ev.messageId ?? null, JSON.stringify(ev));
      return { internalId: id, event: ev };
    }),
  );
  return (items) => {
    if (items.some((i) => i.spooled)) syncSpoolDir(spoolDir);
    return batch.immediate(items);
  };
}

/** Writes a batch; when the batch is refused, each item alone. One outcome per item, in order. */
export function writeWithFallback(write: (items: AcceptItem[]) => AcceptResult[], items: AcceptItem[]): ({ ok: true; result: AcceptResult } | { ok: false; error: Error })[] {
  try {
    return write(items).map((result) => ({ ok: true as const, result }));
  } catch (err) {
    if (items.length === 1) return [{ ok: false, error: err as Error }];
    return items.map((item) => {
      try {
        return { ok: true as const, result: write([item])[0] };
      } catch (one) {
        return { ok: false as const, error: one as Error };
      }
    });
  }
}
