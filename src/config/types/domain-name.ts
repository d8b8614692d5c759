// Shared checks for DNS names, used by SmtpDomain, SmtpDomainWithSubdomains,
// AddressSpace, Fqdn and SmartHost.
//
// Domain names follow RFC 1035 as relaxed by RFC 1123: labels of letters,
// digits and hyphens, 1-63 characters, not starting or ending with a hyphen;
// the whole name at most 255 characters; no empty label (so no leading,
// trailing or doubled dot). Host names (Fqdn) additionally allow underscores
// inside a label (Windows computer names), but not at its start.
// A name whose last label is all digits is refused: it is a mistyped IPv4
// address ("10.1.1.300"), never a domain.
// Each check returns null when the name is valid, otherwise a sentence that
// says what is wrong, for use in the caller's error message.

export const MAX_DOMAIN_LENGTH = 255;
export const MAX_LABEL_LENGTH = 63;

const DOMAIN_LABEL_RE = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/;
const HOST_LABEL_RE = /^[A-Za-z0-9](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?$/;

function check(name: string, labelRe: RegExp, allowed: string): string | null {
  if (name.length === 0) return 'The name is empty.';
  if (name.length > MAX_DOMAIN_LENGTH) return `The name is longer than ${MAX_DOMAIN_LENGTH} characters.`;
  const labels = name.split('.');
  for (const label of labels) {
    if (label.length === 0) return 'The name has an empty label (a leading, trailing or doubled dot).';
    if (label.length > MAX_LABEL_LENGTH) return `The label "${label}" is longer than ${MAX_LABEL_LENGTH} characters.`;
    if (!labelRe.test(label)) return `The label "${label}" is not valid: ${allowed}`;
  }
  if (/^\d+$/.test(labels[labels.length - 1])) return 'The last label must not be all digits.';
  return null;
}

/** Problems with a plain domain name (RFC 1035/1123), or null. */
export function domainNameProblem(name: string): string | null {
  return check(name, DOMAIN_LABEL_RE, 'use letters, digits and hyphens, not starting or ending with a hyphen.');
}

/** Problems with a host name (domain rules plus inner underscores), or null. */
export function hostNameProblem(name: string): string | null {
  return check(name, HOST_LABEL_RE, 'use letters, digits, hyphens and underscores, not starting with a hyphen or underscore and not ending with a hyphen.');
}

/** Lower case and without a trailing dot, for comparisons. */
export function normalizeDomain(domain: string): string {
  const d = domain.trim().toLowerCase();
  return d.endsWith('.') ? d.slice(0, -1) : d;
}
