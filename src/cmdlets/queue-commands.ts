// Get-Queue, Suspend-Queue, Resume-Queue and Retry-Queue (spec
// exchange-operations.md §1.3, §1.5, §1.6, §1.9-§1.11) on this server's
// queue database. The transport service reads the queue rows on every pass:
// a Suspended queue is skipped, a queue whose NextRetryTime has come is
// tried, and recipients sent back to routing (next hop cleared) are routed
// again as new ones are.

import type { CommandSpec, InvocationContext, ParameterSpec } from '../shell/command.js';
import { ConversionError } from '../shell/command.js';
import { CmdletError, type ObjectView, type PSObject } from '../shell/values.js';
import { compileFilter, sortObjects } from './queue-filter.js';
import {
  applyResultSize,
  booleanConvert,
  checkServer,
  compareQueues,
  DELIVERY_TYPES,
  queueIdentityConvert,
  listQueues,
  matchQueues,
  QUEUE_FILTERABLE,
  QUEUE_TYPE,
  queueIdentity,
  queueObject,
  resultSizeParameter,
  stringListConvert,
  withQueueDb,
  withServerQueueView,
  type QueueDb,
  type QueueReader,
  type ViewQueue,
} from './queue-view.js';
import type { ServerContext } from './server-context.js';
import { serverParameter } from './transport-service.js';
import { tableView } from './object-commands.js';

const INCLUDE_VALUES = ['Internal', 'External', 'Empty', ...DELIVERY_TYPES];

function includeParameter(name: 'Include' | 'Exclude'): ParameterSpec {
  return {
    name,
    typeName: 'QueueViewerIncludesAndExcludes',
    description: `${name === 'Include' ? 'Only' : 'Leave out'} queues of these kinds: Internal, External, Empty or a DeliveryType value (comma-separated).`,
    convert: (v) =>
      stringListConvert(v).map((s) => {
        const found = INCLUDE_VALUES.find((x) => x.toLowerCase() === s.toLowerCase());
        if (!found)
          throw new ConversionError(
            `Cannot convert value "${s}" to type "QueueViewerIncludesAndExcludes". Error: "Unable to match the identifier name ${s} to a valid enumerator name. Specify one of the following enumerator names and try again: ${INCLUDE_VALUES.join(', ')}"`,
          );
        return found;
      }),
  };
}

function kindMatches(o: PSObject, kind: string): boolean {
  if (kind === 'Internal' || kind === 'External') return o.get('NextHopCategory') === kind;
  if (kind === 'Empty') return o.get('MessageCount') === 0;
  return o.get('DeliveryType') === kind;
}

const identityParam = (mandatory: boolean, sets: string[]): ParameterSpec => ({
  name: 'Identity',
  typeName: 'QueueIdentity',
  position: 0,
  mandatory,
  sets,
  valueFromPipeline: true,
  valueFromPipelineByPropertyName: true,
  description: 'The queue: Server\\Submission, Server\\Unreachable, Server\\Poison, Server\\<NextHopDomain>, Server\\<queue number> or * (Server\\ optional).',
  convert: queueIdentityConvert,
});
const filterParam = (mandatory: boolean): ParameterSpec => ({
  name: 'Filter',
  typeName: 'String',
  mandatory,
  sets: ['Filter'],
  description: 'Queues to act on: "Property -op \'value\'" terms joined with -and / -or, e.g. "Status -eq \'Retry\' -and MessageCount -gt 0".',
  convert: (v) => String(v),
});
const serverParam: ParameterSpec = serverParameter('The server whose queues are shown (this server); takes the servers of Get-TransportService or Get-ExchangeServer from the pipeline.', ['Filter']);

/** The queue objects of the server, selected by identity or filter. */
function selectQueues(ctx: ServerContext, q: QueueReader, args: Map<string, unknown>): { view: ViewQueue; obj: PSObject }[] {
  checkServer(ctx, args.get('Server'));
  const all = listQueues(q);
  const identity = args.get('Identity') as string | null | undefined;
  const chosen = identity === undefined || identity === null || identity === '' ? all : matchQueues(ctx, all, identity);
  let pairs = chosen.map((view) => ({ view, obj: queueObject(ctx, view) }));
  const filter = args.get('Filter') as string | undefined;
  if (filter !== undefined) {
    const test = compileFilter(filter, QUEUE_FILTERABLE);
    pairs = pairs.filter((p) => test(p.obj));
  }
  return pairs;
}

type QueueAction = 'Suspend' | 'Resume' | 'Retry';

function refuse(message: string): CmdletError {
  return new CmdletError(message, { category: 'InvalidOperation', reason: 'LocalizedException' });
}

/** Why the action can't be done on the queue (null: it can). */
function refusal(ctx: ServerContext, action: QueueAction, v: ViewQueue, resubmit: boolean): string | null {
  const id = queueIdentity(ctx, v.name);
  if (v.name === 'Poison') {
    return `The operation can't be performed on the Poison queue "${id}": its messages stay suspended until you resume them with Resume-Message or remove them with Remove-Message.`;
  }
  if (v.name === 'Submission') {
    if (action === 'Retry') return `Retry-Queue can't be run on the Submission queue "${id}": messages there are categorized as they arrive.`;
    return `${action}-Queue isn't supported on the Submission queue "${id}" by this server: messages leave it as soon as they are categorized. Suspend the delivery queues or the messages instead.`;
  }
  if (action === 'Suspend' && v.status === 'Suspended') return `The queue "${id}" is already suspended.`;
  if (action === 'Resume' && v.status !== 'Suspended') return `The queue "${id}" isn't suspended.`;
  if (action === 'Retry') {
    if (v.status === 'Suspended') return `The queue "${id}" is suspended. Resume it with Resume-Queue before you retry it.`;
    if (v.name === 'Unreachable' && !resubmit) return `The Unreachable queue "${id}" can only be retried with -Resubmit $true, which sends its messages back to the categorizer.`;
  }
  return null;
}

function perform(q: QueueDb, action: QueueAction, v: ViewQueue, resubmit: boolean, now: number): void {
  const queue = { key: v.hop!, deliveryType: v.deliveryType as never, nextHopDomain: v.nextHopDomain, connector: v.connector };
  if (action === 'Suspend') q.suspendQueue(queue, now);
  else if (action === 'Resume') q.resumeQueue(queue, now);
  else q.retryQueue(queue, now, resubmit);
}

function actionCommand(ctx: ServerContext, action: QueueAction): CommandSpec {
  const verbing = { Suspend: 'Suspending', Resume: 'Resuming', Retry: 'Retrying' }[action];
  const synopsis = {
    Suspend: 'Stops delivery from a queue (new messages still enter it) until Resume-Queue.',
    Resume: 'Lets a suspended queue deliver again.',
    Retry: 'Tries a queue in Retry now instead of at its NextRetryTime; -Resubmit $true sends its messages back to routing.',
  }[action];
  const parameters: ParameterSpec[] = [identityParam(true, ['Identity']), filterParam(true), serverParam];
  if (action === 'Retry') parameters.push({ name: 'Resubmit', typeName: 'Boolean', description: "Send the queue's messages back to the categorizer (needed for the Unreachable queue).", convert: booleanConvert });
  return {
    name: `${action}-Queue`,
    synopsis,
    parameters,
    defaultParameterSet: 'Identity',
    supportsShouldProcess: true,
    confirmImpact: 'Medium',
    taskClass: `Microsoft.Exchange.Management.QueueViewerTasks.${action}Queue`,
    async invoke(args, inv: InvocationContext) {
      const resubmit = args.get('Resubmit') === true;
      const byFilter = args.has('Filter');
      const targets = await withQueueDb(ctx, (q) => selectQueues(ctx, q, args));
      if (!byFilter && targets.length > 1) {
        throw new CmdletError(`The identity "${String(args.get('Identity'))}" matches ${targets.length} queues. ${action}-Queue acts on one queue per identity; use -Filter to act on several.`, {
          reason: 'ManagementObjectAmbiguousException',
        });
      }
      for (const t of targets) {
        const why = refusal(ctx, action, t.view, resubmit);
        if (why) {
          if (byFilter) continue;
          throw refuse(why);
        }
        const id = queueIdentity(ctx, t.view.name);
        if (!(await inv.shouldProcess(id, `${verbing} queue`))) continue;
        await withQueueDb(ctx, (q) => {
          // Read again: the service may have changed the queue since.
          const fresh = listQueues(q).find((v) => v.name === t.view.name);
          if (!fresh) throw refuse(`The queue "${id}" no longer exists (empty delivery queues disappear after QueueMaxIdleTime).`);
          const again = refusal(ctx, action, fresh, resubmit);
          if (again) throw refuse(again);
          perform(q, action, fresh, resubmit, Date.now());
        });
      }
      return [];
    },
  };
}

export function queueCommands(ctx: ServerContext): CommandSpec[] {
  return [
    {
      name: 'Get-Queue',
      synopsis: 'Lists the queues of this server (Submission, Unreachable, Poison when not empty, one delivery queue per next hop) with their status, message count and last error.',
      parameters: [
        identityParam(false, ['Identity']),
        filterParam(false),
        serverParam,
        includeParameter('Include'),
        includeParameter('Exclude'),
        resultSizeParameter(),
        { name: 'SortOrder', typeName: 'QueueViewerSortOrderEntry[]', description: 'Sort keys: +Property ascending, -Property descending, comma-separated (then by identity).', convert: stringListConvert },
      ],
      defaultParameterSet: 'Identity',
      taskClass: 'Microsoft.Exchange.Management.QueueViewerTasks.GetQueue',
      invoke: async (args, inv) => {
        let objs = (await withServerQueueView(ctx, args.get('Server'), (view, q) => selectQueues(view, q, args))).map((p) => p.obj);
        const include = args.get('Include') as string[] | undefined;
        const exclude = args.get('Exclude') as string[] | undefined;
        if (include?.length) objs = objs.filter((o) => include.some((k) => kindMatches(o, k)));
        if (exclude?.length) objs = objs.filter((o) => !exclude.some((k) => kindMatches(o, k)));
        objs = sortObjects(objs, args.get('SortOrder') as string[] | undefined, compareQueues, QUEUE_FILTERABLE);
        return applyResultSize(objs, args.get('ResultSize'), (m) => inv.warn(m));
      },
    },
    actionCommand(ctx, 'Suspend'),
    actionCommand(ctx, 'Resume'),
    actionCommand(ctx, 'Retry'),
  ];
}

export const queueViews: ObjectView[] = [tableView(QUEUE_TYPE, ['Identity', 'DeliveryType', 'Status', 'MessageCount', 'Velocity', 'RiskLevel', 'OutboundIPPool', 'NextHopDomain'])];
