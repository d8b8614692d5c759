// The certificate a server's STARTTLS presents for its FQDN (public part), read
// from its folder while it is stopped: what another server imports to trust it,
// as an admin exports it from one server and imports it on the other.

import { writeFileSync } from 'node:fs';
import { presentedSmtpCertificate } from '../../src/setup/smtp-certificate.js';

export function smtpCertificate(dataDir: string): { thumbprint: string; pem: string } {
  const cert = presentedSmtpCertificate(dataDir);
  if (!cert) throw new Error(`the server in ${dataDir} has no SMTP certificate for its FQDN`);
  return cert;
}

/** Writes the server's SMTP certificate to `file` and returns the shell line that imports it elsewhere. */
export function exportSmtpCertificate(dataDir: string, file: string, friendlyName: string): string {
  writeFileSync(file, smtpCertificate(dataDir).pem);
  return `Import-ExchangeCertificate -FileName "${file}" -FriendlyName "${friendlyName}" | Out-Null`;
}
