// New-, Set-, Get- and Remove-AddressRewriteEntry (spec
// exchange-edge-agents.md §3.8): the entries of the Edge's Address Rewriting
// agents. An entry maps an internal address, domain or *.domain to an
// external address or domain; mail leaving the organization gets the external
// form (MAIL FROM and the originator and recipient fields), and unless
// OutboundOnly, the recipients of mail from the Internet get the internal
// form back. The running Edge follows a change live (agents/address-rewriting.ts).

import { addressRewriteEntrySchema, entryProblems } from '../config/model/address-rewrite-entry.js';
import type { CommandSpec, ParameterSpec } from '../shell/command.js';
import { type ObjectView } from '../shell/values.js';
import { newModelObject, type ModelObject } from '../store/repository.js';
import { invalidOperation } from './errors.js';
import { checkAndWrite, getCommand, insertObject, nameParameter, removeCommand, setCommand, tableView, throwIfProblems } from './object-commands.js';
import { toPSObject } from './object-output.js';
import { applyParameters, schemaParameters } from './object-parameters.js';
import { defaultValues } from '../config/schema.js';
import { defaultContext, type ServerContext } from './server-context.js';
import { edgeOnly } from './transport-agent.js';

const schema = addressRewriteEntrySchema;

/** -DomainController: Exchange's Edge has none either; refused, never ignored. */
const domainController: ParameterSpec = { name: 'DomainController', typeName: 'Fqdn', description: "Not supported on Edge Transport servers: the entries live in the Edge's own store." };

function refuseDomainController(args: { has(name: string): boolean }): void {
  if (args.has('DomainController')) throw invalidOperation("The DomainController parameter isn't supported on Edge Transport servers: the entries live in the Edge's own store.", 'DomainController');
}

function others(ctx: ServerContext, except?: ModelObject): ModelObject[] {
  return ctx.repo.list(schema).filter((o) => o.guid !== except?.guid);
}

/** A cmdlet that only runs on an Edge and refuses -DomainController. */
function onEdge(ctx: ServerContext, spec: CommandSpec, examples: CommandSpec['examples']): CommandSpec {
  return {
    ...spec,
    parameters: [...spec.parameters, domainController],
    examples,
    invoke(args, inv) {
      edgeOnly(ctx, spec.name);
      refuseDomainController(args);
      return spec.invoke(args, inv);
    },
  };
}

export function addressRewriteEntryCommands(ctx: ServerContext): CommandSpec[] {
  const newEntry: CommandSpec = {
    name: 'New-AddressRewriteEntry',
    synopsis:
      'Creates an address rewrite entry: mail leaving the organization through the Edge shows the external address instead of the internal one, and (unless OutboundOnly) mail from the Internet to the external address reaches the internal one.',
    supportsShouldProcess: true,
    confirmImpact: 'Medium',
    parameters: [
      nameParameter(schema, { position: 0, mandatory: true }),
      ...schemaParameters(schema, 'new', [], defaultContext(ctx)).map((p) => (p.name === 'InternalAddress' || p.name === 'ExternalAddress' ? { ...p, mandatory: true } : p)),
    ],
    async invoke(args, inv) {
      const values = defaultValues(schema, defaultContext(ctx));
      values.Name = args.get('Name');
      applyParameters(schema, values, args, 'new', ctx, defaultContext(ctx));
      throwIfProblems(entryProblems(values, others(ctx)));
      if (!(await inv.shouldProcess(String(values.Name), 'Creating address rewrite entry'))) return [];
      const obj = newModelObject(schema, '', values);
      checkAndWrite(
        ctx,
        () => entryProblems(values, others(ctx)),
        () => insertObject(ctx, obj),
      );
      return [toPSObject(ctx.repo.get(schema, obj.guid) ?? obj)];
    },
  };
  const set = setCommand(ctx, {
    schema,
    synopsis: 'Changes an address rewrite entry: its name, internal or external address, exceptions or direction.',
    parameters: schemaParameters(schema, 'set'),
    validate: (values, obj) => entryProblems(values, others(ctx, obj)),
    defaults: () => defaultContext(ctx),
  });
  const get = getCommand(ctx, { schema, synopsis: 'Lists the address rewrite entries.', sort: (a, b) => String(a.values.Name).localeCompare(String(b.values.Name)) });
  const remove = removeCommand(ctx, schema, 'Removes an address rewrite entry; its addresses are no longer rewritten.');
  return [
    onEdge(ctx, newEntry, [
      {
        code: 'New-AddressRewriteEntry -Name "david at northwindtraders" -InternalAddress david@contoso.com -ExternalAddress david@northwindtraders.com',
        remarks: 'Mail from david@contoso.com leaves as david@northwindtraders.com; mail from the Internet to david@northwindtraders.com reaches david@contoso.com.',
      },
      {
        code: 'New-AddressRewriteEntry -Name "contoso to northwindtraders" -InternalAddress contoso.com -ExternalAddress northwindtraders.com',
        remarks: 'Every contoso.com address leaves as the same name at northwindtraders.com, and is rewritten back in mail from the Internet.',
      },
      {
        code: 'New-AddressRewriteEntry -Name "flatten contoso" -InternalAddress *.contoso.com -ExternalAddress contoso.com -ExceptionList research.contoso.com -OutboundOnly $true',
        remarks: "Addresses of contoso.com's subdomains leave as contoso.com addresses, except those of research.contoso.com.",
      },
    ]),
    onEdge(ctx, set, [
      { code: 'Set-AddressRewriteEntry "contoso to northwindtraders" -OutboundOnly $true', remarks: 'Only mail leaving the organization is rewritten from now on.' },
      { code: 'Set-AddressRewriteEntry "flatten contoso" -ExceptionList @{Add="corp.contoso.com"}', remarks: "corp.contoso.com's addresses are no longer rewritten either." },
    ]),
    onEdge(ctx, get, [
      { code: 'Get-AddressRewriteEntry', remarks: 'Lists every entry with its internal and external address.' },
      { code: 'Get-AddressRewriteEntry "contoso to northwindtraders" | Format-List', remarks: 'Shows every property of one entry.' },
    ]),
    onEdge(ctx, remove, [{ code: 'Remove-AddressRewriteEntry "contoso to northwindtraders" -Confirm:$false', remarks: "contoso.com's addresses leave unchanged from now on." }]),
  ];
}

export const addressRewriteEntryViews: ObjectView[] = [tableView('AddressRewriteEntry', ['Name', 'InternalAddress', 'ExternalAddress', 'OutboundOnly'])];
