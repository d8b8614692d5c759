// Fake commands for the shell's own tests: connector cmdlets with the
// parameter names of the Exchange procedures, keeping objects in memory.

import { ConversionError, type CommandSpec, type ParameterSpec } from './command.js';
import { convertBoolean, convertCredential, convertString, convertStringArray, isNull } from './conversion.js';
import { MemoryHost, type MemoryHostOptions } from './host-memory.js';
import { ShellSession } from './session.js';
import { CmdletError, PSObject, type ObjectView } from './values.js';

const str = (name: string, extra: Partial<ParameterSpec> = {}): ParameterSpec => ({ name, typeName: 'String', convert: convertString, ...extra });
const multi = (name: string, extra: Partial<ParameterSpec> = {}): ParameterSpec => ({ name, typeName: 'MultiValuedProperty', convert: convertStringArray, ...extra });
const bool = (name: string): ParameterSpec => ({ name, typeName: 'Boolean', convert: convertBoolean });
const usage = (v: unknown): string => {
  const s = String(v);
  const known = ['Custom', 'Internal', 'Internet', 'Partner', 'Client'];
  const hit = known.find((k) => k.toLowerCase() === s.toLowerCase());
  if (!hit)
    throw new ConversionError(
      `Cannot convert value "${s}" to type "Microsoft.Exchange.Management.SystemConfigurationTasks.NewSendConnector+UsageType". Error: "Unable to match the identifier name ${s} to a valid enumerator name. Specify one of the following enumerator names and try again:\n${known.join(', ')}"`,
    );
  return hit;
};

export interface FakeWorld {
  send: PSObject[];
  receive: PSObject[];
  commands: CommandSpec[];
  views: ObjectView[];
}

export function fakeWorld(): FakeWorld {
  const send: PSObject[] = [];
  const receive: PSObject[] = [
    new PSObject('Microsoft.Exchange.Data.Directory.SystemConfiguration.ReceiveConnector', [
      ['Identity', 'EDGE01\\Default internal Receive connector Edge01'],
      ['Name', 'Default internal Receive connector Edge01'],
      ['Usage', 'Custom'],
      ['AuthMechanism', 'Tls, ExchangeServer'],
      ['Bindings', ['0.0.0.0:25']],
      ['RemoteIPRanges', ['0.0.0.0-255.255.255.255']],
      ['Enabled', true],
    ]),
  ];
  const findReceive = (id: string): PSObject => {
    const hit = receive.find((r) => String(r.get('Name')).toLowerCase() === id.toLowerCase() || String(r.get('Identity')).toLowerCase() === id.toLowerCase());
    if (!hit) throw new CmdletError(`The operation couldn't be performed because object '${id}' couldn't be found on 'edge01.contoso.com'.`, { reason: 'ManagementObjectNotFoundException' });
    return hit;
  };
  const commands: CommandSpec[] = [
    {
      name: 'New-SendConnector',
      synopsis: 'Creates a Send connector.',
      supportsShouldProcess: true,
      defaultParameterSet: 'AddressSpaces',
      parameters: [
        str('Name', { mandatory: true }),
        multi('AddressSpaces'),
        { name: 'Usage', typeName: 'UsageType', convert: usage, sets: ['AddressSpaces'] },
        { name: 'Internet', typeName: 'SwitchParameter', switch: true, sets: ['Internet'] },
        bool('DNSRoutingEnabled'),
        multi('SmartHosts'),
        str('SmartHostAuthMechanism'),
        { name: 'AuthenticationCredential', typeName: 'PSCredential', convert: convertCredential },
        multi('SourceTransportServers'),
        { name: 'Port', typeName: 'Int32' },
      ],
      examples: [{ code: 'New-SendConnector -Name "To Internet" -AddressSpaces * -Usage Internet', remarks: 'A connector to the Internet.' }],
      async invoke(args, ctx) {
        const name = String(args.get('Name'));
        if (send.some((s) => String(s.get('Name')).toLowerCase() === name.toLowerCase())) {
          throw new CmdletError(`The Send connector "${name}" already exists.`, { reason: 'ADObjectAlreadyExistsException' });
        }
        if (!(await ctx.shouldProcess(name, 'Creating Send connector'))) return [];
        const o = new PSObject('Microsoft.Exchange.Data.Directory.SystemConfiguration.SmtpSendConnectorConfig', [
          ['Identity', name],
          ['Name', name],
          ['Usage', args.get('Usage') ?? 'Custom'],
          ['AddressSpaces', (args.get('AddressSpaces') as string[] | undefined)?.map((a) => `SMTP:${a};1`) ?? []],
          ['SourceTransportServers', args.get('SourceTransportServers') ?? []],
          ['DNSRoutingEnabled', args.get('DNSRoutingEnabled') ?? true],
          ['SmartHosts', args.get('SmartHosts') ?? []],
          ['SmartHostAuthMechanism', args.get('SmartHostAuthMechanism') ?? 'None'],
          ['AuthenticationCredential', args.get('AuthenticationCredential') ?? null],
          ['Enabled', true],
          ['MaxMessageSize', 36700160],
        ]);
        send.push(o);
        return [o];
      },
    },
    {
      name: 'Get-SendConnector',
      synopsis: 'Gets Send connectors.',
      parameters: [str('Identity', { position: 0, valueFromPipelineByPropertyName: false })],
      invoke(args) {
        const id = args.get('Identity') as string | undefined;
        if (id === undefined) return send.slice();
        const hit = send.filter((s) => String(s.get('Name')).toLowerCase() === id.toLowerCase());
        if (!hit.length) throw new CmdletError(`The operation couldn't be performed because object '${id}' couldn't be found on 'edge01.contoso.com'.`, { reason: 'ManagementObjectNotFoundException' });
        return hit;
      },
    },
    {
      name: 'Remove-SendConnector',
      synopsis: 'Removes a Send connector.',
      supportsShouldProcess: true,
      confirmImpact: 'High',
      parameters: [str('Identity', { position: 0, mandatory: true, valueFromPipeline: true, valueFromPipelineByPropertyName: true })],
      async invoke(args, ctx) {
        const id = String(args.get('Identity'));
        const i = send.findIndex((s) => String(s.get('Name')).toLowerCase() === id.toLowerCase());
        if (i < 0) throw new CmdletError(`The operation couldn't be performed because object '${id}' couldn't be found on 'edge01.contoso.com'.`, { reason: 'ManagementObjectNotFoundException' });
        if (await ctx.shouldProcess(id, 'Removing Send connector')) send.splice(i, 1);
        return [];
      },
    },
    {
      name: 'Set-SendConnector',
      synopsis: 'Changes a Send connector.',
      supportsShouldProcess: true,
      parameters: [str('Identity', { position: 0, mandatory: true, valueFromPipeline: true }), bool('Enabled'), multi('SmartHosts'), str('SmartHostAuthMechanism'), { name: 'Port', typeName: 'Int32' }],
      async invoke(args, ctx) {
        const id = String(args.get('Identity'));
        const o = send.find((s) => String(s.get('Name')).toLowerCase() === id.toLowerCase());
        if (!o) throw new CmdletError(`The operation couldn't be performed because object '${id}' couldn't be found on 'edge01.contoso.com'.`, { reason: 'ManagementObjectNotFoundException' });
        if (!(await ctx.shouldProcess(id, 'Setting Send connector'))) return [];
        for (const [k, v] of args) if (k !== 'Identity') o.set(k, v);
        return [];
      },
    },
    {
      name: 'Get-ReceiveConnector',
      synopsis: 'Gets Receive connectors.',
      parameters: [str('Identity', { position: 0 })],
      invoke(args) {
        const id = args.get('Identity') as string | undefined;
        return id === undefined ? receive.slice() : [findReceive(id)];
      },
    },
    {
      name: 'Set-ReceiveConnector',
      synopsis: 'Changes a Receive connector.',
      supportsShouldProcess: true,
      parameters: [str('Identity', { position: 0, mandatory: true, valueFromPipeline: true }), str('Name'), multi('Bindings'), multi('RemoteIPRanges'), { name: 'AuthMechanism', typeName: 'AuthMechanisms', convert: convertStringArray }],
      async invoke(args, ctx) {
        const o = findReceive(String(args.get('Identity')));
        if (!(await ctx.shouldProcess(String(o.get('Name')), 'Setting Receive connector'))) return [];
        for (const [k, v] of args) {
          if (k === 'Identity' || isNull(v)) continue;
          o.set(k, k === 'AuthMechanism' ? (v as string[]).join(', ') : v);
          if (k === 'Name') o.set('Identity', 'EDGE01\\' + String(v));
        }
        return [];
      },
    },
    {
      name: 'New-ReceiveConnector',
      synopsis: 'Creates a Receive connector.',
      supportsShouldProcess: true,
      parameters: [str('Name', { mandatory: true, position: 0 }), str('Usage'), { name: 'AuthMechanism', typeName: 'AuthMechanisms', convert: convertStringArray }, multi('Bindings', { mandatory: true }), multi('RemoteIPRanges')],
      async invoke(args, ctx) {
        const name = String(args.get('Name'));
        if (!(await ctx.shouldProcess(name, 'Creating Receive connector'))) return [];
        const o = new PSObject('Microsoft.Exchange.Data.Directory.SystemConfiguration.ReceiveConnector', [
          ['Identity', 'EDGE01\\' + name],
          ['Name', name],
          ['Usage', args.get('Usage') ?? 'Custom'],
          ['AuthMechanism', ((args.get('AuthMechanism') as string[] | undefined) ?? ['Tls']).join(', ')],
          ['Bindings', args.get('Bindings')],
          ['RemoteIPRanges', args.get('RemoteIPRanges') ?? ['0.0.0.0-255.255.255.255']],
          ['Enabled', true],
        ]);
        receive.push(o);
        return [o];
      },
    },
  ];
  const views: ObjectView[] = [
    {
      typeName: 'Microsoft.Exchange.Data.Directory.SystemConfiguration.ReceiveConnector',
      display: 'table',
      table: [
        { property: 'Identity', width: 40 },
        { property: 'Bindings', width: 26 },
        { property: 'Enabled', width: 7 },
      ],
    },
    {
      typeName: 'Microsoft.Exchange.Data.Directory.SystemConfiguration.SmtpSendConnectorConfig',
      display: 'table',
      table: [
        { property: 'Identity', width: 24 },
        { property: 'AddressSpaces', width: 40 },
        { property: 'Enabled', width: 7 },
      ],
    },
  ];
  return { send, receive, commands, views };
}

export interface TestShell {
  session: ShellSession;
  host: MemoryHost;
  world: FakeWorld;
}

/** A session over the fake commands with an in-memory host and pinned clock / request ids. */
export function testShell(options: MemoryHostOptions = {}): TestShell {
  const world = fakeWorld();
  const host = new MemoryHost(options);
  const session = new ShellSession(
    {
      commands: world.commands,
      views: world.views,
      computerName: 'EDGE01.contoso.com',
      now: () => new Date(Date.UTC(2026, 10, 27, 17, 34, 56)),
      newRequestId: () => '3f2b8c1e-0d4a-4c6e-9a57-1b2c3d4e5f60',
    },
    host,
  );
  return { session, host, world };
}
