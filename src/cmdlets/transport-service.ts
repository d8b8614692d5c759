// Get-ExchangeServer, Get-TransportService and Set-TransportService: the
// server records and each server's transport settings (spec
// exchange-operations.md §2.1). Identity is the server (name or FQDN).

import { serverSchema } from '../config/model/server.js';
import { transportServiceSchema } from '../config/model/transport-service.js';
import { newModelObject, type ModelObject } from '../store/repository.js';
import type { CommandSpec } from '../shell/command.js';
import { CmdletError } from '../shell/values.js';
import { notFound } from './errors.js';
import { tableView, updateObject } from './object-commands.js';
import { identityParameter } from './object-identity.js';
import { toPSObject } from './object-output.js';
import { applyParameters, defaultValues, schemaParameters } from './object-parameters.js';
import { defaultContext, type ServerContext } from './server-context.js';

function servers(ctx: ServerContext, identity: unknown): ModelObject[] {
  const all = ctx.repo.list(serverSchema);
  if (identity === undefined || identity === null) return all;
  const id = String(identity).toLowerCase();
  const found = all.filter((s) => String(s.values.Name).toLowerCase() === id || String(s.values.Fqdn).toLowerCase() === id || s.guid === id);
  if (found.length === 0) throw notFound(String(identity), ctx.fqdn);
  return found;
}

/** The TransportService settings object of a server, created with its role defaults when missing. */
export function transportServiceOf(ctx: ServerContext, server: ModelObject): ModelObject {
  const name = String(server.values.Name);
  const existing = ctx.repo.findByName(transportServiceSchema, name, name);
  if (existing) return existing;
  const role = server.values.ServerRole === 'Edge' ? 'EdgeTransport' : 'Mailbox';
  const defaults = { ...defaultContext(ctx), role, serverName: name, serverFqdn: String(server.values.Fqdn) } as const;
  const values = defaultValues(transportServiceSchema, defaults);
  values.Name = name;
  return newModelObject(transportServiceSchema, name, values);
}

function serverOutput(server: ModelObject) {
  // Settings added after the record was made (MonitoringGroup, ...) show their defaults.
  const missing = serverSchema.properties.filter((d) => !(d.name in server.values) && d.default !== undefined && typeof d.default !== 'function');
  const out = toPSObject(missing.length === 0 ? server : { ...server, values: { ...Object.fromEntries(missing.map((d) => [d.name, d.default])), ...server.values } });
  out.set('Identity', String(server.values.Name));
  return out;
}

export function transportServiceCommands(ctx: ServerContext): CommandSpec[] {
  return [
    {
      name: 'Get-ExchangeServer',
      synopsis: 'Lists the servers: this Edge server, or every Mailbox server of the organization.',
      parameters: [identityParameter('ServerIdParameter', false)],
      invoke: (args) => servers(ctx, args.get('Identity')).map(serverOutput),
    },
    {
      name: 'Get-TransportService',
      synopsis: 'Shows the transport settings of a server (DNS servers, retry and expiry timers, limits, log paths).',
      parameters: [identityParameter('ServerIdParameter', false)],
      invoke: (args) => servers(ctx, args.get('Identity')).map((s) => {
        const out = toPSObject(transportServiceOf(ctx, s));
        out.set('Identity', String(s.values.Name));
        return out;
      }),
    },
    {
      name: 'Set-TransportService',
      synopsis: 'Changes the transport settings of a server.',
      supportsShouldProcess: true,
      confirmImpact: 'Medium',
      parameters: [identityParameter('ServerIdParameter', true), ...schemaParameters(transportServiceSchema, 'set')],
      async invoke(args, inv) {
        const [server] = servers(ctx, args.get('Identity'));
        const obj = transportServiceOf(ctx, server);
        const values = { ...obj.values };
        const role = server.values.ServerRole === 'Edge' ? 'EdgeTransport' : 'Mailbox';
        applyParameters(transportServiceSchema, values, args, 'set', ctx, { ...defaultContext(ctx), role });
        const maxAll = values.MaxOutboundConnections as { isUnlimited?: boolean; value?: unknown } | null;
        const maxDomain = values.MaxPerDomainOutboundConnections as { isUnlimited?: boolean; value?: unknown } | null;
        if (maxAll && maxDomain && !maxAll.isUnlimited && (maxDomain.isUnlimited || Number(maxDomain.value) > Number(maxAll.value))) {
          throw new CmdletError(`MaxOutboundConnections (${maxAll}) must be greater than or equal to MaxPerDomainOutboundConnections (${maxDomain}).`, { reason: 'DataValidationException', parameter: 'MaxOutboundConnections' });
        }
        if (!(await inv.shouldProcess(String(server.values.Name), 'Setting transport service'))) return [];
        ctx.repo.transaction(() => {
          const stored = ctx.repo.get(transportServiceSchema, obj.guid);
          obj.values = values;
          if (stored) updateObject(ctx, obj);
          else ctx.repo.insert(obj);
        });
        return [];
      },
    },
  ];
}

export const transportServiceViews = [
  tableView('ExchangeServer', ['Name', 'Site', 'ServerRole', 'Edition', 'AdminDisplayVersion']),
  tableView('TransportService', ['Name']),
];
