// New-/Set-/Get-/Remove-SendConnector (spec exchange-connectors.md §1, §2).
// On Mailbox servers send connectors are organization-wide and name their
// SourceTransportServers (default: the local server); on an Edge server they
// are local and may set SourceIPAddress instead.

import { sendConnectorSchema } from '../config/model/send-connector.js';
import { SendUsageType } from '../config/model/enums.js';
import { serverSchema } from '../config/model/server.js';
import { validateSendConnector } from '../config/validate.js';
import { newModelObject } from '../store/repository.js';
import { CmdletError } from '../shell/values.js';
import type { BoundArguments, CommandSpec, ParameterSpec } from '../shell/command.js';
import { notFound } from './errors.js';
import { checkAndWrite, createdOutput, enumConvert, getCommand, insertObject, nameParameter, removeCommand, setCommand, tableView, throwIfProblems } from './object-commands.js';
import { applyParameters, schemaParameters } from './object-parameters.js';
import { defaultValues } from '../config/schema.js';
import { defaultContext, type ServerContext } from './server-context.js';

const USAGE_SWITCHES = ['Custom', 'Internal', 'Internet', 'Partner'];

/** SourceTransportServers are given as names or FQDNs and stored as server names. */
function resolveSourceServers(values: Record<string, unknown>, ctx: ServerContext): void {
  const given = values.SourceTransportServers;
  if (!Array.isArray(given) || given.length === 0) return;
  const servers = ctx.repo.list(serverSchema);
  values.SourceTransportServers = given.map((g) => {
    const id = String(g).toLowerCase();
    const s = servers.find((x) => String(x.values.Name).toLowerCase() === id || String(x.values.Fqdn).toLowerCase() === id || x.guid === id);
    if (!s) throw notFound(String(g), ctx.fqdn);
    if (s.values.ServerRole !== 'Mailbox')
      throw new CmdletError(`The server ${s.values.Name} is not a Mailbox server; only Mailbox servers can be source servers of a Send connector.`, { reason: 'DataValidationException', parameter: 'SourceTransportServers' });
    return String(s.values.Name);
  });
}

function chosenUsage(args: BoundArguments): string {
  const given = USAGE_SWITCHES.filter((u) => args.get(u) === true);
  const count = given.length + (args.has('Usage') ? 1 : 0);
  if (count > 1) {
    throw new CmdletError('Parameter set cannot be resolved using the specified named parameters. Use only one of -Usage, -Custom, -Internal, -Internet and -Partner.', {
      category: 'InvalidArgument',
      reason: 'ParameterBindingException',
      parameter: 'Usage',
    });
  }
  return args.has('Usage') ? String(args.get('Usage')) : (given[0] ?? 'Custom');
}

export function sendConnectorCommands(ctx: ServerContext): CommandSpec[] {
  const schema = sendConnectorSchema;
  const usageParams: ParameterSpec[] = [
    { name: 'Usage', typeName: 'UsageType', description: 'Custom, Internal, Internet or Partner (sets defaults such as MaxMessageSize).', convert: enumConvert((v) => SendUsageType.parse(v)), completions: () => SendUsageType.values },
    ...USAGE_SWITCHES.map((u): ParameterSpec => ({ name: u, typeName: 'SwitchParameter', switch: true, description: `Same as -Usage ${u}.` })),
  ];
  const newParams = schemaParameters(schema, 'new', ['Usage'], defaultContext(ctx)).map((p) => (p.name === 'AddressSpaces' ? { ...p, mandatory: true } : p));

  const newCommand: CommandSpec = {
    name: 'New-SendConnector',
    synopsis: 'Creates a Send connector: where and how this server sends mail for the address spaces it covers.',
    supportsShouldProcess: true,
    confirmImpact: 'Medium',
    parameters: [nameParameter(schema, { position: 0, mandatory: true }), ...usageParams, ...newParams],
    examples: [
      { code: 'New-SendConnector -Name "To Internet" -AddressSpaces * -Usage Internet -DNSRoutingEnabled $true', remarks: 'Sends mail for every domain by DNS MX lookup.' },
      {
        code: '$cred = Get-Credential\nNew-SendConnector -Name "To Internal Org" -Usage Internal -AddressSpaces *.contoso.com -DNSRoutingEnabled $false -SmartHosts mbxserver01.contoso.com,mbxserver02.contoso.com -SmartHostAuthMechanism BasicAuthRequireTLS -AuthenticationCredential $cred',
        remarks: 'Relays mail for contoso.com to two smart hosts with Basic authentication over TLS.',
      },
    ],
    async invoke(args, inv) {
      const usage = chosenUsage(args);
      const defaults = defaultContext(ctx, usage);
      const values = defaultValues(schema, defaults);
      values.Name = args.get('Name');
      values.Usage = usage;
      if (ctx.role === 'Mailbox') values.SourceTransportServers = [ctx.name];
      applyParameters(schema, values, args, 'new', ctx, defaults);
      mtaStsFollowsRouting(values, args);
      resolveSourceServers(values, ctx);
      throwIfProblems(validateSendConnector(values, { role: ctx.role }));
      if (!(await inv.shouldProcess(String(values.Name), 'Creating Send connector'))) return [];
      const obj = newModelObject(schema, '', values);
      checkAndWrite(
        ctx,
        () => validateSendConnector(values, { role: ctx.role }),
        () => insertObject(ctx, obj),
      );
      return [createdOutput(ctx, obj, sendExtras(obj.values))];
    },
  };

  return [
    newCommand,
    setCommand(ctx, {
      schema,
      synopsis: 'Changes a Send connector.',
      parameters: schemaParameters(schema, 'set'),
      defaults: (obj) => defaultContext(ctx, String(obj.values.Usage ?? 'Custom')),
      prepare: (values, args) => {
        mtaStsFollowsRouting(values, args);
        resolveSourceServers(values, ctx);
      },
      validate: (values) => validateSendConnector(values, { role: ctx.role }),
    }),
    getCommand(ctx, { schema, synopsis: 'Lists Send connectors.', extra: (obj) => sendExtras(obj.values) }),
    removeCommand(ctx, schema, 'Removes a Send connector.'),
  ];
}

/**
 * MtaStsEnabled (on by default for Internet connectors) applies to DNS routing over STARTTLS only: a
 * connector set to smart hosts or to IgnoreSTARTTLS without naming MtaStsEnabled turns it off along;
 * naming -MtaStsEnabled $true there is refused by validateSendConnector.
 */
function mtaStsFollowsRouting(values: Record<string, unknown>, args: BoundArguments): void {
  // DaneEnabled ($true by default) follows the same way.
  if (!args.has('DaneEnabled') && (values.DNSRoutingEnabled === false || values.IgnoreSTARTTLS === true)) values.DaneEnabled = false;
  if (args.has('MtaStsEnabled')) return;
  if (values.DNSRoutingEnabled === false || values.IgnoreSTARTTLS === true) values.MtaStsEnabled = false;
}

function sendExtras(values: Record<string, unknown>): Record<string, unknown> {
  const hosts = Array.isArray(values.SmartHosts) ? values.SmartHosts : [];
  return { SmartHostsString: hosts.map(String).join(','), IsSmtpConnector: true };
}

export const sendConnectorViews = [tableView('SendConnector', ['Identity', 'AddressSpaces', 'Enabled'])];
