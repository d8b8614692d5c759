// The certificate a server's STARTTLS presents for its FQDN (public part), read
// from its folder while it is stopped: what another server imports to trust it,
// as an admin exports it from one server and imports it on the other.

import { writeFileSync } from 'node:fs';
import { openServer } from '../../src/setup/server-folder.js';
import { serverCertificates, smtpCandidates } from '../../src/tls/certificate-selection.js';

export function smtpCertificate(dataDir: string): { thumbprint: string; pem: string } {
  const server = openServer(dataDir);
  try {
    const cert = smtpCandidates(serverCertificates(server.repo, server.name), server.fqdn, null, new Date())[0];
    if (!cert) throw new Error(`${server.name} has no SMTP certificate for ${server.fqdn}`);
    return { thumbprint: String(cert.values.Name), pem: String(cert.values.CertificatePem) };
  } finally {
    server.close();
  }
}

/** Writes the server's SMTP certificate to `file` and returns the shell line that imports it elsewhere. */
export function exportSmtpCertificate(dataDir: string, file: string, friendlyName: string): string {
  writeFileSync(file, smtpCertificate(dataDir).pem);
  return `Import-ExchangeCertificate -FileName "${file}" -FriendlyName "${friendlyName}" | Out-Null`;
}
