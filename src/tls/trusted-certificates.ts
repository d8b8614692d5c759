// The certificates outbound TLS trusts beside the system's CAs: every
// certificate in the store (this server's own and imported peers').

import { certificateSchema } from '../config/model/certificate.js';
import type { Repository } from '../store/repository.js';

/** Every certificate in the store, trusted for outbound TLS beside the system's CAs (imported peers included). */
export function trustedCertificates(repo: Repository): string[] {
  return repo
    .list(certificateSchema)
    .map((x) => String(x.values.CertificatePem))
    .filter((p) => p.includes('BEGIN CERTIFICATE'));
}
