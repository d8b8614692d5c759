// Accepted domain: a domain this organization (or this Edge) receives mail for
// (spec exchange-connectors.md §7.3, §7.4). The first one becomes the default.

import { prop, type ObjectSchema } from '../schema.js';
import { SmtpDomainWithSubdomains } from '../types/index.js';
import { objectName, parseBool } from './common.js';
import { AcceptedDomainTypeEnum } from './enums.js';

export const acceptedDomainSchema: ObjectSchema = {
  typeName: 'AcceptedDomain',
  noun: 'AcceptedDomain',
  label: 'accepted domain',
  scope: 'organization',
  properties: [
    prop({ name: 'AddressBookEnabled', typeName: 'Boolean', description: 'Recipient lookup for this domain (default $true for Authoritative, $false for relay domains).', parse: parseBool, settable: 'set', runtime: true }),
    prop({ name: 'Default', typeName: 'Boolean', description: 'The default domain (postmaster address, default email address policy).', parse: parseBool, default: false, settable: 'never', runtime: true }),
    prop({
      name: 'DomainName',
      typeName: 'SmtpDomainWithSubdomains',
      description: 'The domain: contoso.com, or *.contoso.com for the domain and all its subdomains.',
      parse: (v) => SmtpDomainWithSubdomains.parse(v),
      settable: 'new',
      runtime: true,
    }),
    prop({ name: 'DomainType', typeName: 'AcceptedDomainType', description: 'Authoritative, InternalRelay or ExternalRelay.', parse: (v) => AcceptedDomainTypeEnum.parse(v), default: 'Authoritative', settable: 'both', runtime: true }),
    prop({ name: 'MatchSubDomains', typeName: 'Boolean', description: 'Also accept mail for every subdomain.', parse: parseBool, default: false, settable: 'set', runtime: true }),
    prop({ name: 'Name', typeName: 'String', description: 'Unique name of the accepted domain (at most 64 characters).', parse: objectName(64), settable: 'both', runtime: false }),
  ],
};
