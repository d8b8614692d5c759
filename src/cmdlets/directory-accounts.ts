// The organization directory's users and groups (New-ADUser, Get-ADUser,
// Set-ADAccountPassword, Add-ADGroupMember, ...), used on Mailbox servers. The
// Edge's "To Internal Org" Send connector authenticates with such an account,
// a member of the universal group "Exchange Servers". Accounts lock out under
// the domain's policy (password-policy.ts): Get-ADUser -Properties LockedOut
// shows it, Unlock-ADAccount ends it. An Edge server is not part of the
// directory: there these commands say so and point to the local account
// commands (and to `net` for lockout). New-ADUser/Set-ADUser -LogonWorkstations
// restricts an account to listed computers (directory/logon-workstations.ts).

import { adGroupSchema, adUserSchema } from '../config/model/account.js';
import { mailboxSchema } from '../config/model/recipient.js';
import { verifyPassword } from '../secrets/password-hash.js';
import { fileTime, isLockedOut } from '../directory/account-lockout.js';
import { distinguishedName, findDirectoryUser, type DirectoryScope } from '../directory/account-lookup.js';
import { newModelObject, type ModelObject } from '../store/repository.js';
import type { BoundArguments, CommandSpec, InvocationContext, ParameterSpec } from '../shell/command.js';
import { CmdletError, PSObject } from '../shell/values.js';
import { members, nextSid, secureStringParameter, setPassword, stringListParameter } from './account-support.js';
import { insertObject, updateObject } from './object-commands.js';
import { convertForProperty } from './object-parameters.js';
import { defaultValues } from '../config/schema.js';
import { defaultContext, type ServerContext } from './server-context.js';
import { currentLockoutPolicy, unlock } from './lockout-support.js';
import { typeNamesFor } from './object-output.js';

const userProp = (name: string) => adUserSchema.properties.find((p) => p.name === name)!;

function scope(ctx: ServerContext): DirectoryScope {
  return { role: ctx.role, netbiosName: ctx.directory.netbiosName, dnsDomain: ctx.directory.dnsDomain, repo: ctx.repo };
}

function dn(ctx: ServerContext, name: string): string {
  return distinguishedName(ctx.directory.dnsDomain, name);
}

function cannotFind(identity: string, ctx: ServerContext): CmdletError {
  const base = ctx.directory.dnsDomain
    .split('.')
    .map((l) => `DC=${l}`)
    .join(',');
  return new CmdletError(`Cannot find an object with identity: '${identity}' under: '${base}'.`, { category: 'ObjectNotFound', reason: 'ADIdentityNotFoundException' });
}

/** Finds a user by sAMAccountName, DOMAIN\sam, UPN, distinguished name, GUID, SID or name. */
export function findADUser(ctx: ServerContext, identity: string): ModelObject | undefined {
  return findDirectoryUser(scope(ctx), identity);
}

function requireUser(ctx: ServerContext, identity: string): ModelObject {
  const u = findADUser(ctx, identity);
  if (!u) throw cannotFind(identity, ctx);
  return u;
}

function findGroup(ctx: ServerContext, identity: string): ModelObject {
  const id = identity.toLowerCase();
  const g = ctx.repo.list(adGroupSchema).find((x) => [x.values.Name, x.values.SamAccountName, x.values.SID, x.guid, dn(ctx, String(x.values.Name))].some((v) => String(v).toLowerCase() === id));
  if (!g) throw cannotFind(identity, ctx);
  return g;
}

/**
 * Get-ADUser's extended properties (-Properties), as Active Directory names them: the lockout
 * state (LockedOut, BadLogonCount/badPwdCount, LastBadPasswordAttempt/badPasswordTime,
 * AccountLockoutTime/lockoutTime as FILETIME), and what else the account records.
 */
const EXTENDED: Record<string, (ctx: ServerContext, u: ModelObject, now: number) => unknown> = {
  AccountLockoutTime: (ctx, u) => dateOrNull(ctx.logons.get(u.guid)?.lockoutTime ?? null),
  CanonicalName: (ctx, u) => `${ctx.directory.dnsDomain}/Users/${u.values.Name}`,
  EmailAddress: (ctx, u) => ownedMailbox(ctx, u)?.values.PrimarySmtpAddress?.toString() ?? null,
  mail: (ctx, u) => ownedMailbox(ctx, u)?.values.PrimarySmtpAddress?.toString() ?? null,
  MemberOf: (ctx, u) =>
    ctx.repo
      .list(adGroupSchema)
      .filter((g) => members(g).includes(u.guid))
      .map((g) => dn(ctx, String(g.values.Name))),
  proxyAddresses: (ctx, u) => {
    const m = ownedMailbox(ctx, u);
    return Array.isArray(m?.values.EmailAddresses) ? m.values.EmailAddresses.map(String) : [];
  },
  BadLogonCount: (ctx, u) => ctx.logons.get(u.guid)?.badPwdCount ?? 0,
  badPasswordTime: (ctx, u) => fileTime(ctx.logons.get(u.guid)?.badPasswordTime ?? null),
  badPwdCount: (ctx, u) => ctx.logons.get(u.guid)?.badPwdCount ?? 0,
  Created: (_ctx, u) => u.whenCreated,
  Description: (_ctx, u) => u.values.Description ?? null,
  DisplayName: (_ctx, u) => u.values.DisplayName ?? null,
  LastBadPasswordAttempt: (ctx, u) => dateOrNull(ctx.logons.get(u.guid)?.badPasswordTime ?? null),
  LogonWorkstations: (_ctx, u) => u.values.LogonWorkstations ?? null,
  userWorkstations: (_ctx, u) => u.values.LogonWorkstations ?? null,
  LockedOut: (ctx, u, now) => {
    const s = ctx.logons.get(u.guid);
    return s !== undefined && isLockedOut(s, currentLockoutPolicy(ctx), now);
  },
  lockoutTime: (ctx, u) => {
    const s = ctx.logons.get(u.guid);
    return s === undefined ? null : fileTime(s.lockoutTime);
  },
  Modified: (_ctx, u) => u.whenChanged,
  PasswordLastSet: (_ctx, u) => {
    const v = u.values.PasswordLastSet;
    return v instanceof Date ? v : v ? new Date(String(v)) : null;
  },
  whenChanged: (_ctx, u) => u.whenChanged,
  whenCreated: (_ctx, u) => u.whenCreated,
};

/** The mailbox this directory user owns (Mailbox servers), if any. */
function ownedMailbox(ctx: ServerContext, u: ModelObject): ModelObject | undefined {
  return ctx.role === 'Mailbox' ? ctx.repo.list(mailboxSchema).find((m) => m.values.AccountGuid === u.guid) : undefined;
}

function dateOrNull(ms: number | null): Date | null {
  return ms === null ? null : new Date(ms);
}

/** The names -Properties asks for, in their canonical casing ('*' = all); an unknown name is refused as AD does. */
function extendedNames(requested: string[]): string[] {
  const names = Object.keys(EXTENDED);
  const out = new Set<string>();
  for (const r of requested) {
    if (r.trim() === '*') {
      names.forEach((n) => out.add(n));
      continue;
    }
    const hit = names.find((n) => n.toLowerCase() === r.trim().toLowerCase());
    if (hit) {
      out.add(hit);
      continue;
    }
    if (['distinguishedname', 'enabled', 'givenname', 'name', 'objectclass', 'objectguid', 'samaccountname', 'sid', 'surname', 'userprincipalname'].includes(r.trim().toLowerCase())) continue;
    throw new CmdletError(`One or more properties are invalid. Parameter name: ${r}. Gatehouse's directory users have, besides the default ones: ${names.join(', ')} (or * for all).`, {
      category: 'InvalidArgument',
      reason: 'ArgumentException',
      parameter: 'Properties',
    });
  }
  return [...out];
}

function userOutput(ctx: ServerContext, u: ModelObject, extended: string[] = []): PSObject {
  const now = Date.now();
  const props: [string, unknown][] = [
    ['DistinguishedName', dn(ctx, String(u.values.Name))],
    ['Enabled', u.values.Enabled === true],
    ['GivenName', u.values.GivenName ?? null],
    ['Name', u.values.Name],
    ['ObjectClass', 'user'],
    ['ObjectGUID', u.guid],
    ['SamAccountName', u.values.SamAccountName],
    ['SID', u.values.SID],
    ['Surname', u.values.Surname ?? null],
    ['UserPrincipalName', u.values.UserPrincipalName ?? null],
    ...extended.map((n): [string, unknown] => [n, EXTENDED[n](ctx, u, now)]),
  ];
  // Active Directory lists a user's properties in alphabetical order.
  props.sort(([a], [b]) => (a.toLowerCase() < b.toLowerCase() ? -1 : a.toLowerCase() > b.toLowerCase() ? 1 : 0));
  return new PSObject(typeNamesFor('ADUser'), props);
}

function principalOutput(ctx: ServerContext, u: ModelObject): PSObject {
  return new PSObject(typeNamesFor('ADPrincipal'), [
    ['distinguishedName', dn(ctx, String(u.values.Name))],
    ['name', u.values.Name],
    ['objectClass', 'user'],
    ['objectGUID', u.guid],
    ['SamAccountName', u.values.SamAccountName],
    ['SID', u.values.SID],
  ]);
}

/** -Filter for Get-ADUser: `*` or one comparison `Property -eq|-ne|-like|-notlike 'value'`. */
function filterUsers(users: ModelObject[], filter: string): ModelObject[] {
  if (filter.trim() === '*') return users;
  const m = /^\s*(\w+)\s+-(eq|ne|like|notlike)\s+(?:'([^']*)'|"([^"]*)"|(\S+))\s*$/i.exec(filter);
  if (!m)
    throw new CmdletError(`Error parsing query: '${filter}'. Gatehouse supports -Filter * and a single comparison such as "SamAccountName -eq 'edgeauth'" or "Name -like 'edge*'".`, {
      category: 'ParserError',
      reason: 'ADFilterParsingException',
      parameter: 'Filter',
    });
  const [, propName, op, a, b, c] = m;
  const value = (a ?? b ?? c ?? '').toLowerCase();
  const re = new RegExp('^' + value.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*') + '$', 'i');
  return users.filter((u) => {
    const key = Object.keys(u.values).find((k) => k.toLowerCase() === propName.toLowerCase());
    const actual = String(key ? (u.values[key] ?? '') : '').toLowerCase();
    switch (op.toLowerCase()) {
      case 'eq':
        return actual === value;
      case 'ne':
        return actual !== value;
      case 'like':
        return re.test(actual);
      default:
        return !re.test(actual);
    }
  });
}

function requireMailbox(ctx: ServerContext, command: string): void {
  if (ctx.role !== 'Mailbox') {
    const instead =
      command === 'Unlock-ADAccount'
        ? 'To unlock a local account here: net user NAME /active:yes (net user NAME shows "Account active  Locked").'
        : command === 'Get-ADUser'
          ? 'Use the local account commands here: Get-LocalUser, and net user NAME for its lockout state.'
          : 'Use the local account commands here: New-LocalUser, Add-LocalGroupMember.';
    throw new CmdletError(`${command} manages the organization directory, which an Edge Transport server (${ctx.name}) is not part of. ${instead}`, { category: 'InvalidOperation', reason: 'InvalidOperationException' });
  }
}

function adCommand(ctx: ServerContext, spec: Omit<CommandSpec, 'invoke'>, run: (args: BoundArguments, inv: InvocationContext) => Promise<unknown[] | void>): CommandSpec {
  return {
    ...spec,
    invoke: async (args, inv) => {
      requireMailbox(ctx, spec.name);
      return run(args, inv);
    },
  };
}

const identity = (description: string): ParameterSpec => ({
  name: 'Identity',
  typeName: 'ADUser',
  position: 0,
  mandatory: true,
  valueFromPipeline: true,
  description,
  convert: (v) => (v instanceof PSObject ? String(v.get('ObjectGUID') ?? v.get('SamAccountName')) : String(v)),
});

export function directoryCommands(ctx: ServerContext): CommandSpec[] {
  const logonWorkstations: ParameterSpec = {
    name: 'LogonWorkstations',
    typeName: 'String',
    convert: convertForProperty(userProp('LogonWorkstations')),
    description:
      'The computers the account may log on from, one comma-separated string ("EDGE01,EDGE02"): NetBIOS names (the directory\'s DNS domain is appended) or DNS names, resolved when the account logs on; $null or "" = any computer.',
  };
  const optional = ['SamAccountName', 'UserPrincipalName', 'GivenName', 'Surname', 'DisplayName', 'Description'].map((n): ParameterSpec => ({
    name: n,
    typeName: 'String',
    description: userProp(n).description,
    convert: convertForProperty(userProp(n)),
  }));
  return [
    adCommand(
      ctx,
      {
        name: 'New-ADUser',
        synopsis: 'Creates a user in the organization directory.',
        supportsShouldProcess: true,
        confirmImpact: 'Medium',
        parameters: [
          { name: 'Name', typeName: 'String', position: 0, mandatory: true, description: userProp('Name').description, convert: convertForProperty(userProp('Name')) },
          ...optional,
          secureStringParameter('AccountPassword', 'Password as a SecureString.'),
          { name: 'Enabled', typeName: 'Boolean', description: 'Enable the account ($false by default, as in Active Directory).', convert: convertForProperty(userProp('Enabled')) },
          logonWorkstations,
          { name: 'PassThru', typeName: 'SwitchParameter', switch: true, description: 'Output the new user.' },
        ],
        examples: [
          {
            code: 'New-ADUser -Name EdgeAuth -SamAccountName edgeauth -AccountPassword (Read-Host -AsSecureString) -Enabled $true\nAdd-ADGroupMember -Identity "Exchange Servers" -Members edgeauth',
            remarks: 'The account the Edge\'s "To Internal Org" connector authenticates with.',
          },
        ],
      },
      async (args, inv) => {
        const values = defaultValues(adUserSchema, defaultContext(ctx));
        values.Name = args.get('Name');
        values.SamAccountName = args.get('SamAccountName') ?? userProp('SamAccountName').parse(String(args.get('Name')).slice(0, 20));
        for (const p of optional) if (p.name !== 'SamAccountName' && args.has(p.name)) values[p.name] = args.get(p.name);
        if (args.has('Enabled')) values.Enabled = args.get('Enabled');
        if (args.has('LogonWorkstations')) values.LogonWorkstations = args.get('LogonWorkstations');
        if (values.Enabled === true && !args.has('AccountPassword'))
          throw new CmdletError('An enabled account needs a password: add -AccountPassword (Read-Host -AsSecureString).', { category: 'InvalidOperation', reason: 'ADPasswordComplexityException', parameter: 'AccountPassword' });
        if (args.has('AccountPassword')) await setPassword(values, args.get('AccountPassword'));
        if (findADUser(ctx, String(values.SamAccountName)))
          throw new CmdletError(`The specified account already exists: ${values.SamAccountName}.`, { category: 'NotSpecified', reason: 'ADIdentityAlreadyExistsException', parameter: 'SamAccountName' });
        if (!(await inv.shouldProcess(dn(ctx, String(values.Name)), 'New'))) return [];
        const user = newModelObject(adUserSchema, '', values);
        ctx.repo.transaction(() => {
          values.SID = nextSid(ctx);
          insertObject(ctx, user);
        });
        return args.get('PassThru') === true ? [userOutput(ctx, user)] : [];
      },
    ),
    adCommand(
      ctx,
      {
        name: 'Get-ADUser',
        synopsis: 'Gets directory users by identity or with -Filter.',
        parameters: [
          { ...identity('sAMAccountName, DOMAIN\\name, UPN, distinguished name, GUID or SID.'), mandatory: ['Identity'], sets: ['Identity'] },
          { name: 'Filter', typeName: 'String', mandatory: ['Filter'], sets: ['Filter'], description: '* or one comparison, e.g. "SamAccountName -eq \'edgeauth\'".' },
          stringListParameter('Properties', `Extended properties to show as well (* for all): ${Object.keys(EXTENDED).join(', ')}.`, { aliases: ['Property'] }),
        ],
        defaultParameterSet: 'Identity',
      },
      async (args) => {
        const extended = args.has('Properties') ? extendedNames(args.get('Properties') as string[]) : [];
        if (args.has('Filter')) return filterUsers(ctx.repo.list(adUserSchema), String(args.get('Filter'))).map((u) => userOutput(ctx, u, extended));
        return [userOutput(ctx, requireUser(ctx, String(args.get('Identity'))), extended)];
      },
    ),
    adCommand(
      ctx,
      {
        name: 'Set-ADUser',
        synopsis: 'Changes a directory user: its names, description, whether it is enabled, and the computers it may log on from.',
        supportsShouldProcess: true,
        confirmImpact: 'Medium',
        parameters: [
          identity('sAMAccountName, DOMAIN\\name, UPN, distinguished name, GUID or SID.'),
          ...optional.map((p) => ({ ...p, convert: convertForProperty(userProp(p.name)) })),
          { name: 'Enabled', typeName: 'Boolean', description: 'Enable or disable the account.', convert: convertForProperty(userProp('Enabled')) },
          logonWorkstations,
          { name: 'PassThru', typeName: 'SwitchParameter', switch: true, description: 'Output the user.' },
        ],
        examples: [
          { code: 'Set-ADUser edgeauth -LogonWorkstations "EDGE01,EDGE02"', remarks: "The Edge servers' account may log on only from EDGE01 and EDGE02 (edge01.contoso.com, edge02.contoso.com)." },
          { code: 'Set-ADUser edgeauth -LogonWorkstations $null', remarks: 'The account may log on from any computer again.' },
        ],
      },
      async (args, inv) => {
        const user = requireUser(ctx, String(args.get('Identity')));
        for (const p of optional) if (args.has(p.name)) user.values[p.name] = args.get(p.name);
        if (args.has('LogonWorkstations')) user.values.LogonWorkstations = args.get('LogonWorkstations');
        if (args.has('Enabled')) {
          if (args.get('Enabled') === true && typeof user.values.PasswordHash !== 'string')
            throw new CmdletError('The account has no password; set one first with Set-ADAccountPassword -Reset.', { category: 'InvalidOperation', reason: 'ADPasswordComplexityException', parameter: 'Enabled' });
          user.values.Enabled = args.get('Enabled');
        }
        const other = args.has('SamAccountName') ? findADUser(ctx, String(user.values.SamAccountName)) : undefined;
        if (other && other.guid !== user.guid)
          throw new CmdletError(`The specified account already exists: ${user.values.SamAccountName}.`, { category: 'NotSpecified', reason: 'ADIdentityAlreadyExistsException', parameter: 'SamAccountName' });
        if (!(await inv.shouldProcess(dn(ctx, String(user.values.Name)), 'Set'))) return [];
        updateObject(ctx, user);
        return args.get('PassThru') === true ? [userOutput(ctx, user)] : [];
      },
    ),
    adCommand(
      ctx,
      {
        name: 'Unlock-ADAccount',
        synopsis: 'Unlocks a directory account locked out after too many bad passwords (and clears its bad-password count).',
        supportsShouldProcess: true,
        confirmImpact: 'Medium',
        parameters: [identity('The account: sAMAccountName, DOMAIN\\name, UPN, distinguished name, GUID or SID.'), { name: 'PassThru', typeName: 'SwitchParameter', switch: true, description: 'Output the account.' }],
        examples: [{ code: 'Get-ADUser alice -Properties LockedOut,BadLogonCount,AccountLockoutTime\nUnlock-ADAccount alice', remarks: 'See why alice cannot log on, then let her log on again before LockoutDuration ends.' }],
      },
      async (args, inv) => {
        const user = requireUser(ctx, String(args.get('Identity')));
        if (!(await inv.shouldProcess(dn(ctx, String(user.values.Name)), 'Unlock'))) return [];
        unlock(ctx, user);
        return args.get('PassThru') === true ? [userOutput(ctx, user)] : [];
      },
    ),
    adCommand(
      ctx,
      {
        name: 'Set-ADAccountPassword',
        synopsis: "Sets a directory user's password (-Reset, or -OldPassword to change it).",
        supportsShouldProcess: true,
        confirmImpact: 'Medium',
        parameters: [
          identity('The user.'),
          secureStringParameter('NewPassword', 'The new password.', { mandatory: true }),
          secureStringParameter('OldPassword', 'The current password (without -Reset).'),
          { name: 'Reset', typeName: 'SwitchParameter', switch: true, description: 'Set the password without knowing the old one.' },
        ],
      },
      async (args, inv) => {
        const user = requireUser(ctx, String(args.get('Identity')));
        if (args.get('Reset') !== true) {
          const old = args.get('OldPassword') as { reveal(): string } | undefined;
          if (!old) throw new CmdletError('Specify -OldPassword to change the password, or -Reset to set it.', { category: 'InvalidArgument', reason: 'ArgumentException', parameter: 'OldPassword' });
          if (!(typeof user.values.PasswordHash === 'string' && (await verifyPassword(old.reveal(), user.values.PasswordHash))))
            throw new CmdletError('The specified network password is not correct.', { category: 'SecurityError', reason: 'ADInvalidPasswordException', parameter: 'OldPassword' });
        }
        if (!(await inv.shouldProcess(dn(ctx, String(user.values.Name)), 'Set-ADAccountPassword'))) return [];
        await setPassword(user.values, args.get('NewPassword'));
        updateObject(ctx, user);
        return [];
      },
    ),
    ...(['Enable', 'Disable'] as const).map((verb) =>
      adCommand(
        ctx,
        {
          name: `${verb}-ADAccount`,
          synopsis: `${verb}s a directory account.`,
          supportsShouldProcess: true,
          confirmImpact: 'Medium',
          parameters: [identity('The user.')],
        },
        async (args, inv) => {
          const user = requireUser(ctx, String(args.get('Identity')));
          if (verb === 'Enable' && typeof user.values.PasswordHash !== 'string')
            throw new CmdletError('The account has no password; set one first with Set-ADAccountPassword -Reset.', { category: 'InvalidOperation', reason: 'ADPasswordComplexityException' });
          if (!(await inv.shouldProcess(dn(ctx, String(user.values.Name)), `${verb}`))) return [];
          user.values.Enabled = verb === 'Enable';
          updateObject(ctx, user);
          return [];
        },
      ),
    ),
    adCommand(
      ctx,
      {
        name: 'Remove-ADUser',
        synopsis: 'Deletes a directory user (and its group memberships).',
        supportsShouldProcess: true,
        confirmImpact: 'High',
        parameters: [identity('The user.')],
      },
      async (args, inv) => {
        const user = requireUser(ctx, String(args.get('Identity')));
        if (!(await inv.shouldProcess(dn(ctx, String(user.values.Name)), 'Remove'))) return [];
        ctx.repo.transaction(() => {
          for (const g of ctx.repo.list(adGroupSchema)) {
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
    adCommand(
      ctx,
      {
        name: 'Get-ADGroupMember',
        synopsis: 'Lists the members of a directory group.',
        parameters: [{ name: 'Identity', typeName: 'ADGroup', position: 0, mandatory: true, description: 'The group, e.g. "Exchange Servers".' }],
      },
      async (args) => {
        const group = findGroup(ctx, String(args.get('Identity')));
        return members(group).flatMap((guid) => {
          const u = ctx.repo.get(adUserSchema, guid);
          return u ? [principalOutput(ctx, u)] : [];
        });
      },
    ),
    ...(['Add', 'Remove'] as const).map((verb) =>
      adCommand(
        ctx,
        {
          name: `${verb}-ADGroupMember`,
          synopsis: `${verb}s users ${verb === 'Add' ? 'to' : 'from'} a directory group (e.g. "Exchange Servers").`,
          supportsShouldProcess: true,
          confirmImpact: verb === 'Remove' ? 'High' : 'Medium',
          parameters: [{ name: 'Identity', typeName: 'ADGroup', position: 0, mandatory: true, description: 'The group.' }, stringListParameter('Members', 'Users (sAMAccountName, DN, GUID, SID or UPN).', { position: 1, mandatory: true })],
        },
        async (args, inv) => {
          const group = findGroup(ctx, String(args.get('Identity')));
          const list = members(group);
          const users = (args.get('Members') as string[]).map((m) => requireUser(ctx, m));
          if (!(await inv.shouldProcess(dn(ctx, String(group.values.Name)), `${verb}-ADGroupMember`))) return [];
          for (const u of users) {
            if (verb === 'Add' && !list.includes(u.guid)) list.push(u.guid);
            if (verb === 'Remove' && list.includes(u.guid)) list.splice(list.indexOf(u.guid), 1);
          }
          group.values.Members = list;
          updateObject(ctx, group);
          return [];
        },
      ),
    ),
  ];
}

export const directoryViews = [
  { typeName: 'ADUser', display: 'list' as const },
  { typeName: 'ADPrincipal', display: 'list' as const },
];
