// Get-* output: a PSObject per configuration object with its properties in
// Exchange's (alphabetical) order, then the identity block every Exchange
// object carries: Identity, Guid, WhenChanged, WhenCreated, their UTC twins,
// and IsValid. Secret properties print as their type name only. The object
// carries the .NET type name Exchange gives it (Get-Member's TypeName), then
// the schema's short name that the default views are registered under.

import { PSObject } from '../shell/values.js';
import type { ModelObject } from '../store/repository.js';
import { displayIdentity } from './object-identity.js';
import { resolveDefault, type DefaultContext } from '../config/schema.js';

/** The .NET types of Exchange's objects, by schema type name. */
export const EXCHANGE_TYPE_NAMES: Record<string, string> = {
  SendConnector: 'Microsoft.Exchange.Data.Directory.SystemConfiguration.SmtpSendConnectorConfig',
  ReceiveConnector: 'Microsoft.Exchange.Data.Directory.SystemConfiguration.ReceiveConnector',
  AcceptedDomain: 'Microsoft.Exchange.Data.Directory.SystemConfiguration.AcceptedDomain',
  TransportService: 'Microsoft.Exchange.Data.Directory.SystemConfiguration.TransportServer',
  ExchangeServer: 'Microsoft.Exchange.Data.Directory.Management.ExchangeServer',
  MailboxDatabase: 'Microsoft.Exchange.Data.Directory.SystemConfiguration.MailboxDatabase',
  Mailbox: 'Microsoft.Exchange.Data.Directory.Management.Mailbox',
  DistributionGroup: 'Microsoft.Exchange.Data.Directory.Management.DistributionGroup',
  ExchangeCertificate: 'Microsoft.Exchange.Management.SystemConfigurationTasks.ExchangeCertificate',
  MailboxStatistics: 'Microsoft.Exchange.Management.MapiTasks.Presentation.MailboxStatistics',
  ReducedRecipient: 'Microsoft.Exchange.Data.Directory.Management.ReducedRecipient',
  ADUser: 'Microsoft.ActiveDirectory.Management.ADUser',
  ADPrincipal: 'Microsoft.ActiveDirectory.Management.ADPrincipal',
  ADDefaultDomainPasswordPolicy: 'Microsoft.ActiveDirectory.Management.ADDefaultDomainPasswordPolicy',
  LocalUser: 'Microsoft.PowerShell.Commands.LocalUser',
  LocalGroup: 'Microsoft.PowerShell.Commands.LocalGroup',
  LocalPrincipal: 'Microsoft.PowerShell.Commands.LocalPrincipal',
};

/** [Exchange's .NET type name, the schema's name] (the schema's name alone when Exchange has no such type). */
export function typeNamesFor(schemaTypeName: string): string[] {
  const full = EXCHANGE_TYPE_NAMES[schemaTypeName];
  return full ? [full, schemaTypeName] : [schemaTypeName];
}

/** The .NET types Get-Member shows for schema property types (used when a value is $null). */
const PROPERTY_TYPES: Record<string, string> = {
  Boolean: 'bool',
  String: 'string',
  Int32: 'int',
  DateTime: 'datetime',
  TimeSpan: 'timespan',
  SecureString: 'securestring',
  EnhancedTimeSpan: 'Microsoft.Exchange.Data.EnhancedTimeSpan',
  ByteQuantifiedSize: 'Microsoft.Exchange.Data.ByteQuantifiedSize',
  Fqdn: 'Microsoft.Exchange.Data.Fqdn',
  SmtpAddress: 'Microsoft.Exchange.Data.SmtpAddress',
  PSCredential: 'System.Management.Automation.PSCredential',
  SmtpDomainWithSubdomains: 'Microsoft.Exchange.Data.SmtpDomainWithSubdomains',
  LocalLongFullPath: 'Microsoft.Exchange.Data.LocalLongFullPath',
  SmtpX509Identifier: 'Microsoft.Exchange.Data.SmtpX509Identifier',
  ProxyAddress: 'Microsoft.Exchange.Data.ProxyAddress',
};

export function toPSObject(obj: ModelObject, extra: Record<string, unknown> = {}): PSObject {
  const props = new Map<string, unknown>();
  for (const def of obj.schema.properties) if (!def.hidden) props.set(def.name, obj.values[def.name] ?? (def.multi ? [] : null));
  for (const [k, v] of Object.entries(extra)) props.set(k, v);
  const names = [...props.keys()].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase()));
  const out = new PSObject(
    typeNamesFor(obj.schema.typeName),
    names.map((n) => [n, props.get(n)]),
  );
  for (const def of obj.schema.properties) {
    const declared = PROPERTY_TYPES[def.typeName];
    if (declared && !def.hidden) out.declaredTypes.set(def.name.toLowerCase(), declared);
  }
  out.set('Identity', displayIdentity(obj));
  out.set('Guid', obj.guid);
  out.set('WhenChanged', obj.whenChanged);
  out.set('WhenCreated', obj.whenCreated);
  out.set('WhenChangedUTC', new UtcDate(obj.whenChanged));
  out.set('WhenCreatedUTC', new UtcDate(obj.whenCreated));
  out.set('IsValid', true);
  return out;
}

/** A date shown in UTC (en-US PowerShell format), whatever the local time zone. */
export class UtcDate {
  constructor(readonly date: Date) {}
  toString(): string {
    const d = this.date;
    const h = d.getUTCHours() % 12 === 0 ? 12 : d.getUTCHours() % 12;
    const pad = (n: number) => String(n).padStart(2, '0');
    return `${d.getUTCMonth() + 1}/${d.getUTCDate()}/${d.getUTCFullYear()} ${h}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} ${d.getUTCHours() < 12 ? 'AM' : 'PM'}`;
  }
  toJSON(): string {
    return this.date.toISOString();
  }
}

/**
 * The defaults of properties an object was stored without (the schema gained them later), for
 * Get-* output: a record written by an older version shows what the service applies.
 */
export function missingDefaults(obj: ModelObject, defaults: DefaultContext): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const def of obj.schema.properties) {
    if (def.hidden || def.name in obj.values) continue;
    out[def.name] = resolveDefault(def, defaults);
  }
  return out;
}
