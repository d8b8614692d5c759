// Redirect-Message -Server X -Target Y (spec exchange-management.md §5): while
// a Mailbox server is in maintenance (HubTransport Draining or Inactive), the
// messages in its delivery queues go to the target Mailbox servers over the
// organization's server-to-server connection, and so does any message it
// still has to route; its own mailbox deliveries, suspended queues and the
// Poison queue stay. The redirect is kept with the server's HubTransport state
// and ends when HubTransport is Active again. The running service applies it
// live.

import { effectiveState, serverComponentStateSchema, type RequesterState } from '../config/model/server-component-state.js';
import { serverSchema } from '../config/model/server.js';
import { newModelObject, type ModelObject } from '../store/repository.js';
import type { CommandSpec } from '../shell/command.js';
import { PSObject } from '../shell/values.js';
import { invalidOperation, notFound } from './errors.js';
import type { ServerContext } from './server-context.js';

function mailboxServer(ctx: ServerContext, v: unknown, parameter: string): ModelObject {
  const text = v instanceof PSObject ? String(v.get('Name') ?? v.get('Identity')) : String(v);
  const id = text.toLowerCase();
  const found = ctx.repo.list(serverSchema).find((s) => String(s.values.Name).toLowerCase() === id || String(s.values.Fqdn).toLowerCase() === id);
  if (!found) throw notFound(text, ctx.fqdn);
  if (found.values.ServerRole !== 'Mailbox') throw invalidOperation(`${text} is not a Mailbox server: Redirect-Message moves queued mail between Mailbox servers of the organization.`, parameter);
  return found;
}

export function redirectMessageCommands(ctx: ServerContext): CommandSpec[] {
  return [
    {
      name: 'Redirect-Message',
      synopsis: 'Drains the delivery queues of a Mailbox server in maintenance to other Mailbox servers of the organization.',
      description:
        'Put the server in maintenance first (Set-ServerComponentState <server> -Component HubTransport -State Draining -Requester Maintenance): it then takes no new mail, and its queued messages go to the target servers. Mailbox deliveries to its own databases, suspended queues and the Poison queue stay. The redirect ends when HubTransport is Active again.',
      supportsShouldProcess: true,
      confirmImpact: 'High',
      parameters: [
        { name: 'Server', typeName: 'ServerIdParameter', mandatory: true, valueFromPipelineByPropertyName: true, description: 'The Mailbox server whose queues are drained (name or FQDN).' },
        {
          name: 'Target',
          typeName: 'MultiValuedProperty',
          mandatory: true,
          description: 'The Mailbox servers that take the messages (FQDN or name); several share them.',
          convert: (v) =>
            (Array.isArray(v) ? v : [v])
              .flatMap((x) => String(x).split(','))
              .map((s) => s.trim())
              .filter((s) => s !== ''),
        },
      ],
      examples: [
        {
          code: 'Set-ServerComponentState MBX01 -Component HubTransport -State Draining -Requester Maintenance; Redirect-Message -Server MBX01 -Target mbxserver02.contoso.com',
          remarks: 'MBX01 stops taking mail and hands what it holds to MBX02 before maintenance.',
        },
      ],
      async invoke(args, inv) {
        if (ctx.role !== 'Mailbox')
          throw invalidOperation(
            'Redirect-Message drains the queues of a Mailbox server to other Mailbox servers of the organization; an Edge Transport server has none. Stop the Edge with its queues on disk, or let it drain with Set-ServerComponentState -State Draining.',
          );
        const source = mailboxServer(ctx, args.get('Server'), 'Server');
        const sourceName = String(source.values.Name);
        const targets = (args.get('Target') as string[]).map((t) => mailboxServer(ctx, t, 'Target'));
        if (targets.length === 0) throw invalidOperation('Specify at least one target Mailbox server with -Target.', 'Target');
        for (const t of targets) if (t.guid === source.guid) throw invalidOperation(`The target ${t.values.Fqdn} is the server being drained. Name another Mailbox server.`, 'Target');
        const states = new Map<string, RequesterState[]>();
        for (const o of ctx.repo.list(serverComponentStateSchema, sourceName)) states.set(String(o.values.Name), (o.values.Requesters as RequesterState[] | undefined) ?? []);
        if (effectiveState('HubTransport', states) === 'Active') {
          throw invalidOperation(
            `${sourceName} is still taking new mail (HubTransport is Active). Put it in maintenance first: Set-ServerComponentState ${sourceName} -Component HubTransport -State Draining -Requester Maintenance.`,
            'Server',
          );
        }
        const names = targets.map((t) => String(t.values.Name));
        if (!(await inv.shouldProcess(sourceName, `Redirecting the messages in the queues of ${sourceName} to ${targets.map((t) => t.values.Fqdn).join(', ')}`))) return [];
        ctx.repo.transaction(() => {
          const hub = ctx.repo.findByName(serverComponentStateSchema, sourceName, 'HubTransport');
          if (hub) {
            hub.values = { ...hub.values, RedirectTargets: names };
            ctx.repo.update(hub);
          } else {
            ctx.repo.insert(newModelObject(serverComponentStateSchema, sourceName, { Name: 'HubTransport', Requesters: [], RedirectTargets: names }));
          }
        });
        return [];
      },
    },
  ];
}
