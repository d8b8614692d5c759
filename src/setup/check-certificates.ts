// `gatehouse check`, certificates: every enabled Receive connector that offers
// STARTTLS needs a certificate it can use for its Fqdn (or the one its
// TlsCertificateName names); certificates enabled for SMTP must not be expired
// or expire within 30 days.

import type { ModelObject } from '../store/repository.js';
import type { ReceiveConnectorConfig } from '../config/transport-config.js';
import { coversName, infoOf, servicesOf, smtpCandidates } from '../tls/certificate-selection.js';
import { shellFix, type Finding } from './check-finding.js';

const SOON_MS = 30 * 86_400_000;

export function checkCertificates(dir: string, certs: ModelObject[], connectors: ReceiveConnectorConfig[], now: Date): Finding[] {
  const out: Finding[] = [];
  const day = (d: Date) => d.toISOString().slice(0, 10);
  const renew = (fqdn: string) => shellFix(dir, `New-ExchangeCertificate -DomainName ${fqdn} -Services SMTP -Force`);
  for (const c of connectors) {
    if (!c.enabled || !(c.authMechanism.has('Tls') || c.requireTls)) continue;
    if (smtpCandidates(certs, c.fqdn, c.tlsCertificateName, now).length > 0) continue;
    const covering = certs.filter((x) => servicesOf(x).has('SMTP') && coversName(x, c.fqdn));
    let why: string;
    if (c.tlsCertificateName) {
      why = `its TlsCertificateName ${c.tlsCertificateName} names no certificate of this server that is usable now (present, in its validity period, with its private key)`;
    } else if (covering.length > 0) {
      const info = infoOf(covering[0]);
      why = info && info.notAfter < now ? `the certificate for ${c.fqdn} (${String(covering[0].values.Name)}) expired on ${day(info.notAfter)}` : `no certificate for ${c.fqdn} is usable now (not yet valid, or without its private key)`;
    } else {
      why = `no certificate enabled for SMTP carries its Fqdn ${c.fqdn}`;
    }
    out.push({ area: 'certificates', problem: `Receive connector ${c.identity} offers STARTTLS but ${why}; STARTTLS is not offered${c.requireTls ? ' and, with RequireTLS, no mail is accepted' : ''}`, fix: renew(c.fqdn) });
  }
  for (const cert of certs) {
    if (!servicesOf(cert).has('SMTP')) continue;
    const info = infoOf(cert);
    if (!info) continue;
    const names = Array.isArray(cert.values.CertificateDomains) ? cert.values.CertificateDomains.map(String) : [];
    const fqdn = names.find((n) => !n.startsWith('*.')) ?? String(cert.values.Subject).replace(/^CN=/i, '').split(',')[0];
    // A new self-signed certificate takes its place, then the old one goes (import a CA-issued one instead where peers check).
    const replace = `${renew(fqdn)} && ${shellFix(dir, `Remove-ExchangeCertificate -Thumbprint ${String(cert.values.Name)} -Confirm:$false`)}`;
    if (info.notAfter < now) {
      out.push({ area: 'certificates', problem: `certificate ${String(cert.values.Name)} (${String(cert.values.Subject)}), enabled for SMTP, expired on ${day(info.notAfter)}`, fix: replace });
    } else if (info.notAfter.getTime() - now.getTime() < SOON_MS) {
      out.push({ area: 'certificates', problem: `certificate ${String(cert.values.Name)} (${String(cert.values.Subject)}), enabled for SMTP, expires on ${day(info.notAfter)}, within 30 days`, fix: replace });
    }
  }
  return out;
}
