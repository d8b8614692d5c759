// The certificate STARTTLS offers, chosen once per connector name rather than at every EHLO:
// choosing reads every stored certificate, parses each and opens the chosen one's private key,
// which cost a session half a millisecond of the main thread. A choice is kept until the
// configuration changes (the transport service clears the cache on each reload) or for a minute
// at most, so that a certificate whose validity begins or ends is taken up or dropped by itself.

import type { SelectedCertificate } from './certificate-selection.js';

const KEEP_MS = 60_000;

export class CertificateCache {
  private readonly chosen = new Map<string, { certificate: SelectedCertificate | null; until: number }>();

  constructor(
    private readonly choose: (fqdn: string, tlsCertificateName: string | null) => SelectedCertificate | null,
    private readonly now: () => number = Date.now,
  ) {}

  /** The certificate for a connector with this Fqdn and TlsCertificateName (null: STARTTLS is not offered). */
  get(fqdn: string, tlsCertificateName: string | null): SelectedCertificate | null {
    const key = `${fqdn.toLowerCase()}\u0000${tlsCertificateName ?? ''}`;
    const t = this.now();
    const kept = this.chosen.get(key);
    if (kept && kept.until > t) return kept.certificate;
    // A failure (an unreadable key) is not kept: the caller logs it, and the next session tries again.
    const certificate = this.choose(fqdn, tlsCertificateName);
    this.chosen.set(key, { certificate, until: t + KEEP_MS });
    return certificate;
  }

  /** Forgets every choice (the configuration changed). */
  clear(): void {
    this.chosen.clear();
  }
}
