// Get-QueueDigest (spec exchange-management.md §4): one view of the delivery
// queues of several servers (-Server MBX01,MBX02, or -Forest for every
// server of the organization), grouped by next hop domain (or -GroupBy
// another property), the groups holding the most messages first. Each
// server's queues are read on that server: this one's from its queue
// database, another's through its management endpoint (Get-Queue there, for
// this shell's caller). A server that does not answer within -Timeout is an
// error naming it, and the others' queues are still counted.
//
// As in Exchange, without -Filter only delivery queues holding 10 or more
// messages are counted; a -Filter replaces that threshold ("MessageCount -gt
// 0" counts every queue that holds mail). Gatehouse reads the queues when
// asked, so its figures are current rather than a minute or two old, and no
// message is ever "stale" or locked.

import { EnhancedTimeSpan } from '../config/types/index.js';
import type { CommandSpec, InvocationContext, ParameterSpec } from '../shell/command.js';
import { ConversionError } from '../shell/command.js';
import { CmdletError, PSObject, type ObjectView } from '../shell/values.js';
import type { ModelObject } from '../store/repository.js';
import { serverSchema } from '../config/model/server.js';
import { isThisServer, organizationServer, runOnServer } from './cross-server.js';
import { compileFilter } from './queue-filter.js';
import { listQueues, QUEUE_FILTERABLE, queueObject, resultSizeParameter, stringListConvert, withQueueDb } from './queue-view.js';
import type { ServerContext } from './server-context.js';
import { serverIdConvert } from './transport-service.js';

export const DIGEST_TYPE = 'Microsoft.Exchange.Management.QueueDigest.QueueDigestPresentationObject';
/** Queues with fewer messages are left out unless -Filter says otherwise (Exchange's default). */
export const DEFAULT_MESSAGE_THRESHOLD = 10;
const DEFAULT_TIMEOUT_MS = 10_000;
const GROUP_BY = ['DeliveryType', 'LastError', 'NextHopCategory', 'NextHopDomain', 'RiskLevel', 'Status', 'ServerName', 'OutboundIPPool'];
const DETAILS_LEVELS = ['None', 'Normal', 'Verbose'];

function choice(name: string, values: string[]): (v: unknown) => string {
  return (v) => {
    const found = values.find((x) => x.toLowerCase() === String(v).toLowerCase());
    if (!found) throw new ConversionError(`Cannot convert value "${String(v)}" to type "${name}". Specify one of the following enumerator names and try again: ${values.join(', ')}`);
    return found;
  };
}

/** The queues of one server, as Get-Queue shows them (deserialized when they come from another server). */
async function queuesOf(ctx: ServerContext, server: ModelObject, timeoutMs: number, inv: InvocationContext): Promise<PSObject[]> {
  const name = String(server.values.Name);
  if (isThisServer(ctx, name)) return withQueueDb(ctx, (q) => listQueues(q).map((v) => queueObject(ctx, v)));
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), timeoutMs);
  });
  try {
    const answer = await Promise.race([
      runOnServer(
        ctx,
        server,
        { name: 'Get-Queue', parameters: [] },
        new Map<string, unknown>([
          ['Server', name],
          ['ResultSize', 'Unlimited'],
        ]),
        inv,
      ),
      late,
    ]);
    if (answer === 'late') {
      inv.writeError(new CmdletError(`The server ${name} did not answer within ${timeoutMs / 1000} seconds (-Timeout): its queues are not counted.`, { category: 'OperationTimeout', reason: 'QueueViewerException', parameter: 'Timeout' }));
      return [];
    }
    return answer.filter((o): o is PSObject => o instanceof PSObject);
  } finally {
    clearTimeout(timer);
  }
}

function serverName(queue: PSObject): string {
  return String(queue.get('Identity')).split('\\')[0];
}

function isDeliveryQueue(queue: PSObject): boolean {
  const last = String(queue.get('Identity')).split('\\').pop();
  return last !== 'Submission' && last !== 'Poison';
}

export function queueDigestCommands(ctx: ServerContext): CommandSpec[] {
  const serverList: ParameterSpec = {
    name: 'Server',
    typeName: 'MultiValuedProperty',
    sets: ['Server'],
    mandatory: true,
    valueFromPipeline: true,
    valueFromPipelineByPropertyName: true,
    description: 'The servers whose queues are counted (names or FQDNs; takes the servers of Get-ExchangeServer from the pipeline).',
    convert: (v) => ([] as unknown[]).concat(v).flatMap((x) => (typeof x === 'string' ? stringListConvert(x) : [serverIdConvert(x)])),
  };
  return [
    {
      name: 'Get-QueueDigest',
      synopsis: 'Counts the messages waiting in the delivery queues of several servers, grouped by next hop domain (or -GroupBy), the largest groups first.',
      parameters: [
        serverList,
        { name: 'Forest', typeName: 'SwitchParameter', switch: true, sets: ['Forest'], mandatory: true, description: 'Every server of the organization.' },
        { name: 'Dag', typeName: 'MultiValuedProperty', sets: ['Dag'], mandatory: true, description: 'Not available: Gatehouse has no database availability groups. Use -Server or -Forest.' },
        { name: 'Site', typeName: 'MultiValuedProperty', sets: ['Site'], mandatory: true, description: 'Not available: Gatehouse has no Active Directory sites. Use -Server or -Forest.' },
        { name: 'Filter', typeName: 'String', description: "Which queues are counted: \"Property -op 'value'\" terms on Get-Queue's properties; replaces the default of delivery queues with 10 or more messages.", convert: (v) => String(v) },
        { name: 'GroupBy', typeName: 'QueueDigestGroupBy', defaultValue: 'NextHopDomain', description: `What the groups are: ${GROUP_BY.join(', ')}.`, convert: choice('QueueDigestGroupBy', GROUP_BY) },
        {
          name: 'DetailsLevel',
          typeName: 'DetailsLevel',
          defaultValue: 'Normal',
          description: 'What Details holds: None; Normal, the queues of the group; Verbose, each queue with its last error.',
          convert: choice('DetailsLevel', DETAILS_LEVELS),
        },
        { ...resultSizeParameter(), description: 'Most groups returned, the largest first (default 1000), or Unlimited.' },
        { name: 'Timeout', typeName: 'EnhancedTimeSpan', defaultValue: '00:00:10', description: 'How long each server has to answer (default 10 seconds).', convert: (v) => EnhancedTimeSpan.parseInRange(v, 1000, 3_600_000, 'Timeout') },
      ],
      examples: [
        { code: 'Get-QueueDigest -Server MBX01,MBX02', remarks: 'The delivery queues of MBX01 and MBX02 holding 10 messages or more, grouped by next hop domain.' },
        { code: 'Get-QueueDigest -Forest -Filter "MessageCount -gt 0" -GroupBy ServerName', remarks: 'How many messages wait on each server of the organization.' },
      ],
      taskClass: 'Microsoft.Exchange.Management.QueueViewerTasks.GetQueueDigest',
      async invoke(args, inv) {
        for (const unavailable of ['Dag', 'Site']) {
          if (args.has(unavailable))
            throw new CmdletError(`-${unavailable} is not available: Gatehouse has no ${unavailable === 'Dag' ? 'database availability groups' : 'Active Directory sites'}. Name the servers with -Server, or use -Forest for every server.`, {
              category: 'InvalidArgument',
              reason: 'ArgumentException',
              parameter: unavailable,
            });
        }
        const servers =
          args.get('Forest') === true
            ? ctx.repo.list(serverSchema).filter((s) => ctx.role === 'EdgeTransport' || s.values.ServerRole !== 'Edge')
            : [...new Map((args.get('Server') as string[]).map((n) => organizationServer(ctx, n)).map((s) => [s.guid, s])).values()];
        const timeoutMs = args.has('Timeout') ? Number((args.get('Timeout') as EnhancedTimeSpan).ticks / 10_000n) : DEFAULT_TIMEOUT_MS;
        const filter = args.has('Filter') ? compileFilter(String(args.get('Filter')), QUEUE_FILTERABLE) : (q: PSObject) => Number(q.get('MessageCount')) >= DEFAULT_MESSAGE_THRESHOLD;
        const queues = (await Promise.all(servers.map((s) => queuesOf(ctx, s, timeoutMs, inv)))).flat().filter((q) => isDeliveryQueue(q) && filter(q));
        const groupBy = String(args.get('GroupBy') ?? 'NextHopDomain');
        const detail = String(args.get('DetailsLevel') ?? 'Normal');
        const groups = new Map<string, PSObject[]>();
        for (const q of queues) {
          const key = groupBy === 'ServerName' ? serverName(q) : String(q.get(groupBy) ?? '');
          const list = groups.get(key.toLowerCase()) ?? [];
          if (list.length === 0) groups.set(key.toLowerCase(), list);
          list.push(q);
        }
        const sum = (list: PSObject[], p: string) => list.reduce((n, q) => n + (Number(q.get(p)) || 0), 0);
        const digests = [...groups.values()].map(
          (list) =>
            new PSObject(
              [DIGEST_TYPE],
              [
                ['GroupByValue', groupBy === 'ServerName' ? serverName(list[0]) : String(list[0].get(groupBy) ?? '')],
                ['MessageCount', sum(list, 'MessageCount')],
                ['DeferredMessageCount', sum(list, 'DeferredMessageCount')],
                ['LockedMessageCount', sum(list, 'LockedMessageCount')],
                ['StaleMessageCount', 0],
                ['IncomingRate', sum(list, 'IncomingRate')],
                ['OutgoingRate', sum(list, 'OutgoingRate')],
                ['Velocity', sum(list, 'Velocity')],
                ['Details', detail === 'None' ? [] : list.map((q) => (detail === 'Verbose' && q.get('LastError') ? `${String(q.get('Identity'))}: ${String(q.get('LastError'))}` : String(q.get('Identity'))))],
              ],
            ),
        );
        digests.sort((a, b) => Number(b.get('MessageCount')) - Number(a.get('MessageCount')) || String(a.get('GroupByValue')).localeCompare(String(b.get('GroupByValue'))));
        const size = args.get('ResultSize') as { isUnlimited: boolean; value?: unknown } | undefined;
        return size?.isUnlimited ? digests : digests.slice(0, size ? Number(size.value) : 1000);
      },
    },
  ];
}

export const queueDigestViews: ObjectView[] = [
  {
    typeName: DIGEST_TYPE,
    display: 'table',
    table: [{ property: 'GroupByValue' }, { property: 'MessageCount' }, { property: 'DeferredMessageCount' }, { property: 'LockedMessageCount' }, { property: 'StaleMessageCount' }, { property: 'Details' }],
  },
];
