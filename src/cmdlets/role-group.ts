// Get-RoleGroup, Get-RoleGroupMember, Add-RoleGroupMember and
// Remove-RoleGroupMember (spec exchange-management.md, 2.2), and the creation
// of the built-in role groups: at setup (the organization store on Mailbox
// servers, server.db on an Edge), and when a shell first opens a store that was
// set up before role groups existed. A member is a user or a security group of
// the server's account source (the directory on Mailbox servers, the local
// accounts on an Edge), kept as its GUID; a mailbox names its user account.
//
// The account that sets up the organization: Gatehouse's setup runs as an
// operating-system user, not a directory account, so "Organization Management"
// starts without members; that user owns the server folder and its local shell
// has every right (rbac.ts). It adds the administrators who manage remotely with
// Add-RoleGroupMember "Organization Management" -Member <account>.

import { BUILT_IN_ROLE_GROUPS, roleGroupSchema } from '../config/model/role-group.js';
import { mailboxSchema } from '../config/model/recipient.js';
import { ConversionError, type CommandSpec, type ParameterSpec } from '../shell/command.js';
import { CmdletError, PSObject } from '../shell/values.js';
import { newModelObject, type ModelObject } from '../store/repository.js';
import { Unlimited } from '../config/types/index.js';
import { distinguishedName } from '../directory/account-lookup.js';
import { members } from './account-support.js';
import { assertUnchanged, tableView, updateObject } from './object-commands.js';
import { findObjects, findObject, identityParameter } from './object-identity.js';
import { toPSObject } from './object-output.js';
import { memberSchemas } from './rbac.js';
import type { ServerContext } from './server-context.js';

/** The built-in role groups not yet in the store (all of them for a new one). */
function missingGroups(ctx: ServerContext): (typeof BUILT_IN_ROLE_GROUPS)[number][] {
  const have = new Set(ctx.repo.list(roleGroupSchema).map((g) => String(g.values.Name).toLowerCase()));
  return BUILT_IN_ROLE_GROUPS.filter((g) => !have.has(g.name.toLowerCase()));
}

/** Creates the built-in role groups that are missing, in one transaction; a store that has them all is only read. */
export function ensureBuiltInRoleGroups(ctx: ServerContext): void {
  if (missingGroups(ctx).length === 0) return;
  ctx.repo.transaction(() => {
    for (const g of missingGroups(ctx)) {
      ctx.repo.insert(newModelObject(roleGroupSchema, '', { Name: g.name, Description: g.description, Roles: [...g.roles], RoleGroupType: 'Standard', Members: [] }));
    }
  });
}

function accountName(ctx: ServerContext, obj: ModelObject): string {
  return ctx.role === 'EdgeTransport' ? `${ctx.name}\\${obj.values.Name}` : String(obj.values.Name);
}

/** The member objects of a group that still exist (a removed account drops out). */
function memberObjects(ctx: ServerContext, group: ModelObject): ModelObject[] {
  const { user, group: groupSchema } = memberSchemas(ctx);
  return members(group).flatMap((guid) => {
    const m = ctx.repo.get(user, guid) ?? ctx.repo.get(groupSchema, guid);
    return m ? [m] : [];
  });
}

/** A user or security group by name, DOMAIN\name, UPN, SID, distinguished name or GUID; or a mailbox, for its user account. */
function findMember(ctx: ServerContext, identity: string): ModelObject {
  const { user, group } = memberSchemas(ctx);
  const domain = (ctx.role === 'EdgeTransport' ? ctx.name : ctx.directory.netbiosName).toLowerCase();
  const slash = identity.indexOf('\\');
  const bare = slash >= 0 && identity.slice(0, slash).toLowerCase() === domain ? identity.slice(slash + 1) : identity;
  const id = bare.toLowerCase();
  const keys = (o: ModelObject) => [o.guid, o.values.Name, o.values.SamAccountName, o.values.UserPrincipalName, o.values.SID, ctx.role === 'Mailbox' ? distinguishedName(ctx.directory.dnsDomain, String(o.values.Name)) : null];
  const hits = [...ctx.repo.list(user), ...ctx.repo.list(group)].filter((o) => keys(o).some((k) => k !== null && k !== undefined && String(k).toLowerCase() === id));
  if (hits.length === 1) return hits[0];
  if (hits.length > 1) throw new CmdletError(`The operation couldn't be performed because '${identity}' matches multiple entries.`, { reason: 'ManagementObjectAmbiguousException', parameter: 'Member' });
  if (ctx.role === 'Mailbox') {
    const mbx = ctx.repo.list(mailboxSchema).find((m) => [m.guid, m.values.Name, m.values.Alias, m.values.PrimarySmtpAddress].some((k) => k !== null && k !== undefined && String(k).toLowerCase() === id));
    const owner = mbx && typeof mbx.values.AccountGuid === 'string' ? ctx.repo.get(user, mbx.values.AccountGuid) : undefined;
    if (owner) return owner;
  }
  const where = ctx.role === 'EdgeTransport' ? 'local users and groups' : "the directory's users and groups";
  throw new CmdletError(`The operation couldn't be performed because object '${identity}' couldn't be found on '${ctx.fqdn}'. A role group member is one of ${where}.`, { reason: 'ManagementObjectNotFoundException', parameter: 'Member' });
}

function recipientType(ctx: ServerContext, obj: ModelObject): string {
  if (obj.schema === memberSchemas(ctx).group) return ctx.role === 'EdgeTransport' ? 'Group' : 'UniversalSecurityGroup';
  const mailbox = ctx.role === 'Mailbox' && ctx.repo.list(mailboxSchema).some((m) => m.values.AccountGuid === obj.guid);
  return mailbox ? 'UserMailbox' : 'User';
}

function memberOutput(ctx: ServerContext, obj: ModelObject): PSObject {
  return new PSObject(
    ['ReducedRecipient', 'RoleGroupMember'],
    [
      ['Name', obj.values.Name],
      ['RecipientType', recipientType(ctx, obj)],
      ['DisplayName', obj.values.DisplayName ?? obj.values.Name],
      ['SamAccountName', obj.values.SamAccountName ?? obj.values.Name],
      ['Identity', accountName(ctx, obj)],
      ['Guid', obj.guid],
    ],
  );
}

function groupOutput(ctx: ServerContext, g: ModelObject): PSObject {
  const roles = Array.isArray(g.values.Roles) ? g.values.Roles.map(String) : [];
  return toPSObject(g, {
    AssignedRoles: roles,
    RoleAssignments: roles.map((r) => `${r}-${g.values.Name}`),
    ManagedBy: [],
    Members: memberObjects(ctx, g).map((m) => accountName(ctx, m)),
    DisplayName: g.values.Name,
    LinkedGroup: null,
    Capabilities: [],
  });
}

function resultSizeParameter(defaultText: string): ParameterSpec {
  return {
    name: 'ResultSize',
    typeName: 'Unlimited',
    description: `Most objects returned (default ${defaultText}), or Unlimited.`,
    defaultValue: defaultText,
    convert: (v) => {
      try {
        return Unlimited.parse(v, (x) => {
          const n = Number(x);
          if (!Number.isInteger(n) || n < 1) throw new Error(`The value ${String(x)} is not valid for ResultSize: give a whole number of 1 or more, or Unlimited.`);
          return n;
        });
      } catch (err) {
        throw new ConversionError((err as Error).message);
      }
    },
  };
}

function limitOf(v: unknown, fallback: number): number {
  const u = v as Unlimited<number> | undefined;
  return u ? (u.isUnlimited ? Number.MAX_SAFE_INTEGER : u.value) : fallback;
}

const memberParameter: ParameterSpec = {
  name: 'Member',
  typeName: 'SecurityPrincipalIdParameter',
  mandatory: true,
  description: 'The user or security group: name, DOMAIN\\name, user principal name, SID or GUID (or a mailbox, for its user account).',
  convert: (v) => (v instanceof PSObject ? String(v.get('ObjectGUID') ?? v.get('Guid') ?? v.get('Name')) : String(v)),
};

export function roleGroupCommands(ctx: ServerContext): CommandSpec[] {
  return [
    {
      name: 'Get-RoleGroup',
      synopsis: 'Lists the management role groups: their assigned roles and members.',
      parameters: [identityParameter('RoleGroupIdParameter', false), resultSizeParameter('Unlimited')],
      examples: [{ code: 'Get-RoleGroup "Organization Management" | Format-List Name,Members,AssignedRoles', remarks: 'Who may do everything, and the roles the group holds.' }],
      invoke: (args) => {
        ensureBuiltInRoleGroups(ctx);
        return findObjects(ctx, roleGroupSchema, args.get('Identity') as string | null | undefined)
          .slice(0, limitOf(args.get('ResultSize'), Number.MAX_SAFE_INTEGER))
          .map((g) => groupOutput(ctx, g));
      },
    },
    {
      name: 'Get-RoleGroupMember',
      synopsis: 'Lists the members of a management role group.',
      parameters: [{ ...identityParameter('RoleGroupMemberIdParameter', true), description: 'The role group: its name or GUID.' }, resultSizeParameter('1000')],
      examples: [{ code: 'Get-RoleGroupMember "Recipient Management"', remarks: 'The accounts that manage recipients.' }],
      invoke: (args) => {
        ensureBuiltInRoleGroups(ctx);
        const group = findObject(ctx, roleGroupSchema, String(args.get('Identity')));
        return memberObjects(ctx, group)
          .slice(0, limitOf(args.get('ResultSize'), 1000))
          .map((m) => memberOutput(ctx, m));
      },
    },
    ...(['Add', 'Remove'] as const).map((verb): CommandSpec => ({
      name: `${verb}-RoleGroupMember`,
      synopsis: verb === 'Add' ? "Adds a user or security group to a management role group: it gets the rights of the group's roles." : 'Removes a member from a management role group: it loses the rights it had only through the group.',
      supportsShouldProcess: true,
      confirmImpact: verb === 'Remove' ? 'High' : 'Medium',
      parameters: [
        { ...identityParameter('RoleGroupIdParameter', true), description: 'The role group: its name or GUID.' },
        memberParameter,
        { name: 'BypassSecurityGroupManagerCheck', typeName: 'SwitchParameter', switch: true, description: 'Change a group you do not manage (the built-in role groups have no ManagedBy, so any caller with the Role Management role may).' },
      ],
      examples: [{ code: `${verb}-RoleGroupMember "Recipient Management" -Member david`, remarks: verb === 'Add' ? 'david may then manage mailboxes, groups and accounts.' : 'david no longer manages recipients through this group.' }],
      invoke: async (args, inv) => {
        ensureBuiltInRoleGroups(ctx);
        const group = findObject(ctx, roleGroupSchema, String(args.get('Identity')));
        const member = findMember(ctx, String(args.get('Member')));
        const list = members(group);
        const name = accountName(ctx, member);
        if (verb === 'Add' && list.includes(member.guid)) {
          throw new CmdletError(`The recipient "${name}" is already a member of the group "${group.values.Name}".`, { reason: 'MemberAlreadyExistsException', parameter: 'Member' });
        }
        if (verb === 'Remove' && !list.includes(member.guid)) {
          throw new CmdletError(`The recipient "${name}" isn't a member of the group "${group.values.Name}".`, { reason: 'MemberNotFoundException', parameter: 'Member' });
        }
        if (!(await inv.shouldProcess(String(group.values.Name), `${verb === 'Add' ? 'Adding' : 'Removing'} member "${name}" ${verb === 'Add' ? 'to' : 'from'} role group`))) return [];
        ctx.repo.transaction(() => {
          assertUnchanged(ctx, group);
          group.values.Members = verb === 'Add' ? [...list, member.guid] : list.filter((m) => m !== member.guid);
          updateObject(ctx, group);
        });
        return [];
      },
    })),
  ];
}

export const roleGroupViews = [tableView('RoleGroup', ['Name', 'AssignedRoles', 'RoleAssignments', 'ManagedBy'])];
