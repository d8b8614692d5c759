// Domain-valued settings:
// - SmtpDomain: a plain domain ("contoso.com"), e.g. a TLS domain-secure list entry.
// - SmtpDomainWithSubdomains: a domain, "*.domain" (the domain and all its
//   subdomains) or "*" (every domain); used by accepted domains and TlsDomain.
// - Fqdn: a host name (connector Fqdn, server names); single-label names such
//   as "edge01" are accepted.
// Validation: see domain-name.ts (RFC 1035/1123 labels, 63/255 limits; a
// wildcard only as a whole leading "*." label). Values are kept in the
// administrator's casing for display and compared case-insensitively.
// Display and storage form: the value as given (trimmed).

import { domainNameProblem, hostNameProblem, normalizeDomain } from './domain-name.js';
import { ValueError, inputText } from './value-error.js';

function domainError(input: unknown, problem: string, examples: string): ValueError {
  return new ValueError(`"${inputText(input)}" is not a valid domain name. ${problem} ${examples}`, input);
}

function asText(input: unknown): string | null {
  return typeof input === 'string' ? input.trim() : null;
}

export class SmtpDomain {
  /** The domain as given (casing kept). */
  readonly domain: string;

  private constructor(domain: string) {
    this.domain = domain;
    Object.freeze(this);
  }

  static parse(input: unknown): SmtpDomain {
    if (input instanceof SmtpDomain) return input;
    const text = asText(input);
    if (text === null) throw domainError(input, 'A domain name is text.', 'Example: contoso.com.');
    const problem = text.includes('*') ? 'Wildcards are not allowed here.' : domainNameProblem(text);
    if (problem) throw domainError(input, problem, 'Example: contoso.com.');
    return new SmtpDomain(text);
  }

  /** Exact match, case-insensitive (a trailing dot on the argument is ignored). */
  matches(domain: string): boolean {
    return normalizeDomain(domain) === this.domain.toLowerCase();
  }

  equals(other: unknown): boolean {
    return other instanceof SmtpDomain && other.domain.toLowerCase() === this.domain.toLowerCase();
  }

  toString(): string {
    return this.domain;
  }

  toJSON(): string {
    return this.domain;
  }
}

export class SmtpDomainWithSubdomains {
  /** The domain without the "*." prefix; empty for "*". */
  readonly domain: string;
  /** True for "*" and "*.domain". */
  readonly includeSubdomains: boolean;

  private constructor(domain: string, includeSubdomains: boolean) {
    this.domain = domain;
    this.includeSubdomains = includeSubdomains;
    Object.freeze(this);
  }

  static readonly ALL = new SmtpDomainWithSubdomains('', true);

  static parse(input: unknown): SmtpDomainWithSubdomains {
    if (input instanceof SmtpDomainWithSubdomains) return input;
    if (input instanceof SmtpDomain) return new SmtpDomainWithSubdomains(input.domain, false);
    const examples = 'Examples: contoso.com, *.contoso.com, *.';
    const text = asText(input);
    if (text === null) throw domainError(input, 'A domain name is text.', examples);
    if (text === '*') return SmtpDomainWithSubdomains.ALL;
    const wildcard = text.startsWith('*.');
    const rest = wildcard ? text.slice(2) : text;
    if (rest.includes('*')) {
      throw domainError(input, 'A wildcard is allowed only as the whole first label ("*.contoso.com").', examples);
    }
    const problem = domainNameProblem(rest);
    if (problem) throw domainError(input, problem, examples);
    return new SmtpDomainWithSubdomains(rest, wildcard);
  }

  /** True for "*". */
  get isStar(): boolean {
    return this.domain === '';
  }

  /**
   * "*" matches every domain; "*.contoso.com" matches contoso.com and every
   * subdomain at any depth; "contoso.com" matches only itself. Case-insensitive.
   */
  matches(domain: string): boolean {
    if (this.isStar) return true;
    const d = normalizeDomain(domain);
    const mine = this.domain.toLowerCase();
    return d === mine || (this.includeSubdomains && d.endsWith(`.${mine}`));
  }

  equals(other: unknown): boolean {
    return other instanceof SmtpDomainWithSubdomains && other.includeSubdomains === this.includeSubdomains && other.domain.toLowerCase() === this.domain.toLowerCase();
  }

  toString(): string {
    if (this.isStar) return '*';
    return this.includeSubdomains ? `*.${this.domain}` : this.domain;
  }

  toJSON(): string {
    return this.toString();
  }
}

export class Fqdn {
  /** The name as given (casing kept). */
  readonly name: string;

  private constructor(name: string) {
    this.name = name;
    Object.freeze(this);
  }

  static parse(input: unknown): Fqdn {
    if (input instanceof Fqdn) return input;
    const text = asText(input);
    const problem = text === null ? 'A host name is text.' : hostNameProblem(text);
    if (problem) {
      throw new ValueError(`"${inputText(input)}" is not a valid FQDN. ${problem} Examples: edge01, edge01.contoso.net.`, input);
    }
    return new Fqdn(text as string);
  }

  /** True for a name without dots ("edge01"). */
  get isSingleLabel(): boolean {
    return !this.name.includes('.');
  }

  equals(other: unknown): boolean {
    return other instanceof Fqdn && other.name.toLowerCase() === this.name.toLowerCase();
  }

  toString(): string {
    return this.name;
  }

  toJSON(): string {
    return this.name;
  }
}
