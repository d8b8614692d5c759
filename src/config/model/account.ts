// Accounts that SMTP authentication checks: local users and groups of an Edge
// server (New-LocalUser, Add-LocalGroupMember) and the organization directory's
// users and groups on Mailbox servers (New-ADUser, Add-ADGroupMember). The
// group "Exchange Servers" exists in both; a member authenticating with Basic
// auth receives the ExchangeServers permission group. Passwords are kept only
// as scrypt hashes, in the stored field PasswordHash, never displayed.

import { isIP } from 'node:net';
import { defaultValues, prop, type DefaultContext, type ObjectSchema } from '../schema.js';
import { ValueError } from '../types/value-error.js';
import { describe, parseBool, parseString, stringMax } from './common.js';
import { SmtpAddress } from '../types/index.js';

export const EXCHANGE_SERVERS_GROUP = 'Exchange Servers';

/** A SecureString from the shell (ConvertTo-SecureString, Read-Host -AsSecureString, (Get-Credential).Password). */
export function parseSecureString(input: unknown): { reveal(): string } {
  if (input !== null && typeof input === 'object' && typeof (input as { reveal?: unknown }).reveal === 'function') {
    return input as { reveal(): string };
  }
  throw new ValueError(
    `Cannot convert the "${describe(input)}" value of type "${typeof input === 'string' ? 'System.String' : 'System.Object'}" to type "System.Security.SecureString". ` +
      'Pass a secure string, e.g. (ConvertTo-SecureString "..." -AsPlainText -Force) or (Read-Host -AsSecureString).',
  );
}

function accountName(max: number): (input: unknown) => string {
  return (input) => {
    const s = parseString(input);
    if (s.trim() === '') throw new ValueError('The account name cannot be empty.');
    if (s.length > max) throw new ValueError(`The account name "${s}" is longer than ${max} characters.`);
    if (/["/\\[\]:;|=,+*?<>@]/.test(s)) throw new ValueError(`The account name "${s}" contains a character that is not allowed: " / \\ [ ] : ; | = , + * ? < > @`);
    return s;
  };
}

/** userWorkstations' range upper bound (characters). */
export const LOGON_WORKSTATIONS_MAX = 1024;

/**
 * The computer names of an account's LogonWorkstations (AD's userWorkstations): one string,
 * names separated by commas, each a NetBIOS computer name (one label of at most 15 characters)
 * or a DNS host name. Empty (or only spaces) = no restriction.
 */
export function logonWorkstationNames(value: unknown): string[] {
  if (value === null || value === undefined) return [];
  const text = String(value).trim();
  return text === '' ? [] : text.split(',').map((n) => n.trim());
}

const DNS_LABEL = /^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/;

function parseLogonWorkstations(input: unknown): string | null {
  const text = parseString(input).trim();
  if (text.length > LOGON_WORKSTATIONS_MAX) throw new ValueError(`LogonWorkstations is ${text.length} characters long; Active Directory's userWorkstations holds at most ${LOGON_WORKSTATIONS_MAX}.`);
  const names = logonWorkstationNames(text);
  for (const name of names) {
    if (name === '') throw new ValueError(`LogonWorkstations "${text}" has an empty name: separate computer names with single commas, e.g. "EDGE01,EDGE02".`);
    const host = name.replace(/\.$/, '');
    if (isIP(host) !== 0 || /^[\d.]+$/.test(host))
      throw new ValueError(`LogonWorkstations lists computer names, not addresses: "${name}" is an address. Name the computer (EDGE01 or edge01.contoso.com); the name is resolved through DNS when the account logs on.`);
    const labels = host.split('.');
    if (labels.length === 1 && host.length > 15) throw new ValueError(`"${name}" is not a computer name: a NetBIOS computer name has at most 15 characters; give the computer's DNS name (e.g. ${host.toLowerCase()}.contoso.com) instead.`);
    if (host.length > 253 || !labels.every((l) => DNS_LABEL.test(l)))
      throw new ValueError(`"${name}" is not a computer name: use a NetBIOS name (letters, digits and hyphens, at most 15 characters) or a DNS host name such as edge01.contoso.com.`);
  }
  return names.length === 0 ? null : names.join(',');
}

export const localUserSchema: ObjectSchema = {
  typeName: 'LocalUser',
  noun: 'LocalUser',
  label: 'local user',
  scope: 'organization',
  properties: [
    prop({ name: 'Name', typeName: 'String', description: 'User name (at most 20 characters).', parse: accountName(20), settable: 'new', runtime: true }),
    prop({ name: 'Enabled', typeName: 'Boolean', description: 'A disabled account cannot authenticate.', parse: parseBool, default: true, settable: 'never', runtime: true }),
    prop({ name: 'Description', typeName: 'String', description: 'Description (at most 48 characters).', parse: stringMax(48, 'Description'), settable: 'both', nullable: true, runtime: false }),
    prop({ name: 'FullName', typeName: 'String', description: 'Full name of the user.', parse: stringMax(256, 'FullName'), settable: 'both', nullable: true, runtime: false }),
    prop({ name: 'PasswordLastSet', typeName: 'DateTime', description: 'When the password was last set.', parse: (v) => new Date(String(v)), settable: 'never', nullable: true, runtime: false, store: (d) => d.toISOString() }),
    prop({ name: 'SID', typeName: 'SecurityIdentifier', description: 'Security identifier of the account.', parse: parseString, settable: 'never', runtime: false }),
    prop({ name: 'PrincipalSource', typeName: 'PrincipalSource', description: 'Where the account lives.', parse: parseString, default: 'Local', settable: 'never', runtime: false }),
  ],
};

export const localGroupSchema: ObjectSchema = {
  typeName: 'LocalGroup',
  noun: 'LocalGroup',
  label: 'local group',
  scope: 'organization',
  properties: [
    prop({ name: 'Name', typeName: 'String', description: 'Group name.', parse: accountName(256), settable: 'new', runtime: true }),
    prop({ name: 'Description', typeName: 'String', description: 'Description.', parse: stringMax(256, 'Description'), settable: 'both', nullable: true, runtime: false }),
    prop({ name: 'SID', typeName: 'SecurityIdentifier', description: 'Security identifier of the group.', parse: parseString, settable: 'never', runtime: false }),
    prop({ name: 'PrincipalSource', typeName: 'PrincipalSource', description: 'Where the group lives.', parse: parseString, default: 'Local', settable: 'never', runtime: false }),
  ],
};

export const adUserSchema: ObjectSchema = {
  typeName: 'ADUser',
  noun: 'ADUser',
  label: 'directory user',
  scope: 'organization',
  properties: [
    prop({ name: 'Name', typeName: 'String', description: 'Name (common name) of the user.', parse: accountName(64), settable: 'new', runtime: true }),
    prop({ name: 'SamAccountName', typeName: 'String', description: 'Logon name (DOMAIN\\name), at most 20 characters; default: Name.', parse: accountName(20), settable: 'both', runtime: true }),
    prop({ name: 'UserPrincipalName', typeName: 'String', description: 'Logon name in the form user@domain.', parse: (v) => String(SmtpAddress.parse(v)), settable: 'both', nullable: true, runtime: true }),
    prop({ name: 'GivenName', typeName: 'String', description: 'First name.', parse: stringMax(64, 'GivenName'), settable: 'both', nullable: true, runtime: false }),
    prop({ name: 'Surname', typeName: 'String', description: 'Last name.', parse: stringMax(64, 'Surname'), settable: 'both', nullable: true, runtime: false }),
    prop({ name: 'DisplayName', typeName: 'String', description: 'Display name.', parse: stringMax(256, 'DisplayName'), settable: 'both', nullable: true, runtime: false }),
    prop({ name: 'Description', typeName: 'String', description: 'Description.', parse: stringMax(1024, 'Description'), settable: 'both', nullable: true, runtime: false }),
    prop({ name: 'Enabled', typeName: 'Boolean', description: 'A disabled account cannot authenticate (New-ADUser creates accounts disabled unless -Enabled $true).', parse: parseBool, default: false, settable: 'both', runtime: true }),
    prop({ name: 'SID', typeName: 'SecurityIdentifier', description: 'Security identifier of the account.', parse: parseString, settable: 'never', runtime: false }),
    prop({
      name: 'LogonWorkstations',
      typeName: 'String',
      description: 'Computers the account may log on from (userWorkstations): NetBIOS or DNS names, comma separated; empty = any computer.',
      parse: parseLogonWorkstations,
      settable: 'both',
      nullable: true,
      runtime: true,
    }),
  ],
};

export const adGroupSchema: ObjectSchema = {
  typeName: 'ADGroup',
  noun: 'ADGroup',
  label: 'directory group',
  scope: 'organization',
  properties: [
    prop({ name: 'Name', typeName: 'String', description: 'Group name.', parse: accountName(64), settable: 'new', runtime: true }),
    prop({ name: 'SamAccountName', typeName: 'String', description: 'Pre-Windows 2000 name.', parse: accountName(256), settable: 'never', runtime: false }),
    prop({ name: 'GroupCategory', typeName: 'ADGroupCategory', description: 'Security or Distribution.', parse: parseString, default: 'Security', settable: 'never', runtime: false }),
    prop({ name: 'GroupScope', typeName: 'ADGroupScope', description: 'DomainLocal, Global or Universal.', parse: parseString, default: 'Universal', settable: 'never', runtime: false }),
    prop({ name: 'Description', typeName: 'String', description: 'Description.', parse: stringMax(1024, 'Description'), settable: 'both', nullable: true, runtime: false }),
    prop({ name: 'SID', typeName: 'SecurityIdentifier', description: 'Security identifier of the group.', parse: parseString, settable: 'never', runtime: false }),
  ],
};

/**
 * The group "Exchange Servers" Setup creates: a local group on an Edge server, a directory
 * group with a new organization. Its SID is the store's next one, given when it is stored.
 */
export function exchangeServersGroup(server: DefaultContext): { schema: ObjectSchema; values: Record<string, unknown> } {
  if (server.role === 'EdgeTransport') {
    const values = defaultValues(localGroupSchema, server);
    values.Name = EXCHANGE_SERVERS_GROUP;
    values.Description = 'Accounts that receive the ExchangeServers permission group after Basic authentication.';
    values.Members = [];
    return { schema: localGroupSchema, values };
  }
  const values = defaultValues(adGroupSchema, server);
  values.Name = EXCHANGE_SERVERS_GROUP;
  values.SamAccountName = EXCHANGE_SERVERS_GROUP;
  values.Description = 'Exchange servers of the organization; accounts in it receive the ExchangeServers permission group after Basic authentication.';
  values.Members = [];
  return { schema: adGroupSchema, values };
}
