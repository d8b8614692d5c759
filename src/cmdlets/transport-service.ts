// Get-ExchangeServer, Get-TransportService and Set-TransportService: the
// server records and each server's transport settings (spec
// exchange-operations.md §2.1). Identity is the server (name or FQDN).

import { serverSchema } from '../config/model/server.js';
import { transportServiceDefaults, transportServiceSchema } from '../config/model/transport-service.js';
import { newModelObject, type ModelObject } from '../store/repository.js';
import { ConversionError, type CommandSpec, type ParameterSpec } from '../shell/command.js';
import { CmdletError, PSObject } from '../shell/values.js';
import { notFound } from './errors.js';
import { tableView, updateObject } from './object-commands.js';
import { identityParameter } from './object-identity.js';
import { toPSObject } from './object-output.js';
import { applyParameters, schemaParameters } from './object-parameters.js';
import { defaultContext, type ServerContext } from './server-context.js';

/** Output types that name a server: Get-ExchangeServer's and Get-TransportService's (Get-TransportServer's) objects. */
const SERVER_TYPES = ['ExchangeServer', 'TransportService'];

/**
 * ServerIdParameter's conversion: a name or FQDN, or a server object from
 * Get-ExchangeServer / Get-TransportService (its Name). Other objects are
 * refused, so that pipeline binding tries the command's other parameters.
 */
export function serverIdConvert(v: unknown): string {
  if (v instanceof PSObject) {
    if (!SERVER_TYPES.some((t) => v.typeNames.includes(t))) {
      throw new ConversionError(`Cannot convert the "${String(v)}" value of type "${v.typeNames[0]}" to type "Microsoft.Exchange.Configuration.Tasks.ServerIdParameter".`);
    }
    return String(v.get('Name'));
  }
  if (v === null || v === undefined || (typeof v === 'object' && !Array.isArray(v))) {
    throw new ConversionError(`Cannot convert the "${String(v)}" value to type "Microsoft.Exchange.Configuration.Tasks.ServerIdParameter".`);
  }
  if (Array.isArray(v)) {
    if (v.length === 1) return serverIdConvert(v[0]);
    throw new ConversionError('Cannot convert "System.Object[]" to the type "Microsoft.Exchange.Configuration.Tasks.ServerIdParameter": specify one server.');
  }
  return String(v);
}

/**
 * -Server as Exchange 2013 declares it on the queue and tracking cmdlets:
 * accepts pipeline input (Get-TransportService | Get-Queue), by value and by
 * property name.
 */
export function serverParameter(description: string, sets?: string[]): ParameterSpec {
  return { name: 'Server', typeName: 'ServerIdParameter', sets, valueFromPipeline: true, valueFromPipelineByPropertyName: true, description, convert: serverIdConvert };
}

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
  return newModelObject(transportServiceSchema, name, transportServiceDefaults(defaults));
}

function serverOutput(server: ModelObject) {
  // Settings added after the record was made (MonitoringGroup, ...) show their defaults.
  const missing = serverSchema.properties.filter((d) => !(d.name in server.values) && d.default !== undefined && typeof d.default !== 'function');
  const out = toPSObject(missing.length === 0 ? server : { ...server, values: { ...Object.fromEntries(missing.map((d) => [d.name, d.default])), ...server.values } });
  out.set('Identity', String(server.values.Name));
  return out;
}

function transportServiceOutput(ctx: ServerContext, server: ModelObject) {
  const out = toPSObject(transportServiceOf(ctx, server), { Name: String(server.values.Name) });
  out.set('Identity', String(server.values.Name));
  return out;
}

/** Get-TransportService, or Get-TransportServer (Exchange 2013 keeps the 2010 name for the same object). */
function getTransportCommand(ctx: ServerContext, noun: 'TransportService' | 'TransportServer'): CommandSpec {
  return {
    name: `Get-${noun}`,
    synopsis:
      noun === 'TransportService'
        ? 'Shows the transport settings of a server (DNS servers, retry and expiry timers, limits, log paths).'
        : 'Shows the transport settings of a server: the Exchange 2010 name of Get-TransportService, same object.',
    parameters: [identityParameter('ServerIdParameter', false)],
    examples: [
      { code: `Get-${noun} | Format-List Name,MessageExpirationTimeout,MessageRetryInterval,TransientFailureRetryInterval`, remarks: 'Shows how long this server keeps retrying a message before it gives up.' },
      { code: `Get-${noun} | Get-Queue`, remarks: "Lists the queues of the server: the server object binds to Get-Queue's -Server parameter." },
      { code: `Get-${noun} | Get-MessageTrackingLog -Start (Get-Date).AddHours(-1) -EventId FAIL`, remarks: "Lists the failures of the last hour in the server's message tracking log." },
    ],
    invoke: (args) => servers(ctx, args.get('Identity')).map((s) => transportServiceOutput(ctx, s)),
  };
}

/** Set-TransportService, or Set-TransportServer (same parameters, same object). */
function setTransportCommand(ctx: ServerContext, noun: 'TransportService' | 'TransportServer'): CommandSpec {
  return {
    name: `Set-${noun}`,
    synopsis: noun === 'TransportService' ? 'Changes the transport settings of a server.' : 'Changes the transport settings of a server: the Exchange 2010 name of Set-TransportService, same parameters.',
    supportsShouldProcess: true,
    confirmImpact: 'Medium',
    parameters: [identityParameter('ServerIdParameter', true), ...schemaParameters(transportServiceSchema, 'set')],
    examples: [
      { code: `Set-${noun} EDGE01 -MessageExpirationTimeout 4.00:00:00`, remarks: 'Keeps undeliverable messages for four days before they fail with an NDR.' },
      { code: `Set-${noun} EDGE01 -MaxOutboundConnections 500 -MaxPerDomainOutboundConnections 50`, remarks: 'Limits the outbound connections of the server, in all and per destination domain.' },
    ],
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
  };
}

export function transportServiceCommands(ctx: ServerContext): CommandSpec[] {
  return [
    {
      name: 'Get-ExchangeServer',
      synopsis: 'Lists the servers: this Edge server, or every Mailbox server of the organization.',
      parameters: [identityParameter('ServerIdParameter', false)],
      examples: [
        { code: 'Get-ExchangeServer | Format-List Name,Fqdn,ServerRole,AdminDisplayVersion', remarks: "Shows each server's name, FQDN, role and version." },
        { code: 'Get-ExchangeServer | Get-Queue', remarks: "Lists the queues of every server: each server object binds to Get-Queue's -Server parameter (each server answers for its own, through its management endpoint)." },
      ],
      invoke: (args) => servers(ctx, args.get('Identity')).map(serverOutput),
    },
    getTransportCommand(ctx, 'TransportService'),
    setTransportCommand(ctx, 'TransportService'),
    getTransportCommand(ctx, 'TransportServer'),
    setTransportCommand(ctx, 'TransportServer'),
  ];
}

export const transportServiceViews = [tableView('ExchangeServer', ['Name', 'Site', 'ServerRole', 'Edition', 'AdminDisplayVersion']), tableView('TransportService', ['Name'])];
