// Organization-wide transport settings (Get-/Set-TransportConfig, spec
// exchange-operations.md §2.2): message size and recipient limits, the
// Domain Security lists (mutual TLS), the internal SMTP servers and the NDR
// codes whose copy goes to the postmaster. One object per organization on
// Mailbox servers (the organization store), one in an Edge's own store.

import { prop, type ObjectSchema } from '../schema.js';
import { ByteQuantifiedSize, IPRange, SmtpAddress, SmtpDomain, Unlimited } from '../types/index.js';
import { defineEnum } from '../types/enums.js';
import { ValueError, inputText } from '../types/value-error.js';
import { intRange, parseBool, parseString } from './common.js';

/** The one TransportConfig object's name (Exchange shows it as the Identity). */
export const TRANSPORT_CONFIG_NAME = 'Transport Settings';

const MAX_KB = 2_147_483_647;
const size = (name: string) => (v: unknown) => Unlimited.parse(v, (x: unknown) => ByteQuantifiedSize.parseInRange(x, 0, MAX_KB * 1024, name));
const count = (name: string) => (v: unknown) => Unlimited.parse(v, intRange(0, 2_147_483_647, name));

/** An enhanced status code of a failure (5.x.y), as GenerateCopyOfDSNFor lists them. */
export function parseEnhancedStatusCode(input: unknown): string {
  const text = parseString(input).trim();
  if (!/^5\.\d{1,3}\.\d{1,3}$/.test(text)) {
    throw new ValueError(`"${inputText(input)}" is not a valid enhanced status code for GenerateCopyOfDSNFor. Specify non-delivery codes in the form 5.x.y, for example 5.1.1 or 5.4.4.`, input);
  }
  return text;
}

const attachSize = (name: string) => (v: unknown) => ByteQuantifiedSize.parseInRange(v, 0, 2_147_483_647, name);
const DsnConversionModeEnum = defineEnum('Microsoft.Exchange.Data.DSNConversionOption', ['UseExchangeDSNs', 'PreserveDSNBody', 'DoNotConvert']);
const ShadowMessagePreferenceEnum = defineEnum('Microsoft.Exchange.Data.ShadowMessagePreference', ['PreferRemote', 'LocalOnly', 'RemoteOnly']);
const NO_SHADOW = 'Gatehouse has no shadow redundancy: a message is on disk (fsync) before the 250 reply, and the sending server keeps it until then.';

/** A Domain Security list entry: a plain domain, no wildcard (spec: "no wildcards"). */
function parseSecureDomain(input: unknown): SmtpDomain {
  return SmtpDomain.parse(input);
}

export const transportConfigSchema: ObjectSchema = {
  typeName: 'TransportConfig',
  noun: 'TransportConfig',
  label: 'transport configuration',
  scope: 'organization',
  properties: [
    prop({
      name: 'DSNConversionMode',
      typeName: 'DSNConversionOption',
      description: 'How DSNs from other systems are converted.',
      parse: (v) => DsnConversionModeEnum.parse(v),
      default: 'DoNotConvert',
      settable: 'set',
      runtime: true,
      unsupported: 'Gatehouse relays the DSNs of other systems as they are; it converts none.',
    }),
    prop({ name: 'ExternalDelayDsnEnabled', typeName: 'Boolean', description: 'Send delay notifications (4.4.7) to senders outside the organization.', parse: parseBool, default: true, settable: 'set', runtime: true }),
    prop({
      name: 'ExternalDsnMaxMessageAttachSize',
      typeName: 'ByteQuantifiedSize',
      description: 'Largest original message returned whole in an NDR to an external sender (larger: its header only; 0: header only).',
      parse: attachSize('ExternalDsnMaxMessageAttachSize'),
      default: () => ByteQuantifiedSize.parse('10MB'),
      settable: 'set',
      runtime: true,
    }),
    prop({
      name: 'ExternalDsnReportingAuthority',
      typeName: 'SmtpDomain',
      description: 'Domain named in the machine-readable part of external DSNs.',
      parse: (v) => SmtpDomain.parse(v),
      nullable: true,
      settable: 'set',
      runtime: true,
      unsupported: "DSNs name this server's FQDN as the reporting MTA (Reporting-MTA).",
    }),
    prop({ name: 'ExternalDsnSendHtml', typeName: 'Boolean', description: 'External DSNs in HTML.', parse: parseBool, default: false, settable: 'set', runtime: true, unsupported: 'Gatehouse writes DSNs in plain text.' }),
    prop({
      name: 'ExternalPostmasterAddress',
      typeName: 'SmtpAddress',
      description: "Sender of DSNs; $null = postmaster@<default accepted domain> (Edge: postmaster@<server FQDN>). A server's own Set-TransportService -ExternalPostmasterAddress wins over it.",
      parse: (v) => SmtpAddress.parse(v),
      nullable: true,
      settable: 'set',
      runtime: true,
    }),
    prop({
      name: 'GenerateCopyOfDSNFor',
      typeName: 'MultiValuedProperty',
      multi: true,
      description: 'Non-delivery codes (5.x.y) for which a copy of the NDR goes to the postmaster address (ExternalPostmasterAddress).',
      parse: parseEnhancedStatusCode,
      default: ['5.4.8', '5.4.6', '5.4.4', '5.2.4', '5.2.0', '5.1.4'],
      settable: 'set',
      runtime: true,
    }),
    prop({ name: 'InternalDelayDsnEnabled', typeName: 'Boolean', description: 'Send delay notifications (4.4.7) to senders in the organization (accepted domains).', parse: parseBool, default: true, settable: 'set', runtime: true }),
    prop({
      name: 'InternalDsnMaxMessageAttachSize',
      typeName: 'ByteQuantifiedSize',
      description: 'Largest original message returned whole in an NDR to a sender in the organization (larger: its header only; 0: header only).',
      parse: attachSize('InternalDsnMaxMessageAttachSize'),
      default: () => ByteQuantifiedSize.parse('10MB'),
      settable: 'set',
      runtime: true,
    }),
    prop({
      name: 'InternalDsnReportingAuthority',
      typeName: 'SmtpDomain',
      description: 'Domain named in the machine-readable part of internal DSNs.',
      parse: (v) => SmtpDomain.parse(v),
      nullable: true,
      settable: 'set',
      runtime: true,
      unsupported: "DSNs name this server's FQDN as the reporting MTA (Reporting-MTA).",
    }),
    prop({ name: 'InternalDsnSendHtml', typeName: 'Boolean', description: 'Internal DSNs in HTML.', parse: parseBool, default: false, settable: 'set', runtime: true, unsupported: 'Gatehouse writes DSNs in plain text.' }),
    prop({
      name: 'InternalSMTPServers',
      typeName: 'MultiValuedProperty',
      multi: true,
      description: 'Addresses or ranges of the SMTP servers inside the perimeter: the original client of a message is the first address in its Received fields outside this list (message tracking OriginalClientIp).',
      parse: (v) => IPRange.parse(v),
      settable: 'set',
      runtime: true,
    }),
    prop({
      name: 'MaxReceiveSize',
      typeName: 'Unlimited',
      description: 'Largest message the organization receives from outside (up to 2147483647KB, or unlimited); larger ones are refused with 552 5.3.4.',
      parse: size('MaxReceiveSize'),
      default: () => size('MaxReceiveSize')('10MB'),
      settable: 'set',
      runtime: true,
    }),
    prop({
      name: 'MaxRecipientEnvelopeLimit',
      typeName: 'Unlimited',
      description: 'Most envelope recipients of one message (0 to 2147483647, or unlimited); further RCPT commands get 452 4.5.3.',
      parse: count('MaxRecipientEnvelopeLimit'),
      default: () => count('MaxRecipientEnvelopeLimit')(500),
      settable: 'set',
      runtime: true,
    }),
    prop({
      name: 'MaxSendSize',
      typeName: 'Unlimited',
      description: 'Largest message an authenticated sender of the organization may send (up to 2147483647KB, or unlimited); larger ones are refused with 552 5.3.4.',
      parse: size('MaxSendSize'),
      default: () => size('MaxSendSize')('10MB'),
      settable: 'set',
      runtime: true,
    }),
    prop({ name: 'RejectMessageOnShadowFailure', typeName: 'Boolean', description: 'Refuse a message when no shadow copy can be made.', parse: parseBool, default: false, settable: 'set', runtime: true, unsupported: NO_SHADOW }),
    prop({
      name: 'ShadowMessagePreferenceSetting',
      typeName: 'ShadowMessagePreference',
      description: 'Where shadow copies are made.',
      parse: (v) => ShadowMessagePreferenceEnum.parse(v),
      default: 'PreferRemote',
      settable: 'set',
      runtime: true,
      unsupported: NO_SHADOW,
    }),
    prop({
      name: 'ShadowRedundancyEnabled',
      typeName: 'Boolean',
      description: 'Shadow redundancy (a copy of each message on another server until delivered).',
      parse: parseBool,
      default: false,
      settable: 'set',
      runtime: true,
      unsupported: NO_SHADOW,
    }),
    prop({ name: 'Name', typeName: 'String', description: 'Name of the transport configuration object.', parse: parseString, settable: 'never', runtime: false, hidden: true }),
    prop({
      name: 'TLSReceiveDomainSecureList',
      typeName: 'MultiValuedProperty',
      multi: true,
      description: 'Domains whose mail must arrive over mutual TLS (a Receive connector with DomainSecureEnabled $true asks their servers for a certificate and validates it). No wildcards.',
      parse: parseSecureDomain,
      settable: 'set',
      runtime: true,
    }),
    prop({
      name: 'TLSSendDomainSecureList',
      typeName: 'MultiValuedProperty',
      multi: true,
      description: "Domains mail is sent to over mutual TLS only (a Send connector with DomainSecureEnabled $true presents this server's certificate and requires a valid one for the domain). No wildcards.",
      parse: parseSecureDomain,
      settable: 'set',
      runtime: true,
    }),
  ],
};
