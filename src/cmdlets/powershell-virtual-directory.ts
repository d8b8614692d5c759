// Get-PowerShellVirtualDirectory and Set-PowerShellVirtualDirectory (spec
// exchange-management.md 1.4): each server's management endpoint, the URL
// its `gatehouse start` serves remote shells at. The running service follows
// a change of InternalUrl live; $null turns the endpoint off.

import { POWERSHELL_VDIR_NAME, parseEndpointUrl, powerShellVirtualDirectorySchema as schema, virtualDirectoryValues } from '../config/model/powershell-virtual-directory.js';
import { serverSchema } from '../config/model/server.js';
import { ValueError } from '../config/types/value-error.js';
import { ConversionError, type BoundArguments, type CommandSpec, type ParameterSpec } from '../shell/command.js';
import { PSObject } from '../shell/values.js';
import { newModelObject, type ModelObject } from '../store/repository.js';
import { invalidOperation, notFound } from './errors.js';
import { tableView } from './object-commands.js';
import type { ServerContext } from './server-context.js';

interface ServerEntry {
  name: string;
  fqdn: string;
  role: 'Mailbox' | 'EdgeTransport';
}

function servers(ctx: ServerContext): ServerEntry[] {
  const list = ctx.repo.list(serverSchema).map((s): ServerEntry => ({
    name: String(s.values.Name),
    fqdn: String(s.values.Fqdn ?? s.values.Name),
    role: s.values.IsEdgeServer === true ? 'EdgeTransport' : 'Mailbox',
  }));
  if (!list.some((s) => s.name.toLowerCase() === ctx.name.toLowerCase())) list.push({ name: ctx.name, fqdn: ctx.fqdn, role: ctx.role });
  return ctx.role === 'EdgeTransport' ? list.filter((s) => s.name.toLowerCase() === ctx.name.toLowerCase()) : list;
}

function serverNamed(ctx: ServerContext, text: string): ServerEntry | undefined {
  const s = text.trim().toLowerCase();
  return servers(ctx).find((x) => x.name.toLowerCase() === s || x.fqdn.toLowerCase() === s);
}

function wildcard(pattern: string): RegExp {
  return new RegExp(
    '^' +
      pattern
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.') +
      '$',
    'i',
  );
}

/** The servers whose virtual directory an identity names: "MBX01\PowerShell (Default Web Site)", "PowerShell*", "MBX01\PowerShell*". */
function serversOfIdentity(ctx: ServerContext, identity: string): ServerEntry[] {
  const text = identity.trim();
  const slash = text.indexOf('\\');
  const serverPart = slash >= 0 ? text.slice(0, slash) : null;
  const namePart = slash >= 0 ? text.slice(slash + 1) : text;
  if (!wildcard(namePart).test(POWERSHELL_VDIR_NAME)) return [];
  if (serverPart === null) return servers(ctx).filter((s) => s.name.toLowerCase() === ctx.name.toLowerCase());
  return servers(ctx).filter((s) => wildcard(serverPart).test(s.name) || wildcard(serverPart).test(s.fqdn));
}

function storedOf(ctx: ServerContext, server: string): ModelObject | undefined {
  return ctx.repo.findByName(schema, server, POWERSHELL_VDIR_NAME);
}

function output(ctx: ServerContext, s: ServerEntry): PSObject {
  const stored = storedOf(ctx, s.name);
  const v = virtualDirectoryValues(stored?.values, s.role, s.fqdn);
  return new PSObject('ADPowerShellVirtualDirectory', [
    ['Name', POWERSHELL_VDIR_NAME],
    ['Server', s.name],
    ['InternalUrl', v.internalUrl],
    ['ExternalUrl', null],
    ['BasicAuthentication', true],
    ['CertificateAuthentication', false],
    ['WindowsAuthentication', false],
    ['RequireSSL', true],
    ['InternalAuthenticationMethods', ['Basic']],
    ['MetabasePath', `IIS://${s.fqdn}/W3SVC/1/ROOT/PowerShell`],
    ['Path', 'gatehouse start (built-in HTTPS listener)'],
    ['Identity', `${s.name}\\${POWERSHELL_VDIR_NAME}`],
    ['WhenChanged', stored?.whenChanged ?? null],
    ['WhenCreated', stored?.whenCreated ?? null],
    ['IsValid', true],
  ]);
}

const NOT_AVAILABLE: Record<string, string> = {
  ExternalUrl: 'Gatehouse publishes no external URL; give the address clients use as -InternalUrl.',
  BasicAuthentication: 'the endpoint always uses Basic authentication over TLS; it has no other method to fall back on.',
  CertificateAuthentication: 'the endpoint authenticates with Basic over TLS only.',
  WindowsAuthentication: 'the endpoint authenticates with Basic over TLS only (there is no Kerberos here).',
  RequireSSL: 'the endpoint is served over HTTPS only, so that no credential crosses the network in clear.',
  ExtendedProtectionFlags: 'the endpoint has no Windows authentication to protect.',
  ExtendedProtectionSPNList: 'the endpoint has no Windows authentication to protect.',
  ExtendedProtectionTokenChecking: 'the endpoint has no Windows authentication to protect.',
  DomainController: 'Gatehouse has no domain controllers; the setting lives in the configuration store.',
  ADPropertiesOnly: 'Gatehouse keeps no IIS metabase; every property comes from the configuration store.',
  ShowMailboxVirtualDirectories: 'Gatehouse has no separate back-end virtual directories.',
};

function refused(name: string, isSwitch = false): ParameterSpec {
  return { name, typeName: isSwitch ? 'SwitchParameter' : 'Object', switch: isSwitch || undefined, description: `Not available: ${NOT_AVAILABLE[name]}` };
}

function refuseUnavailable(args: BoundArguments): void {
  for (const name of Object.keys(NOT_AVAILABLE)) {
    if (args.has(name)) throw invalidOperation(`The parameter -${name} is not available in Gatehouse: ${NOT_AVAILABLE[name]}`, name);
  }
}

function identityText(v: unknown): string {
  if (v instanceof PSObject) return String(v.get('Identity') ?? v.get('Name'));
  return String(v);
}

export function powerShellVirtualDirectoryCommands(ctx: ServerContext): CommandSpec[] {
  return [
    {
      name: 'Get-PowerShellVirtualDirectory',
      synopsis: 'Shows the management endpoint of servers: the URL their remote shells connect to (InternalUrl; empty = not served).',
      defaultParameterSet: 'Identity',
      parameters: [
        {
          name: 'Identity',
          typeName: 'VirtualDirectoryIdParameter',
          position: 0,
          sets: ['Identity'],
          valueFromPipeline: true,
          description: 'The virtual directory: "PowerShell (Default Web Site)" (this server), "MBX01\\PowerShell (Default Web Site)", or a wildcard such as "MBX01\\PowerShell*".',
        },
        { name: 'Server', typeName: 'ServerIdParameter', sets: ['Server'], valueFromPipelineByPropertyName: false, description: 'The server whose virtual directory to show: its name or FQDN.' },
        refused('ADPropertiesOnly', true),
        refused('ShowMailboxVirtualDirectories', true),
        refused('DomainController'),
      ],
      examples: [
        { code: 'Get-PowerShellVirtualDirectory | Format-List Server,InternalUrl', remarks: "Every server's endpoint URL." },
        { code: 'Get-PowerShellVirtualDirectory -Server MBX01', remarks: "MBX01's endpoint." },
      ],
      invoke(args) {
        refuseUnavailable(args);
        if (args.has('Server')) {
          const s = serverNamed(ctx, String(args.get('Server')));
          if (!s) throw notFound(String(args.get('Server')), ctx.fqdn);
          return [output(ctx, s)];
        }
        if (args.has('Identity')) {
          const id = identityText(args.get('Identity'));
          const found = serversOfIdentity(ctx, id);
          if (found.length === 0 && !/[*?]/.test(id)) throw notFound(id, ctx.fqdn);
          return found.map((s) => output(ctx, s));
        }
        return servers(ctx).map((s) => output(ctx, s));
      },
    },
    {
      name: 'Set-PowerShellVirtualDirectory',
      synopsis: "Changes where a server's management endpoint listens (InternalUrl). The running service follows the change; $null stops serving it.",
      supportsShouldProcess: true,
      confirmImpact: 'Medium',
      parameters: [
        {
          name: 'Identity',
          typeName: 'VirtualDirectoryIdParameter',
          position: 0,
          mandatory: true,
          valueFromPipeline: true,
          description: 'The virtual directory: "MBX01\\PowerShell (Default Web Site)", or "PowerShell (Default Web Site)" for this server.',
        },
        {
          name: 'InternalUrl',
          typeName: 'Uri',
          description: 'https://<host>[:port]/<path>/ (the host a name the server resolves through its DNS settings and hosts file, or an IP address); $null turns the endpoint off.',
          convert: (v) => {
            if (v === null || v === undefined || v === '') return null;
            try {
              return parseEndpointUrl(v);
            } catch (e) {
              if (e instanceof ValueError) throw new ConversionError(e.message);
              throw e;
            }
          },
        },
        ...['ExternalUrl', 'BasicAuthentication', 'CertificateAuthentication', 'WindowsAuthentication', 'RequireSSL', 'ExtendedProtectionFlags', 'ExtendedProtectionSPNList', 'ExtendedProtectionTokenChecking', 'DomainController'].map((n) =>
          refused(n),
        ),
      ],
      examples: [
        {
          code: 'Set-PowerShellVirtualDirectory -Identity "MBX01\\PowerShell (Default Web Site)" -InternalUrl https://mbxserver01.contoso.com/PowerShell/',
          remarks: 'MBX01 serves remote shells at that URL (port 443 on the addresses the name resolves to).',
        },
        { code: 'Set-PowerShellVirtualDirectory "EDGE01\\PowerShell (Default Web Site)" -InternalUrl https://192.0.2.10:8443/PowerShell/', remarks: 'Turns the endpoint on for an Edge, on one address and port.' },
      ],
      async invoke(args, inv) {
        refuseUnavailable(args);
        const id = identityText(args.get('Identity'));
        const found = serversOfIdentity(ctx, id);
        if (found.length === 0) throw notFound(id, ctx.fqdn);
        if (found.length > 1) throw invalidOperation(`"${id}" names the virtual directories of ${found.map((s) => s.name).join(', ')}; name one server: "${found[0].name}\\${POWERSHELL_VDIR_NAME}".`, 'Identity');
        const s = found[0];
        if (!args.has('InternalUrl')) {
          inv.warn(`The command completed successfully but no settings of '${s.name}\\${POWERSHELL_VDIR_NAME}' have been modified.`);
          return [];
        }
        const url = args.get('InternalUrl') as string | null;
        if (!(await inv.shouldProcess(`${s.name}\\${POWERSHELL_VDIR_NAME}`, 'Setting PowerShell virtual directory'))) return [];
        ctx.repo.transaction(() => {
          const existing = storedOf(ctx, s.name);
          if (existing) {
            existing.values = { ...existing.values, InternalUrl: url };
            ctx.repo.update(existing);
          } else {
            ctx.repo.insert(newModelObject(schema, s.name, { Name: POWERSHELL_VDIR_NAME, InternalUrl: url }));
          }
        });
        return [];
      },
    },
  ];
}

export const powerShellVirtualDirectoryViews = [tableView('ADPowerShellVirtualDirectory', ['Name', 'Server'])];
