// What to change, in the admin's own commands, for each fault the mail flow
// explainer can find. Kept apart from the walk itself so that the wording of
// every fix can be read (and reviewed) in one place.

import type { IPBinding } from '../config/types/index.js';
import type { SendConnectorConfig } from '../routing/send-connector-config.js';
import type { ReceiveConnectorConfig, TransportConfig } from '../config/transport-config.js';
import type { Principal } from '../smtp/inbound/permissions.js';
import type { ConnectFailure, OutboundPolicy, OutboundTarget } from '../smtp/outbound/connection.js';
import { STARTTLS_REQUIRED_TEXT } from '../smtp/outbound/classify.js';
import { Replies, type SmtpReply } from '../smtp/protocol/index.js';
import { authRequired, sendAsDenied } from '../smtp/inbound/admission.js';

const q = (s: string) => `"${s}"`;

/** What the peer's certificate showed, for the credential fixes. */
export interface PeerCheck {
  trusted: boolean;
  nameOk: boolean;
  /** The name (or IP address) the certificate should carry. */
  expected: string;
}
const join = (xs: readonly unknown[]) => xs.map(String).join(',');

export const receiveSideFixes = {
  noConnector(listening: ReceiveConnectorConfig[], clientIp: string, binding: IPBinding | undefined, endpoint: { address: string; port: number } | undefined): string {
    const disabled = listening.find((c) => !c.enabled);
    const excluding = listening.find((c) => c.enabled);
    if (excluding) {
      return `If ${clientIp} should send here: Set-ReceiveConnector ${q(excluding.identity)} -RemoteIPRanges @{Add="${clientIp}"}. If it should not, nothing is wrong: the connection is refused as intended.`;
    }
    if (disabled) return `Set-ReceiveConnector ${q(disabled.identity)} -Enabled $true`;
    const at = binding ? String(binding) : `${endpoint?.address ?? '0.0.0.0'}:25`;
    return `Create a Receive connector for it: New-ReceiveConnector -Name <name> -Usage Custom -Bindings ${at} -RemoteIPRanges ${clientIp} (or check -ReceiveBinding: is the address this server's?).`;
  },

  certificate(c: ReceiveConnectorConfig): string {
    if (c.tlsCertificateName) {
      return `Point TlsCertificateName at a certificate of this server that carries ${c.fqdn} (Get-ExchangeCertificate -DomainName ${c.fqdn} | Format-List Thumbprint,Issuer,Subject,Services), or clear it so that the certificate for the Fqdn is chosen: Set-ReceiveConnector ${q(c.identity)} -TlsCertificateName $null.`;
    }
    return `Give the server a certificate for ${c.fqdn}: New-ExchangeCertificate -DomainName ${c.fqdn} -Services SMTP (self-signed), or Import-ExchangeCertificate one issued for that name and Enable-ExchangeCertificate -Thumbprint <thumbprint> -Services SMTP. Or set the connector's Fqdn to a name an SMTP certificate carries: Set-ReceiveConnector ${q(c.identity)} -Fqdn <name>.`;
  },

  noRights(c: ReceiveConnectorConfig, p: Principal): string {
    const group = p.kind === 'anonymous' ? 'AnonymousUsers' : p.kind === 'externallySecured' || p.exchangeServer ? 'ExchangeServers' : 'ExchangeUsers';
    const add = `Set-ReceiveConnector ${q(c.identity)} -PermissionGroups ${join([...c.permissionGroups.filter((g) => g !== 'None'), group])}`;
    return p.kind === 'anonymous'
      ? `Anonymous clients may not send here. If they should (mail from the Internet): ${add}. Otherwise the client must authenticate (-AuthenticatedAs).`
      : `${add}, or authenticate as an account the connector trusts.`;
  },

  sender(refusal: SmtpReply, c: ReceiveConnectorConfig, p: Principal, sender: string): string {
    if (refusal === Replies.notAuthenticated) {
      return `The connector does not let anonymous clients submit mail. For Internet mail: Set-ReceiveConnector ${q(c.identity)} -PermissionGroups ${join([...c.permissionGroups.filter((g) => g !== 'None'), 'AnonymousUsers'])}. For internal servers: authenticate (the Send connector's SmartHostAuthMechanism and AuthenticationCredential).`;
    }
    if (refusal === Replies.noSubmitPermission) return `The account has no Submit right here: add it to Exchange Servers, or add ExchangeUsers to the connector's PermissionGroups.`;
    if (refusal === sendAsDenied) return `A mailbox user may send only as its own addresses: use one of them as the sender, or add ${sender} to the mailbox's EmailAddresses.`;
    const domain = sender.slice(sender.lastIndexOf('@') + 1);
    return p.kind === 'anonymous'
      ? `Anonymous senders may not use an address in ${domain} here (anti-spoofing: an authoritative domain of this organization needs AcceptAuthoritativeDomainSender, a domain that is not accepted here AcceptAnySender). Mail from inside the organization must authenticate (a Send connector with SmartHostAuthMechanism BasicAuthRequireTLS), or come from an address in the RemoteIPRanges of a connector that grants ExchangeServers.`
      : `The session may not send as ${sender}; authenticate as a member of Exchange Servers.`;
  },

  recipient(refusal: SmtpReply, c: ReceiveConnectorConfig, p: Principal, domain: string): string {
    if (refusal === Replies.unableToRelay) {
      return `${domain} is not an accepted domain here and ${p.kind === 'anonymous' ? 'anonymous clients' : 'this client'} may not relay. If this server should take mail for ${domain}: New-AcceptedDomain -Name ${domain} -DomainName ${domain} -DomainType Authoritative (or InternalRelay). If the client should relay: authenticate it as a member of Exchange Servers on a connector with PermissionGroups ExchangeServers${c.permissionGroups.includes('ExchangeServers') ? '' : ` (Set-ReceiveConnector ${q(c.identity)} -PermissionGroups ${join([...c.permissionGroups.filter((g) => g !== 'None'), 'ExchangeServers'])})`}.`;
    }
    if (refusal === Replies.userUnknown) return `No recipient has this address: check the spelling, or create the mailbox (New-Mailbox) or add the address to one (Set-Mailbox -EmailAddresses @{Add="smtp:<address>"}).`;
    if (refusal === authRequired) return `The recipient accepts mail only from authenticated senders: Set-Mailbox <identity> -RequireSenderAuthenticationEnabled $false if Internet mail is wanted.`;
    return 'See the reply text.';
  },
};

export const sendSideFix = {
  routing(enhanced: string, address: string): string {
    switch (enhanced) {
      case '5.1.1':
        return `No recipient has the address ${address}: create the mailbox or add the address to one (Set-Mailbox -EmailAddresses).`;
      case '5.3.4':
        return 'Raise MaxMessageSize on the Send connector that covers the domain (Set-SendConnector -MaxMessageSize), or send a smaller message.';
      case '5.2.3':
        return "Raise the recipient's MaxReceiveSize (Set-Mailbox -MaxReceiveSize), or send a smaller message.";
      case '5.7.1':
        return 'The recipient accepts mail only from authenticated senders (RequireSenderAuthenticationEnabled).';
      default:
        return 'See the reply text.';
    }
  },

  unreachable(cfg: TransportConfig, domain: string): string {
    const source = cfg.role === 'Mailbox' ? ` -SourceTransportServers ${cfg.serverName}` : '';
    return `Add a Send connector that covers it: New-SendConnector -Name "To ${domain}" -Usage Custom -AddressSpaces ${domain}${source} -DNSRoutingEnabled $true (or -SmartHosts <host>), or add ${domain} (or *) to an existing connector's AddressSpaces. Queued mail leaves the Unreachable queue by itself once a connector covers it.`;
  },

  resolution(c: SendConnectorConfig, deliveryType: string, text: string): string {
    if (deliveryType === 'DnsConnectorDelivery') {
      if (/NonExistentDomain|nonexistent/i.test(text))
        return "The domain does not exist in the DNS this server asks: check the spelling, or the DNS servers (Set-TransportService -ExternalDNSServers / -InternalDNSServers, else the machine's /etc/resolv.conf).";
      if (/null MX|does not accept mail/i.test(text)) return 'The domain publishes a null MX: it accepts no mail. Nothing to fix on this side.';
      return `The DNS servers did not answer: check them (Set-TransportService -${c.useExternalDnsServers ? 'ExternalDNSServers' : 'InternalDNSServers'}, else /etc/resolv.conf) and that this server can reach them on port 53.`;
    }
    return `Correct the smart host names (Set-SendConnector ${q(c.name)} -SmartHosts <name or IP>), or publish them in DNS / the hosts file. An IP address as the smart host needs no DNS.`;
  },

  connection(f: ConnectFailure, c: SendConnectorConfig, target: OutboundTarget, policy: OutboundPolicy): string {
    const at = `${target.address}:${target.port}`;
    if (f.text === STARTTLS_REQUIRED_TEXT) {
      return `Enable STARTTLS on ${target.host}: on an Exchange or Gatehouse server, give its Receive connector on ${at} a certificate for its FQDN (New-ExchangeCertificate -DomainName <fqdn> -Services SMTP) and Tls in its AuthMechanism. Only on a trusted link: Set-SendConnector ${q(c.name)} ${c.requireTls ? '-RequireTLS $false' : '-SmartHostAuthMechanism BasicAuth'} (credentials would then travel unencrypted).`;
    }
    if (f.text.startsWith('454 4.7.5')) return 'See the advice at the end of the message above.';
    if (f.stage === 'auth') {
      if (/did not offer AUTH/.test(f.text))
        return `Enable Basic authentication on ${target.host}'s Receive connector on ${at} (AuthMechanism BasicAuth,BasicAuthRequireTLS), or set SmartHostAuthMechanism None on Send connector ${q(c.name)} if the smart host takes mail by IP address.`;
      return `${target.host} refused the credential: set it again (Set-SendConnector ${q(c.name)} -AuthenticationCredential (Get-Credential)) and check the account there (exists, enabled, password, a member of Exchange Servers where that group is required).`;
    }
    if (f.stage === 'connect') {
      if (/EADDRNOTAVAIL/.test(f.text)) return `The source address ${policy.sourceAddress} is not an address of this machine: correct SourceIPAddress on Send connector ${q(c.name)}.`;
      return `Check that ${target.host} is up and listens on port ${target.port} (swaks --server ${at} --quit-after EHLO), that no firewall blocks it, and that Port on Send connector ${q(c.name)} is right.`;
    }
    if (f.stage === 'greeting') {
      if (/closed the connection/.test(f.text)) {
        return `A server that hangs up before its greeting usually has no Receive connector for our address: on ${target.host}, add ${policy.sourceAddress ?? "this server's address"} to the RemoteIPRanges of the Receive connector bound to ${at} (Set-ReceiveConnector <identity> -RemoteIPRanges @{Add="${policy.sourceAddress ?? '<address>'}"}), or check its connection limits.`;
      }
      return `${target.host} refused the session at its greeting; its administrator must say why (the reply text above).`;
    }
    if (f.stage === 'tls') return `The TLS handshake with ${target.host} failed: check the protocol versions and ciphers both sides allow, and its certificate.`;
    return `${target.host} refused EHLO ${policy.ehloName}: set a name it accepts (Set-SendConnector ${q(c.name)} -Fqdn <name>).`;
  },

  noTls(c: SendConnectorConfig, target: OutboundTarget): string {
    return `Ask ${target.host}'s administrator to enable STARTTLS; to refuse unencrypted delivery instead: Set-SendConnector ${q(c.name)} -RequireTLS $true.`;
  },

  credentialWithheld(c: SendConnectorConfig, target: OutboundTarget, policy: OutboundPolicy, v: PeerCheck): string {
    // Between Mailbox servers (policy.connector absent) there is no Send connector to change: the peer's certificate is the fix.
    const connector = policy.connector;
    const fixes: string[] = [];
    if (!v.trusted) fixes.push('trust its certificate here: Import-ExchangeCertificate -FileName <its certificate, or the CA that issued it> (on a Gatehouse or Exchange peer, Get-ExchangeCertificate there shows it)');
    if (!v.nameOk) {
      const certificate = `have ${target.host} present a certificate for ${v.expected} (New-ExchangeCertificate -DomainName ${v.expected} -Services SMTP there)`;
      fixes.push(connector ? `${certificate}, or name the smart host as its certificate does (Set-SendConnector ${q(c.name)} -SmartHosts <name on the certificate>)` : certificate);
    }
    const first = fixes.join('; and ');
    const sentence = `${first.charAt(0).toUpperCase()}${first.slice(1)}.`;
    if (!connector) return sentence;
    const optOut = `Set-SendConnector ${q(c.name)}${c.requireTls ? '' : ' -RequireTLS $true'} -TlsAuthLevel EncryptionOnly`;
    const level = policy.tlsAuthLevel === 'CertificateValidation' ? ' CertificateValidation checks the chain at the handshake; with a credential the name is checked too.' : '';
    return `${sentence}${level} Only if the link is trusted otherwise, send the credential without checking: ${optOut}.`;
  },

  credentialUnchecked(c: SendConnectorConfig, target: OutboundTarget, v: PeerCheck): string {
    const fixes: string[] = [];
    if (!v.trusted) fixes.push('Import-ExchangeCertificate -FileName <its certificate, or the CA that issued it>');
    if (!v.nameOk) fixes.push(`a certificate for ${v.expected} on ${target.host}`);
    return `Make the peer provable (${fixes.join(', and ')}), then let the connector check it before sending the credential: Set-SendConnector ${q(c.name)} -TlsAuthLevel $null.`;
  },

  certificateName(c: SendConnectorConfig, target: OutboundTarget, expected: string): string {
    return `${target.host} should present a certificate issued for ${expected} (on a Gatehouse or Exchange server: New-ExchangeCertificate -DomainName ${expected} -Services SMTP, or set its connector's Fqdn to the name its certificate carries). Or name the host as its certificate does: Set-SendConnector ${q(c.name)} -SmartHosts <name on the certificate>, or -TlsDomain <name>.`;
  },
};
