// The connection filter's lists (spec exchange-edge-agents.md §3.1): the IP
// Block list and IP Allow list entries (Add-/Get-/Remove-IPBlockListEntry,
// ...IPAllowListEntry), numbered as Exchange numbers them, with an optional
// expiration; and the DNS list providers (Add-/Get-/Set-/Remove-
// IPBlockListProvider, ...IPAllowListProvider), asked in priority order, with
// Test-IPBlockListProvider to see what a provider says of an address.

import { ipAllowListEntrySchema, ipAllowListProviderSchema, ipBlockListEntrySchema, ipBlockListProviderSchema } from '../config/model/antispam.js';
import type { ObjectSchema } from '../config/schema.js';
import { IPAddress, IPRange } from '../config/types/index.js';
import { dnsSettingsFromTransport } from '../dns/dns-settings.js';
import { assessConnection } from '../agents/connection-filter.js';
import { insertIPListEntry } from '../agents/antispam-settings.js';
import { loadTransportConfig } from '../config/transport-config.js';
import type { BoundArguments, CommandSpec, ParameterSpec } from '../shell/command.js';
import { ConversionError } from '../shell/command.js';
import { CmdletError, PSObject, type ObjectView } from '../shell/values.js';
import { newModelObject, type ModelObject } from '../store/repository.js';
import { notFound } from './errors.js';
import { tableView } from './object-commands.js';
import { toPSObject } from './object-output.js';
import { applyParameters, schemaParameters } from './object-parameters.js';
import { defaultContext, type ServerContext } from './server-context.js';
import { edgeOnly } from './transport-agent.js';

const converting =
  <T>(f: (v: unknown) => T) =>
  (v: unknown): T => {
    try {
      return f(v);
    } catch (err) {
      throw new ConversionError((err as Error).message);
    }
  };

function entryOutput(o: ModelObject): PSObject {
  const range = o.values.IPRange as IPRange;
  return toPSObject(o, { Identity: Number(o.values.Name), IPRange: range.toString(), HasExpired: o.values.ExpirationTime instanceof Date && o.values.ExpirationTime.getTime() <= Date.now() });
}

function listCommands(ctx: ServerContext, schema: ObjectSchema, list: 'Block' | 'Allow'): CommandSpec[] {
  const noun = `IP${list}ListEntry`;
  const find = (id: unknown): ModelObject => {
    const found = ctx.repo.list(schema).find((o) => String(o.values.Name) === String(id));
    if (!found) throw notFound(String(id), ctx.fqdn);
    return found;
  };
  return [
    {
      name: `Add-${noun}`,
      synopsis: `Adds an address, a range or a CIDR block to the IP ${list} list${list === 'Block' ? ': its clients are refused at RCPT TO' : ': its clients skip the other anti-spam agents'}.`,
      parameters: [
        { name: 'IPAddress', typeName: 'IPAddress', sets: ['IPAddress'], mandatory: true, description: 'One address.', convert: converting((v) => IPAddress.parse(v)) },
        { name: 'IPRange', typeName: 'IPRange', sets: ['IPRange'], mandatory: true, description: 'a.b.c.d-e.f.g.h or a CIDR block a.b.c.d/n.', convert: converting((v) => IPRange.parse(v)) },
        {
          name: 'ExpirationTime',
          typeName: 'DateTime',
          description: 'When the entry stops applying.',
          convert: converting((v) => {
            const d = v instanceof Date ? v : new Date(String(v));
            if (Number.isNaN(d.getTime())) throw new Error(`"${String(v)}" is not a date and time.`);
            return d;
          }),
        },
        { name: 'Comment', typeName: 'String', description: 'A note.', convert: (v) => String(v) },
      ],
      defaultParameterSet: 'IPAddress',
      supportsShouldProcess: true,
      examples: [{ code: `Add-${noun} -IPRange 192.0.2.0/24 -Comment "${list === 'Block' ? 'spam source' : 'partner'}"`, remarks: `Puts a /24 on the IP ${list} list.` }],
      invoke: async (args, inv) => {
        edgeOnly(ctx, `Add-${noun}`);
        const range = args.has('IPRange') ? (args.get('IPRange') as IPRange) : IPRange.parse(String(args.get('IPAddress')));
        const existing = ctx.repo.list(schema).find((o) => (o.values.IPRange as IPRange).overlaps(range));
        if (existing)
          throw new CmdletError(
            `The range ${range.toString()} overlaps the IP ${list} list entry ${String(existing.values.Name)} (${(existing.values.IPRange as IPRange).toString()}). Remove that entry first, or give a range that does not overlap.`,
            { category: 'InvalidArgument', reason: 'DataValidationException', parameter: args.has('IPRange') ? 'IPRange' : 'IPAddress' },
          );
        if (!(await inv.shouldProcess(range.toString(), `Adding IP ${list} list entry`))) return [];
        let added: ModelObject | undefined;
        ctx.repo.transaction(() => {
          added = insertIPListEntry(ctx.repo, schema, { range, expires: (args.get('ExpirationTime') as Date | undefined) ?? null, comment: args.has('Comment') ? String(args.get('Comment')) : null, machine: false });
        });
        return [entryOutput(added!)];
      },
    },
    {
      name: `Get-${noun}`,
      synopsis: `Lists the IP ${list} list entries, or those that hold an address.`,
      parameters: [
        { name: 'Identity', typeName: 'IPListEntryIdentity', position: 0, sets: ['Identity'], description: "The entry's number.", convert: (v) => String(v) },
        { name: 'IPAddress', typeName: 'IPAddress', sets: ['IPAddress'], description: 'The entries that hold this address.', convert: converting((v) => IPAddress.parse(v)) },
      ],
      examples: [{ code: `Get-${noun} -IPAddress 192.0.2.7`, remarks: 'The entries that hold 192.0.2.7.' }],
      invoke: (args) => {
        edgeOnly(ctx, `Get-${noun}`);
        if (args.has('Identity')) return [entryOutput(find(args.get('Identity')))];
        const all = ctx.repo.list(schema).sort((a, b) => Number(a.values.Name) - Number(b.values.Name));
        const ip = args.get('IPAddress') as IPAddress | undefined;
        return (ip ? all.filter((o) => (o.values.IPRange as IPRange).contains(ip)) : all).map(entryOutput);
      },
    },
    {
      name: `Remove-${noun}`,
      synopsis: `Removes an entry from the IP ${list} list.`,
      parameters: [{ name: 'Identity', typeName: 'IPListEntryIdentity', position: 0, mandatory: true, valueFromPipelineByPropertyName: true, description: "The entry's number.", convert: (v) => String(v) }],
      supportsShouldProcess: true,
      confirmImpact: 'High',
      examples: [{ code: `Remove-${noun} 3 -Confirm:$false`, remarks: 'Removes entry 3.' }],
      invoke: async (args, inv) => {
        edgeOnly(ctx, `Remove-${noun}`);
        const o = find(args.get('Identity'));
        if (!(await inv.shouldProcess(`${String(o.values.Name)} (${(o.values.IPRange as IPRange).toString()})`, `Removing IP ${list} list entry`))) return [];
        ctx.repo.remove(o);
        return [];
      },
    },
  ];
}

function providerCommands(ctx: ServerContext, schema: ObjectSchema, list: 'Block' | 'Allow'): CommandSpec[] {
  const noun = `IP${list}ListProvider`;
  const find = (id: unknown): ModelObject => {
    const text = id instanceof PSObject ? String(id.get('Name')) : String(id);
    const found = ctx.repo.findByName(schema, '', text) ?? ctx.repo.list(schema).find((o) => o.guid.toLowerCase() === text.toLowerCase());
    if (!found) throw notFound(text, ctx.fqdn);
    return found;
  };
  const checkMatch = (values: Record<string, unknown>): void => {
    const ways = [values.AnyMatch === true, !!values.BitmaskMatch, Array.isArray(values.IPAddressesMatch) && values.IPAddressesMatch.length > 0].filter(Boolean).length;
    if (ways !== 1)
      throw new CmdletError(`A provider needs exactly one way to read its answers: -AnyMatch $true, -BitmaskMatch 127.0.0.x, or -IPAddressesMatch 127.0.0.x,... (${ways} given).`, {
        category: 'InvalidArgument',
        reason: 'DataValidationException',
      });
  };
  /** Places a provider at a priority: the others at or after it move down by one. */
  const renumber = (placed: ModelObject): void => {
    const others = ctx.repo
      .list(schema)
      .filter((o) => o.guid !== placed.guid)
      .sort((a, b) => Number(a.values.Priority) - Number(b.values.Priority));
    const at = Math.min(Number(placed.values.Priority), others.length + 1);
    placed.values.Priority = at;
    others.splice(at - 1, 0, placed);
    others.forEach((o, i) => {
      if (o !== placed && Number(o.values.Priority) !== i + 1) {
        o.values.Priority = i + 1;
        ctx.repo.update(o);
      }
    });
  };
  const identityParam: ParameterSpec = { name: 'Identity', typeName: `${noun}IdParameter`, position: 0, mandatory: true, valueFromPipeline: true, description: "The provider's name." };
  return [
    {
      name: `Add-${noun}`,
      synopsis: `Adds a DNS ${list.toLowerCase()} list the connection filter asks about each client (192.0.2.1 is looked up as 1.2.0.192.<LookupDomain>).`,
      parameters: [
        { ...schemaParameters(schema, 'new').find((p) => p.name === 'Name')!, name: 'Name', typeName: 'String', position: 0, mandatory: true, description: "The provider's name.", convert: (v: unknown) => String(v) },
        ...schemaParameters(schema, 'new').map((p) => (p.name === 'LookupDomain' ? { ...p, mandatory: true } : p)),
      ],
      supportsShouldProcess: true,
      examples: [
        {
          code: `Add-${noun} -Name Spamhaus -LookupDomain zen.spamhaus.org -IPAddressesMatch 127.0.0.2,127.0.0.3,127.0.0.4 -RejectionResponse "Listed by Spamhaus: see https://check.spamhaus.org"`,
          remarks: 'Refuses the clients zen.spamhaus.org lists with these codes.',
        },
      ],
      invoke: async (args, inv) => {
        edgeOnly(ctx, `Add-${noun}`);
        const values: Record<string, unknown> = { AnyMatch: false, IPAddressesMatch: [], Enabled: true, Priority: ctx.repo.list(schema).length + 1 };
        applyParameters(schema, values, args, 'new', ctx, defaultContext(ctx));
        checkMatch(values);
        const name = String(args.get('Name'));
        if (ctx.repo.findByName(schema, '', name)) throw new CmdletError(`A provider named "${name}" already exists.`, { category: 'InvalidArgument', reason: 'ADObjectAlreadyExistsException', parameter: 'Name' });
        if (!(await inv.shouldProcess(name, `Adding IP ${list} list provider`))) return [];
        const o = newModelObject(schema, '', { ...values, Name: name });
        ctx.repo.transaction(() => {
          ctx.repo.insert(o);
          renumber(o);
          ctx.repo.update(o);
        });
        return [toPSObject(o, { Identity: name })];
      },
    },
    {
      name: `Get-${noun}`,
      synopsis: `Lists the DNS ${list.toLowerCase()} list providers in priority order.`,
      parameters: [{ ...identityParam, mandatory: false }],
      examples: [{ code: `Get-${noun} | Format-Table Name,LookupDomain,Priority,Enabled`, remarks: 'The providers in the order they are asked.' }],
      invoke: (args) => {
        edgeOnly(ctx, `Get-${noun}`);
        const all = args.has('Identity') ? [find(args.get('Identity'))] : ctx.repo.list(schema).sort((a, b) => Number(a.values.Priority) - Number(b.values.Priority));
        return all.map((o) => toPSObject(o, { Identity: String(o.values.Name) }));
      },
    },
    {
      name: `Set-${noun}`,
      synopsis: `Changes a DNS ${list.toLowerCase()} list provider; a new priority moves the others.`,
      parameters: [identityParam, ...schemaParameters(schema, 'set')],
      supportsShouldProcess: true,
      examples: [{ code: `Set-${noun} Spamhaus -Priority 1 -Enabled $true`, remarks: 'Asks Spamhaus first.' }],
      invoke: async (args, inv) => {
        edgeOnly(ctx, `Set-${noun}`);
        const o = find(args.get('Identity'));
        const values = { ...o.values };
        applyParameters(schema, values, args, 'set', ctx, defaultContext(ctx));
        checkMatch(values);
        if (!(await inv.shouldProcess(String(o.values.Name), `Setting IP ${list} list provider`))) return [];
        ctx.repo.transaction(() => {
          o.values = values;
          ctx.repo.update(o);
          if (args.has('Priority')) {
            renumber(o);
            ctx.repo.update(o);
          }
        });
        return [];
      },
    },
    {
      name: `Remove-${noun}`,
      synopsis: `Removes a DNS ${list.toLowerCase()} list provider.`,
      parameters: [identityParam],
      supportsShouldProcess: true,
      confirmImpact: 'High',
      examples: [{ code: `Remove-${noun} Spamhaus -Confirm:$false`, remarks: 'Stops asking Spamhaus.' }],
      invoke: async (args, inv) => {
        edgeOnly(ctx, `Remove-${noun}`);
        const o = find(args.get('Identity'));
        if (!(await inv.shouldProcess(String(o.values.Name), `Removing IP ${list} list provider`))) return [];
        ctx.repo.transaction(() => {
          ctx.repo.remove(o);
          ctx.repo
            .list(schema)
            .sort((a, b) => Number(a.values.Priority) - Number(b.values.Priority))
            .forEach((x, i) => {
              if (Number(x.values.Priority) !== i + 1) {
                x.values.Priority = i + 1;
                ctx.repo.update(x);
              }
            });
        });
        return [];
      },
    },
    {
      name: `Test-${noun}`,
      synopsis: `Asks a DNS ${list.toLowerCase()} list provider about an address, through the Edge's external DNS servers, and shows whether it lists it.`,
      parameters: [
        identityParam,
        { name: 'IPAddress', typeName: 'IPAddress', mandatory: true, description: 'The address to look up (127.0.0.2 is listed by every DNS list that follows the convention).', convert: converting((v) => IPAddress.parse(v)) },
      ],
      examples: [{ code: `Test-${noun} Spamhaus -IPAddress 127.0.0.2`, remarks: 'The test address every DNS list answers for.' }],
      invoke: async (args: BoundArguments) => {
        edgeOnly(ctx, `Test-${noun}`);
        const o = find(args.get('Identity'));
        const config = loadTransportConfig(ctx.repo, ctx.role, ctx.name, ctx.fqdn);
        const provider = config.antispam![list === 'Block' ? 'blockListProviders' : 'allowListProviders'].find((p) => p.name === String(o.values.Name))!;
        const ip = String(args.get('IPAddress'));
        const v = await assessConnection({
          ip,
          now: Date.now(),
          dns: dnsSettingsFromTransport(config.dns, 'external'),
          allowList: null,
          blockList: null,
          ...(list === 'Block' ? { allowProviders: null, blockProviders: [{ ...provider, enabled: true }] } : { allowProviders: [{ ...provider, enabled: true }], blockProviders: null }),
        });
        const matched = v.kind === 'listed' || v.kind === 'allowed';
        return [
          new PSObject(`${noun}TestResult`, [
            ['Provider', String(o.values.Name)],
            ['IPAddress', ip],
            ['Matched', matched],
            ['ProviderResult', v.kind === 'listed' ? v.answer : v.kind === 'allowed' ? 'listed' : v.kind === 'clean' && v.unanswered.length > 0 ? 'no answer in time' : 'not listed'],
          ]),
        ];
      },
    },
  ];
}

export function ipListCommands(ctx: ServerContext): CommandSpec[] {
  return [
    ...listCommands(ctx, ipBlockListEntrySchema, 'Block'),
    ...listCommands(ctx, ipAllowListEntrySchema, 'Allow'),
    ...providerCommands(ctx, ipBlockListProviderSchema, 'Block'),
    ...providerCommands(ctx, ipAllowListProviderSchema, 'Allow'),
  ];
}

export const ipListViews: ObjectView[] = [
  tableView('IPBlockListEntry', ['Identity', 'IPRange', 'ExpirationTime', 'Comment']),
  tableView('IPAllowListEntry', ['Identity', 'IPRange', 'ExpirationTime', 'Comment']),
  tableView('IPBlockListProvider', ['Name', 'LookupDomain', 'Priority', 'Enabled']),
  tableView('IPAllowListProvider', ['Name', 'LookupDomain', 'Priority', 'Enabled']),
  tableView('IPBlockListProviderTestResult', ['Provider', 'IPAddress', 'Matched', 'ProviderResult']),
  tableView('IPAllowListProviderTestResult', ['Provider', 'IPAddress', 'Matched', 'ProviderResult']),
];
