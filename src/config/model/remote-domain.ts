// Remote domain: how the organization treats mail to a domain outside it
// (Get-/New-/Set-/Remove-RemoteDomain). The Default remote domain ("*")
// always exists; a more specific one (fabrikam.com, *.fabrikam.com) wins.
// Gatehouse honours the message types it lets through: automatic replies,
// automatic forwards, delivery reports and non-delivery reports.

import { prop, type ObjectSchema } from '../schema.js';
import { SmtpDomainWithSubdomains, Unlimited } from '../types/index.js';
import { defineEnum } from '../types/enums.js';
import { intRange, objectName, parseBool, parseString } from './common.js';

export const DEFAULT_REMOTE_DOMAIN = 'Default';

const ContentTypeEnum = defineEnum('Microsoft.Exchange.Data.Directory.SystemConfiguration.ContentType', ['MimeHtmlText', 'MimeText', 'MimeHtml']);
const AS_RECEIVED = 'Gatehouse relays message content as it is received; it converts no formats, character sets or line lengths.';
const ONLY_ACCEPTED = "Gatehouse treats the accepted domains as the organization's own; make a domain internal with New-AcceptedDomain -DomainType InternalRelay.";
const refused = (name: string, typeName: string, parse: (v: unknown) => unknown, dflt: unknown, why: string, nullable = false) =>
  prop({ name, typeName, description: `Not available: ${why}`, parse, default: dflt as never, nullable, settable: 'set', runtime: true, unsupported: why });

const AllowedOOFTypeEnum = defineEnum('Microsoft.Exchange.Data.Directory.SystemConfiguration.AllowedOOFType', ['External', 'ExternalLegacy', 'InternalLegacy', 'None']);

export const remoteDomainSchema: ObjectSchema = {
  typeName: 'RemoteDomain',
  noun: 'RemoteDomain',
  label: 'remote domain',
  scope: 'organization',
  properties: [
    prop({
      name: 'AllowedOOFType',
      typeName: 'AllowedOOFType',
      description: 'Which out-of-office replies go to the domain.',
      parse: (v) => AllowedOOFTypeEnum.parse(v),
      default: 'External',
      settable: 'set',
      runtime: true,
      unsupported: 'Gatehouse has no mailbox out-of-office assistant; use -AutoReplyEnabled to allow or block automatic replies to the domain.',
    }),
    refused('CharacterSet', 'String', parseString, null, AS_RECEIVED, true),
    refused('ContentType', 'ContentType', (v) => ContentTypeEnum.parse(v), 'MimeHtmlText', AS_RECEIVED),
    refused('DisplaySenderName', 'Boolean', parseBool, true, "Gatehouse leaves the sender's display name as it is."),
    refused('IsInternal', 'Boolean', parseBool, false, ONLY_ACCEPTED),
    refused('LineWrapSize', 'Unlimited', (v) => Unlimited.parse(v, intRange(0, 132, 'LineWrapSize')), Unlimited.unlimited(), AS_RECEIVED),
    refused('MeetingForwardNotificationEnabled', 'Boolean', parseBool, false, 'Gatehouse has no calendar.'),
    refused('NonMimeCharacterSet', 'String', parseString, null, AS_RECEIVED, true),
    refused('TNEFEnabled', 'Boolean', parseBool, null, AS_RECEIVED, true),
    refused('TrustedMailInboundEnabled', 'Boolean', parseBool, false, 'Gatehouse has no anti-spam agents to bypass.'),
    refused('TrustedMailOutboundEnabled', 'Boolean', parseBool, false, 'Gatehouse has no anti-spam agents to bypass.'),
    refused('UseSimpleDisplayName', 'Boolean', parseBool, false, "Gatehouse leaves the sender's display name as it is."),
    prop({
      name: 'AutoForwardEnabled',
      typeName: 'Boolean',
      description: "Messages forwarded automatically (Auto-Submitted: auto-forwarded, or an inbox rule's X-MS-Exchange-Inbox-Rules-Loop) may go to the domain; $false drops them.",
      parse: parseBool,
      default: true,
      settable: 'set',
      runtime: true,
    }),
    prop({ name: 'AutoReplyEnabled', typeName: 'Boolean', description: 'Automatic replies (Auto-Submitted: auto-replied) may go to the domain; $false drops them.', parse: parseBool, default: true, settable: 'set', runtime: true }),
    prop({
      name: 'DeliveryReportEnabled',
      typeName: 'Boolean',
      description: 'Delivery and read reports (multipart/report with delivery or disposition status) may go to the domain; $false drops them.',
      parse: parseBool,
      default: true,
      settable: 'set',
      runtime: true,
    }),
    prop({
      name: 'DomainName',
      typeName: 'SmtpDomainWithSubdomains',
      description: 'The domain: fabrikam.com, *.fabrikam.com (the domain and its subdomains), or * (Default).',
      parse: (v) => SmtpDomainWithSubdomains.parse(v),
      settable: 'new',
      runtime: true,
    }),
    prop({ name: 'Name', typeName: 'String', description: 'Unique name of the remote domain (at most 64 characters).', parse: objectName(64), settable: 'both', runtime: false }),
    prop({ name: 'NDREnabled', typeName: 'Boolean', description: 'Non-delivery reports may go to senders in the domain; $false suppresses them.', parse: parseBool, default: true, settable: 'set', runtime: true }),
  ],
};
