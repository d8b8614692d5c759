// Get-ExchangeCertificate: the certificates of a server (spec
// exchange-operations.md §6.3), so an admin can check that a Receive
// connector's Fqdn is among the names of the certificate STARTTLS will use.
// Only public parts are shown; private keys stay sealed.

import { X509Certificate } from 'node:crypto';
import { certificateSchema } from '../config/model/certificate.js';
import type { CommandSpec } from '../shell/command.js';
import { CmdletError, PSObject, type ObjectView } from '../shell/values.js';
import type { ModelObject } from '../store/repository.js';
import type { ServerContext } from './server-context.js';

/** Services as the 7-character mask of the default table: I P U W S F C. */
function servicesMask(services: string): string {
  const enabled = new Set(services.split(',').map((s) => s.trim().toUpperCase()));
  return ['IMAP', 'POP', 'UM', 'IIS', 'SMTP', 'FEDERATION', 'UMCALLROUTER']
    .map((s, i) => (enabled.has(s) ? 'IPUWSFC'[i] : '.'))
    .join('');
}

function status(cert: X509Certificate, now: Date): string {
  return now < new Date(cert.validFrom) || now > new Date(cert.validTo) ? 'DateInvalid' : 'Valid';
}

function toOutput(obj: ModelObject, now: Date): PSObject {
  const v = obj.values;
  const x509 = new X509Certificate(String(v.CertificatePem));
  const domains = Array.isArray(v.CertificateDomains) ? v.CertificateDomains.map(String) : [];
  const keyBits = x509.publicKey.asymmetricKeyDetails?.modulusLength;
  return new PSObject('ExchangeCertificate', [
    ['CertificateDomains', domains],
    ['HasPrivateKey', typeof v.PrivateKey === 'string' && v.PrivateKey !== ''],
    ['IsSelfSigned', v.IsSelfSigned === true],
    ['Issuer', v.Issuer],
    ['NotAfter', new Date(x509.validTo)],
    ['NotBefore', new Date(x509.validFrom)],
    ['PublicKeySize', keyBits ?? null],
    ['RootCAType', v.IsSelfSigned === true ? 'None' : 'Unknown'],
    ['SerialNumber', x509.serialNumber.toUpperCase()],
    ['Services', String(v.Services).split(',').map((s) => s.trim()).join(', ')],
    ['ServicesMask', servicesMask(String(v.Services))],
    ['Status', status(x509, now)],
    ['Subject', v.Subject],
    ['Thumbprint', v.Name],
    ['Identity', `${obj.server}\\${v.Name}`],
    ['Server', obj.server],
  ]);
}

function matchesDomain(domains: string[], name: string): boolean {
  const n = name.toLowerCase();
  return domains.some((d) => {
    const dl = d.toLowerCase();
    if (dl === n) return true;
    if (!dl.startsWith('*.')) return false;
    const suffix = dl.slice(1); // ".contoso.com": a wildcard covers exactly one more label
    const label = n.slice(0, n.length - suffix.length);
    return n.endsWith(suffix) && label !== '' && !label.includes('.');
  });
}

export function certificateCommands(ctx: ServerContext): CommandSpec[] {
  return [{
    name: 'Get-ExchangeCertificate',
    synopsis: 'Lists the certificates of a server: thumbprint, services, subject and the names they are valid for.',
    parameters: [
      { name: 'Thumbprint', typeName: 'String', position: 0, description: 'Only the certificate with this thumbprint.' },
      { name: 'DomainName', typeName: 'MultiValuedProperty', description: 'Only certificates valid for these names (e.g. a Receive connector\'s Fqdn).', convert: (v) => (Array.isArray(v) ? v : [v]).map(String) },
      { name: 'Server', typeName: 'ServerIdParameter', description: 'Server whose certificates to list (default: this server).' },
    ],
    invoke(args) {
      const server = args.has('Server') ? String(args.get('Server')) : ctx.name;
      const now = new Date();
      let found = ctx.repo.list(certificateSchema).filter((c) => c.server.toLowerCase() === server.toLowerCase()
        || ctx.fqdn.toLowerCase() === server.toLowerCase() && c.server.toLowerCase() === ctx.name.toLowerCase());
      if (args.has('Thumbprint')) {
        const t = String(args.get('Thumbprint')).replace(/\s/g, '').toUpperCase();
        found = found.filter((c) => String(c.values.Name).toUpperCase() === t);
        if (found.length === 0) throw new CmdletError(`The certificate with thumbprint ${t} was not found on server ${server}.`, { reason: 'ManagementObjectNotFoundException' });
      }
      if (args.has('DomainName')) {
        const names = args.get('DomainName') as string[];
        found = found.filter((c) => names.every((n) => matchesDomain((c.values.CertificateDomains as string[]) ?? [], n)));
      }
      return found.map((c) => toOutput(c, now));
    },
  }];
}

export const certificateViews: ObjectView[] = [{
  typeName: 'ExchangeCertificate',
  display: 'table',
  table: [
    { property: 'Thumbprint', width: 41 },
    { property: 'ServicesMask', label: 'Services', width: 10 },
    { property: 'Subject' },
  ],
}];
