// Get-MessageTrackingLog (spec exchange-operations.md §3.2, §3.5, §3.6): the
// tracking events a server wrote to its queue database (indexed by time and
// Message-ID), filtered as Exchange documents: -Start/-End (End exclusive),
// -EventId, -Source, -Sender, -Recipients (any), -MessageId (brackets
// optional), -InternalMessageId, -MessageSubject (substring), -ResultSize
// (default 1000 with Exchange's warning when more matched, or Unlimited); the
// newest events that match, oldest first. -Sender and -Recipients read the
// address index (tracking-index.ts). -Server naming another server runs the search there (cross-server.ts).

import { transportServiceSchema } from '../config/model/transport-service.js';
import type { Unlimited } from '../config/types/index.js';
import { TrackingReader, type TrackingQuery } from '../queue/tracking-reader.js';
import { ConversionError, type CommandSpec, type ParameterSpec } from '../shell/command.js';
import { CmdletError, PSObject, type ObjectView } from '../shell/values.js';
import type { TrackingEvent } from '../tracking/tracking-event.js';
import { notFound } from './errors.js';
import { DEFAULT_RESULT_SIZE, resultSizeParameter } from './queue-view.js';
import { DEFAULT_RESULT_SIZE_WARNING } from './recipient-common.js';
import { isThisServer } from './cross-server.js';
import type { ServerContext } from './server-context.js';
import { serverParameter } from './transport-service.js';

function parseDate(v: unknown): Date {
  if (v instanceof Date) return v;
  const d = new Date(String(v));
  if (Number.isNaN(d.getTime())) throw new ConversionError(`Cannot convert value "${String(v)}" to type "System.DateTime". Use a date such as "11/27/2026 09:00:00" or "2026-11-27T09:00:00".`);
  return d;
}

const TRACKING_TYPE = 'Microsoft.Exchange.Management.TransportLogSearchTasks.MessageTrackingEvent';

const text = (name: string, description: string): ParameterSpec => ({ name, typeName: 'String', description, convert: (v) => String(v) });

const FIELDS: [string, (e: TrackingEvent) => unknown][] = [
  ['Timestamp', (e) => e.timestamp],
  ['ClientIp', (e) => e.clientIp ?? null],
  ['ClientHostname', (e) => e.clientHostname ?? null],
  ['ServerIp', (e) => e.serverIp ?? null],
  ['ServerHostname', (e) => e.serverHostname ?? null],
  ['SourceContext', (e) => e.sourceContext ?? null],
  ['ConnectorId', (e) => e.connectorId ?? null],
  ['Source', (e) => e.source],
  ['EventId', (e) => e.eventId],
  ['InternalMessageId', (e) => e.internalMessageId],
  ['MessageId', (e) => e.messageId ?? null],
  ['NetworkMessageId', (e) => e.networkMessageId ?? null],
  ['Recipients', (e) => e.recipients ?? []],
  ['RecipientStatus', (e) => e.recipientStatus ?? []],
  ['TotalBytes', (e) => e.totalBytes ?? null],
  ['RecipientCount', (e) => e.recipientCount ?? null],
  ['RelatedRecipientAddress', (e) => e.relatedRecipientAddress ?? null],
  ['Reference', () => []],
  ['MessageSubject', (e) => e.messageSubject ?? null],
  ['Sender', (e) => e.sender ?? null],
  ['ReturnPath', (e) => e.returnPath ?? null],
  ['MessageInfo', () => null],
  ['Directionality', (e) => e.directionality ?? null],
  ['TenantId', () => null],
  ['OriginalClientIp', (e) => e.originalClientIp ?? null],
  ['OriginalServerIp', () => null],
  ['EventData', () => []],
];

export function messageTrackingCommands(ctx: ServerContext): CommandSpec[] {
  return [
    {
      name: 'Get-MessageTrackingLog',
      synopsis: 'Searches the message tracking log of a server: every receive, routing, send, delivery, deferral, failure and notification event of its messages.',
      parameters: [
        { name: 'Start', typeName: 'DateTime', description: 'Earliest event time.', convert: parseDate },
        { name: 'End', typeName: 'DateTime', description: 'Events before this time (exclusive).', convert: parseDate },
        text('EventId', 'RECEIVE, SEND, DELIVER, DEFER, FAIL, DSN, EXPAND, REDIRECT, POISONMESSAGE …'),
        text('Source', 'SMTP, ROUTING, QUEUE, DSN, STOREDRIVER …'),
        text('Sender', 'Sender address.'),
        { name: 'Recipients', typeName: 'String[]', description: 'Recipient addresses; an event matches when it has any of them.', convert: (v) => (Array.isArray(v) ? v : [v]).map(String) },
        text('MessageId', 'The Message-ID header, with or without <>.'),
        text('InternalMessageId', "This server's number for the message."),
        text('MessageSubject', 'Part of the subject (no wildcards).'),
        { ...resultSizeParameter(), description: 'Most entries returned (default 1000, with a warning when there are more), or Unlimited.' },
        serverParameter('Server whose log to search (default: this server; another server answers through its management endpoint). Takes the servers of Get-TransportService or Get-ExchangeServer from the pipeline.'),
      ],
      invoke(args, invocation) {
        // A call naming another server runs on that server (cross-server.ts): this is this server's log.
        const serverName = args.has('Server') ? String(args.get('Server')) : ctx.name;
        if (!isThisServer(ctx, serverName)) throw notFound(serverName, ctx.fqdn);
        const subjects = ctx.repo.findByName(transportServiceSchema, ctx.name, ctx.name)?.values.MessageTrackingLogSubjectLoggingEnabled !== false;
        let log: TrackingReader | null;
        try {
          log = TrackingReader.open(ctx.dataDir);
        } catch (err) {
          throw new CmdletError(`The message tracking log of ${ctx.name} cannot be read (${(err as Error).message}).`, { reason: 'TrackingSearchException' });
        }
        if (!log) return []; // the server has not received anything yet
        try {
          const query: TrackingQuery = {};
          if (args.has('Start')) query.start = (args.get('Start') as Date).getTime();
          if (args.has('End')) query.end = (args.get('End') as Date).getTime();
          if (args.has('EventId')) query.eventId = String(args.get('EventId'));
          if (args.has('Source')) query.source = String(args.get('Source'));
          if (args.has('InternalMessageId')) query.internalMessageId = Number(args.get('InternalMessageId'));
          if (args.has('MessageId'))
            query.messageId = String(args.get('MessageId'))
              .trim()
              .replace(/^<?(.*?)>?$/, '<$1>');
          if (args.has('Sender')) query.sender = String(args.get('Sender'));
          if (args.has('Recipients') && (args.get('Recipients') as string[]).length > 0) query.recipients = args.get('Recipients') as string[];
          const limitArg = args.get('ResultSize') as Unlimited<number> | undefined;
          const limit = limitArg ? (limitArg.isUnlimited ? Number.MAX_SAFE_INTEGER : limitArg.value) : DEFAULT_RESULT_SIZE;
          // The index narrows by lower-cased address; the comparison below is the exact rule.
          const sender = args.has('Sender') ? String(args.get('Sender')).toLowerCase() : null;
          const recipients = args.has('Recipients') ? (args.get('Recipients') as string[]).map((r) => r.toLowerCase()) : null;
          const subject = args.has('MessageSubject') ? String(args.get('MessageSubject')).toLowerCase() : null;
          const out: PSObject[] = [];
          let more = false;
          for (const e of log.newestFirst(query)) {
            if (sender && ![e.sender, e.returnPath].some((x) => x?.toLowerCase() === sender)) continue;
            if (recipients && !(e.recipients ?? []).some((r) => recipients.includes(r.toLowerCase()))) continue;
            if (subject && !(e.messageSubject ?? '').toLowerCase().includes(subject)) continue;
            if (out.length >= limit) {
              more = true;
              break;
            }
            if (!subjects) e.messageSubject = undefined;
            out.push(
              new PSObject(
                [TRACKING_TYPE, 'MessageTrackingLogEntry'],
                FIELDS.map(([name, get]) => [name, get(e)]),
              ),
            );
          }
          if (more && !limitArg) invocation.warn(DEFAULT_RESULT_SIZE_WARNING);
          return out.reverse();
        } finally {
          log.close();
        }
      },
    },
  ];
}

export const messageTrackingViews: ObjectView[] = [
  {
    typeName: 'MessageTrackingLogEntry',
    display: 'table',
    table: ['EventId', 'Source', 'Sender', 'Recipients', 'MessageSubject'].map((property) => ({ property })),
  },
];
