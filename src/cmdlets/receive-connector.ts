// New-/Set-/Get-/Remove-ReceiveConnector (spec exchange-connectors.md §3, §6;
// the default connectors Setup creates are in config/model/receive-connector.ts).
// Receive connectors belong to one server; the binding + remote-range rule is
// checked against the other connectors of the same server.

import { ALL_IPV4, receiveConnectorSchema, receiveConnectorValues, usageDefaults } from '../config/model/receive-connector.js';
import { ReceiveUsageType } from '../config/model/enums.js';
import { serverSchema } from '../config/model/server.js';
import { validateReceiveConnector, type Problem } from '../config/validate.js';
import { IPBinding, IPRange } from '../config/types/index.js';
import { newModelObject, type ModelObject } from '../store/repository.js';
import { CmdletError } from '../shell/values.js';
import type { BoundArguments, CommandSpec, ParameterSpec } from '../shell/command.js';
import { notFound } from './errors.js';
import { checkAndWrite, createdOutput, enumConvert, insertObject, nameParameter, removeCommand, setCommand, tableView, throwIfProblems } from './object-commands.js';
import { findObjects, identityParameter, objectNames } from './object-identity.js';
import { toPSObject } from './object-output.js';
import { applyParameters, schemaParameters } from './object-parameters.js';
import { defaultContext, type ServerContext } from './server-context.js';

const USAGES = ['Custom', 'Internet', 'Internal', 'Client', 'Partner'];

function otherConnectors(ctx: ServerContext, server: string, exceptGuid?: string) {
  return ctx.repo
    .list(receiveConnectorSchema, server)
    .filter((o) => o.guid !== exceptGuid)
    .map((o) => ({ name: String(o.values.Name), values: o.values }));
}

function validate(ctx: ServerContext, values: Record<string, unknown>, server: string, exceptGuid?: string): Problem[] {
  return validateReceiveConnector(values, otherConnectors(ctx, server, exceptGuid), { role: ctx.role });
}

function chosenUsage(args: BoundArguments, ctx: ServerContext): string {
  const given = USAGES.filter((u) => args.get(u) === true);
  const count = given.length + (args.has('Usage') ? 1 : 0);
  if (count > 1) {
    throw new CmdletError('Parameter set cannot be resolved using the specified named parameters. Use only one of -Usage, -Client, -Custom, -Internal, -Internet and -Partner.', {
      category: 'InvalidArgument',
      reason: 'ParameterBindingException',
      parameter: 'Usage',
    });
  }
  const usage = args.has('Usage') ? String(args.get('Usage')) : (given[0] ?? 'Custom');
  if (usage === 'Client' && ctx.role === 'EdgeTransport') {
    throw new CmdletError('The usage type Client is not available on an Edge Transport server (there are no mailbox users to submit mail).', { reason: 'DataValidationException', parameter: 'Usage' });
  }
  return usage;
}

function missingMandatory(names: string[]): CmdletError {
  return new CmdletError(`Cannot process command because of one or more missing mandatory parameters: ${names.join(' ')}.`, { category: 'InvalidArgument', reason: 'ParameterBindingException', parameter: names[0] });
}

function resolveServer(ctx: ServerContext, given: unknown): { name: string; fqdn: string } {
  if (given === undefined || given === null) return { name: ctx.name, fqdn: ctx.fqdn };
  const id = String(given).toLowerCase();
  const s = ctx.repo.list(serverSchema).find((x) => String(x.values.Name).toLowerCase() === id || String(x.values.Fqdn).toLowerCase() === id || x.guid === id);
  if (!s) throw notFound(String(given), ctx.fqdn);
  return { name: String(s.values.Name), fqdn: String(s.values.Fqdn) };
}

/** Builds a receive connector with the defaults of its usage on the given server. */
export function buildReceiveConnector(ctx: ServerContext, server: { name: string; fqdn: string }, name: string, usage: string, overrides: Record<string, unknown>): ModelObject {
  const defaults = { ...defaultContext(ctx, usage), serverName: server.name, serverFqdn: server.fqdn };
  return newModelObject(receiveConnectorSchema, server.name, receiveConnectorValues(defaults, name, usage, overrides));
}

export function receiveConnectorCommands(ctx: ServerContext): CommandSpec[] {
  const schema = receiveConnectorSchema;
  const usageParams: ParameterSpec[] = [
    {
      name: 'Usage',
      typeName: 'UsageType',
      description: 'Client, Internal, Internet, Partner or Custom: sets the default permission groups, authentication and bindings.',
      convert: enumConvert((v) => ReceiveUsageType.parse(v)),
      completions: () => ReceiveUsageType.values,
    },
    ...USAGES.map((u): ParameterSpec => ({ name: u, typeName: 'SwitchParameter', switch: true, description: `Same as -Usage ${u}.` })),
    { name: 'Server', typeName: 'ServerIdParameter', description: 'Server to create the connector on (default: this server).' },
  ];

  const newCommand: CommandSpec = {
    name: 'New-ReceiveConnector',
    synopsis: 'Creates a Receive connector: which local address and port accept SMTP from which remote addresses, with which authentication and permissions.',
    supportsShouldProcess: true,
    confirmImpact: 'Medium',
    parameters: [nameParameter(schema, { position: 0, mandatory: true }), ...usageParams, ...schemaParameters(schema, 'new', ['Usage'], defaultContext(ctx))],
    examples: [
      {
        code: 'New-ReceiveConnector -Name "From Internal Org" -Usage Internal -AuthMechanism TLS,BasicAuth,BasicAuthRequireTLS,ExchangeServer -Bindings 10.1.1.2:25 -RemoteIPRanges 192.168.5.10,192.168.5.20',
        remarks: 'Accepts mail only from two Mailbox servers on the internal address.',
      },
    ],
    async invoke(args, inv) {
      const usage = chosenUsage(args, ctx);
      const server =
        ctx.role === 'EdgeTransport' && args.has('Server') && resolveServer(ctx, args.get('Server')).name !== ctx.name
          ? (() => {
              throw notFound(String(args.get('Server')), ctx.fqdn);
            })()
          : resolveServer(ctx, args.get('Server'));
      const missing: string[] = [];
      const needsBindings = usage === 'Custom' || usage === 'Internet' || usage === 'Partner';
      const needsRanges = usage !== 'Internet';
      if (needsBindings && !args.has('Bindings')) missing.push('Bindings');
      if (needsRanges && !args.has('RemoteIPRanges')) missing.push('RemoteIPRanges');
      if (missing.length > 0) throw missingMandatory(missing);

      const port = usageDefaults(usage, ctx.role).port;
      const obj = buildReceiveConnector(ctx, server, String(args.get('Name')), usage, {
        Bindings: [IPBinding.parse(`0.0.0.0:${port}`)],
        RemoteIPRanges: [IPRange.parse(ALL_IPV4)],
      });
      const defaults = { ...defaultContext(ctx, usage), serverName: server.name, serverFqdn: server.fqdn };
      applyParameters(schema, obj.values, args, 'new', ctx, defaults);
      throwIfProblems(validate(ctx, obj.values, server.name));
      if (!(await inv.shouldProcess(`${server.name}\\${obj.values.Name}`, 'Creating Receive connector'))) return [];
      checkAndWrite(
        ctx,
        () => validate(ctx, obj.values, server.name),
        () => insertObject(ctx, obj),
      );
      return [createdOutput(ctx, obj, { Server: obj.server })];
    },
  };

  const getCommand: CommandSpec = {
    name: 'Get-ReceiveConnector',
    synopsis: 'Lists Receive connectors (of every server, or of one with -Server).',
    parameters: [
      { ...identityParameter('ReceiveConnectorIdParameter', false, objectNames(ctx, schema)), sets: ['Identity'] },
      { name: 'Server', typeName: 'ServerIdParameter', sets: ['Server'], description: 'Only the connectors of this server.' },
    ],
    defaultParameterSet: 'Identity',
    invoke(args) {
      let found = findObjects(ctx, schema, args.get('Identity') as string | null | undefined);
      if (args.has('Server')) {
        const server = resolveServer(ctx, args.get('Server'));
        found = found.filter((o) => o.server.toLowerCase() === server.name.toLowerCase());
      }
      return found.map((o) => toPSObject(o, { Server: o.server }));
    },
  };

  return [
    newCommand,
    setCommand(ctx, {
      schema,
      synopsis: 'Changes a Receive connector (bindings, remote ranges, authentication, permissions, limits).',
      parameters: schemaParameters(schema, 'set'),
      defaults: (obj) => ({ ...defaultContext(ctx, String(obj.values.Usage ?? 'Custom')), serverName: obj.server }),
      validate: (values, obj) => validate(ctx, values, obj.server, obj.guid),
    }),
    getCommand,
    removeCommand(ctx, schema, 'Removes a Receive connector.'),
  ];
}

export const receiveConnectorViews = [tableView('ReceiveConnector', ['Identity', 'Bindings', 'Enabled'])];
