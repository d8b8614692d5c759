// Names on certificates as Exchange shows and matches them: distinguished
// names in the Windows order ("CN=mail.contoso.com, O=Contoso, C=US", most
// specific first, S= for the state), the host names a certificate is valid
// for, and wildcard matching (a "*." name covers exactly one more label).

import type { X509Certificate } from 'node:crypto';

const DISPLAY_KEYS: Record<string, string> = { ST: 'S', EMAILADDRESS: 'E' };
const X509_KEYS: Record<string, string> = { S: 'ST' };
/** Attribute types accepted in -SubjectName. */
const SUBJECT_KEYS = new Set(['CN', 'C', 'S', 'ST', 'L', 'O', 'OU', 'E', 'DC', 'STREET', 'SERIALNUMBER']);

/** One `KEY=value` of a distinguished name. */
export interface Rdn {
  key: string;
  value: string;
}

/** Node's one-attribute-per-line name (certificate order, least specific first) in the Windows display order. */
export function displayName(nodeName: string): string {
  const lines = nodeName.split('\n').filter((l) => l !== '');
  return lines
    .reverse()
    .map((line) => {
      const eq = line.indexOf('=');
      if (eq < 0) return line;
      const key = line.slice(0, eq);
      return `${DISPLAY_KEYS[key.toUpperCase()] ?? key}=${line.slice(eq + 1)}`;
    })
    .join(', ');
}

/** Splits a DN at unescaped commas (and semicolons) into its attributes, in the order written. */
export function splitDn(dn: string): Rdn[] {
  const parts: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < dn.length; i++) {
    const c = dn[i];
    if (c === '\\' && i + 1 < dn.length) {
      cur += c + dn[++i];
      continue;
    }
    if (c === '"') quoted = !quoted;
    if ((c === ',' || c === ';') && !quoted) {
      parts.push(cur);
      cur = '';
      continue;
    }
    cur += c;
  }
  parts.push(cur);
  return parts.map((p) => {
    const eq = p.indexOf('=');
    return eq < 0
      ? { key: p.trim(), value: '' }
      : {
          key: p.slice(0, eq).trim(),
          value: p
            .slice(eq + 1)
            .trim()
            .replace(/^"(.*)"$/s, '$1'),
        };
  });
}

/** Why a -SubjectName is not acceptable, or null. Needs exactly one CN, a host name. */
export function subjectNameProblem(dn: string): string | null {
  const rdns = splitDn(dn);
  for (const r of rdns) {
    if (r.key === '' && r.value === '') return `"${dn}" has an empty part between commas.`;
    if (!SUBJECT_KEYS.has(r.key.toUpperCase())) return `"${r.key}" is not a supported attribute in "${dn}"; use C, S, L, O, OU and CN, e.g. "C=US, S=WA, L=Redmond, O=Contoso, CN=mail.contoso.com".`;
    if (r.value === '') return `${r.key}= has no value in "${dn}".`;
    if (r.key.toUpperCase() === 'C' && !/^[A-Za-z]{2}$/.test(r.value)) return `C=${r.value} is not a two-letter country code (e.g. C=US).`;
  }
  const cns = rdns.filter((r) => r.key.toUpperCase() === 'CN');
  if (cns.length !== 1) return `"${dn}" must contain exactly one CN=, the host name the certificate is for (e.g. "CN=mail.contoso.com").`;
  const p = domainNameProblem(cns[0].value);
  return p ? `CN=${cns[0].value}: ${p}` : null;
}

/** The DN in the Windows display order: attributes as written, keys upper-case, ", " between them. */
export function normalizeSubjectName(dn: string): string {
  return splitDn(dn)
    .map((r) => `${r.key.toUpperCase() === 'ST' ? 'S' : r.key.toUpperCase()}=${r.value}`)
    .join(', ');
}

/** The DN for the certificate encoder: X.509 keys, certificate order (least specific first). */
export function x509NameString(dn: string): string {
  return splitDn(dn)
    .reverse()
    .map((r) => `${X509_KEYS[r.key.toUpperCase()] ?? r.key.toUpperCase()}=${r.value.replace(/([,+"\\<>;])/g, '\\$1')}`)
    .join(', ');
}

/** The CN of a displayed DN, or null. */
export function commonName(dn: string): string | null {
  return splitDn(dn).find((r) => r.key.toUpperCase() === 'CN')?.value ?? null;
}

/** Why a name cannot be a certificate domain (a-z, 0-9, '-', '.', an optional leading "*."), or null. */
export function domainNameProblem(name: string): string | null {
  if (name.length === 0) return 'A domain name cannot be empty.';
  if (name.length > 255) return `"${name}" is longer than 255 characters.`;
  const body = name.startsWith('*.') ? name.slice(2) : name;
  if (!/^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*$/.test(body)) {
    return `"${name}" is not a valid domain name: use letters a-z, digits, hyphens and dots, optionally starting with "*." (e.g. mail.contoso.com, *.contoso.com).`;
  }
  if (body.split('.').some((l) => l.startsWith('-') || l.endsWith('-') || l.length > 63)) return `"${name}" has a label that starts or ends with a hyphen or is longer than 63 characters.`;
  return null;
}

/** True when `pattern` (a name on a certificate) covers `name`; "*.contoso.com" covers exactly one label. */
export function domainMatches(pattern: string, name: string): boolean {
  const p = pattern.toLowerCase().replace(/\.$/, '');
  const n = name.toLowerCase().replace(/\.$/, '');
  if (p === n) return true;
  if (!p.startsWith('*.')) return false;
  const suffix = p.slice(1);
  if (!n.endsWith(suffix)) return false;
  const label = n.slice(0, n.length - suffix.length);
  return label !== '' && !label.includes('.');
}

/** The DNS names a certificate is for: its SAN DNS entries, or its CN when it has none. */
export function certificateDomains(cert: X509Certificate): string[] {
  const san = cert.subjectAltName;
  const names = san
    ? san
        .split(/,\s*/)
        .filter((e) => e.startsWith('DNS:'))
        .map((e) => e.slice(4))
    : [];
  if (names.length > 0) return names;
  const cn = commonName(displayName(cert.subject));
  return cn ? [cn] : [];
}

/** `<I>issuer<S>subject` split, or null when malformed. */
export function parseTlsCertificateName(value: string): { issuer: string; subject: string } | null {
  const m = /^<I>(.*)<S>(.*)$/s.exec(value);
  return m ? { issuer: m[1], subject: m[2] } : null;
}

/** Compares DNs loosely: case and spaces after separators do not matter, ST= equals S=. */
export function sameDn(a: string, b: string): boolean {
  const norm = (dn: string) =>
    splitDn(dn)
      .map((r) => `${r.key.toUpperCase() === 'ST' ? 'S' : r.key.toUpperCase()}=${r.value.toLowerCase()}`)
      .join(',');
  return norm(a) === norm(b);
}
