// AddressSpace: one entry of a Send connector's AddressSpaces,
// "[Type:]AddressSpace[;Cost]".
//
// - Type: omitted = SMTP; any casing of "smtp" is displayed "SMTP" and of
//   "x400" "X400"; other types are kept as typed (whether a non-SMTP type is
//   allowed on this server role is the caller's decision: see isSmtp).
// - SMTP address spaces: "*", "*.com", "*.contoso.com", "contoso.com" and the
//   special "--" (all accepted domains, Edge internal-org connectors). A
//   wildcard only as the whole first label: "*contoso.com" and
//   "a.*.contoso.com" are refused. Domain labels per RFC 1035/1123.
// - Non-SMTP address spaces: any non-empty text. When it contains ";" the
//   cost must be written, since the last ";" part is always read as the cost.
// - Cost: whole number 1-100, default 1.
// Display and storage form: "SMTP:*;1", "SMTP:*.contoso.com;1", "X400:c=us;5".
// Matching (SMTP only): "*" matches every domain; "*.contoso.com" matches
// contoso.com and all its subdomains; "contoso.com" only itself; "--" matches
// nothing by itself (the caller expands it to the accepted domains).
// specificity(): exact match > "*.parent" with more labels > fewer labels > "*".

import { domainNameProblem, normalizeDomain } from './domain-name.js';
import { ValueError, inputText } from './value-error.js';

const EXAMPLES = 'Use [Type:]AddressSpace[;Cost], for example *, *.contoso.com, contoso.com, "SMTP:contoso.com;2" or "X400:c=us;a=fabrikam;5".';

function invalid(input: unknown, detail: string): ValueError {
  return new ValueError(`"${inputText(input)}" is not a valid address space. ${detail} ${EXAMPLES}`, input);
}

function canonicalType(type: string): string {
  const lower = type.toLowerCase();
  if (lower === 'smtp') return 'SMTP';
  if (lower === 'x400') return 'X400';
  return type;
}

export class AddressSpace {
  /** "SMTP", "X400" or another type as typed. */
  readonly type: string;
  /** The address space itself, as typed ("*.contoso.com", "--", "c=us;a=x"). */
  readonly address: string;
  /** 1-100; lower is preferred. */
  readonly cost: number;

  private constructor(type: string, address: string, cost: number) {
    this.type = type;
    this.address = address;
    this.cost = cost;
    Object.freeze(this);
  }

  static parse(input: unknown): AddressSpace {
    if (input instanceof AddressSpace) return input;
    if (typeof input !== 'string') throw invalid(input, 'An address space is text.');
    const text = input.trim();
    if (text === '') throw invalid(input, 'The value is empty.');

    let type = 'SMTP';
    let rest = text;
    const colon = text.indexOf(':');
    if (colon >= 0) {
      type = canonicalType(text.slice(0, colon).trim());
      rest = text.slice(colon + 1).trim();
      if (type === '' || /[\s;]/.test(type)) throw invalid(input, 'The address space type is missing or not valid.');
    }
    const isSmtp = type === 'SMTP';

    let cost = 1;
    const semi = rest.lastIndexOf(';');
    if (semi >= 0) {
      const costText = rest.slice(semi + 1).trim();
      if (!/^\d+$/.test(costText)) {
        throw invalid(input, isSmtp ? 'The cost must be a whole number between 1 and 100.' : 'When the address space contains ";", the cost must be written after a last ";" (a whole number between 1 and 100).');
      }
      cost = Number(costText);
      rest = rest.slice(0, semi).trim();
    }
    if (cost < 1 || cost > 100) throw invalid(input, 'The cost must be a whole number between 1 and 100.');
    if (rest === '') throw invalid(input, 'The address space is empty.');

    if (isSmtp) {
      if (rest !== '*' && rest !== '--') {
        const domain = rest.startsWith('*.') ? rest.slice(2) : rest;
        if (domain.includes('*')) {
          throw invalid(input, 'A wildcard is allowed only as the whole first label ("*.contoso.com"), or alone ("*").');
        }
        const problem = domainNameProblem(domain);
        if (problem) throw invalid(input, problem);
      }
    }
    return new AddressSpace(type, rest, cost);
  }

  get isSmtp(): boolean {
    return this.type === 'SMTP';
  }

  /** The special SMTP address space "--" (all accepted domains). */
  get isAllAcceptedDomains(): boolean {
    return this.isSmtp && this.address === '--';
  }

  /** Whether an SMTP recipient domain falls in this address space (case-insensitive). */
  matches(domain: string): boolean {
    return this.specificity(domain) !== null;
  }

  /**
   * How specifically this address space matches the domain, or null when it
   * does not match. "*" scores 0; "*.parent" scores 2 x (labels of parent);
   * an exact domain scores 2 x (labels) + 1, so it beats any wildcard that
   * also matches the same domain.
   */
  specificity(domain: string): number | null {
    if (!this.isSmtp || this.isAllAcceptedDomains) return null;
    if (this.address === '*') return 0;
    const d = normalizeDomain(domain);
    const wildcard = this.address.startsWith('*.');
    const base = (wildcard ? this.address.slice(2) : this.address).toLowerCase();
    const labels = base.split('.').length;
    if (d === base) return wildcard ? 2 * labels : 2 * labels + 1;
    if (wildcard && d.endsWith(`.${base}`)) return 2 * labels;
    return null;
  }

  equals(other: unknown): boolean {
    return other instanceof AddressSpace && other.type.toLowerCase() === this.type.toLowerCase() && other.address.toLowerCase() === this.address.toLowerCase() && other.cost === this.cost;
  }

  toString(): string {
    return `${this.type}:${this.address};${this.cost}`;
  }

  toJSON(): string {
    return this.toString();
  }
}
