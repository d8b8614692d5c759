// Recipients of the organization and where their mail is kept: mailbox
// databases (a folder on one Mailbox server), mailboxes (each owning a
// directory account) and distribution groups. All organization-scoped, in the
// organization store the Mailbox servers share.
//
// Proxy addresses (EmailAddresses) are kept as "SMTP:alice@contoso.com" for
// the primary address and "smtp:a.smith@contoso.com" for the others; only
// SMTP proxy addresses exist in Gatehouse. PrimarySmtpAddress always equals
// the one "SMTP:" entry (the cmdlets keep both consistent).
//
// Stored fields outside the schema (passed through by the repository):
//   Mailbox.AccountGuid          GUID of the ADUser the mailbox owns
//   DistributionGroup.Members    GUIDs of member mailboxes and groups

import { prop, type ObjectSchema } from '../schema.js';
import { ByteQuantifiedSize, SmtpAddress, Unlimited } from '../types/index.js';
import { ValueError } from '../types/value-error.js';
import { objectName, parseBool, parseString, stringMax } from './common.js';

/** Largest MaxSendSize / MaxReceiveSize Exchange accepts: 2097151 KB. */
export const MAX_MESSAGE_SIZE_BYTES = 2097151 * 1024;

const ALIAS_RE = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;

/** Alias (mailNickname): at most 64 characters, letters, digits and !#$%&'*+-/=?^_`{|}~, dots not at either end nor doubled. */
export function parseAlias(input: unknown): string {
  const s = parseString(input).trim();
  if (s === '') throw new ValueError('The alias cannot be empty.');
  if (s.length > 64) throw new ValueError(`The length of the property is too long. The maximum length is 64 and the length of the value provided is ${s.length}. (Alias)`);
  if (!ALIAS_RE.test(s)) throw new ValueError(`The alias "${s}" contains characters that aren't valid. Use letters, digits and !#$%&'*+-/=?^_\`{|}~; dots are allowed between other characters.`);
  return s;
}

/** An alias derived from a name: characters not allowed in an alias (spaces...) removed. */
export function aliasFromName(name: string): string {
  const cleaned = name
    .replace(/[^A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]/g, '')
    .replace(/\.{2,}/g, '.')
    .replace(/^\.+|\.+$/g, '')
    .slice(0, 64);
  return cleaned === '' ? 'recipient' : cleaned;
}

export function parseSmtpAddress(input: unknown): SmtpAddress {
  if (typeof input === 'string' && /^smtp:/i.test(input.trim())) return SmtpAddress.parse(input.trim().slice(5));
  return SmtpAddress.parse(input);
}

/**
 * One proxy address: "SMTP:x@y" (primary), "smtp:x@y" (secondary); a bare
 * "x@y" is a secondary address, as in Exchange. Other address types (X500:,
 * SIP:, X400:) have no meaning in Gatehouse and are refused.
 */
export function parseProxyAddress(input: unknown): string {
  const s = parseString(input).trim();
  const m = /^([A-Za-z0-9]+):(.*)$/s.exec(s);
  if (m && !/^smtp$/i.test(m[1])) {
    throw new ValueError(`The proxy address "${s}" has the type "${m[1]}"; Gatehouse keeps SMTP proxy addresses only (SMTP:primary@domain, smtp:other@domain).`);
  }
  const primary = m !== null && m[1] === 'SMTP';
  const address = SmtpAddress.parse(m ? m[2] : s);
  return `${primary ? 'SMTP' : 'smtp'}:${address.address}`;
}

/** The address of a proxy address, without its prefix. */
export function proxyAddressOf(proxy: string): string {
  return proxy.replace(/^smtp:/i, '');
}

export function isPrimaryProxy(proxy: string): boolean {
  return proxy.startsWith('SMTP:');
}

const sizeLimit = (name: string) => (v: unknown) => Unlimited.parse(v, (x) => ByteQuantifiedSize.parseInRange(x, 0, MAX_MESSAGE_SIZE_BYTES, name));

/** Largest mailbox quota Exchange accepts: 1.999999999 TB (2199023254528 bytes). */
export const MAX_QUOTA_BYTES = 2199023254528;

const quota = (name: string) => (v: unknown) => Unlimited.parse(v, (x) => ByteQuantifiedSize.parseInRange(x, 0, MAX_QUOTA_BYTES, name));

/** The three storage quotas of a mailbox or database, in the order they take effect. */
export const QUOTA_PROPERTIES = ['IssueWarningQuota', 'ProhibitSendQuota', 'ProhibitSendReceiveQuota'] as const;

/** Exchange 2013's database defaults: warning at 1.9 GB, send stops at 2 GB, send and receive at 2.3 GB. */
export const DATABASE_QUOTA_DEFAULTS = { IssueWarningQuota: 2040109465, ProhibitSendQuota: 2147483648, ProhibitSendReceiveQuota: 2469396480 } as const;

function quotaProperties(owner: 'mailbox' | 'database') {
  const text = {
    IssueWarningQuota: 'Mailbox size at which the user is warned (a quota warning message is delivered to the mailbox once, when the size crosses it)',
    ProhibitSendQuota: 'Mailbox size at which the user can no longer send: submission is refused at MAIL FROM',
    ProhibitSendReceiveQuota: 'Mailbox size at which the mailbox can no longer send or receive: delivery is refused with 554 5.2.2 mailbox full and the sender gets an NDR',
  };
  return QUOTA_PROPERTIES.map((name) =>
    prop({
      name,
      typeName: 'Unlimited',
      description:
        owner === 'mailbox'
          ? `${text[name]}; up to 1.999999999 TB or Unlimited. Used only with -UseDatabaseQuotaDefaults $false.`
          : `${text[name]}, for the database's mailboxes that use the database defaults; up to 1.999999999 TB or Unlimited (default ${ByteQuantifiedSize.fromBytes(DATABASE_QUOTA_DEFAULTS[name])}).`,
      parse: quota(name),
      default: owner === 'mailbox' ? () => Unlimited.unlimited() : () => Unlimited.of(ByteQuantifiedSize.fromBytes(DATABASE_QUOTA_DEFAULTS[name])),
      settable: 'set',
      runtime: true,
    }),
  );
}

export const mailboxDatabaseSchema: ObjectSchema = {
  typeName: 'MailboxDatabase',
  noun: 'MailboxDatabase',
  label: 'mailbox database',
  scope: 'organization',
  properties: [
    prop({ name: 'Name', typeName: 'String', description: 'Unique name of the database in the organization (at most 64 characters).', parse: objectName(64), settable: 'new', runtime: true }),
    prop({ name: 'Server', typeName: 'ServerIdParameter', description: 'The Mailbox server that holds the database.', parse: parseString, settable: 'new', runtime: true }),
    prop({ name: 'FolderPath', typeName: 'String', description: "Folder holding the Maildir folders of the database's mailboxes: <server DataPath>/Mailbox/<database name>.", parse: parseString, settable: 'never', runtime: true }),
    prop({ name: 'Recovery', typeName: 'Boolean', description: 'A recovery database (Gatehouse has none).', parse: parseBool, default: false, settable: 'never', runtime: false }),
    prop({ name: 'ReplicationType', typeName: 'ReplicationType', description: 'None: Gatehouse databases have no copies.', parse: parseString, default: 'None', settable: 'never', runtime: false }),
    prop({ name: 'IsMailboxDatabase', typeName: 'Boolean', description: 'Always $true.', parse: parseBool, default: true, settable: 'never', runtime: false }),
    ...quotaProperties('database'),
  ],
};

export const mailboxSchema: ObjectSchema = {
  typeName: 'Mailbox',
  noun: 'Mailbox',
  label: 'mailbox',
  scope: 'organization',
  properties: [
    prop({ name: 'Name', typeName: 'String', description: 'Name of the mailbox and of its directory user (at most 64 characters).', parse: objectName(64), settable: 'both', runtime: true }),
    prop({ name: 'Alias', typeName: 'String', description: "Alias (mail nickname); default: Name without spaces. Also the user's logon name (SamAccountName).", parse: parseAlias, settable: 'both', runtime: true }),
    prop({ name: 'DisplayName', typeName: 'String', description: 'Display name; default: Name.', parse: stringMax(256, 'DisplayName'), settable: 'both', runtime: false }),
    prop({ name: 'UserPrincipalName', typeName: 'String', description: 'Logon name of the mailbox user in the form user@domain.', parse: (v) => String(SmtpAddress.parse(v)), settable: 'new', runtime: true }),
    prop({ name: 'PrimarySmtpAddress', typeName: 'SmtpAddress', description: 'Primary email address (replies go to it); default: <alias>@<default accepted domain>.', parse: parseSmtpAddress, settable: 'both', runtime: true }),
    prop({
      name: 'EmailAddresses',
      typeName: 'ProxyAddressCollection',
      description: 'Every email address of the mailbox: SMTP:primary@domain, smtp:other@domain. Accepts @{Add=...; Remove=...}.',
      parse: parseProxyAddress,
      multi: true,
      settable: 'set',
      runtime: true,
    }),
    prop({ name: 'Database', typeName: 'DatabaseIdParameter', description: 'Mailbox database holding the mailbox; default: the only database, if there is exactly one.', parse: parseString, settable: 'new', runtime: true }),
    prop({ name: 'ForwardingSmtpAddress', typeName: 'ProxyAddress', description: 'Forward every message for this mailbox to this address ($null: no forwarding).', parse: parseSmtpAddress, settable: 'set', nullable: true, runtime: true }),
    prop({ name: 'DeliverToMailboxAndForward', typeName: 'Boolean', description: 'With forwarding: also deliver to the mailbox.', parse: parseBool, default: false, settable: 'set', runtime: true }),
    prop({
      name: 'MaxReceiveSize',
      typeName: 'Unlimited',
      description: 'Largest message the mailbox accepts (up to 2097151 KB) or Unlimited.',
      parse: sizeLimit('MaxReceiveSize'),
      default: () => Unlimited.unlimited(),
      settable: 'set',
      runtime: true,
    }),
    prop({
      name: 'MaxSendSize',
      typeName: 'Unlimited',
      description: 'Largest message the mailbox user may send (up to 2097151 KB) or Unlimited.',
      parse: sizeLimit('MaxSendSize'),
      default: () => Unlimited.unlimited(),
      settable: 'set',
      runtime: true,
    }),
    ...quotaProperties('mailbox'),
    prop({
      name: 'UseDatabaseQuotaDefaults',
      typeName: 'Boolean',
      description: "Use the quotas of the mailbox database ($true, the default) or the mailbox's own IssueWarningQuota, ProhibitSendQuota and ProhibitSendReceiveQuota ($false).",
      parse: parseBool,
      default: true,
      settable: 'set',
      runtime: true,
    }),
    prop({ name: 'RequireSenderAuthenticationEnabled', typeName: 'Boolean', description: 'Accept messages only from authenticated senders.', parse: parseBool, default: false, settable: 'set', runtime: true }),
    prop({ name: 'RecipientType', typeName: 'RecipientType', description: 'UserMailbox.', parse: parseString, default: 'UserMailbox', settable: 'never', runtime: false }),
    prop({ name: 'RecipientTypeDetails', typeName: 'RecipientTypeDetails', description: 'UserMailbox.', parse: parseString, default: 'UserMailbox', settable: 'never', runtime: false }),
  ],
};

export const distributionGroupSchema: ObjectSchema = {
  typeName: 'DistributionGroup',
  noun: 'DistributionGroup',
  label: 'distribution group',
  scope: 'organization',
  properties: [
    prop({ name: 'Name', typeName: 'String', description: 'Unique name of the group (at most 64 characters).', parse: objectName(64), settable: 'both', runtime: true }),
    prop({ name: 'Alias', typeName: 'String', description: 'Alias (mail nickname); default: Name without spaces.', parse: parseAlias, settable: 'both', runtime: true }),
    prop({ name: 'DisplayName', typeName: 'String', description: 'Display name; default: Name.', parse: stringMax(256, 'DisplayName'), settable: 'both', runtime: false }),
    prop({ name: 'PrimarySmtpAddress', typeName: 'SmtpAddress', description: 'Primary email address; default: <alias>@<default accepted domain>.', parse: parseSmtpAddress, settable: 'both', runtime: true }),
    prop({
      name: 'EmailAddresses',
      typeName: 'ProxyAddressCollection',
      description: 'Every email address of the group: SMTP:primary@domain, smtp:other@domain. Accepts @{Add=...; Remove=...}.',
      parse: parseProxyAddress,
      multi: true,
      settable: 'set',
      runtime: true,
    }),
    prop({ name: 'ManagedBy', typeName: 'MultiValuedProperty', description: 'Owners of the group (mailboxes).', parse: parseString, multi: true, settable: 'both', runtime: false }),
    prop({
      name: 'RequireSenderAuthenticationEnabled',
      typeName: 'Boolean',
      description: 'Accept messages only from authenticated senders ($true by default, as in Exchange 2013 and later).',
      parse: parseBool,
      default: true,
      settable: 'both',
      runtime: true,
    }),
    prop({ name: 'GroupType', typeName: 'GroupTypeFlags', description: 'Universal.', parse: parseString, default: 'Universal', settable: 'never', runtime: false }),
    prop({ name: 'RecipientType', typeName: 'RecipientType', description: 'MailUniversalDistributionGroup.', parse: parseString, default: 'MailUniversalDistributionGroup', settable: 'never', runtime: false }),
    prop({ name: 'RecipientTypeDetails', typeName: 'RecipientTypeDetails', description: 'MailUniversalDistributionGroup.', parse: parseString, default: 'MailUniversalDistributionGroup', settable: 'never', runtime: false }),
  ],
};

/** Quotas in bytes; null = Unlimited. */
export interface MailboxQuotas {
  issueWarning: number | null;
  prohibitSend: number | null;
  prohibitSendReceive: number | null;
}

function quotaBytes(v: unknown, fallback: number | null): number | null {
  if (v === undefined) return fallback; // stored before the property existed: its default
  const u = v as Unlimited<ByteQuantifiedSize> | null;
  if (u === null || u.isUnlimited) return null;
  return u.value.bytes;
}

/**
 * The quotas that apply to a mailbox: its database's when UseDatabaseQuotaDefaults
 * is $true (the default), its own otherwise. `database` is undefined when the
 * database no longer exists (then nothing is enforced).
 */
export function effectiveQuotas(mailbox: Record<string, unknown>, database: Record<string, unknown> | undefined): MailboxQuotas {
  if (mailbox.UseDatabaseQuotaDefaults !== false) {
    if (!database) return { issueWarning: null, prohibitSend: null, prohibitSendReceive: null };
    return {
      issueWarning: quotaBytes(database.IssueWarningQuota, DATABASE_QUOTA_DEFAULTS.IssueWarningQuota),
      prohibitSend: quotaBytes(database.ProhibitSendQuota, DATABASE_QUOTA_DEFAULTS.ProhibitSendQuota),
      prohibitSendReceive: quotaBytes(database.ProhibitSendReceiveQuota, DATABASE_QUOTA_DEFAULTS.ProhibitSendReceiveQuota),
    };
  }
  return {
    issueWarning: quotaBytes(mailbox.IssueWarningQuota, null),
    prohibitSend: quotaBytes(mailbox.ProhibitSendQuota, null),
    prohibitSendReceive: quotaBytes(mailbox.ProhibitSendReceiveQuota, null),
  };
}

/**
 * Exchange's rule between the quotas of one object: ProhibitSendQuota and
 * IssueWarningQuota at most ProhibitSendReceiveQuota. Returns the complaint,
 * or null when the values agree. Values absent from `values` count as `fallback`.
 */
export function quotaOrderProblem(values: Record<string, unknown>, fallback: (name: string) => unknown): string | null {
  const get = (n: string) => (values[n] === undefined ? fallback(n) : values[n]) as Unlimited<ByteQuantifiedSize> | null;
  const limit = get('ProhibitSendReceiveQuota');
  if (!limit || limit.isUnlimited) return null;
  for (const name of ['ProhibitSendQuota', 'IssueWarningQuota']) {
    const v = get(name);
    if (v && (v.isUnlimited || v.value.bytes > limit.value.bytes)) {
      return `The value of property '${name}' (${v}) must be less than or equal to that of property 'ProhibitSendReceiveQuota' (${limit}).`;
    }
  }
  return null;
}
