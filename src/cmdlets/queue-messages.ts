// Get-Message, Suspend-Message, Resume-Message, Remove-Message,
// Export-Message and the AssembleMessage filter (spec exchange-operations.md
// §1.4, §1.8, §1.9): the messages waiting in this server's queues, one row
// per message per queue. A suspended message (suspended_messages) is skipped
// by delivery and by expiry until it is resumed; suspension holds every copy
// of the message. Resuming a message of the Poison queue sends it back to
// routing. Removing fails the recipients still waiting in the queue, with an
// NDR to the sender unless -WithNDR $false.

import { statSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DsnRecipient } from '../queue/dsn.js';
import { DSN_MAX_ATTACH, submitDsn } from '../queue/dsn-submission.js';
import { ADMIN_DELETE_TEXT } from '../queue/queue-admin.js';
import type { CommandSpec, InvocationContext, ParameterSpec } from '../shell/command.js';
import { CmdletError, PSObject, type ObjectView } from '../shell/values.js';
import { compileFilter, sortObjects } from './queue-filter.js';
import {
  applyResultSize,
  booleanConvert,
  checkServer,
  compareMessages,
  listMessages,
  messageIdentityConvert,
  listQueues,
  matchQueues,
  MESSAGE_FILTERABLE,
  MESSAGE_TYPE,
  queueIdentityConvert,
  messageIdentity,
  messageNotFound,
  messageObject,
  parseMessageIdentity,
  resultSizeParameter,
  transportConfigOf,
  withQueueDb,
  withServerQueueView,
  type QueueDb,
  type QueueReader,
  type ViewMessage,
} from './queue-view.js';
import { isThisServer, serverOfIdentity } from './cross-server.js';
import type { ServerContext } from './server-context.js';
import { serverParameter } from './transport-service.js';
import { tableView } from './object-commands.js';

const BINARY_TYPE = 'Microsoft.Exchange.Data.BinaryFileDataObject';

const identityParam = (mandatory: boolean, sets: string[] | undefined): ParameterSpec => ({
  name: 'Identity',
  typeName: 'MessageIdentity',
  position: 0,
  mandatory,
  sets,
  valueFromPipeline: true,
  valueFromPipelineByPropertyName: true,
  description: 'The message: Server\\Queue\\MessageNumber (one queue), or Server\\*\\MessageNumber or MessageNumber (every queue); Server\\ optional.',
  convert: messageIdentityConvert,
});
const filterParam = (mandatory: boolean): ParameterSpec => ({
  name: 'Filter',
  typeName: 'String',
  mandatory,
  sets: ['Filter'],
  description: 'Messages to act on: "Property -op \'value\'" terms joined with -and / -or, e.g. "FromAddress -like \'*@contoso.com\'".',
  convert: (v) => String(v),
});
const serverParam: ParameterSpec = serverParameter('The server whose messages are shown (this server); takes the servers of Get-TransportService or Get-ExchangeServer from the pipeline.', ['Filter']);

/** Messages selected by -Identity, -Queue or -Filter (none: all). */
function selectMessages(ctx: ServerContext, q: QueueReader, args: Map<string, unknown>): { view: ViewMessage; obj: PSObject }[] {
  checkServer(ctx, args.get('Server'));
  const queues = listQueues(q);
  const config = transportConfigOf(ctx);
  const now = Date.now();
  const include = args.get('IncludeRecipientInfo') === true;
  let views: ViewMessage[];
  const identity = args.get('Identity') as string | null | undefined;
  const queueArg = args.get('Queue') as string | null | undefined;
  if (identity !== undefined && identity !== null && identity !== '') {
    const id = parseMessageIdentity(ctx, identity);
    const hops = id.queue === '*' ? undefined : matchQueuesOrNotFound(ctx, queues, id.queue, identity).map((v) => v.hop);
    views = listMessages(q, queues, { message: id.message, ...(hops && { hops }) });
    if (views.length === 0) throw messageNotFound(ctx, identity);
  } else if (queueArg !== undefined && queueArg !== null && queueArg !== '') {
    views = listMessages(q, queues, { hops: matchQueues(ctx, queues, queueArg).map((v) => v.hop) });
  } else {
    views = listMessages(q, queues);
  }
  let pairs = views.map((view) => ({ view, obj: messageObject(ctx, view, config, include, now) }));
  const filter = args.get('Filter') as string | undefined;
  if (filter !== undefined) {
    const test = compileFilter(filter, MESSAGE_FILTERABLE);
    pairs = pairs.filter((p) => test(p.obj));
  }
  return pairs;
}

function matchQueuesOrNotFound(ctx: ServerContext, queues: ReturnType<typeof listQueues>, queue: string, identity: string) {
  try {
    return matchQueues(ctx, queues, queue);
  } catch {
    throw messageNotFound(ctx, identity);
  }
}

function wantsFailureNotice(notify: string | null): boolean {
  if (!notify) return true;
  return notify.split(',').includes('FAILURE');
}

/** The NDR for recipients an administrator removed, queued like the service's own DSNs (null sender, to the original sender). */
async function submitRemovalNdr(ctx: ServerContext, q: QueueDb, messageId: number, recipients: { address: string; orcpt: string | null }[]): Promise<number | null> {
  const config = transportConfigOf(ctx);
  const now = new Date();
  const dsnRecipients: DsnRecipient[] = recipients.map((r) => ({
    address: r.address,
    ...(r.orcpt && { orcpt: r.orcpt }),
    action: 'failed',
    status: '5.3.2',
    diagnostic: ADMIN_DELETE_TEXT,
    remoteMta: config.fqdn,
    lastAttempt: now,
  }));
  const dsn = submitDsn(
    { state: q.state, store: q.store, track: (ev) => q.store.track(ev) },
    {
      kind: 'failure',
      original: messageId,
      recipients: dsnRecipients,
      reportingMta: config.fqdn,
      postmaster: config.postmaster,
      maxAttachBytes: DSN_MAX_ATTACH,
      now,
    },
  );
  return dsn ? dsn.accepted : null;
}

type MessageAction = 'Suspend' | 'Resume' | 'Remove';

function actionCommand(ctx: ServerContext, action: MessageAction): CommandSpec {
  const verbing = { Suspend: 'Suspending', Resume: 'Resuming', Remove: 'Removing' }[action];
  const parameters: ParameterSpec[] = [identityParam(true, ['Identity']), filterParam(true), serverParam];
  if (action === 'Remove') parameters.push({ name: 'WithNDR', typeName: 'Boolean', defaultValue: '$true', description: 'Send the sender a non-delivery report ($true, the default) or delete silently ($false).', convert: booleanConvert });
  return {
    name: `${action}-Message`,
    synopsis: {
      Suspend: 'Holds a message in its queues: it is neither delivered nor expired until Resume-Message.',
      Resume: 'Releases a suspended message (a message of the Poison queue goes back to routing).',
      Remove: 'Deletes a message from a queue; the sender gets an NDR unless -WithNDR $false.',
    }[action],
    parameters,
    defaultParameterSet: 'Identity',
    supportsShouldProcess: true,
    confirmImpact: action === 'Remove' ? 'High' : 'Medium',
    taskClass: `Microsoft.Exchange.Management.QueueViewerTasks.${action}Message`,
    async invoke(args, inv: InvocationContext) {
      const byFilter = args.has('Filter');
      const targets = await withQueueDb(ctx, (q) => selectMessages(ctx, q, args));
      if (action === 'Remove' && !byFilter) {
        if (targets.every((t) => t.view.queue.name === 'Submission')) {
          throw new CmdletError(`The message "${String(args.get('Identity'))}" is in the Submission queue, and messages can't be removed from the Submission queue. Wait until it is categorized, or suspend it.`, {
            category: 'InvalidOperation',
            reason: 'LocalizedException',
          });
        }
      }
      const withNdr = args.get('WithNDR') !== false;
      for (const t of targets) {
        const id = messageIdentity(ctx, t.view);
        if (action === 'Remove' && t.view.queue.name === 'Submission') continue;
        if (action === 'Suspend' && t.view.suspended) {
          if (!byFilter) inv.warn(`The message "${id}" is already suspended.`);
          continue;
        }
        if (action === 'Resume' && !t.view.suspended) {
          if (!byFilter) inv.warn(`The message "${id}" isn't suspended.`);
          continue;
        }
        if (!(await inv.shouldProcess(id, `${verbing} message`))) continue;
        await withQueueDb(ctx, async (q) => {
          const m = t.view.id;
          if (action === 'Suspend') {
            q.suspendMessage(m);
          } else if (action === 'Resume') {
            q.resumeMessage(m);
          } else {
            const hop = t.view.queue.hop!;
            const result = q.removeMessage(m, hop, { withNdr, context: `Remove-Message ${id}` });
            if (result.outcome === 'pending') {
              // As Exchange's PendingRemove: the delivery attempt under way ends first; what it did not deliver is removed then.
              inv.warn(`The message "${id}" is being delivered. It will be removed when the delivery attempt ends, unless the attempt delivers it.`);
              return;
            }
            if (result.outcome === 'none') {
              if (!byFilter) inv.warn(`The message "${id}" is no longer waiting in its queue (it was delivered or removed meanwhile); nothing was removed.`);
              return;
            }
            const removed = result.removal.recipients.map((r) => ({ address: r.address, orcpt: r.orcpt ?? null, notify: r.notify ? r.notify.join(',') : null }));
            const e = t.view.envelope;
            q.store.track({
              timestamp: new Date(),
              source: 'QUEUE',
              eventId: 'FAIL',
              internalMessageId: m,
              messageId: e.messageId,
              recipients: removed.map((r) => r.address),
              recipientStatus: removed.map(() => ADMIN_DELETE_TEXT),
              recipientCount: removed.length,
              returnPath: e.sender || '<>',
              sourceContext: `Remove-Message ${id}`,
            });
            if (withNdr)
              await submitRemovalNdr(
                ctx,
                q,
                m,
                removed.filter((r) => wantsFailureNotice(r.notify)),
              );
          }
        });
      }
      return [];
    },
  };
}

/** Writes the bytes to a file, or to <folder>\<message number>.eml when the path is a folder. */
function writeExport(path: string, name: string, data: Buffer, append: boolean): string {
  let target = path;
  try {
    if (statSync(path).isDirectory()) target = join(path, `${name}.eml`);
  } catch {
    // a new file
  }
  try {
    if (append) appendFileSync(target, data);
    else writeFileSync(target, data);
  } catch (err) {
    throw new CmdletError(`The file "${target}" can't be written: ${(err as Error).message}`, { category: 'WriteError', reason: 'IOException', parameter: 'Path' });
  }
  return target;
}

export function messageCommands(ctx: ServerContext): CommandSpec[] {
  return [
    {
      name: 'Get-Message',
      synopsis: "Lists the messages waiting in this server's queues (one row per message per queue), with their status, size, source, last error and, with -IncludeRecipientInfo, their recipients.",
      parameters: [
        identityParam(false, ['Identity']),
        filterParam(false),
        serverParam,
        { name: 'Queue', typeName: 'QueueIdentity', sets: ['Queue'], valueFromPipeline: true, description: 'Only the messages of this queue (Server\\Queue); takes the queues of Get-Queue from the pipeline.', convert: queueIdentityConvert },
        { name: 'IncludeRecipientInfo', typeName: 'SwitchParameter', switch: true, description: 'Fill the Recipients property (address, status, last error of each recipient).' },
        { name: 'IncludeComponentLatencyInfo', typeName: 'SwitchParameter', switch: true, description: 'Accepted for compatibility; component latency is not recorded.' },
        resultSizeParameter(),
        {
          name: 'SortOrder',
          typeName: 'QueueViewerSortOrderEntry[]',
          description: 'Sort keys: +Property ascending, -Property descending, comma-separated (then by message number).',
          convert: (v) => (Array.isArray(v) ? v : [v]).map(String),
        },
      ],
      defaultParameterSet: 'Identity',
      taskClass: 'Microsoft.Exchange.Management.QueueViewerTasks.GetMessageInfo',
      invoke: async (args, inv) => {
        const objs = (await withServerQueueView(ctx, args.get('Server'), (view, q) => selectMessages(view, q, args))).map((p) => p.obj);
        const sorted = sortObjects(objs, args.get('SortOrder') as string[] | undefined, compareMessages, MESSAGE_FILTERABLE);
        return applyResultSize(sorted, args.get('ResultSize'), (m) => inv.warn(m));
      },
    },
    actionCommand(ctx, 'Suspend'),
    actionCommand(ctx, 'Resume'),
    actionCommand(ctx, 'Remove'),
    {
      name: 'Export-Message',
      synopsis: 'Returns the exact stored bytes of a suspended message (pipe to AssembleMessage -Path file.eml), or writes them with -Path.',
      parameters: [
        identityParam(true, undefined),
        { name: 'Path', typeName: 'String', description: 'A file, or a folder (the file is <message number>.eml there); without it the message is written to the pipeline.', convert: (v) => String(v) },
      ],
      taskClass: 'Microsoft.Exchange.Management.QueueViewerTasks.ExportMessage',
      invoke: async (args) => {
        const identity = String(args.get('Identity'));
        const elsewhere = serverOfIdentity(identity, 3);
        if (!isThisServer(ctx, elsewhere)) {
          throw new CmdletError(
            `Export-Message writes the stored bytes of a message on the server that holds it, and the message "${identity}" is on ${elsewhere}: run Export-Message in ${elsewhere}'s own shell (the bytes are not sent over the management endpoint).`,
            {
              category: 'InvalidOperation',
              reason: 'LocalizedException',
              parameter: 'Identity',
            },
          );
        }
        return withQueueDb(ctx, (q) => {
          const found = selectMessages(ctx, q, new Map([['Identity', identity]]));
          const ids = new Set(found.map((f) => f.view.id));
          if (ids.size > 1) throw new CmdletError(`The identity "${identity}" matches more than one message.`, { reason: 'ManagementObjectAmbiguousException' });
          const view = found[0].view;
          if (!view.suspended) {
            throw new CmdletError(`The message "${messageIdentity(ctx, view)}" must be suspended before it can be exported. Run Suspend-Message first.`, { category: 'InvalidOperation', reason: 'LocalizedException' });
          }
          const data = q.store.body(view.id);
          if (!data) throw messageNotFound(ctx, identity);
          const path = args.get('Path') as string | undefined;
          if (path !== undefined) {
            writeExport(path, String(view.id), data, false);
            return [];
          }
          return [
            new PSObject(
              [BINARY_TYPE],
              [
                ['Identity', messageIdentity(ctx, view)],
                ['FileData', data],
              ],
            ),
          ];
        });
      },
    },
    {
      name: 'AssembleMessage',
      synopsis: 'Writes the output of Export-Message to a file (Export-Message ... | AssembleMessage -Path C:\\x.eml).',
      parameters: [
        { name: 'Path', typeName: 'String', position: 0, mandatory: true, description: 'The .eml file to write (or a folder).', convert: (v) => String(v) },
        { name: 'InputObject', typeName: 'BinaryFileDataObject', valueFromPipeline: true, description: 'The Export-Message output.' },
      ],
      invoke: (args, inv) => {
        const items = args.has('InputObject') ? [args.get('InputObject')] : inv.input;
        const path = String(args.get('Path'));
        let first = true;
        for (const item of items) {
          const data = item instanceof PSObject ? item.get('FileData') : item;
          if (!Buffer.isBuffer(data)) throw new CmdletError('AssembleMessage needs the output of Export-Message as its input.', { category: 'InvalidArgument', reason: 'ArgumentException', parameter: 'InputObject' });
          const name = item instanceof PSObject ? (String(item.get('Identity')).split('\\').pop() ?? 'message') : 'message';
          writeExport(path, name, data, !first);
          first = false;
        }
        return [];
      },
    },
  ];
}

export const messageViews: ObjectView[] = [tableView(MESSAGE_TYPE, ['Identity', 'FromAddress', 'Status', 'Queue', 'Subject']), tableView('Microsoft.Exchange.Data.QueueViewer.RecipientInfo', ['Address', 'Status', 'LastError'])];
