// What the queue viewer cmdlets read from a server's queue database
// (queue.db in the server folder): the queues (spec exchange-operations.md
// §1.1-§1.7) and the messages waiting in them (§1.8), as Exchange shows them,
// and the identities that name them (§1.3, §1.4). The database is opened per
// command (WAL, busy timeout) and closed after, so the cmdlets work whether
// or not the transport service runs; the service sees every change on its
// next scheduling pass.

import { join } from 'node:path';
import { ByteQuantifiedSize, Unlimited } from '../config/types/index.js';
import type { QueueRow } from '../queue/delivery-state.js';
import { QueueAdmin, type QueueRecipient } from '../queue/queue-admin.js';
import type { Envelope } from '../queue/queue-store.js';
import { loadTransportConfig, type TransportConfig } from '../config/transport-config.js';
import { ConversionError, type ParameterSpec } from '../shell/command.js';
import { formatDateDisplay } from '../shell/conversion.js';
import { CmdletError, PSObject } from '../shell/values.js';
import { isThisServer } from './cross-server.js';
import type { ServerContext } from './server-context.js';

export const QUEUE_TYPE = 'Microsoft.Exchange.Data.QueueViewer.ExtensibleQueueInfo';
export const MESSAGE_TYPE = 'Microsoft.Exchange.Data.QueueViewer.ExtensibleMessageInfo';
export const RECIPIENT_TYPE = 'Microsoft.Exchange.Data.QueueViewer.RecipientInfo';
export const ZERO_GUID = '00000000-0000-0000-0000-000000000000';
export const DEFAULT_RESULT_SIZE = 1000;

const EXTERNAL_TYPES = new Set(['DnsConnectorDelivery', 'SmartHostConnectorDelivery', 'NonSmtpGatewayDelivery', 'DeliveryAgent']);
export const DELIVERY_TYPES = [
  'DnsConnectorDelivery',
  'SmartHostConnectorDelivery',
  'NonSmtpGatewayDelivery',
  'DeliveryAgent',
  'SmtpDeliveryToMailbox',
  'SmtpRelayToDag',
  'SmtpRelayToMailboxDeliveryGroup',
  'SmtpRelayToRemoteActiveDirectorySite',
  'SmtpRelayToConnectorSourceServers',
  'SmtpRelayToServers',
  'SmtpRelayWithinAdSiteToEdge',
  'ShadowRedundancy',
  'Undefined',
  'Unreachable',
  'Heartbeat',
];

export const QUEUE_FILTERABLE = [
  'DeferredMessageCount',
  'DeliveryType',
  'FirstRetryTime',
  'Identity',
  'IncomingRate',
  'LastError',
  'LastRetryTime',
  'MessageCount',
  'MessageCountsPerPriority',
  'NextHopCategory',
  'NextHopConnector',
  'NextHopDomain',
  'NextRetryTime',
  'OutgoingRate',
  'RetryCount',
  'Status',
  'TlsDomain',
  'Velocity',
  'QueueIdentity',
  'RiskLevel',
];
export const MESSAGE_FILTERABLE = [
  'Identity',
  'FromAddress',
  'Status',
  'Size',
  'SCL',
  'Queue',
  'MessageSourceName',
  'Subject',
  'LastError',
  'DateReceived',
  'ExpirationTime',
  'InternetMessageId',
  'SourceIP',
  'RetryCount',
  'DeferReason',
  'Directionality',
  'Priority',
  'OriginalFromAddress',
  'MessageLatency',
  'TrafficType',
];

/** The queue database of the server, opened for one command (queue/queue-admin.ts). */
export class QueueDb extends QueueAdmin {
  constructor(readonly ctx: Pick<ServerContext, 'dataDir'>) {
    super(ctx.dataDir);
  }
}

export async function withQueueDb<T>(ctx: ServerContext, fn: (q: QueueDb) => T | Promise<T>): Promise<T> {
  let q: QueueDb;
  try {
    q = new QueueDb(ctx);
  } catch (err) {
    throw new CmdletError(`The queue database of ${ctx.name} (${join(ctx.dataDir, 'queue.db')}) can't be opened: ${(err as Error).message}`, { reason: 'QueueViewerException' });
  }
  try {
    return await fn(q);
  } finally {
    q.close();
  }
}

/** What the viewing cmdlets read: the queue tables of one server. */
export type QueueReader = Pick<QueueAdmin, 'queues' | 'submissionCount' | 'waitingMessages'>;

/**
 * Runs a view (Get-Queue, Get-Message) on this server's queue database. A call that names another
 * server runs on that server instead (cross-server.ts), so `server` here is always this one.
 */
export async function withServerQueueView<T>(ctx: ServerContext, server: unknown, fn: (view: ServerContext, q: QueueReader) => T | Promise<T>): Promise<T> {
  checkServer(ctx, server);
  return withQueueDb(ctx, (q) => fn(ctx, q));
}

export function transportConfigOf(ctx: ServerContext): TransportConfig {
  return loadTransportConfig(ctx.repo, ctx.role, ctx.name, ctx.fqdn);
}

// ---- queues ----

/** A queue as the viewer knows it: a queues row, or the Submission/Unreachable queue synthesized when it has no row. */
export interface ViewQueue {
  /** Name part of the identity: Submission, Unreachable, Poison, or the row id. */
  name: string;
  /** The recipients' next_hop value for this queue (null: Submission). */
  hop: string | null;
  row: QueueRow | null;
  deliveryType: string;
  nextHopDomain: string;
  connector: string;
  status: string;
  messageCount: number;
}

export function listQueues(q: QueueReader): ViewQueue[] {
  const out: ViewQueue[] = [{ name: 'Submission', hop: null, row: null, deliveryType: 'Undefined', nextHopDomain: 'Submission', connector: '', status: 'Ready', messageCount: q.submissionCount() }];
  const rows = q.queues();
  if (!rows.some((r) => r.key === 'Unreachable')) {
    out.push({ name: 'Unreachable', hop: 'Unreachable', row: null, deliveryType: 'Unreachable', nextHopDomain: 'Unreachable Domain', connector: '', status: 'Ready', messageCount: 0 });
  }
  for (const r of rows) {
    if (r.key === 'Submission') continue;
    if (r.key === 'Poison' && r.messageCount === 0) continue;
    const name = r.key === 'Unreachable' || r.key === 'Poison' ? r.key : String(r.id);
    out.push({ name, hop: r.key, row: r, deliveryType: r.deliveryType, nextHopDomain: r.nextHopDomain, connector: r.connector, status: r.status, messageCount: r.messageCount });
  }
  return out;
}

const SPECIAL_ORDER: Record<string, number> = { Submission: 0, Unreachable: 1, Poison: 2 };

export function compareQueues(a: PSObject, b: PSObject): number {
  const name = (o: PSObject) => String(o.get('Identity')).split('\\').pop() ?? '';
  const [x, y] = [name(a), name(b)];
  const rank = (n: string) => SPECIAL_ORDER[n] ?? (/^\d+$/.test(n) ? 10 : 20);
  if (rank(x) !== rank(y)) return rank(x) - rank(y);
  return /^\d+$/.test(x) && /^\d+$/.test(y) ? Number(x) - Number(y) : x.localeCompare(y);
}

/** The host and IP of the next hop, when the queue's name or its error tells them. */
function lastErrorRecord(v: ViewQueue): string | null {
  const r = v.row;
  if (!r || !r.lastError) return null;
  const parts = [`{LRT=${r.lastAttemptAt !== null ? formatDateDisplay(new Date(r.lastAttemptAt)) : ''}}`, `{LED=${r.lastError}}`];
  const hosts = v.deliveryType === 'SmartHostConnectorDelivery' ? v.nextHopDomain.split(',').map((h) => h.trim().replace(/^\[(.*)\]$/, '$1')) : [];
  const endpoint = /last endpoint attempted was \[?([0-9a-f.:]+?)\]?:\d+/i.exec(r.lastError)?.[1];
  const fqdn = hosts.length === 1 ? hosts[0] : (endpoint ?? (v.deliveryType === 'DnsConnectorDelivery' ? v.nextHopDomain : undefined));
  const ip = endpoint ?? (hosts.length === 1 && /^[\d.]+$|:/.test(hosts[0]) ? hosts[0] : undefined);
  if (fqdn) parts.push(`{FQDN=${fqdn}}`);
  if (ip) parts.push(`{IP=${ip}}`);
  return `[${parts.join(';')}]`;
}

export function queueIdentity(ctx: ServerContext, name: string): string {
  return `${ctx.name}\\${name}`;
}

export function queueObject(ctx: ServerContext, v: ViewQueue): PSObject {
  const r = v.row;
  const identity = queueIdentity(ctx, v.name);
  const date = (t: number | null | undefined) => (t === null || t === undefined ? null : new Date(t));
  const failures = r?.failures ?? 0;
  return new PSObject(
    [QUEUE_TYPE],
    [
      ['DeliveryType', v.deliveryType],
      ['NextHopDomain', v.nextHopDomain],
      ['TlsDomain', ''],
      ['NextHopConnector', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v.connector) ? v.connector : ZERO_GUID],
      ['Status', v.status],
      ['MessageCount', v.messageCount],
      ['LastError', lastErrorRecord(v)],
      ['RetryCount', failures],
      ['LastRetryTime', failures > 0 ? date(r?.lastAttemptAt) : null],
      ['NextRetryTime', date(r?.nextRetryAt)],
      ['FirstRetryTime', null],
      ['DeferredMessageCount', 0],
      ['LockedMessageCount', 0],
      ['MessageCountsPerPriority', [0, v.messageCount, 0, 0]],
      ['DeferredMessageCountsPerPriority', [0, 0, 0, 0]],
      ['RiskLevel', 'Normal'],
      ['OutboundIPPool', 0],
      ['NextHopCategory', EXTERNAL_TYPES.has(v.deliveryType) ? 'External' : 'Internal'],
      ['IncomingRate', 0],
      ['OutgoingRate', 0],
      ['Velocity', 0],
      ['OverrideSource', ''],
      ['QueueIdentity', identity],
      ['PriorityDescriptions', ['High', 'Normal', 'Low', 'None']],
      ['Identity', identity],
      ['IsValid', true],
      ['ObjectState', 'Unchanged'],
    ],
  );
}

/** Strips and checks an optional `Server\` prefix; undefined = another server's identity. */
function localPart(ctx: ServerContext, parts: string[], keep: number): string[] | undefined {
  if (parts.length <= keep) return parts;
  const server = parts
    .slice(0, parts.length - keep)
    .join('\\')
    .toLowerCase();
  if (server !== ctx.name.toLowerCase() && server !== ctx.fqdn.toLowerCase() && server !== '.' && server !== 'localhost') return undefined;
  return parts.slice(parts.length - keep);
}

export function queueNotFound(ctx: ServerContext, identity: string): CmdletError {
  return new CmdletError(`The queue "${identity}" wasn't found on server ${ctx.name}. Check the identity with Get-Queue: use Server\\Submission, Server\\Unreachable, Server\\Poison, Server\\<NextHopDomain> or Server\\<queue number>.`, {
    category: 'NotSpecified',
    reason: 'LocalizedException',
  });
}

/** The queues an identity names (§1.3): all for `*`; throws when none match. */
export function matchQueues(ctx: ServerContext, all: ViewQueue[], identity: string): ViewQueue[] {
  const parts = localPart(ctx, identity.split('\\'), identity.split('\\').length >= 2 && identity.split('\\')[0].toLowerCase() === 'shadow' ? 2 : 1);
  const name = parts?.join('\\') ?? '';
  if (!parts) throw queueNotFound(ctx, identity);
  if (name === '*' || name === '') return all;
  const lower = name.toLowerCase();
  const found = all.filter((v) => v.name.toLowerCase() === lower || (v.row !== null && v.name !== 'Poison' && v.name !== 'Unreachable' && v.nextHopDomain.toLowerCase() === lower));
  if (found.length === 0) throw queueNotFound(ctx, identity);
  return found;
}

// ---- messages ----

export interface MessageIdentity {
  /** Queue name part (or '*': every queue). */
  queue: string;
  message: number;
}

export function messageNotFound(ctx: ServerContext, identity: string): CmdletError {
  return new CmdletError(`The message "${identity}" wasn't found on server ${ctx.name}. Use Get-Message to list the messages in the queues (Identity: Server\\Queue\\MessageNumber).`, {
    category: 'NotSpecified',
    reason: 'LocalizedException',
  });
}

/** Parses `[Server\]Queue\n`, `[Server\]*\n` or `n` (§1.4). */
export function parseMessageIdentity(ctx: ServerContext, identity: string): MessageIdentity {
  const parts = identity.trim().split('\\');
  const last = parts[parts.length - 1];
  if (!/^\d+$/.test(last)) throw messageNotFound(ctx, identity);
  const message = Number(last);
  if (parts.length === 1) return { queue: '*', message };
  let rest = parts.slice(0, -1);
  if (rest.length >= 2 && rest[rest.length - 2].toLowerCase() === 'shadow') throw messageNotFound(ctx, identity);
  if (rest.length > 1) {
    const local = localPart(ctx, rest, 1);
    if (!local) throw messageNotFound(ctx, identity);
    rest = local;
  } else if (rest[0].toLowerCase() === ctx.name.toLowerCase() || rest[0].toLowerCase() === ctx.fqdn.toLowerCase()) {
    rest = ['*'];
  }
  return { queue: rest[0], message };
}

/** One message as it waits in one queue. */
export interface ViewMessage {
  id: number;
  queue: ViewQueue;
  size: number;
  receivedAt: number;
  envelope: Envelope;
  /** The message's recipients routed to this queue (any status). */
  recipients: QueueRecipient[];
  suspended: boolean;
  inFlight: boolean;
  /** Remove-Message waits for the delivery attempt to end (PendingRemove). */
  removalPending: boolean;
}

/** Every (message, queue) pair with a recipient still waiting, oldest message first. */
export function listMessages(q: QueueReader, queues: ViewQueue[], only?: { message?: number; hops?: (string | null)[] }): ViewMessage[] {
  const byHop = new Map(queues.map((v) => [v.hop ?? '', v]));
  const hopFilter = only?.hops ? new Set(only.hops.map((h) => h ?? '')) : undefined;
  const out: ViewMessage[] = [];
  for (const w of q.waitingMessages(only?.message)) {
    const hop = w.hop ?? '';
    if (hopFilter && !hopFilter.has(hop)) continue;
    const queue = byHop.get(hop);
    if (!queue) continue;
    const m = w.info;
    out.push({ id: m.id, queue, size: m.size, receivedAt: m.receivedAt, envelope: m.envelope, recipients: w.recipients, suspended: w.suspended || hop === 'Poison', inFlight: w.inFlight, removalPending: w.removalPending });
  }
  return out;
}

function latency(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 10));
  const cs = total % 100;
  const s = Math.floor(total / 100);
  const pad = (n: number) => String(n).padStart(2, '0');
  const days = Math.floor(s / 86400);
  const hms = `${pad(Math.floor(s / 3600) % 24)}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}.${pad(cs)}`;
  return days > 0 ? `${days}.${hms}` : hms;
}

export function messageStatus(m: ViewMessage): string {
  const waiting = m.recipients.filter((r) => r.status === 'Ready' || r.status === 'Retry');
  if (m.removalPending) return 'PendingRemove';
  if (m.suspended) return m.inFlight && m.queue.status === 'Active' ? 'PendingSuspend' : 'Suspended';
  if (m.inFlight && m.queue.status === 'Active') return 'Active';
  if (waiting.some((r) => r.status === 'Retry') || m.queue.status === 'Retry') return 'Retry';
  return 'Ready';
}

export function messageIdentity(ctx: ServerContext, m: ViewMessage): string {
  return `${ctx.name}\\${m.queue.name}\\${m.id}`;
}

/** A recipient of a message in a queue; shown inside Recipients as address;status;type;last error. */
class RecipientInfo extends PSObject {
  override toString(): string {
    return [this.get('Address'), this.get('Status'), this.get('Type'), this.get('LastError') ?? ''].join(';');
  }
}

export function messageObject(ctx: ServerContext, m: ViewMessage, config: TransportConfig, includeRecipients: boolean, now: number): PSObject {
  const e = m.envelope;
  const waiting = m.recipients.filter((r) => r.status === 'Ready' || r.status === 'Retry');
  // A queue retrying (in Retry, or Active on its next attempt) keeps the error of its last failed attempt.
  const retrying = m.queue.status === 'Retry' || m.queue.status === 'Active';
  const queueError = m.queue.row && retrying ? m.queue.row.lastError : null;
  const lastError = waiting.find((r) => r.last_error)?.last_error ?? queueError ?? null;
  const retryCount = Math.max(0, ...waiting.map((r) => r.attempts), retrying ? (m.queue.row?.failures ?? 0) : 0);
  const local = e.connector === 'DSN' || !e.clientIp;
  const recipients = includeRecipients
    ? m.recipients.map(
        (r) =>
          new RecipientInfo(
            [RECIPIENT_TYPE],
            [
              ['Address', r.address],
              ['Type', m.queue.deliveryType === 'SmtpDeliveryToMailbox' ? 'Mailbox' : 'External'],
              ['FinalDestination', ''],
              ['Status', r.status === 'Ready' || r.status === 'Retry' ? r.status : 'Complete'],
              ['LastError', r.last_error],
              ['OutboundIPPool', 0],
            ],
          ),
      )
    : null;
  return new PSObject(
    [MESSAGE_TYPE],
    [
      ['Identity', messageIdentity(ctx, m)],
      ['Subject', e.subject],
      ['InternetMessageId', e.messageId],
      ['FromAddress', e.sender === '' ? '<>' : e.sender],
      ['Status', messageStatus(m)],
      ['Size', ByteQuantifiedSize.fromBytes(m.size)],
      ['MessageSourceName', e.connector === 'DSN' ? 'DSN' : `SMTP:${e.connector.split('\\').pop()}`],
      ['SourceIP', local ? '127.0.0.1' : e.clientIp],
      ['SCL', e.authenticatedAs || local ? -1 : 0],
      ['DateReceived', new Date(m.receivedAt)],
      ['ExpirationTime', m.queue.hop === 'Poison' ? null : new Date(m.receivedAt + config.retry.messageExpirationMs)],
      ['LastError', lastError],
      ['RetryCount', retryCount],
      ['Queue', queueIdentity(ctx, m.queue.name)],
      ['Recipients', recipients],
      ['MessageLatency', latency(now - m.receivedAt)],
      ['DeferReason', 'None'],
      ['Directionality', e.authenticatedAs || e.connector === 'DSN' ? 'Originating' : 'Incoming'],
      ['Priority', 'Normal'],
      ['OriginalFromAddress', e.sender === '' ? '<>' : e.sender],
      ['AccountForest', null],
      ['ExternalDirectoryOrganizationId', ZERO_GUID],
      ['LockReason', null],
      ['TrafficType', 'Email'],
      ['TrafficSubType', null],
      // Not an Exchange property: REQUIRETLS (RFC 8689) was on MAIL FROM, so the message leaves only over validated TLS to hops that offer REQUIRETLS.
      ['RequireTls', e.requireTls === true],
      ['IsValid', true],
      ['ObjectState', 'Unchanged'],
    ],
  );
}

export function compareMessages(a: PSObject, b: PSObject): number {
  const id = (o: PSObject) => Number(String(o.get('Identity')).split('\\').pop());
  return id(a) - id(b) || String(a.get('Queue')).localeCompare(String(b.get('Queue')));
}

// ---- shared parameters ----

function identityOf(v: unknown, type: string, typeName: string): string | null {
  if (v === null || v === undefined) return null;
  if (v instanceof PSObject) {
    if (!v.typeNames.includes(type) && !v.typeNames.includes(`Deserialized.${type}`)) {
      throw new ConversionError(`Cannot convert the "${String(v)}" value of type "${v.typeNames[0]}" to type "Microsoft.Exchange.Data.QueueViewer.${typeName}".`);
    }
    return String(v.get('Identity'));
  }
  if (Array.isArray(v)) {
    if (v.length === 1) return identityOf(v[0], type, typeName);
    throw new ConversionError(`Cannot convert "System.Object[]" to the type "Microsoft.Exchange.Data.QueueViewer.${typeName}": specify one identity.`);
  }
  return String(v);
}

/** QueueIdentity: a "Server\\Queue" text, or a queue from Get-Queue (its Identity); other objects are refused. */
export function queueIdentityConvert(v: unknown): unknown {
  return identityOf(v, QUEUE_TYPE, 'QueueIdentity');
}

/** MessageIdentity: a "Server\\Queue\\Number" text, or a message from Get-Message; other objects (a queue) are refused. */
export function messageIdentityConvert(v: unknown): unknown {
  return identityOf(v, MESSAGE_TYPE, 'MessageIdentity');
}

export function resultSizeParameter(): ParameterSpec {
  return {
    name: 'ResultSize',
    typeName: 'Unlimited',
    defaultValue: '1000',
    description: 'Most objects returned (default 1000), or Unlimited.',
    convert: (v) => {
      try {
        return Unlimited.parse(v, (x) => {
          const n = Number(x);
          if (!Number.isInteger(n) || n < 1) throw new Error(`"${String(x)}" is not a valid number of results: use a whole number of 1 or more, or Unlimited.`);
          return n;
        });
      } catch (err) {
        throw new ConversionError((err as Error).message);
      }
    },
  };
}

export function applyResultSize(objects: PSObject[], arg: unknown, warn: (m: string) => void): PSObject[] {
  const u = arg as Unlimited<number> | undefined;
  if (u?.isUnlimited) return objects;
  const limit = u ? Number(u.value) : DEFAULT_RESULT_SIZE;
  if (objects.length > limit && !u)
    warn(
      `By default, only the first ${DEFAULT_RESULT_SIZE} items are returned. Use the ResultSize parameter to specify the number of items returned. To return all items, specify "-ResultSize Unlimited". Be aware that, depending on the actual number of items, returning all items can take a long time and consume a large amount of memory. Also, we don't recommend storing the results in a variable. Instead, pipe the results to another task or script to perform batch changes.`,
    );
  return objects.slice(0, limit);
}

export function booleanConvert(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  throw new ConversionError(`Cannot convert value "${String(v)}" to type "System.Boolean". Boolean parameters accept only Boolean values and numbers, such as $True, $False, 1 or 0.`);
}

export function stringListConvert(v: unknown): string[] {
  const list = Array.isArray(v) ? v : [v];
  return list
    .flatMap((x) => String(x).split(','))
    .map((s) => s.trim())
    .filter(Boolean);
}

/** -Server here is this server: a call naming another one runs there (cross-server.ts). */
export function checkServer(ctx: ServerContext, server: unknown): void {
  if (!isThisServer(ctx, server === undefined || server === null ? undefined : String(server))) {
    throw new CmdletError(`The server "${String(server)}" is not ${ctx.name}: its queues are read on that server, through its management endpoint.`, { reason: 'LocalizedException', parameter: 'Server' });
  }
}
