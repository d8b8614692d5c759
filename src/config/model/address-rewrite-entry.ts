// An address rewrite entry of the Edge's Address Rewriting agents (spec
// exchange-edge-agents.md §3.8; New-/Set-/Get-/Remove-AddressRewriteEntry):
// an internal address, domain or domain with its subdomains (*.contoso.com),
// and the external address or domain it becomes in mail leaving the
// organization. Unless OutboundOnly, the external form is turned back into the
// internal one in the recipients of mail from the Internet. The rules that
// tie the properties together (an address maps to an address, a domain to a
// domain; *.domain only outbound; exceptions only for *.domain) are in
// `entryProblems`, which New- and Set- both apply. Pure.

import { prop, type ObjectSchema } from '../schema.js';
import { SmtpAddress, SmtpDomain } from '../types/index.js';
import { ValueError } from '../types/value-error.js';
import type { Problem } from '../validate.js';
import { objectName, parseBool, parseString } from './common.js';

/** What an InternalAddress names. */
export type RewriteScope = 'Address' | 'Domain' | 'DomainAndSubdomains';

/** The scope of an InternalAddress as stored (already parsed). */
export function scopeOf(internal: string): RewriteScope {
  if (internal.startsWith('*.')) return 'DomainAndSubdomains';
  return internal.includes('@') ? 'Address' : 'Domain';
}

function asDomain(text: string, parameter: string): string {
  try {
    return SmtpDomain.parse(text).toString().toLowerCase();
  } catch (err) {
    throw new ValueError(`${parameter} "${text}" is not a valid domain: ${(err as Error).message}`);
  }
}

function asAddress(text: string, parameter: string): string {
  try {
    const a = SmtpAddress.parse(text);
    return `${a.local}@${a.domain.toLowerCase()}`;
  } catch (err) {
    throw new ValueError(`${parameter} "${text}" is not a valid email address: ${(err as Error).message}`);
  }
}

/** user@contoso.com, contoso.com or *.contoso.com. */
export function parseInternalAddress(input: unknown): string {
  const text = parseString(input).trim();
  if (text === '') throw new ValueError('InternalAddress cannot be empty. Give an email address (david@contoso.com), a domain (contoso.com) or a domain and all its subdomains (*.contoso.com).');
  if (text.includes('@')) {
    if (text.includes('*')) throw new ValueError(`InternalAddress "${text}": the wildcard character (*) is only allowed as *.domain (a domain and all its subdomains), not in an email address.`);
    return asAddress(text, 'InternalAddress');
  }
  if (text.startsWith('*.')) {
    const rest = text.slice(2);
    if (rest.includes('*')) throw new ValueError(`InternalAddress "${text}": only one wildcard is allowed, at the start (*.contoso.com).`);
    return `*.${asDomain(rest, 'InternalAddress')}`;
  }
  if (text.includes('*')) throw new ValueError(`InternalAddress "${text}": the wildcard character (*) is only allowed at the start, as *.contoso.com.`);
  return asDomain(text, 'InternalAddress');
}

/** An email address or a single domain, never a wildcard. */
export function parseExternalAddress(input: unknown): string {
  const text = parseString(input).trim();
  if (text === '') throw new ValueError('ExternalAddress cannot be empty. Give an email address (david@northwindtraders.com) or a domain (northwindtraders.com).');
  if (text.includes('*')) throw new ValueError(`ExternalAddress "${text}": the wildcard character (*) can't be used in ExternalAddress. Give an email address or a single domain.`);
  return text.includes('@') ? asAddress(text, 'ExternalAddress') : asDomain(text, 'ExternalAddress');
}

function parseException(input: unknown): string {
  const text = parseString(input).trim();
  if (text.includes('*')) throw new ValueError(`ExceptionList "${text}": give a domain without wildcards; its subdomains are excepted with it.`);
  if (text.includes('@')) throw new ValueError(`ExceptionList "${text}": give domains, not email addresses.`);
  return asDomain(text, 'ExceptionList');
}

/** The most exceptions one entry takes. */
export const MAX_EXCEPTIONS = 100;

export const addressRewriteEntrySchema: ObjectSchema = {
  typeName: 'AddressRewriteEntry',
  noun: 'AddressRewriteEntry',
  label: 'address rewrite entry',
  scope: 'organization',
  properties: [
    prop({ name: 'Name', typeName: 'String', description: 'A unique name for the entry (at most 64 characters).', parse: objectName(64), settable: 'both', runtime: true }),
    prop({
      name: 'InternalAddress',
      typeName: 'String',
      description: 'The original addresses: one email address (david@contoso.com), one domain (contoso.com or sales.contoso.com), or a domain and all its subdomains (*.contoso.com, with OutboundOnly $true).',
      parse: parseInternalAddress,
      settable: 'both',
      runtime: true,
    }),
    prop({
      name: 'ExternalAddress',
      typeName: 'String',
      description: 'What they become in mail leaving the organization: an email address when InternalAddress is one, else a single domain (no wildcard).',
      parse: parseExternalAddress,
      settable: 'both',
      runtime: true,
    }),
    prop({
      name: 'ExceptionList',
      typeName: 'MultiValuedProperty',
      description: `Domains (with their subdomains) that are not rewritten when InternalAddress is *.domain. At most ${MAX_EXCEPTIONS}.`,
      parse: parseException,
      multi: true,
      default: () => [],
      nullable: true,
      settable: 'both',
      runtime: true,
    }),
    prop({
      name: 'OutboundOnly',
      typeName: 'Boolean',
      description: '$true: only mail leaving the organization is rewritten. $false (the default): the recipients of mail from the Internet are also rewritten back, from the external to the internal address. Must be $true for *.domain.',
      parse: parseBool,
      default: false,
      settable: 'both',
      runtime: true,
    }),
  ],
};

/**
 * The rules between an entry's properties, and against the other entries: one entry per
 * InternalAddress (so that the outbound result is never ambiguous).
 */
export function entryProblems(values: Record<string, unknown>, others: ReadonlyArray<{ values: Record<string, unknown> }>): Problem[] {
  const internal = String(values.InternalAddress ?? '');
  const external = String(values.ExternalAddress ?? '');
  const exceptions = Array.isArray(values.ExceptionList) ? values.ExceptionList.map(String) : [];
  const scope = scopeOf(internal);
  const problems: Problem[] = [];
  if (scope === 'Address' && !external.includes('@')) {
    problems.push({ property: 'ExternalAddress', message: `InternalAddress ${internal} is an email address, so ExternalAddress must be an email address too (not the domain ${external}).` });
  }
  if (scope !== 'Address' && external.includes('@')) {
    problems.push({ property: 'ExternalAddress', message: `InternalAddress ${internal} is a domain, so ExternalAddress must be a single domain (not the email address ${external}).` });
  }
  if (scope === 'DomainAndSubdomains' && values.OutboundOnly !== true) {
    problems.push({ property: 'OutboundOnly', message: `InternalAddress ${internal} rewrites a domain and all its subdomains, which can only be done in outbound mail: add -OutboundOnly $true.` });
  }
  if (exceptions.length > 0 && scope !== 'DomainAndSubdomains') {
    problems.push({ property: 'ExceptionList', message: `ExceptionList only applies when InternalAddress is a domain with all its subdomains (*.contoso.com); ${internal} is not.` });
  }
  if (scope === 'DomainAndSubdomains') {
    const base = internal.slice(2);
    const outside = exceptions.filter((d) => d !== base && !d.endsWith(`.${base}`));
    if (outside.length > 0) problems.push({ property: 'ExceptionList', message: `ExceptionList: ${outside.join(', ')} ${outside.length === 1 ? 'is' : 'are'} not within ${internal}, so there is nothing to except.` });
  }
  if (exceptions.length > MAX_EXCEPTIONS) problems.push({ property: 'ExceptionList', message: `ExceptionList holds ${exceptions.length} domains; at most ${MAX_EXCEPTIONS} are allowed.` });
  const clash = others.find((o) => String(o.values.InternalAddress ?? '').toLowerCase() === internal.toLowerCase());
  if (clash) problems.push({ property: 'InternalAddress', message: `The address rewrite entry "${String(clash.values.Name)}" already rewrites ${internal}. Change that entry (Set-AddressRewriteEntry) or remove it first.` });
  return problems;
}
