// The certificate a server's STARTTLS presents for its FQDN (public part),
// read from its folder: what another server imports to trust it, as an admin
// exports it from one server and imports it on the other (the lab does so for
// its servers, and the tests for theirs).

import { serverCertificates, smtpCandidates } from '../tls/certificate-selection.js';
import { openServer, type OpenOptions } from './server-folder.js';

/** Its thumbprint and PEM, or null when the server has no SMTP certificate for its FQDN. */
export function presentedSmtpCertificate(dataDir: string, options: OpenOptions = {}): { server: string; fqdn: string; thumbprint: string; pem: string } | null {
  const server = openServer(dataDir, options);
  try {
    const cert = smtpCandidates(serverCertificates(server.repo, server.name), server.fqdn, null, new Date())[0];
    return cert ? { server: server.name, fqdn: server.fqdn, thumbprint: String(cert.values.Name), pem: String(cert.values.CertificatePem) } : null;
  } finally {
    server.close();
  }
}
