// DANE authentication of an SMTP server's certificate (RFC 7672 §3, RFC 7671)
// against the usable TLSA records of its MX host (dns/dane-records.ts).
//
// - DANE-EE(3): the leaf certificate (selector 0) or its public key
//   (selector 1), as is or hashed (matching type 0/1/2), equals a record's
//   data. Nothing else is checked: no name, no expiry, no chain (§3.1.1).
// - DANE-TA(2): a certificate of the chain the server presented, other than
//   the leaf, matches a record, the leaf chains up to it (each certificate
//   issued and signed by the next), the leaf is within its validity period and
//   carries the MX host's name or the next-hop domain (§3.2.2, §3.2.3).
// Any one matching record is enough.

import { createHash, X509Certificate } from 'node:crypto';
import type { TlsaRecord } from '../../dns/dane-records.js';
import { tlsaText } from '../../dns/dane-records.js';

export type DaneVerdict = { ok: true; how: string } | { ok: false; reason: string };

function selected(cert: X509Certificate, selector: number): Buffer {
  return selector === 0 ? cert.raw : cert.publicKey.export({ type: 'spki', format: 'der' });
}

function associated(data: Buffer, matchingType: number): Buffer {
  if (matchingType === 1) return createHash('sha256').update(data).digest();
  if (matchingType === 2) return createHash('sha512').update(data).digest();
  return data;
}

/** Whether `cert` matches one TLSA record. */
export function tlsaMatches(cert: X509Certificate, r: TlsaRecord): boolean {
  return associated(selected(cert, r.selector), r.matchingType).equals(r.data);
}

/**
 * The verdict on a presented chain (DER, leaf first, in the order the issuers follow) for the
 * MX host `names[0]` (other acceptable names after it).
 */
export function daneVerify(chainDer: Buffer[], tlsa: TlsaRecord[], names: string[], now = new Date()): DaneVerdict {
  if (chainDer.length === 0) return { ok: false, reason: 'presented no certificate' };
  let chain: X509Certificate[];
  try {
    chain = chainDer.map((d) => new X509Certificate(d));
  } catch (err) {
    return { ok: false, reason: `presented a certificate that cannot be read (${(err as Error).message})` };
  }
  const leaf = chain[0];
  const ee = tlsa.filter((r) => r.usage === 3).find((r) => tlsaMatches(leaf, r));
  if (ee) return { ok: true, how: `DANE-EE ${tlsaText(ee)}` };

  const taRecords = tlsa.filter((r) => r.usage === 2);
  let taProblem: string | null = null;
  for (let i = 1; i < chain.length && taRecords.length > 0; i++) {
    const ta = taRecords.find((r) => tlsaMatches(chain[i], r));
    if (!ta) continue;
    for (let j = 0; j < i; j++) {
      if (!chain[j].checkIssued(chain[j + 1]) || !chain[j].verify(chain[j + 1].publicKey)) {
        taProblem = `its certificate chain does not lead to the DANE-TA trust anchor (${tlsaText(ta)}, ${chain[i].subject.replace(/\n/g, ', ')})`;
        break;
      }
    }
    if (taProblem) continue;
    const from = new Date(leaf.validFrom);
    const to = new Date(leaf.validTo);
    if (now < from || now > to) return { ok: false, reason: `presented a certificate outside its validity period (${leaf.validFrom} to ${leaf.validTo}) under DANE-TA ${tlsaText(ta)}` };
    const named = names.find((n) => leaf.checkHost(n, { subject: 'default' }) !== undefined);
    if (!named) {
      return { ok: false, reason: `presented a certificate that chains to its DANE-TA trust anchor (${tlsaText(ta)}) but carries neither ${names.join(' nor ')} (it names ${certificateNames(leaf)})` };
    }
    return { ok: true, how: `DANE-TA ${tlsaText(ta)}, name ${named}` };
  }
  if (taProblem) return { ok: false, reason: `presented a certificate whose ${taProblem}` };
  return { ok: false, reason: `presented a certificate that matches none of its ${tlsa.length} TLSA record${tlsa.length === 1 ? '' : 's'} (${tlsa.map(tlsaText).join('; ')})` };
}

function certificateNames(cert: X509Certificate): string {
  const sans = (cert.subjectAltName ?? '')
    .split(/,\s*/)
    .filter((s) => s.startsWith('DNS:'))
    .map((s) => s.slice(4));
  if (sans.length > 0) return sans.join(', ');
  const cn = /CN=([^\n]+)/.exec(cert.subject)?.[1];
  return cn ?? 'nothing';
}

/** The queue's LastError when DANE refuses a connection. */
export function daneRefusalText(host: string, endpoint: string, what: string): string {
  return `451 4.7.5 DANE authentication of ${host} [${endpoint}] failed: the server ${what}; the message was not sent and waits in the queue`;
}
