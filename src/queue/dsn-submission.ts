// Submission of delivery status notifications: the one place where a DSN about
// a queued message is built (dsn.ts), given its envelope (null sender, from
// the postmaster, to the original sender and, when asked, a copy to the
// postmaster), queued like any other message, and recorded in message
// tracking. Delivery's NDRs and delay notifications and Remove-Message's NDRs
// all come through here. No DSN is ever sent to the null sender.

import { randomUUID } from 'node:crypto';
import type { TrackingEvent } from '../tracking/tracking-event.js';
import type { DeliveryState } from './delivery-state.js';
import { buildDsn, dsnBodyType, type DsnInput, type DsnRecipient } from './dsn.js';
import type { Envelope } from './queue-store.js';
import type { SqliteQueueStore } from './sqlite-queue-store.js';

/** The attach-size limit when no Set-TransportConfig setting applies. */
export const DSN_MAX_ATTACH = 10 * 1024 * 1024;

/** What a DSN is submitted through. */
export interface DsnQueue {
  state: Pick<DeliveryState, 'message'>;
  store: Pick<SqliteQueueStore, 'body' | 'accept'>;
  /** Records the DSN event in message tracking. */
  track(ev: TrackingEvent): void;
  /** Builds the DSN's bytes (buildDsn unless replaced). */
  build?: (input: DsnInput) => Buffer;
}

export interface DsnSubmission {
  kind: 'failure' | 'delay';
  /** The internal id of the message the DSN is about. */
  original: number;
  recipients: DsnRecipient[];
  /** This server's FQDN. */
  reportingMta: string;
  /** The postmaster address the DSN comes from. */
  postmaster: string;
  maxAttachBytes: number;
  now: Date;
  /** Who gets it: the original sender (the default), and/or a copy for the postmaster. */
  to?: { sender: boolean; postmasterCopy: boolean };
}

export interface SubmittedDsn {
  /** The DSN's Message-ID. */
  messageId: string;
  /** Its envelope recipients. */
  to: string[];
  /** Settles with the DSN's internal id once it is queued (and tracked). */
  accepted: Promise<number>;
}

/** The DSN could not be built: nothing was queued. */
export class DsnBuildError extends Error {}

/**
 * Submits a DSN about a queued message. Null when there is nothing to send: the original is gone,
 * its sender is the null sender, or nobody is to get it. Throws DsnBuildError when the DSN cannot be built.
 */
export function submitDsn(queue: DsnQueue, s: DsnSubmission): SubmittedDsn | null {
  const message = queue.state.message(s.original);
  const content = queue.store.body(s.original);
  if (!message || !content || message.envelope.sender === '' || s.recipients.length === 0) return null;
  const e = message.envelope;
  const to = s.to ?? { sender: true, postmasterCopy: false };
  const dsnId = `<${randomUUID()}@${s.reportingMta}>`;
  let body: Buffer;
  try {
    body = (queue.build ?? buildDsn)({
      kind: s.kind,
      reportingMta: s.reportingMta,
      from: s.postmaster,
      to: e.sender,
      // RFC 8689 §5: the NDR of a REQUIRETLS message returns its header only (as RET=HDRS), since the NDR itself may travel in clear.
      original: { messageId: e.messageId, subject: e.subject, ...(e.envid !== undefined && { envid: e.envid }), ...(e.requireTls ? { ret: 'HDRS' as const } : e.ret && { ret: e.ret }), arrivalDate: new Date(message.receivedAt), content },
      recipients: s.recipients,
      maxAttachBytes: s.maxAttachBytes,
      now: s.now,
      messageId: dsnId,
    });
  } catch (err) {
    throw new DsnBuildError((err as Error).message);
  }
  const envelope: Envelope = {
    sender: '',
    recipients: [...(to.sender ? [{ address: e.sender }] : []), ...(to.postmasterCopy && s.postmaster.toLowerCase() !== e.sender.toLowerCase() ? [{ address: s.postmaster }] : [])],
    bodyType: dsnBodyType(body),
    smtputf8: false,
    connector: 'DSN',
    principal: 'Local',
    clientIp: '',
    clientHelo: s.reportingMta,
    serverIp: '',
    serverFqdn: s.reportingMta,
    messageId: dsnId,
    subject: `${s.kind === 'failure' ? 'Undeliverable' : 'Delayed'}: ${e.subject}`,
    headerFrom: s.postmaster,
    receivedAt: s.now,
  };
  if (envelope.recipients.length === 0) return null;
  const accepted = queue.store.accept(envelope, body).then((a) => {
    queue.track({
      timestamp: s.now,
      source: 'DSN',
      eventId: 'DSN',
      internalMessageId: s.original,
      messageId: e.messageId,
      recipients: s.recipients.map((r) => r.address),
      recipientStatus: s.recipients.map((r) => `${r.status} ${r.diagnostic ?? ''}`.trim()),
      recipientCount: s.recipients.length,
      sourceContext: `DSN ${dsnId} (internal id ${a.internalId})`,
      returnPath: e.sender,
    });
    return a.internalId;
  });
  return { messageId: dsnId, to: envelope.recipients.map((r) => r.address), accepted };
}
