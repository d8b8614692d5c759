// How a Send connector connects (spec exchange-connectors.md §7.4): the EHLO
// name, source address, TLS demand and validation, credential and timeouts the
// SMTP client is given for one next hop. Used by delivery and by Trace-MailFlow,
// so that the explainer connects exactly as delivery would. TlsAuthLevel is
// passed as set: not set means "encrypt without checks", but the SMTP client
// sends a credential only to a peer that proves its identity (see
// smtp/outbound/peer-trust.ts); EncryptionOnly is the connector's explicit
// word to send it without checking.

import type { OutboundPolicy } from '../smtp/outbound/connection.js';
import type { DeliveryType } from './categorizer.js';
import type { SendConnectorConfig } from './send-connector-config.js';

export interface PolicyInputs {
  /** The server FQDN (EHLO name when the connector names none). */
  serverFqdn: string;
  /** Mailbox servers: the server's own address when the connector names no SourceIPAddress. */
  defaultSourceAddress: string | null;
  deliveryType: DeliveryType;
  /** The queue's next hop domain (the recipient domain for DNS delivery). */
  nextHopDomain: string;
  /** The connector's credential, opened; null when it has none. */
  credential: { username: string; password: string } | null;
  trustedCertificates: string[];
  /**
   * Domain Security applies to this next hop (a DomainSecureEnabled connector, a domain on
   * TLSSendDomainSecureList): TLS is required, the peer's certificate must be valid and carry the
   * domain, and this server presents its own certificate (null when it has none for the name).
   */
  domainSecure?: { clientCertificate: { certificatePem: string; privateKeyPem: string; chainPem?: string } | null };
}

/** True when the connector authenticates to its smart hosts with Basic authentication. */
export function usesBasicAuth(c: SendConnectorConfig): boolean {
  return !c.dnsRoutingEnabled && (c.smartHostAuthMechanism === 'BasicAuth' || c.smartHostAuthMechanism === 'BasicAuthRequireTLS');
}

/** The implicit connector between Mailbox servers of the organization (no Send connector object). */
function isIntraOrganization(c: SendConnectorConfig): boolean {
  return c.guid.startsWith('intraorg:');
}

export function outboundPolicy(c: SendConnectorConfig, inputs: PolicyInputs): OutboundPolicy {
  const credential = usesBasicAuth(c) ? inputs.credential : null;
  const source = c.sourceIpAddress ?? inputs.defaultSourceAddress;
  return {
    ehloName: c.fqdn ?? inputs.serverFqdn,
    forceHelo: c.forceHelo,
    ...(source && { sourceAddress: source }),
    tls: inputs.domainSecure ? 'required' : c.ignoreStartTls ? 'never' : c.requireTls || c.smartHostAuthMechanism === 'BasicAuthRequireTLS' ? 'required' : 'opportunistic',
    tlsAuthLevel: inputs.domainSecure ? 'DomainValidation' : c.tlsAuthLevel,
    ...(inputs.domainSecure ? { tlsDomain: inputs.nextHopDomain } : c.tlsDomain ? { tlsDomain: c.tlsDomain } : inputs.deliveryType === 'DnsConnectorDelivery' ? { tlsDomain: inputs.nextHopDomain } : {}),
    trustedCertificates: inputs.trustedCertificates,
    ...(inputs.domainSecure?.clientCertificate && { clientCertificate: inputs.domainSecure.clientCertificate }),
    ...(credential && { auth: { ...credential, mechanism: c.smartHostAuthMechanism as 'BasicAuth' | 'BasicAuthRequireTLS' } }),
    // Named in the texts that say what to change; the implicit connector between Mailbox servers has no Send connector to set.
    ...(!isIntraOrganization(c) && { connector: { name: c.name, requireTls: c.requireTls } }),
    connectTimeoutMs: 30_000,
    // Waiting for the greeting is idle time on an open connection: ConnectionInactivityTimeOut bounds it too.
    greetingTimeoutMs: Math.min(60_000, c.connectionInactivityTimeoutMs),
    inactivityTimeoutMs: c.connectionInactivityTimeoutMs,
    maxMessagesPerConnection: c.maxMessagesPerConnection,
  };
}

/**
 * The policy of a connection that carries messages with REQUIRETLS (RFC 8689 §4.2.1), derived from
 * the connector's: STARTTLS required whatever IgnoreSTARTTLS or RequireTLS say (the sender's
 * demand outranks the connector's opportunism), no plaintext fallback, and the checks of
 * smtp/outbound/require-tls.ts (trusted chain, the host's name, REQUIRETLS offered) on top of the
 * connector's own TlsAuthLevel, which still applies.
 */
export function requireTlsPolicy(policy: OutboundPolicy): OutboundPolicy {
  return { ...policy, tls: 'required', requireTlsMessages: true };
}
