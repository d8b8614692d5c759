// New-/Get-/Set-/Remove-DistributionGroup and the member commands. A
// distribution group is a recipient whose mail is expanded to its members
// (mailboxes and other groups; nested groups are expanded by the transport,
// loops cut). Members are kept as the GUIDs of the member recipients, so a
// member's renaming or new addresses need no change to the group.

import { aliasFromName, distributionGroupSchema, mailboxSchema, parseSmtpAddress } from '../config/model/recipient.js';
import { groupMemberGuids } from '../directory/recipients.js';
import type { CommandSpec, ParameterSpec } from '../shell/command.js';
import { CmdletError } from '../shell/values.js';
import { newModelObject, type ModelObject } from '../store/repository.js';
import { stringListParameter } from './account-support.js';
import { invalidOperation } from './errors.js';
import { assertUnchanged, insertObject, nameParameter, tableView, updateObject } from './object-commands.js';
import { toPSObject } from './object-output.js';
import { applyParameters, schemaParameters } from './object-parameters.js';
import { defaultValues } from '../config/schema.js';
import { checkNameAndAlias, checkProxyAddresses, defaultAcceptedDomain, findRecipient, findRecipients, organizationCommand, RECIPIENT_SCHEMAS, reducedRecipient, setRecipient } from './recipient-common.js';
import { defaultContext, type ServerContext } from './server-context.js';

const schema = distributionGroupSchema;

const groupIdentity = (mandatory: boolean): ParameterSpec => ({
  name: 'Identity',
  typeName: 'DistributionGroupIdParameter',
  position: 0,
  mandatory,
  valueFromPipeline: true,
  valueFromPipelineByPropertyName: true,
  description: mandatory ? 'Name, alias, email address or GUID of the group.' : 'Name (wildcards allowed), alias, email address or GUID of the group.',
  convert: (v) => (v === null ? null : String((v as { get?: (n: string) => unknown }).get?.('Guid') ?? v)),
});

/** ManagedBy entries resolved to the names of mailboxes. */
function resolveManagers(ctx: ServerContext, values: Record<string, unknown>): void {
  const list = Array.isArray(values.ManagedBy) ? values.ManagedBy.map(String) : [];
  const names: string[] = [];
  for (const m of list) {
    const name = String(findRecipient(ctx, [mailboxSchema], m).values.Name);
    if (!names.some((n) => n.toLowerCase() === name.toLowerCase())) names.push(name);
  }
  values.ManagedBy = names;
}

/** True when `candidate` is `group` or contains it (directly or through nested groups). */
function contains(ctx: ServerContext, candidate: ModelObject, group: ModelObject): boolean {
  const seen = new Set<string>();
  const walk = (g: ModelObject): boolean => {
    if (g.guid === group.guid) return true;
    if (seen.has(g.guid)) return false;
    seen.add(g.guid);
    return groupMemberGuids(g).some((guid) => {
      const nested = ctx.repo.get(schema, guid);
      return nested ? walk(nested) : false;
    });
  };
  return walk(candidate);
}

export function distributionGroupCommands(ctx: ServerContext): CommandSpec[] {
  return [
    organizationCommand(
      ctx,
      {
        name: 'New-DistributionGroup',
        synopsis: 'Creates a distribution group.',
        supportsShouldProcess: true,
        confirmImpact: 'Medium',
        parameters: [
          nameParameter(schema, { position: 0, mandatory: true }),
          ...schemaParameters(schema, 'new', [], defaultContext(ctx)),
          stringListParameter('Members', 'Initial members: mailboxes or groups (name, alias, email address or GUID).'),
          { name: 'Type', typeName: 'GroupType', description: 'Distribution (the only kind Gatehouse has).', convert: (v) => String(v) },
        ],
        examples: [{ code: 'New-DistributionGroup -Name "Sales Team" -Alias sales -Members alice,bob', remarks: 'Mail to sales@<default domain> goes to alice and bob.' }],
      },
      async (args, inv) => {
        if (args.has('Type') && String(args.get('Type')).toLowerCase() !== 'distribution') {
          throw invalidOperation(`The group type ${args.get('Type')} is not supported: Gatehouse has distribution groups only (permissions use directory groups, New-ADGroup).`, 'Type');
        }
        const defaults = defaultContext(ctx);
        const values = defaultValues(schema, defaults);
        const name = String(args.get('Name'));
        values.Name = name;
        applyParameters(schema, values, args, 'new', ctx, defaults);
        values.Alias = values.Alias ?? aliasFromName(name);
        values.DisplayName = values.DisplayName ?? name;
        if (!values.PrimarySmtpAddress) {
          const domain = defaultAcceptedDomain(ctx);
          if (!domain) throw invalidOperation('The organization has no accepted domain to form the email address from. Add one with New-AcceptedDomain, or give -PrimarySmtpAddress.', 'PrimarySmtpAddress');
          values.PrimarySmtpAddress = parseSmtpAddress(`${values.Alias}@${domain}`);
        }
        values.EmailAddresses = [`SMTP:${values.PrimarySmtpAddress}`];
        resolveManagers(ctx, values);
        const memberGuids: string[] = [];
        for (const m of (args.get('Members') as string[] | undefined) ?? []) {
          const r = findRecipient(ctx, RECIPIENT_SCHEMAS, m);
          if (!memberGuids.includes(r.guid)) memberGuids.push(r.guid);
        }
        values.Members = memberGuids;
        checkNameAndAlias(ctx, values, null);
        checkProxyAddresses(ctx, values.EmailAddresses as string[], null, 'PrimarySmtpAddress');
        if (!(await inv.shouldProcess(name, 'Creating distribution group'))) return [];
        const obj = newModelObject(schema, '', values);
        ctx.repo.transaction(() => {
          checkNameAndAlias(ctx, values, null);
          checkProxyAddresses(ctx, values.EmailAddresses as string[], null, 'PrimarySmtpAddress');
          insertObject(ctx, obj);
        });
        return [toPSObject(ctx.repo.get(schema, obj.guid) ?? obj)];
      },
    ),
    organizationCommand(
      ctx,
      {
        name: 'Get-DistributionGroup',
        synopsis: 'Lists distribution groups.',
        parameters: [groupIdentity(false)],
      },
      async (args) => findRecipients(ctx, [schema], args.get('Identity') as string | null | undefined).map((g) => toPSObject(g)),
    ),
    organizationCommand(
      ctx,
      {
        name: 'Set-DistributionGroup',
        synopsis: 'Changes a distribution group: addresses, owners, sender authentication.',
        supportsShouldProcess: true,
        confirmImpact: 'Medium',
        parameters: [groupIdentity(true), nameParameter(schema, {}), ...schemaParameters(schema, 'set')],
      },
      (args, inv) =>
        setRecipient(ctx, schema, args, inv, 'Setting distribution group', {
          prepare: (values) => {
            if (args.has('ManagedBy')) resolveManagers(ctx, values);
          },
        }),
    ),
    organizationCommand(
      ctx,
      {
        name: 'Remove-DistributionGroup',
        synopsis: 'Removes a distribution group (and its membership in other groups).',
        supportsShouldProcess: true,
        confirmImpact: 'High',
        parameters: [groupIdentity(true)],
      },
      async (args, inv) => {
        const obj = findRecipient(ctx, [schema], String(args.get('Identity')));
        if (!(await inv.shouldProcess(String(obj.values.Name), 'Removing distribution group'))) return [];
        ctx.repo.transaction(() => {
          for (const g of ctx.repo.list(schema)) {
            const list = groupMemberGuids(g);
            if (g.guid !== obj.guid && list.includes(obj.guid)) {
              g.values.Members = list.filter((x) => x !== obj.guid);
              updateObject(ctx, g);
            }
          }
          ctx.repo.remove(obj);
        });
        return [];
      },
    ),
    organizationCommand(
      ctx,
      {
        name: 'Get-DistributionGroupMember',
        synopsis: 'Lists the direct members of a distribution group.',
        parameters: [groupIdentity(true)],
      },
      async (args) => {
        const group = findRecipient(ctx, [schema], String(args.get('Identity')));
        return groupMemberGuids(group).flatMap((guid) => {
          const r = ctx.repo.get(mailboxSchema, guid) ?? ctx.repo.get(schema, guid);
          return r ? [reducedRecipient(r)] : [];
        });
      },
    ),
    ...(['Add', 'Remove'] as const).map((verb) =>
      organizationCommand(
        ctx,
        {
          name: `${verb}-DistributionGroupMember`,
          synopsis: `${verb}s a member (mailbox or group) ${verb === 'Add' ? 'to' : 'from'} a distribution group.`,
          supportsShouldProcess: true,
          confirmImpact: verb === 'Remove' ? 'High' : 'Medium',
          parameters: [
            groupIdentity(true),
            {
              name: 'Member',
              typeName: 'RecipientWithAdUserGroupIdParameter',
              mandatory: true,
              description: 'The mailbox or group: name, alias, email address or GUID.',
              convert: (v) => String((v as { get?: (n: string) => unknown })?.get?.('Guid') ?? v),
            },
          ],
        },
        async (args, inv) => {
          const group = findRecipient(ctx, [schema], String(args.get('Identity')));
          const member = findRecipient(ctx, RECIPIENT_SCHEMAS, String(args.get('Member')));
          const list = groupMemberGuids(group);
          if (verb === 'Add') {
            if (list.includes(member.guid)) throw new CmdletError(`The recipient "${member.values.Name}" is already a member of the group "${group.values.Name}".`, { reason: 'MemberAlreadyExistsException', parameter: 'Member' });
            if (member.schema === schema && contains(ctx, member, group)) throw invalidOperation(`The group "${member.values.Name}" cannot be a member of "${group.values.Name}": it is the group itself or contains it.`, 'Member');
          } else if (!list.includes(member.guid)) {
            throw new CmdletError(`The recipient "${member.values.Name}" isn't a member of the group "${group.values.Name}".`, { reason: 'MemberNotFoundException', parameter: 'Member' });
          }
          if (!(await inv.shouldProcess(String(group.values.Name), `${verb === 'Add' ? 'Adding' : 'Removing'} member "${member.values.Name}" ${verb === 'Add' ? 'to' : 'from'} distribution group`))) return [];
          ctx.repo.transaction(() => {
            assertUnchanged(ctx, group);
            group.values.Members = verb === 'Add' ? [...list, member.guid] : list.filter((g) => g !== member.guid);
            updateObject(ctx, group);
          });
          return [];
        },
      ),
    ),
  ];
}

export const distributionGroupViews = [tableView('DistributionGroup', ['Name', 'DisplayName', 'GroupType', 'PrimarySmtpAddress'])];
