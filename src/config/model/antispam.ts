// The settings of the Edge's anti-spam agents (spec exchange-edge-agents.md
// §3): one object per agent configuration (Set-SenderFilterConfig,
// Set-RecipientFilterConfig, Set-IPBlockListConfig, ...), with Exchange's
// defaults, and the entries of the connection filter's lists and providers.
// They live in the Edge's own store, as Exchange keeps them in the Edge's
// AD LDS; the running service reads them live. Pure: cmdlets and agents read
// the same values.

import { prop, type ObjectSchema, type PropertyDef } from '../schema.js';
import { EnhancedTimeSpan, IPAddress, IPRange, SmtpAddress, SmtpDomain } from '../types/index.js';
import { ValueError } from '../types/value-error.js';
import { parseBool, parseString } from './common.js';

/** The most entries Exchange takes in a blocked senders, domains or recipients list. */
export const MAX_LIST_ENTRIES = 800;
/** The longest a recipient validation answer is kept (7 days). */
const MAX_CACHE_LIFETIME = 7 * 86_400_000;
/** The longest rejection response (AsciiString, 240 characters). */
export const MAX_RESPONSE = 240;

const enabled = (what: string): PropertyDef => prop({ name: 'Enabled', typeName: 'Boolean', description: `Whether ${what} acts at all.`, parse: parseBool, default: true, settable: 'set', runtime: true });
const externalMail: PropertyDef = prop({
  name: 'ExternalMailEnabled',
  typeName: 'Boolean',
  description: 'Whether mail from unauthenticated sessions (the Internet) is checked.',
  parse: parseBool,
  default: true,
  settable: 'set',
  runtime: true,
});
const internalMail: PropertyDef = prop({
  name: 'InternalMailEnabled',
  typeName: 'Boolean',
  description: 'Whether mail from authenticated sessions and partners is checked too.',
  parse: parseBool,
  default: false,
  settable: 'set',
  runtime: true,
});

/** An AsciiString of at most 240 characters, as Exchange's rejection responses are. */
export function rejectionResponse(name: string): (input: unknown) => string {
  return (input) => {
    const s = parseString(input);
    if (s.length > MAX_RESPONSE) throw new ValueError(`${name} is ${s.length} characters long; at most ${MAX_RESPONSE} are allowed.`);
    if (!/^[\x20-\x7e]*$/.test(s)) throw new ValueError(`${name} must be printable ASCII (it is sent in an SMTP reply).`);
    return s;
  };
}

function smtpAddress(input: unknown): string {
  try {
    return SmtpAddress.parse(input).toString().toLowerCase();
  } catch (err) {
    throw new ValueError((err as Error).message);
  }
}

function domain(input: unknown): string {
  const s = parseString(input).trim();
  if (s.includes('*')) throw new ValueError(`"${s}": give a domain without wildcards (BlockedDomainsAndSubdomains covers the subdomains).`);
  try {
    return SmtpDomain.parse(s).toString().toLowerCase();
  } catch (err) {
    throw new ValueError((err as Error).message);
  }
}

const list = (name: string, description: string, parse: (v: unknown) => string): PropertyDef =>
  prop({
    name,
    typeName: 'MultiValuedProperty',
    description: `${description} At most ${MAX_LIST_ENTRIES}.`,
    parse,
    multi: true,
    default: () => [],
    nullable: true,
    settable: 'set',
    runtime: true,
  });

export const senderFilterConfigSchema: ObjectSchema = {
  typeName: 'SenderFilterConfig',
  noun: 'SenderFilterConfig',
  label: 'sender filter configuration',
  scope: 'organization',
  properties: [
    prop({ name: 'Name', typeName: 'String', description: 'The settings object.', parse: parseString, settable: 'never', runtime: false }),
    list('BlockedSenders', 'Sender addresses refused at MAIL FROM.', smtpAddress),
    list('BlockedDomains', 'Sender domains refused (the domain itself, no subdomain).', domain),
    list('BlockedDomainsAndSubdomains', 'Sender domains refused with all their subdomains.', domain),
    prop({ name: 'BlankSenderBlockingEnabled', typeName: 'Boolean', description: 'Refuse the blank sender MAIL FROM:<> (non-delivery reports) from the Internet.', parse: parseBool, default: false, settable: 'set', runtime: true }),
    prop({
      name: 'Action',
      typeName: 'BlockedSenderAction',
      description: 'Reject: 554 5.1.0 Sender Denied at MAIL FROM; StampStatus: accept, and the content filter counts the sender as blocked.',
      parse: choice('Action', ['Reject', 'StampStatus']),
      default: 'Reject',
      settable: 'set',
      runtime: true,
    }),
    enabled('the sender filter'),
    externalMail,
    internalMail,
  ],
};

export const recipientFilterConfigSchema: ObjectSchema = {
  typeName: 'RecipientFilterConfig',
  noun: 'RecipientFilterConfig',
  label: 'recipient filter configuration',
  scope: 'organization',
  properties: [
    prop({ name: 'Name', typeName: 'String', description: 'The settings object.', parse: parseString, settable: 'never', runtime: false }),
    list('BlockedRecipients', 'Recipient addresses refused at RCPT TO (when BlockListEnabled).', smtpAddress),
    prop({ name: 'BlockListEnabled', typeName: 'Boolean', description: 'Refuse the BlockedRecipients.', parse: parseBool, default: false, settable: 'set', runtime: true }),
    prop({
      name: 'RecipientValidationEnabled',
      typeName: 'Boolean',
      description:
        "Refuse recipients of the authoritative domains that the organization does not have (550 5.1.10 RESOLVER.ADR.RecipientNotFound at RCPT TO). Without EdgeSync the Edge has no recipient list: it asks the next hop inside, through the Send connector that carries the domain's mail (its smart hosts, TLS and credential), with MAIL FROM:<>, RCPT TO and RSET, and no message is sent. The answers are kept for the cache lifetimes below. When the inside gives no answer the client is told to try again later (451 4.4.3), never refused on a guess.",
      parse: parseBool,
      default: false,
      settable: 'set',
      runtime: true,
    }),
    prop({
      name: 'RecipientValidationPositiveCacheLifetime',
      typeName: 'EnhancedTimeSpan',
      description: "How long the Edge trusts the inside's answer that an address exists (dd.hh:mm:ss; 00:00:00 asks every time). A Gatehouse setting: Exchange reads its EdgeSync copy instead.",
      parse: (v) => EnhancedTimeSpan.parseInRange(v, 0, MAX_CACHE_LIFETIME, 'RecipientValidationPositiveCacheLifetime'),
      default: () => EnhancedTimeSpan.fromHours(24),
      settable: 'set',
      runtime: true,
    }),
    prop({
      name: 'RecipientValidationNegativeCacheLifetime',
      typeName: 'EnhancedTimeSpan',
      description: "How long the Edge trusts the inside's answer that an address does not exist (dd.hh:mm:ss; 00:00:00 asks every time). A new mailbox gets mail from the Internet at most this long after it is created.",
      parse: (v) => EnhancedTimeSpan.parseInRange(v, 0, MAX_CACHE_LIFETIME, 'RecipientValidationNegativeCacheLifetime'),
      default: () => EnhancedTimeSpan.fromMinutes(10),
      settable: 'set',
      runtime: true,
    }),
    enabled('the recipient filter'),
    externalMail,
    internalMail,
  ],
};

const senderIdAction = (name: string, fallback: string): PropertyDef =>
  prop({
    name,
    typeName: 'SenderIdAction',
    description: 'StampStatus: accept and stamp the result; Reject: refuse the message (5.7.1); Delete: accept and discard it.',
    parse: choice(name, ['StampStatus', 'Reject', 'Delete']),
    default: fallback,
    settable: 'set',
    runtime: true,
  });

export const senderIdConfigSchema: ObjectSchema = {
  typeName: 'SenderIdConfig',
  noun: 'SenderIdConfig',
  label: 'Sender ID configuration',
  scope: 'organization',
  properties: [
    prop({ name: 'Name', typeName: 'String', description: 'The settings object.', parse: parseString, settable: 'never', runtime: false }),
    senderIdAction('SpoofedDomainAction', 'StampStatus'),
    senderIdAction('TempErrorAction', 'StampStatus'),
    prop({ name: 'BypassedSenderDomains', typeName: 'MultiValuedProperty', description: 'Sender domains not checked. At most 100.', parse: domain, multi: true, default: () => [], nullable: true, settable: 'set', runtime: true }),
    prop({
      name: 'BypassedRecipients',
      typeName: 'MultiValuedProperty',
      description: 'Recipients whose mail is not checked. At most 100.',
      parse: smtpAddress,
      multi: true,
      default: () => [],
      nullable: true,
      settable: 'set',
      runtime: true,
    }),
    enabled('Sender ID'),
    externalMail,
    internalMail,
  ],
};

/**
 * The DMARC agent's settings (a Gatehouse agent: Exchange Server's Edge has none; Exchange Online
 * keeps these in its anti-phish policy, whose parameter names are used here: HonorDmarcPolicy,
 * DmarcRejectAction, DmarcQuarantineAction).
 */
export const dmarcConfigSchema: ObjectSchema = {
  typeName: 'DmarcConfig',
  noun: 'DmarcConfig',
  label: 'DMARC configuration',
  scope: 'organization',
  properties: [
    prop({ name: 'Name', typeName: 'String', description: 'The settings object.', parse: parseString, settable: 'never', runtime: false }),
    prop({
      name: 'HonorDmarcPolicy',
      typeName: 'Boolean',
      description:
        "Apply the sender's DMARC policy (p=reject, p=quarantine) to mail that fails DMARC. $false is report-only: the verdict is stamped (dmarc=fail action=oreject or oquarantine), logged and scored, and the message is delivered.",
      parse: parseBool,
      default: true,
      settable: 'set',
      runtime: true,
    }),
    prop({
      name: 'DmarcRejectAction',
      typeName: 'SpoofDmarcRejectAction',
      description: 'For a DMARC failure under p=reject: Reject (550 5.7.1 at the end of the message) or Quarantine (to QuarantineMailbox).',
      parse: choice('DmarcRejectAction', ['Reject', 'Quarantine']),
      default: 'Reject',
      settable: 'set',
      runtime: true,
    }),
    prop({
      name: 'DmarcQuarantineAction',
      typeName: 'SpoofDmarcQuarantineAction',
      description: "For a DMARC failure under p=quarantine: Quarantine (to QuarantineMailbox). Exchange Online's MoveToJmf is not available: Gatehouse's mailboxes have no Junk Email rule.",
      parse: (v) => {
        const s = parseString(v);
        if (s.toLowerCase() === 'movetojmf')
          throw new ValueError("DmarcQuarantineAction MoveToJmf is not available: Gatehouse's mailboxes have no Junk Email folder rule. Use Quarantine, or -HonorDmarcPolicy $false to stamp and score such mail without acting on it.");
        return choice('DmarcQuarantineAction', ['Quarantine'])(s);
      },
      default: 'Quarantine',
      settable: 'set',
      runtime: true,
    }),
    prop({
      name: 'QuarantineMailbox',
      typeName: 'SmtpAddress',
      description: "Where mail quarantined by a DMARC policy goes; $null: the content filter's QuarantineMailbox (Set-ContentFilterConfig). With neither, such mail is delivered and a warning is logged.",
      parse: smtpAddress,
      nullable: true,
      settable: 'set',
      runtime: true,
    }),
    prop({
      name: 'BypassedSenderDomains',
      typeName: 'MultiValuedProperty',
      description: 'From domains whose DMARC policy is not applied (the verdict is still stamped). At most 100.',
      parse: domain,
      multi: true,
      default: () => [],
      nullable: true,
      settable: 'set',
      runtime: true,
    }),
    prop({
      name: 'BypassedRecipients',
      typeName: 'MultiValuedProperty',
      description: 'Recipients whose mail is not subject to DMARC policies (the verdict is still stamped). At most 100.',
      parse: smtpAddress,
      multi: true,
      default: () => [],
      nullable: true,
      settable: 'set',
      runtime: true,
    }),
    enabled('DMARC (and the DKIM and ARC checks)'),
    externalMail,
    internalMail,
  ],
};

const scl = (name: string, fallback: number): PropertyDef =>
  prop({
    name,
    typeName: 'Int32',
    description: 'The SCL (1-9) at or above which the action applies.',
    parse: (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > 9) throw new ValueError(`${name} must be a whole number from 1 to 9 (not "${String(v)}").`);
      return n;
    },
    default: fallback,
    settable: 'set',
    runtime: true,
  });

export const contentFilterConfigSchema: ObjectSchema = {
  typeName: 'ContentFilterConfig',
  noun: 'ContentFilterConfig',
  label: 'content filter configuration',
  scope: 'organization',
  properties: [
    prop({ name: 'Name', typeName: 'String', description: 'The settings object.', parse: parseString, settable: 'never', runtime: false }),
    prop({ name: 'SCLDeleteEnabled', typeName: 'Boolean', description: 'Drop messages at or above SCLDeleteThreshold (the sender is told 250).', parse: parseBool, default: false, settable: 'set', runtime: true }),
    scl('SCLDeleteThreshold', 9),
    prop({ name: 'SCLRejectEnabled', typeName: 'Boolean', description: 'Refuse messages at or above SCLRejectThreshold with RejectionResponse.', parse: parseBool, default: false, settable: 'set', runtime: true }),
    scl('SCLRejectThreshold', 7),
    prop({
      name: 'SCLQuarantineEnabled',
      typeName: 'Boolean',
      description: 'Send messages at or above SCLQuarantineThreshold to QuarantineMailbox instead of their recipients.',
      parse: parseBool,
      default: false,
      settable: 'set',
      runtime: true,
    }),
    scl('SCLQuarantineThreshold', 9),
    prop({ name: 'QuarantineMailbox', typeName: 'SmtpAddress', description: 'Where quarantined messages go (needed when SCLQuarantineEnabled is $true).', parse: smtpAddress, nullable: true, settable: 'set', runtime: true }),
    prop({
      name: 'RejectionResponse',
      typeName: 'AsciiString',
      description: 'The reply text of a refused message.',
      parse: rejectionResponse('RejectionResponse'),
      default: 'Message rejected due to content restrictions',
      settable: 'set',
      runtime: true,
    }),
    prop({ name: 'BypassedSenders', typeName: 'MultiValuedProperty', description: 'Senders whose mail is not filtered. At most 100.', parse: smtpAddress, multi: true, default: () => [], nullable: true, settable: 'set', runtime: true }),
    prop({
      name: 'BypassedSenderDomains',
      typeName: 'MultiValuedProperty',
      description: 'Sender domains whose mail is not filtered (*.contoso.com covers the subdomains). At most 100.',
      parse: (v) => {
        const t = parseString(v).trim();
        return t.startsWith('*.') ? `*.${domain(t.slice(2))}` : domain(t);
      },
      multi: true,
      default: () => [],
      nullable: true,
      settable: 'set',
      runtime: true,
    }),
    prop({
      name: 'BypassedRecipients',
      typeName: 'MultiValuedProperty',
      description: 'Recipients whose mail is not filtered. At most 100.',
      parse: smtpAddress,
      multi: true,
      default: () => [],
      nullable: true,
      settable: 'set',
      runtime: true,
    }),
    prop({
      name: 'RspamdUrl',
      typeName: 'Uri',
      description:
        "A Gatehouse setting, off ($null) by default: the URL of an rspamd normal worker (such as http://127.0.0.1:11333) whose verdict on each scored message counts too. The message is posted to its /checkv2; rspamd's action gives an SCL (reject 9, rewrite subject 7, add header 6, greylist or soft reject 4) and the higher SCL counts. A GoodWord or BadWord decides alone. When rspamd does not answer in RspamdTimeout, the message is scored without it.",
      parse: parseRspamdUrl,
      nullable: true,
      settable: 'set',
      runtime: true,
    }),
    prop({
      name: 'RspamdTimeout',
      typeName: 'EnhancedTimeSpan',
      description: "A Gatehouse setting: how long the content filter waits for rspamd's answer before it scores the message without it (00:00:01 to 00:05:00).",
      parse: (v) => EnhancedTimeSpan.parseInRange(v, '00:00:01', '00:05:00', 'RspamdTimeout'),
      default: () => EnhancedTimeSpan.fromSeconds(10),
      settable: 'set',
      runtime: true,
    }),
    enabled('the content filter'),
    externalMail,
    internalMail,
  ],
};

/**
 * RspamdUrl as the admin typed it, made canonical: an http or https URL with a host, an optional
 * port and a path ending in '/' (the worker's base, /checkv2 is added to it).
 */
export function parseRspamdUrl(input: unknown): string {
  const text = parseString(input).trim();
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ValueError(`RspamdUrl "${text}" is not an absolute URL. Give the address of rspamd's normal worker, such as http://127.0.0.1:11333.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ValueError(`RspamdUrl "${text}" is not an http or https URL. Give the address of rspamd's normal worker, such as http://127.0.0.1:11333.`);
  if (url.hostname === '') throw new ValueError(`RspamdUrl "${text}" has no host.`);
  if (url.username || url.password) throw new ValueError(`RspamdUrl "${text}" holds a user name or password; rspamd's normal worker takes none.`);
  if (url.search || url.hash) throw new ValueError(`RspamdUrl "${text}" has a query or fragment; give only the scheme, host, port and path.`);
  if (/\/(checkv2|checkv3|check|symbols)\/?$/i.test(url.pathname)) throw new ValueError(`RspamdUrl "${text}" names one of rspamd's commands; give the worker's base URL (${url.protocol}//${url.host}/): /checkv2 is added to it.`);
  const path = url.pathname.endsWith('/') ? url.pathname : `${url.pathname}/`;
  return `${url.protocol}//${url.host}${path}`;
}

/** A word or phrase of the content filter's custom list. */
export const contentFilterPhraseSchema: ObjectSchema = {
  typeName: 'ContentFilterPhrase',
  noun: 'ContentFilterPhrase',
  label: 'content filter phrase',
  scope: 'organization',
  properties: [
    prop({
      name: 'Name',
      typeName: 'String',
      description: 'The phrase (its identity; matched without regard to case).',
      parse: (v) => {
        const t = parseString(v).trim();
        if (t === '' || t.length > 256) throw new ValueError('A phrase has 1 to 256 characters.');
        return t;
      },
      settable: 'never',
      runtime: true,
    }),
    prop({ name: 'Influence', typeName: 'Influence', description: 'GoodWord: a message that has it gets SCL 0; BadWord: SCL 9.', parse: choice('Influence', ['GoodWord', 'BadWord']), settable: 'new', runtime: true }),
  ],
};

const listConfig = (typeName: string, label: string, extra: PropertyDef[]): ObjectSchema => ({
  typeName,
  noun: typeName,
  label,
  scope: 'organization',
  properties: [
    prop({ name: 'Name', typeName: 'String', description: 'The settings object.', parse: parseString, settable: 'never', runtime: false }),
    ...extra,
    enabled(`the ${label.replace(/ configuration$/, '')}`),
    externalMail,
    internalMail,
  ],
});

export const ipBlockListConfigSchema = listConfig('IPBlockListConfig', 'IP Block list configuration', [
  prop({
    name: 'StaticEntryRejectionResponse',
    typeName: 'AsciiString',
    description: 'The reply text for a client on the IP Block list an administrator made.',
    parse: rejectionResponse('StaticEntryRejectionResponse'),
    default: 'External client with IP address is not permitted to submit mail to this server.',
    settable: 'set',
    runtime: true,
  }),
  prop({
    name: 'MachineEntryRejectionResponse',
    typeName: 'AsciiString',
    description: 'The reply text for a client that sender reputation put on the IP Block list.',
    parse: rejectionResponse('MachineEntryRejectionResponse'),
    default: 'External client with IP address does not have permissions to submit to this server. Sender reputation is too low.',
    settable: 'set',
    runtime: true,
  }),
]);
export const ipAllowListConfigSchema = listConfig('IPAllowListConfig', 'IP Allow list configuration', []);
export const ipBlockListProvidersConfigSchema = listConfig('IPBlockListProvidersConfig', 'IP Block list providers configuration', [list('BypassedRecipients', 'Recipients whose mail is accepted even from a listed client.', smtpAddress)]);

/** An entry of the IP Block list or the IP Allow list. */
function ipListEntrySchema(typeName: string, label: string): ObjectSchema {
  return {
    typeName,
    noun: typeName,
    label,
    scope: 'organization',
    properties: [
      prop({ name: 'Name', typeName: 'String', description: "The entry's number (its identity).", parse: parseString, settable: 'never', runtime: false }),
      prop({ name: 'IPRange', typeName: 'IPRange', description: 'The addresses the entry covers: one address, a range a.b.c.d-e.f.g.h, or a CIDR block.', parse: (v) => IPRange.parse(v), settable: 'never', runtime: true }),
      prop({ name: 'ExpirationTime', typeName: 'DateTime', description: 'When the entry stops applying (none: never).', parse: parseDate, nullable: true, settable: 'new', runtime: true }),
      prop({ name: 'Comment', typeName: 'String', description: 'A note.', parse: parseString, nullable: true, settable: 'new', runtime: false }),
      prop({ name: 'IsMachineGenerated', typeName: 'Boolean', description: 'True for entries sender reputation added.', parse: parseBool, default: false, settable: 'never', runtime: true }),
    ],
  };
}
export const ipBlockListEntrySchema = ipListEntrySchema('IPBlockListEntry', 'IP Block list entry');
export const ipAllowListEntrySchema = ipListEntrySchema('IPAllowListEntry', 'IP Allow list entry');

/** A DNS block list (or allow list) the connection filter asks about each client. */
function providerSchema(typeName: string, label: string): ObjectSchema {
  return {
    typeName,
    noun: typeName,
    label,
    scope: 'organization',
    properties: [
      prop({ name: 'Name', typeName: 'String', description: "The provider's name.", parse: parseString, settable: 'both', runtime: true }),
      prop({
        name: 'LookupDomain',
        typeName: 'SmtpDomain',
        description: 'The DNS zone asked: the client 192.0.2.1 is looked up as 1.2.0.192.<LookupDomain>.',
        parse: (v) => SmtpDomain.parse(v).toString().toLowerCase(),
        settable: 'both',
        runtime: true,
      }),
      prop({ name: 'AnyMatch', typeName: 'Boolean', description: 'Any answer is a match.', parse: parseBool, default: false, settable: 'both', runtime: true }),
      prop({ name: 'BitmaskMatch', typeName: 'IPAddress', description: 'A match when the answer 127.0.0.x has any of these bits.', parse: (v) => loopbackCode(v, 'BitmaskMatch'), nullable: true, settable: 'both', runtime: true }),
      prop({
        name: 'IPAddressesMatch',
        typeName: 'MultiValuedProperty',
        description: 'A match when the answer is one of these 127.0.0.x codes.',
        parse: (v) => loopbackCode(v, 'IPAddressesMatch'),
        multi: true,
        default: () => [],
        nullable: true,
        settable: 'both',
        runtime: true,
      }),
      prop({
        name: 'Priority',
        typeName: 'Int32',
        description: 'The order providers are asked in (1 first).',
        parse: (v) => {
          const n = Number(v);
          if (!Number.isInteger(n) || n < 1) throw new ValueError(`Priority must be a whole number of 1 or more (not "${String(v)}").`);
          return n;
        },
        settable: 'both',
        runtime: true,
      }),
      prop({
        name: 'RejectionResponse',
        typeName: 'AsciiString',
        description: 'The reply text for a listed client: name the provider, so that its owner knows where to ask.',
        parse: rejectionResponse('RejectionResponse'),
        nullable: true,
        settable: 'both',
        runtime: true,
      }),
      enabled(`the ${label}`),
    ],
  };
}
export const ipBlockListProviderSchema = providerSchema('IPBlockListProvider', 'IP Block list provider');
export const ipAllowListProviderSchema = providerSchema('IPAllowListProvider', 'IP Allow list provider');

function loopbackCode(input: unknown, name: string): string {
  const text = parseString(input).trim();
  let ip: IPAddress;
  try {
    ip = IPAddress.parse(text);
  } catch (err) {
    throw new ValueError(`${name}: ${(err as Error).message}`);
  }
  const s = ip.toString();
  if (!/^127\.\d+\.\d+\.\d+$/.test(s)) throw new ValueError(`${name} takes answers of the form 127.0.0.x (DNS block lists answer with loopback addresses), not ${s}.`);
  return s;
}

function parseDate(input: unknown): Date {
  if (input instanceof Date) return input;
  const d = new Date(String(input));
  if (Number.isNaN(d.getTime())) throw new ValueError(`"${String(input)}" is not a date and time.`);
  return d;
}

function choice(name: string, values: string[]): (input: unknown) => string {
  return (input) => {
    const found = values.find((v) => v.toLowerCase() === parseString(input).toLowerCase());
    if (!found) throw new ValueError(`${name} must be one of ${values.join(', ')} (not "${String(input)}").`);
    return found;
  };
}

/** The Attachment Filtering agent's settings (Set-AttachmentFilterListConfig). */
export const attachmentFilterListConfigSchema: ObjectSchema = {
  typeName: 'AttachmentFilterListConfig',
  noun: 'AttachmentFilterListConfig',
  label: 'attachment filter configuration',
  scope: 'organization',
  properties: [
    prop({ name: 'Name', typeName: 'String', description: 'The settings object.', parse: parseString, settable: 'never', runtime: false }),
    prop({
      name: 'Action',
      typeName: 'FilterActions',
      description: 'Reject: refuse the message (its sender gets the refusal); Strip: replace each matching attachment with a text file holding AdminMessage and deliver the message; SilentDelete: drop it, telling no one.',
      parse: choice('Action', ['Reject', 'Strip', 'SilentDelete']),
      default: 'Reject',
      settable: 'set',
      runtime: true,
    }),
    prop({
      name: 'AdminMessage',
      typeName: 'String',
      description: 'With Action Strip: the text of the file that replaces a removed attachment (named after it, with .txt added).',
      parse: (v) => {
        const t = parseString(v);
        if (t.trim() === '' || t.length > 2000) throw new ValueError('AdminMessage has 1 to 2000 characters.');
        return t;
      },
      default: 'This attachment was removed.',
      settable: 'set',
      runtime: true,
    }),
    prop({
      name: 'RejectResponse',
      typeName: 'String',
      description: 'The reply text of a refused message.',
      parse: rejectionResponse('RejectResponse'),
      default: 'Message rejected due to unacceptable attachments',
      settable: 'set',
      runtime: true,
    }),
    prop({
      name: 'ExceptionConnectors',
      typeName: 'MultiValuedProperty',
      description: 'Receive connectors (names or identities, Server\\Name) whose messages are not filtered.',
      parse: (v) => parseString(v).trim(),
      multi: true,
      default: () => [],
      nullable: true,
      settable: 'set',
      runtime: true,
    }),
  ],
};

/** An entry of the attachment filter: a file name (wildcards allowed) or a MIME content type. */
export const attachmentFilterEntrySchema: ObjectSchema = {
  typeName: 'AttachmentFilterEntry',
  noun: 'AttachmentFilterEntry',
  label: 'attachment filter entry',
  scope: 'organization',
  properties: [
    prop({ name: 'Name', typeName: 'String', description: 'The entry: Type:Name, e.g. FileName:*.exe.', parse: parseString, settable: 'never', runtime: true }),
    prop({ name: 'Type', typeName: 'AttachmentType', description: 'FileName or ContentType.', parse: choice('Type', ['FileName', 'ContentType']), settable: 'new', runtime: true }),
    prop({ name: 'Pattern', typeName: 'String', description: 'The file name (* and ? as wildcards) or the content type (type/subtype).', parse: parseString, settable: 'new', runtime: true }),
  ],
};

const wholeNumber =
  (name: string, min: number, max: number) =>
  (v: unknown): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new ValueError(`${name} must be a whole number from ${min} to ${max} (not "${String(v)}").`);
    return n;
  };

/** The Protocol Analysis agent's sender reputation (agents/sender-reputation.ts says how the SRL is computed). */
export const senderReputationConfigSchema: ObjectSchema = {
  typeName: 'SenderReputationConfig',
  noun: 'SenderReputationConfig',
  label: 'sender reputation configuration',
  scope: 'organization',
  properties: [
    prop({ name: 'Name', typeName: 'String', description: 'The settings object.', parse: parseString, settable: 'never', runtime: false }),
    prop({
      name: 'SrlBlockThreshold',
      typeName: 'Int32',
      description:
        'The sender reputation level (0-9) at which a source address is blocked. The SRL is computed once an address has sent 20 messages: 9 times the largest of the shares of its messages scored SCL 7 or more, of its recipients the Recipient Filter refused, and of its messages with a HELO name that claims to be this organization.',
      parse: wholeNumber('SrlBlockThreshold', 0, 9),
      default: 7,
      settable: 'set',
      runtime: true,
    }),
    prop({
      name: 'SenderBlockingEnabled',
      typeName: 'Boolean',
      description: 'Put an address whose SRL reaches SrlBlockThreshold on the IP Block list (an entry with IsMachineGenerated $true, refused with the MachineEntryRejectionResponse).',
      parse: parseBool,
      default: true,
      settable: 'set',
      runtime: true,
    }),
    prop({
      name: 'SenderBlockingPeriod',
      typeName: 'Int32',
      description: 'Hours (0-48) the address stays on the IP Block list; 0 blocks nothing.',
      parse: wholeNumber('SenderBlockingPeriod', 0, 48),
      default: 24,
      settable: 'set',
      runtime: true,
    }),
    prop({
      name: 'OpenProxyDetectionEnabled',
      typeName: 'Boolean',
      description: 'Exchange connects back to a sender to test it for an open proxy. Gatehouse makes no such connections: only $false is accepted.',
      parse: (v) => {
        if (parseBool(v))
          throw new ValueError("OpenProxyDetectionEnabled $true is not available: Gatehouse does not connect back to senders to test them for open proxies. The SRL rests on their messages' SCLs, refused recipients and HELO names.");
        return false;
      },
      default: false,
      settable: 'set',
      runtime: true,
    }),
    enabled('sender reputation'),
    externalMail,
    internalMail,
  ],
};

/** The settings objects, each with the one name Exchange shows. */
export const ANTISPAM_CONFIGS: ReadonlyArray<{ schema: ObjectSchema; name: string; agent: string }> = [
  { schema: senderFilterConfigSchema, name: 'SenderFilterConfig', agent: 'Sender Filter Agent' },
  { schema: senderIdConfigSchema, name: 'SenderIdConfig', agent: 'Sender Id Agent' },
  { schema: dmarcConfigSchema, name: 'DmarcConfig', agent: 'DMARC Agent' },
  { schema: contentFilterConfigSchema, name: 'ContentFilterConfig', agent: 'Content Filter Agent' },
  { schema: attachmentFilterListConfigSchema, name: 'AttachmentFilterListConfig', agent: 'Attachment Filtering Agent' },
  { schema: recipientFilterConfigSchema, name: 'RecipientFilterConfig', agent: 'Recipient Filter Agent' },
  { schema: senderReputationConfigSchema, name: 'SenderReputationConfig', agent: 'Protocol Analysis Agent' },
  { schema: ipBlockListConfigSchema, name: 'IPBlockListConfig', agent: 'Connection Filtering Agent' },
  { schema: ipAllowListConfigSchema, name: 'IPAllowListConfig', agent: 'Connection Filtering Agent' },
  { schema: ipBlockListProvidersConfigSchema, name: 'IPBlockListProvidersConfig', agent: 'Connection Filtering Agent' },
];
