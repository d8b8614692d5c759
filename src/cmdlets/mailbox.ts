// New-/Get-/Set-/Remove-Mailbox. A mailbox is a recipient in a mailbox
// database that owns a directory user (an ADUser: Enabled, SamAccountName =
// alias, password kept as an scrypt hash): New-Mailbox creates both,
// Remove-Mailbox removes both. The user authenticates with the directory
// account; mail for any of the mailbox's proxy addresses is delivered to its
// Maildir folder <database FolderPath>/<mailbox GUID>.

import { adGroupSchema, adUserSchema } from '../config/model/account.js';
import { aliasFromName, distributionGroupSchema, mailboxDatabaseSchema, mailboxSchema, parseSmtpAddress, QUOTA_PROPERTIES, quotaOrderProblem } from '../config/model/recipient.js';
import { Unlimited } from '../config/types/index.js';
import { findDirectoryUser } from '../directory/account-lookup.js';
import { groupMemberGuids } from '../directory/recipients.js';
import type { BoundArguments, CommandSpec, ParameterSpec } from '../shell/command.js';
import { CmdletError } from '../shell/values.js';
import { newModelObject, type ModelObject } from '../store/repository.js';
import { members, nextSid, secureStringParameter, setPassword } from './account-support.js';
import { invalidOperation, notFound } from './errors.js';
import { insertObject, nameParameter, tableView, updateObject } from './object-commands.js';
import { toPSObject } from './object-output.js';
import { convertForProperty, schemaParameters } from './object-parameters.js';
import { defaultValues } from '../config/schema.js';
import { checkNameAndAlias, checkProxyAddresses, defaultAcceptedDomain, filterAndLimit, filterParameter, findRecipient, findRecipients, organizationCommand, resultSizeParameter, setRecipient } from './recipient-common.js';
import { defaultContext, type ServerContext } from './server-context.js';

const schema = mailboxSchema;
const mbxProp = (name: string) => schema.properties.find((p) => p.name === name)!;
const userProp = (name: string) => adUserSchema.properties.find((p) => p.name === name)!;

function scope(ctx: ServerContext) {
  return { role: ctx.role, netbiosName: ctx.directory.netbiosName, dnsDomain: ctx.directory.dnsDomain, repo: ctx.repo };
}

function findDatabase(ctx: ServerContext, identity: string): ModelObject {
  const id = identity.toLowerCase();
  const db = ctx.repo.list(mailboxDatabaseSchema).find((d) => String(d.values.Name).toLowerCase() === id || d.guid.toLowerCase() === id);
  if (!db) throw notFound(identity, ctx.fqdn);
  return db;
}

/** -Database, or the only database of the organization. */
function chosenDatabase(ctx: ServerContext, args: BoundArguments): ModelObject {
  if (args.has('Database')) return findDatabase(ctx, String(args.get('Database')));
  const all = ctx.repo.list(mailboxDatabaseSchema);
  if (all.length === 1) return all[0];
  if (all.length === 0) throw invalidOperation('The organization has no mailbox database. Create one first: New-MailboxDatabase -Name <name> -Server <Mailbox server>.', 'Database');
  throw invalidOperation(`The organization has ${all.length} mailbox databases (${all.map((d) => d.values.Name).join(', ')}). Choose one with -Database.`, 'Database');
}

/** A logon name derived from the alias: characters a SamAccountName cannot hold removed, at most 20, made unique with a number. */
function uniqueSamAccountName(ctx: ServerContext, alias: string): string {
  const base = alias.replace(/["/\\[\]:;|=,+*?<>@]/g, '').slice(0, 20) || 'user';
  if (!findDirectoryUser(scope(ctx), base)) return base;
  for (let i = 1; ; i++) {
    const suffix = String(i);
    const candidate = base.slice(0, 20 - suffix.length) + suffix;
    if (!findDirectoryUser(scope(ctx), candidate)) return candidate;
  }
}

/** Values of properties added after the mailbox was stored: their defaults (quotas Unlimited, database defaults in use). */
function withQuotaDefaults(values: Record<string, unknown>): Record<string, unknown> {
  const out = { ...values };
  for (const q of QUOTA_PROPERTIES) if (out[q] === undefined) out[q] = Unlimited.unlimited();
  if (out.UseDatabaseQuotaDefaults === undefined) out.UseDatabaseQuotaDefaults = true;
  return out;
}

function mailboxOutput(ctx: ServerContext, m: ModelObject) {
  const db = ctx.repo.list(mailboxDatabaseSchema).find((d) => String(d.values.Name).toLowerCase() === String(m.values.Database).toLowerCase());
  const account = typeof m.values.AccountGuid === 'string' ? ctx.repo.get(adUserSchema, m.values.AccountGuid) : undefined;
  return toPSObject(
    { ...m, values: withQuotaDefaults(m.values) },
    {
      ServerName: db ? String(db.values.Server).toLowerCase() : null,
      SamAccountName: account?.values.SamAccountName ?? null,
    },
  );
}

/** What Get-Mailbox -Filter can name: the properties Get-Mailbox shows. */
const MAILBOX_FILTERABLE = [...schema.properties.filter((p) => !p.hidden).map((p) => p.name), 'ServerName', 'SamAccountName', 'Guid', 'Identity', 'WhenChanged', 'WhenCreated'];

export function mailboxCommands(ctx: ServerContext): CommandSpec[] {
  const stringParam = (name: string, description: string, convert: (v: unknown) => unknown): ParameterSpec => ({ name, typeName: 'String', description, convert });
  return [
    organizationCommand(
      ctx,
      {
        name: 'New-Mailbox',
        synopsis: 'Creates a mailbox and the directory user that owns it.',
        supportsShouldProcess: true,
        confirmImpact: 'Medium',
        parameters: [
          nameParameter(schema, { position: 0, mandatory: true }),
          stringParam('Alias', mbxProp('Alias').description, convertForProperty(mbxProp('Alias'))),
          stringParam('DisplayName', mbxProp('DisplayName').description, convertForProperty(mbxProp('DisplayName'))),
          stringParam('FirstName', 'First name of the user.', convertForProperty(userProp('GivenName'))),
          stringParam('LastName', 'Last name of the user.', convertForProperty(userProp('Surname'))),
          { ...stringParam('UserPrincipalName', mbxProp('UserPrincipalName').description, convertForProperty(mbxProp('UserPrincipalName'))), mandatory: true },
          stringParam('SamAccountName', 'Logon name (at most 20 characters); default: the alias.', convertForProperty(userProp('SamAccountName'))),
          { name: 'PrimarySmtpAddress', typeName: 'SmtpAddress', description: mbxProp('PrimarySmtpAddress').description, convert: convertForProperty(mbxProp('PrimarySmtpAddress')) },
          secureStringParameter('Password', 'Password of the user as a SecureString.', { mandatory: true }),
          { name: 'Database', typeName: 'DatabaseIdParameter', description: mbxProp('Database').description, convert: (v) => String(v) },
          {
            name: 'ResetPasswordOnNextLogon',
            typeName: 'Boolean',
            description: 'Not supported: Gatehouse has no interactive logon where a password change could be forced.',
            convert: convertForProperty(mbxProp('RequireSenderAuthenticationEnabled')),
          },
        ],
        examples: [
          {
            code: 'New-Mailbox -Name "Alice Smith" -Alias alice -UserPrincipalName alice@contoso.com -Password (Read-Host -AsSecureString) -Database DB01',
            remarks: 'Creates the user CONTOSO\\alice and the mailbox alice@contoso.com in DB01.',
          },
        ],
      },
      async (args, inv) => {
        if (args.get('ResetPasswordOnNextLogon') === true) {
          throw invalidOperation(
            'The parameter ResetPasswordOnNextLogon cannot be $true: Gatehouse has no interactive logon where the user could be made to change the password. Set the password the user will keep, or change it later with Set-ADAccountPassword.',
            'ResetPasswordOnNextLogon',
          );
        }
        const values = defaultValues(schema, defaultContext(ctx));
        const name = String(args.get('Name'));
        values.Name = name;
        values.Alias = args.get('Alias') ?? aliasFromName(name);
        values.DisplayName = args.get('DisplayName') ?? name;
        values.UserPrincipalName = args.get('UserPrincipalName');
        if (args.has('PrimarySmtpAddress')) {
          values.PrimarySmtpAddress = args.get('PrimarySmtpAddress');
        } else {
          const domain = defaultAcceptedDomain(ctx);
          if (!domain) throw invalidOperation('The organization has no accepted domain to form the email address from. Add one with New-AcceptedDomain, or give -PrimarySmtpAddress.', 'PrimarySmtpAddress');
          values.PrimarySmtpAddress = parseSmtpAddress(`${values.Alias}@${domain}`);
        }
        values.EmailAddresses = [`SMTP:${values.PrimarySmtpAddress}`];
        const db = chosenDatabase(ctx, args);
        values.Database = String(db.values.Name);
        checkNameAndAlias(ctx, values, null);
        checkProxyAddresses(ctx, values.EmailAddresses as string[], null, 'PrimarySmtpAddress');
        if (findDirectoryUser(scope(ctx), String(values.UserPrincipalName))) {
          throw new CmdletError(`The user principal name ${values.UserPrincipalName} is already used by another directory user. Choose another -UserPrincipalName.`, {
            category: 'NotSpecified',
            reason: 'ADObjectAlreadyExistsException',
            parameter: 'UserPrincipalName',
          });
        }
        if (args.has('SamAccountName') && findDirectoryUser(scope(ctx), String(args.get('SamAccountName')))) {
          throw new CmdletError(`The specified account already exists: ${args.get('SamAccountName')}.`, { category: 'NotSpecified', reason: 'ADIdentityAlreadyExistsException', parameter: 'SamAccountName' });
        }
        const account = defaultValues(adUserSchema, defaultContext(ctx));
        account.Name = name;
        account.SamAccountName = args.get('SamAccountName') ?? uniqueSamAccountName(ctx, String(values.Alias));
        account.UserPrincipalName = values.UserPrincipalName;
        account.GivenName = args.get('FirstName') ?? null;
        account.Surname = args.get('LastName') ?? null;
        account.DisplayName = values.DisplayName;
        account.Enabled = true;
        await setPassword(account, args.get('Password'));
        if (!(await inv.shouldProcess(name, `Creating mailbox in database ${db.values.Name}`))) return [];
        let created: ModelObject | undefined;
        ctx.repo.transaction(() => {
          checkNameAndAlias(ctx, values, null);
          checkProxyAddresses(ctx, values.EmailAddresses as string[], null, 'PrimarySmtpAddress');
          account.SID = nextSid(ctx);
          const user = newModelObject(adUserSchema, '', account);
          insertObject(ctx, user);
          values.AccountGuid = user.guid;
          created = newModelObject(schema, '', values);
          insertObject(ctx, created);
        });
        return created ? [mailboxOutput(ctx, ctx.repo.get(schema, created.guid) ?? created)] : [];
      },
    ),
    organizationCommand(
      ctx,
      {
        name: 'Get-Mailbox',
        synopsis: 'Lists mailboxes.',
        parameters: [
          {
            name: 'Identity',
            typeName: 'MailboxIdParameter',
            position: 0,
            valueFromPipeline: true,
            valueFromPipelineByPropertyName: true,
            description: 'Name (wildcards allowed), alias, email address, GUID or UPN.',
            convert: (v) => (v === null ? null : String((v as { get?: (n: string) => unknown }).get?.('Guid') ?? v)),
          },
          { name: 'Database', typeName: 'DatabaseIdParameter', description: 'Only the mailboxes of this database.', convert: (v) => String(v) },
          { name: 'Server', typeName: 'ServerIdParameter', description: 'Only the mailboxes in databases of this server.', convert: (v) => String(v) },
          filterParameter(`"UseDatabaseQuotaDefaults -eq $false -and EmailAddresses -like '*@contoso.com'"`),
          resultSizeParameter,
        ],
        examples: [
          { code: 'Get-Mailbox -ResultSize Unlimited', remarks: 'Lists every mailbox of the organization (without -ResultSize, the first 1000).' },
          { code: 'Get-Mailbox -Filter "UseDatabaseQuotaDefaults -eq $false" | Format-Table Name,IssueWarningQuota,ProhibitSendQuota,ProhibitSendReceiveQuota', remarks: 'Lists the mailboxes with their own quotas.' },
          { code: "Get-Mailbox -Database DB01 -Filter {Alias -like 'a*'}", remarks: 'Lists the mailboxes of DB01 whose alias starts with a.' },
        ],
      },
      async (args, inv) => {
        if (args.has('Identity') && args.has('Filter'))
          throw new CmdletError('Parameter set cannot be resolved using the specified named parameters: -Identity and -Filter cannot be used together.', { category: 'InvalidArgument', reason: 'ParameterBindingException' });
        let found = findRecipients(ctx, [schema], args.get('Identity') as string | null | undefined);
        if (args.has('Database')) {
          const db = findDatabase(ctx, String(args.get('Database')));
          found = found.filter((m) => String(m.values.Database).toLowerCase() === String(db.values.Name).toLowerCase());
        }
        if (args.has('Server')) {
          const server = String(args.get('Server')).toLowerCase().split('.')[0];
          const dbs = new Set(
            ctx.repo
              .list(mailboxDatabaseSchema)
              .filter((d) => String(d.values.Server).toLowerCase() === server)
              .map((d) => String(d.values.Name).toLowerCase()),
          );
          found = found.filter((m) => dbs.has(String(m.values.Database).toLowerCase()));
        }
        return filterAndLimit(
          found.map((m) => mailboxOutput(ctx, m)),
          args,
          inv,
          MAILBOX_FILTERABLE,
        );
      },
    ),
    organizationCommand(
      ctx,
      {
        name: 'Set-Mailbox',
        synopsis: 'Changes a mailbox: addresses, forwarding, message size limits, sender authentication.',
        supportsShouldProcess: true,
        confirmImpact: 'Medium',
        parameters: [
          {
            name: 'Identity',
            typeName: 'MailboxIdParameter',
            position: 0,
            mandatory: true,
            valueFromPipeline: true,
            valueFromPipelineByPropertyName: true,
            description: 'Name, alias, email address, GUID or UPN.',
            convert: (v) => String((v as { get?: (n: string) => unknown })?.get?.('Guid') ?? v),
          },
          nameParameter(schema, {}),
          ...schemaParameters(schema, 'set'),
        ],
        examples: [
          { code: 'Set-Mailbox alice -UseDatabaseQuotaDefaults $false -IssueWarningQuota 9GB -ProhibitSendQuota 9.5GB -ProhibitSendReceiveQuota 10GB', remarks: "Gives alice her own quotas instead of her database's." },
          { code: 'Set-Mailbox alice -MaxSendSize 25MB -MaxReceiveSize 35MB', remarks: 'Limits the size of the messages alice sends and receives.' },
        ],
      },
      (args, inv) =>
        setRecipient(ctx, schema, args, inv, 'Setting mailbox', {
          prepare: (values) => {
            const problem = quotaOrderProblem(values, () => Unlimited.unlimited());
            if (problem) throw invalidOperation(`${problem} Give the three quotas in increasing order: IssueWarningQuota, ProhibitSendQuota, ProhibitSendReceiveQuota.`, 'ProhibitSendReceiveQuota');
            const quotasGiven = QUOTA_PROPERTIES.filter((q) => args.has(q));
            if (quotasGiven.length > 0 && values.UseDatabaseQuotaDefaults !== false) {
              inv.warn(
                `The mailbox "${values.Name}" uses its database's quotas (UseDatabaseQuotaDefaults is $true), so ${quotasGiven.join(', ')} ${quotasGiven.length > 1 ? 'take' : 'takes'} effect only after Set-Mailbox "${values.Name}" -UseDatabaseQuotaDefaults $false.`,
              );
            }
          },
          commit: (values) => {
            const account = typeof values.AccountGuid === 'string' ? ctx.repo.get(adUserSchema, values.AccountGuid) : undefined;
            if (account && (account.values.Name !== values.Name || account.values.DisplayName !== values.DisplayName)) {
              account.values.Name = values.Name;
              account.values.DisplayName = values.DisplayName;
              updateObject(ctx, account);
            }
          },
        }),
    ),
    organizationCommand(
      ctx,
      {
        name: 'Remove-Mailbox',
        synopsis: 'Removes a mailbox and its directory user (its Maildir folder is left on disk).',
        supportsShouldProcess: true,
        confirmImpact: 'High',
        parameters: [
          {
            name: 'Identity',
            typeName: 'MailboxIdParameter',
            position: 0,
            mandatory: true,
            valueFromPipeline: true,
            valueFromPipelineByPropertyName: true,
            description: 'Name, alias, email address, GUID or UPN.',
            convert: (v) => String((v as { get?: (n: string) => unknown })?.get?.('Guid') ?? v),
          },
        ],
      },
      async (args, inv) => {
        const obj = findRecipient(ctx, [schema], String(args.get('Identity')));
        if (!(await inv.shouldProcess(String(obj.values.Name), 'Removing the mailbox and its directory user'))) return [];
        ctx.repo.transaction(() => {
          for (const g of ctx.repo.list(distributionGroupSchema)) {
            const list = groupMemberGuids(g);
            if (list.includes(obj.guid)) {
              g.values.Members = list.filter((x) => x !== obj.guid);
              updateObject(ctx, g);
            }
          }
          const account = typeof obj.values.AccountGuid === 'string' ? ctx.repo.get(adUserSchema, obj.values.AccountGuid) : undefined;
          if (account) {
            for (const g of ctx.repo.list(adGroupSchema)) {
              if (members(g).includes(account.guid)) {
                g.values.Members = members(g).filter((m) => m !== account.guid);
                updateObject(ctx, g);
              }
            }
            ctx.repo.remove(account);
            ctx.logons.remove(account.guid);
          }
          ctx.repo.remove(obj);
        });
        return [];
      },
    ),
  ];
}

export const mailboxViews = [tableView('Mailbox', ['Name', 'Alias', 'ServerName', 'ProhibitSendQuota'])];
