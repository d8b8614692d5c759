// Local users and groups of an Edge Transport server (New-LocalUser,
// Add-LocalGroupMember, ...). The seed's Mailbox servers authenticate to the
// Edge with such an account, a member of the local group "Exchange Servers".
// On a Mailbox server these commands explain that accounts live in the
// organization directory instead.

import { localGroupSchema, localUserSchema } from '../config/model/account.js';
import { newModelObject, type ModelObject } from '../store/repository.js';
import { findLocalUser as lookupLocalUser } from '../directory/account-lookup.js';
import type { BoundArguments, CommandSpec, InvocationContext, ParameterSpec } from '../shell/command.js';
import { CmdletError, PSObject } from '../shell/values.js';
import { members, nextSid, secureStringParameter, setPassword, stringListParameter } from './account-support.js';
import { insertObject, tableView, updateObject } from './object-commands.js';
import { toPSObject, typeNamesFor } from './object-output.js';
import { convertForProperty } from './object-parameters.js';
import { defaultValues } from '../config/schema.js';
import { defaultContext, type ServerContext } from './server-context.js';

function userNotFound(name: string): CmdletError {
  return new CmdletError(`User ${name} was not found.`, { category: 'ObjectNotFound', reason: 'UserNotFoundException' });
}
function groupNotFound(name: string): CmdletError {
  return new CmdletError(`Group ${name} was not found.`, { category: 'ObjectNotFound', reason: 'GroupNotFoundException' });
}

function wildcard(pattern: string): RegExp {
  return new RegExp(
    '^' +
      pattern
        .replace(/[.+^${}()|\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.') +
      '$',
    'i',
  );
}

export function findLocalUser(ctx: ServerContext, name: string): ModelObject {
  const u = lookupLocalUser({ role: ctx.role, netbiosName: ctx.name, dnsDomain: ctx.fqdn, repo: ctx.repo }, name);
  if (!u) throw userNotFound(name);
  return u;
}

function findGroup(ctx: ServerContext, name: string): ModelObject {
  const g = ctx.repo.findByName(localGroupSchema, '', name);
  if (!g) throw groupNotFound(name);
  return g;
}

function userOutput(u: ModelObject) {
  const out = toPSObject(u);
  out.set('Identity', String(u.values.Name));
  return out;
}

const prop = (name: string) => localUserSchema.properties.find((p) => p.name === name)!;
const nameParam = (description: string, mandatory = true): ParameterSpec => ({ name: 'Name', typeName: 'String', position: 0, mandatory, valueFromPipelineByPropertyName: true, description, convert: convertForProperty(prop('Name')) });

function requireEdge(ctx: ServerContext, command: string): void {
  if (ctx.role !== 'EdgeTransport') {
    throw new CmdletError(`${command} manages the local accounts of an Edge Transport server. ${ctx.name} is a Mailbox server: its accounts are in the organization directory (New-ADUser, Add-ADGroupMember).`, {
      category: 'InvalidOperation',
      reason: 'InvalidOperationException',
    });
  }
}

function userCommand(ctx: ServerContext, spec: Omit<CommandSpec, 'invoke'>, run: (args: BoundArguments, inv: InvocationContext) => Promise<unknown[] | void>): CommandSpec {
  return {
    ...spec,
    invoke: async (args, inv) => {
      requireEdge(ctx, spec.name);
      return run(args, inv);
    },
  };
}

export function localAccountCommands(ctx: ServerContext): CommandSpec[] {
  const describeParams: ParameterSpec[] = [
    { name: 'Description', typeName: 'String', description: 'Description of the account (at most 48 characters).', convert: convertForProperty(prop('Description')) },
    { name: 'FullName', typeName: 'String', description: 'Full name of the user.', convert: convertForProperty(prop('FullName')) },
  ];
  return [
    userCommand(
      ctx,
      {
        name: 'New-LocalUser',
        synopsis: 'Creates a local user account on this Edge server (used by Mailbox servers to authenticate with Basic auth).',
        supportsShouldProcess: true,
        confirmImpact: 'Medium',
        parameters: [
          nameParam('Name of the new account.'),
          secureStringParameter('Password', 'Password as a SecureString: (ConvertTo-SecureString "..." -AsPlainText -Force) or (Read-Host -AsSecureString).', { sets: ['Password'], mandatory: ['Password'] }),
          { name: 'NoPassword', typeName: 'SwitchParameter', switch: true, sets: ['NoPassword'], mandatory: ['NoPassword'], description: 'Create the account without a password (it cannot authenticate until one is set).' },
          ...describeParams,
          { name: 'Disabled', typeName: 'SwitchParameter', switch: true, description: 'Create the account disabled.' },
        ],
        defaultParameterSet: 'Password',
        examples: [
          { code: '$pw = Read-Host -AsSecureString\nNew-LocalUser -Name mbxrelay -Password $pw\nAdd-LocalGroupMember -Group "Exchange Servers" -Member mbxrelay', remarks: 'An account for the Mailbox servers\' "To Edge" Send connector.' },
        ],
      },
      async (args, inv) => {
        const values = defaultValues(localUserSchema, defaultContext(ctx));
        values.Name = args.get('Name');
        if (args.has('Description')) values.Description = args.get('Description');
        if (args.has('FullName')) values.FullName = args.get('FullName');
        values.Enabled = args.get('Disabled') !== true;
        if (args.has('Password')) await setPassword(values, args.get('Password'));
        if (!(await inv.shouldProcess(String(values.Name), 'Creating local user'))) return [];
        const user = newModelObject(localUserSchema, '', values);
        ctx.repo.transaction(() => {
          values.SID = nextSid(ctx);
          insertObject(ctx, user);
        });
        return [userOutput(user)];
      },
    ),
    userCommand(
      ctx,
      {
        name: 'Get-LocalUser',
        synopsis: 'Lists local user accounts (wildcards allowed).',
        parameters: [{ name: 'Name', typeName: 'String[]', position: 0, description: 'Names or wildcard patterns.', convert: (v) => (Array.isArray(v) ? v : [v]).map(String) }],
      },
      async (args) => {
        const all = ctx.repo.list(localUserSchema);
        if (!args.has('Name')) return all.map(userOutput);
        const out: unknown[] = [];
        for (const pattern of args.get('Name') as string[]) {
          const hit = all.filter((u) => wildcard(pattern).test(String(u.values.Name)));
          if (hit.length === 0 && !/[*?]/.test(pattern)) throw userNotFound(pattern);
          out.push(...hit.map(userOutput));
        }
        return out;
      },
    ),
    userCommand(
      ctx,
      {
        name: 'Set-LocalUser',
        synopsis: 'Changes a local user account (password, description, full name).',
        supportsShouldProcess: true,
        confirmImpact: 'Medium',
        parameters: [nameParam('The account to change.'), secureStringParameter('Password', 'New password as a SecureString.'), ...describeParams],
      },
      async (args, inv) => {
        const user = findLocalUser(ctx, String(args.get('Name')));
        if (args.has('Description')) user.values.Description = args.get('Description');
        if (args.has('FullName')) user.values.FullName = args.get('FullName');
        if (args.has('Password')) await setPassword(user.values, args.get('Password'));
        if (!(await inv.shouldProcess(String(user.values.Name), 'Modify local user'))) return [];
        updateObject(ctx, user);
        return [];
      },
    ),
    ...(['Enable', 'Disable'] as const).map((verb) =>
      userCommand(
        ctx,
        {
          name: `${verb}-LocalUser`,
          synopsis: `${verb}s a local user account.`,
          supportsShouldProcess: true,
          confirmImpact: 'Medium',
          parameters: [nameParam(`The account to ${verb.toLowerCase()}.`)],
        },
        async (args, inv) => {
          const user = findLocalUser(ctx, String(args.get('Name')));
          if (!(await inv.shouldProcess(String(user.values.Name), `${verb} local user`))) return [];
          user.values.Enabled = verb === 'Enable';
          updateObject(ctx, user);
          return [];
        },
      ),
    ),
    userCommand(
      ctx,
      {
        name: 'Remove-LocalUser',
        synopsis: 'Deletes a local user account (and its group memberships).',
        supportsShouldProcess: true,
        confirmImpact: 'High',
        parameters: [nameParam('The account to delete.')],
      },
      async (args, inv) => {
        const user = findLocalUser(ctx, String(args.get('Name')));
        if (!(await inv.shouldProcess(String(user.values.Name), 'Remove local user'))) return [];
        ctx.repo.transaction(() => {
          for (const g of ctx.repo.list(localGroupSchema)) {
            if (members(g).includes(user.guid)) {
              g.values.Members = members(g).filter((m) => m !== user.guid);
              updateObject(ctx, g);
            }
          }
          ctx.repo.remove(user);
          ctx.logons.remove(user.guid);
        });
        return [];
      },
    ),
    userCommand(
      ctx,
      {
        name: 'Get-LocalGroup',
        synopsis: 'Lists local groups.',
        parameters: [{ name: 'Name', typeName: 'String', position: 0, description: 'Group name or wildcard pattern.' }],
      },
      async (args) => {
        const all = ctx.repo.list(localGroupSchema);
        const pattern = args.has('Name') ? String(args.get('Name')) : '*';
        const hit = all.filter((g) => wildcard(pattern).test(String(g.values.Name)));
        if (hit.length === 0 && !/[*?]/.test(pattern)) throw groupNotFound(pattern);
        return hit.map((g) => {
          const o = toPSObject(g);
          o.set('Identity', String(g.values.Name));
          return o;
        });
      },
    ),
    userCommand(
      ctx,
      {
        name: 'Get-LocalGroupMember',
        synopsis: 'Lists the members of a local group.',
        parameters: [{ name: 'Group', typeName: 'String', position: 0, mandatory: true, description: 'The group.' }],
      },
      async (args) => {
        const group = findGroup(ctx, String(args.get('Group')));
        return members(group).flatMap((guid) => {
          const u = ctx.repo.get(localUserSchema, guid);
          return u
            ? [
                new PSObject(typeNamesFor('LocalPrincipal'), [
                  ['ObjectClass', 'User'],
                  ['Name', `${ctx.name}\\${u.values.Name}`],
                  ['PrincipalSource', 'Local'],
                  ['SID', u.values.SID],
                ]),
              ]
            : [];
        });
      },
    ),
    ...(['Add', 'Remove'] as const).map((verb) =>
      userCommand(
        ctx,
        {
          name: `${verb}-LocalGroupMember`,
          synopsis: `${verb}s users ${verb === 'Add' ? 'to' : 'from'} a local group (e.g. "Exchange Servers").`,
          supportsShouldProcess: true,
          confirmImpact: 'Medium',
          parameters: [{ name: 'Group', typeName: 'String', position: 0, mandatory: true, description: 'The group, e.g. "Exchange Servers".' }, stringListParameter('Member', 'User names.', { position: 1, mandatory: true })],
        },
        async (args, inv) => {
          const group = findGroup(ctx, String(args.get('Group')));
          const list = members(group);
          for (const name of args.get('Member') as string[]) {
            const user = findLocalUser(ctx, name);
            const isMember = list.includes(user.guid);
            if (verb === 'Add' && isMember) {
              inv.writeError(new CmdletError(`${ctx.name}\\${user.values.Name} is already a member of group ${group.values.Name}.`, { category: 'ResourceExists', reason: 'MemberExistsException' }));
              continue;
            }
            if (verb === 'Remove' && !isMember) {
              inv.writeError(new CmdletError(`${ctx.name}\\${user.values.Name} was not found in group ${group.values.Name}.`, { category: 'ObjectNotFound', reason: 'MemberNotFoundException' }));
              continue;
            }
            if (!(await inv.shouldProcess(String(group.values.Name), `${verb} member ${user.values.Name}`))) continue;
            if (verb === 'Add') list.push(user.guid);
            else list.splice(list.indexOf(user.guid), 1);
          }
          group.values.Members = list;
          updateObject(ctx, group);
          return [];
        },
      ),
    ),
  ];
}

export const localAccountViews = [tableView('LocalUser', ['Name', 'Enabled', 'Description']), tableView('LocalGroup', ['Name', 'Description']), tableView('LocalPrincipal', ['ObjectClass', 'Name', 'PrincipalSource'])];
