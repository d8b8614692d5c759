// The mail flow explainer behind Trace-MailFlow: for one sender and recipient
// it walks the path a message would take through this server, using the same
// decisions the running service makes (connector selection, permissions,
// MAIL/RCPT admission, routing, next-hop resolution, the Send connector's
// connection policy), then connects to the next hop as delivery would and
// looks at STARTTLS, the certificate and AUTH. Each step is a result with a
// plain-language fix when something is wrong. Nothing is sent: the
// connection ends with QUIT after the checks.

import { isIP } from 'node:net';
import type { ServerRoleName } from '../config/model/server.js';
import type { IPBinding } from '../config/types/index.js';
import { routeRecipient, type RecipientInfo, type RouteDecision } from '../routing/categorizer.js';
import { outboundPolicy, usesBasicAuth } from '../routing/outbound-policy.js';
import type { SendConnectorConfig } from '../routing/send-connector-config.js';
import { acceptedDomainFor, type ReceiveConnectorConfig, type TransportConfig } from '../config/transport-config.js';
import type { Resolution } from '../dns/index.js';
import { directoryRefusal, relayRefusal, sendAsRefusal, senderRefusal, type Admission } from '../smtp/inbound/admission.js';
import { selectConnector } from '../smtp/inbound/connector-selection.js';
import { describePrincipal, rightsFor, type Principal } from '../smtp/inbound/permissions.js';
import type { ConnectFailure, OutboundPolicy, OutboundTarget, TlsSessionInfo } from '../smtp/outbound/connection.js';
import { credentialNeedsProof } from '../smtp/outbound/peer-trust.js';
import { endpointText, STARTTLS_REQUIRED_TEXT } from '../smtp/outbound/classify.js';
import { domainMatches } from '../tls/names.js';
import { formatReply, type SmtpReply } from '../smtp/protocol/index.js';
import { receiveSideFixes, sendSideFix } from './advice.js';

export type StepResult = 'Success' | 'Failure' | 'Warning' | 'Information' | 'Skipped';

export interface FlowStep {
  step: string;
  result: StepResult;
  detail: string;
  /** What to change, when the result is a Failure or a Warning. */
  fix: string | null;
}

export interface ExplainRequest {
  sender: string;
  recipient: string;
  /** Where the message comes from; without it the receive side is not checked. */
  clientIp?: string;
  /** The local address and port the client connects to; default: every binding on port 25. */
  binding?: IPBinding;
  /** An account the client authenticates as. */
  account?: string;
  /** Check the configuration only: no DNS query, no connection. */
  skipConnection?: boolean;
}

/** The certificate STARTTLS would present on a Receive connector, or why there is none. */
export interface ReceiveCertificate {
  thumbprint: string;
  subject: string;
  names: string[];
  selfSigned: boolean;
}

export interface ExplainConnection {
  readonly extensions: ReadonlyMap<string, string>;
  readonly tls: TlsSessionInfo | null;
  close(): Promise<void>;
}

export interface ExplainerDeps {
  config: TransportConfig;
  /** The certificate STARTTLS would use for this connector (null: none qualifies). */
  receiveCertificate(c: ReceiveConnectorConfig): ReceiveCertificate | null;
  /** This server's certificates enabled for SMTP, for the fix text when none matches. */
  smtpCertificates(): ReceiveCertificate[];
  /** An account clients authenticate as: null when unknown. */
  account(identity: string): { displayName: string; enabled: boolean; exchangeServer: boolean; accountGuid: string; lockedOut?: boolean } | null;
  /** Mailbox servers: the organization's recipients and a user's own addresses. */
  recipients?: { find(address: string): RecipientInfo | null; addressesOfAccount(accountGuid: string): string[] };
  /** Mailbox servers: a local mailbox at or over its ProhibitSendReceiveQuota (its name, size and quota, as Exchange shows sizes); null when it takes mail. */
  fullMailbox?(address: string): { name: string; size: string; quota: string } | null;
  resolver(kind: 'external' | 'internal'): { resolveMailDomain(domain: string): Promise<Resolution>; resolveSmartHost(name: string): Promise<Resolution> };
  credential(c: SendConnectorConfig): { username: string; password: string } | null;
  trustedCertificates(): string[];
  connect(target: OutboundTarget, policy: OutboundPolicy): Promise<ExplainConnection | ConnectFailure>;
}

/** What the certificate showed: trust, and whether it carries the expected name. */
interface PeerVerdict {
  trusted: boolean;
  /** The trust verdict in words ("chains to a trusted CA", "is not trusted here (...)"). */
  trust: string;
  nameOk: boolean;
  expected: string;
  /** The names and addresses the certificate carries. */
  names: string[];
}

/** Targets tried before giving up, as delivery would try them (the first that answers wins). */
const MAX_TARGETS = 4;

const replyText = (r: SmtpReply) => formatReply(r, { enhancedStatusCodes: true }).trimEnd();
const list = (xs: readonly unknown[]) => (xs.length === 0 ? '(none)' : xs.map(String).join(', '));
const quote = (s: string) => `"${s}"`;

export class MailFlowExplainer {
  private readonly steps: FlowStep[] = [];

  constructor(private readonly deps: ExplainerDeps) {}

  private add(step: string, result: StepResult, detail: string, fix: string | null = null): void {
    this.steps.push({ step, result, detail, fix });
  }

  async explain(req: ExplainRequest): Promise<FlowStep[]> {
    const cfg = this.deps.config;
    const at = req.recipient.lastIndexOf('@');
    if (at <= 0) throw new Error(`"${req.recipient}" is not an SMTP address (local@domain).`);
    this.add('Server', 'Information', `${cfg.serverName} (${cfg.fqdn}), role ${cfg.role}: ${req.sender === '' ? '<>' : req.sender} -> ${req.recipient}.`);
    const principal = this.receiveSide(req);
    if (principal === 'stop') return this.steps;
    await this.sendSide(req, principal ?? { kind: 'anonymous' });
    return this.steps;
  }

  // ---- receive side: connector, certificate, authentication, permissions, MAIL and RCPT ----

  /** The session's principal; null when the receive side is not checked; 'stop' after a failure that ends the session. */
  private receiveSide(req: ExplainRequest): Principal | null | 'stop' {
    const cfg = this.deps.config;
    if (!req.clientIp) {
      this.add('ReceiveConnector', 'Skipped', 'No -ClientIPAddress given: which Receive connector takes the message, and its permissions, are not checked.');
      return null;
    }
    const connector = this.selectReceiveConnector(req.clientIp, req.binding);
    if (!connector) return 'stop';
    const tlsOk = this.receiveCertificateStep(connector);
    let principal: Principal = connector.authMechanism.has('ExternalAuthoritative') ? { kind: 'externallySecured' } : { kind: 'anonymous' };
    if (req.account) {
      const user = this.authenticationStep(connector, req.account, tlsOk);
      if (!user) return 'stop';
      principal = user;
    }
    const rights = rightsFor(connector.permissionGroups, principal);
    const who = describePrincipal(principal);
    if (rights.size === 0) {
      this.add('Permissions', 'Failure', `${connector.identity} grants ${who} no rights (PermissionGroups: ${list(connector.permissionGroups)}).`, receiveSideFixes.noRights(connector, principal));
      return 'stop';
    }
    this.add('Permissions', 'Success', `${who} gets ${list([...rights])} (PermissionGroups: ${list(connector.permissionGroups)}).`);
    const admission: Admission = { rights, principal, acceptedDomains: cfg.acceptedDomains };
    if (connector.requireTls && !tlsOk) {
      this.add(
        'Sender',
        'Failure',
        `MAIL FROM:<${req.sender}> would get "530 5.7.0 Must issue a STARTTLS command first": ${connector.identity} has RequireTLS set and cannot offer STARTTLS.`,
        'Give the connector a certificate (see the ReceiveCertificate step), or set RequireTLS to $false.',
      );
      return 'stop';
    }
    const refusedSender =
      senderRefusal(admission, req.sender) ??
      (principal.kind === 'user' && !principal.exchangeServer && principal.accountGuid && this.deps.recipients ? sendAsRefusal(req.sender, this.deps.recipients.addressesOfAccount(principal.accountGuid)) : null);
    if (refusedSender) {
      this.add('Sender', 'Failure', `MAIL FROM:<${req.sender}> would get "${replyText(refusedSender)}".`, receiveSideFixes.sender(refusedSender, connector, principal, req.sender));
      return 'stop';
    }
    this.add('Sender', 'Success', `MAIL FROM:<${req.sender}> is accepted.`);
    const domain = req.recipient.slice(req.recipient.lastIndexOf('@') + 1).toLowerCase();
    const refusedRelay = relayRefusal(admission, domain);
    const accepted = acceptedDomainFor(cfg.acceptedDomains, domain);
    const refusedRecipient = refusedRelay ?? (accepted && this.deps.recipients ? directoryRefusal(admission, accepted, this.deps.recipients.find(req.recipient)) : null);
    if (refusedRecipient) {
      this.add('Recipient', 'Failure', `RCPT TO:<${req.recipient}> would get "${replyText(refusedRecipient)}".`, receiveSideFixes.recipient(refusedRecipient, connector, principal, domain));
      return 'stop';
    }
    this.add(
      'Recipient',
      'Success',
      accepted ? `RCPT TO:<${req.recipient}> is accepted: ${domain} is an accepted domain (${accepted.name}, ${accepted.type}).` : `RCPT TO:<${req.recipient}> is accepted: ${who} may relay (AcceptAnyRecipient).`,
    );
    return principal;
  }

  private selectReceiveConnector(clientIp: string, binding?: IPBinding): ReceiveConnectorConfig | null {
    const connectors = this.deps.config.receiveConnectors;
    const endpoints = binding
      ? [{ address: binding.address.toString(), port: binding.port }]
      : [
          ...new Map(
            connectors
              .flatMap((c) => c.bindings)
              .filter((b) => b.port === 25)
              .map((b) => [`${b.address}|${b.port}`, { address: b.address.toString(), port: b.port }]),
          ).values(),
        ];
    for (const ep of endpoints) {
      const c = selectConnector(connectors, ep.address, ep.port, clientIp);
      if (!c) continue;
      const range = c.remoteIPRanges.filter((r) => r.contains(clientIp)).sort((a, b) => (a.size() < b.size() ? -1 : 1))[0];
      this.add(
        'ReceiveConnector',
        'Success',
        `${c.identity} takes connections from ${clientIp} on ${endpointText(ep)} (Bindings: ${list(c.bindings)}; the RemoteIPRanges entry ${range} is the most specific match). AuthMechanism: ${list([...c.authMechanism])}.`,
      );
      return c;
    }
    const where = binding ? endpointText(endpoints[0]) : `port 25 (${list(endpoints.map(endpointText))})`;
    const listening = connectors.filter((c) => c.bindings.some((b) => endpoints.some((ep) => b.covers(ep.address, ep.port))));
    const reasons = listening.map((c) => (!c.enabled ? `${c.identity} is disabled` : `${c.identity} listens there, but its RemoteIPRanges (${list(c.remoteIPRanges)}) do not include ${clientIp}`));
    this.add(
      'ReceiveConnector',
      'Failure',
      listening.length === 0
        ? `No Receive connector of ${this.deps.config.serverName} listens on ${where}: a client connecting there is refused.`
        : `No Receive connector takes a connection from ${clientIp} on ${where}: ${reasons.join('; ')}. The server closes such a connection without a greeting.`,
      receiveSideFixes.noConnector(listening, clientIp, binding, endpoints[0]),
    );
    return null;
  }

  /** Whether STARTTLS is offered. */
  private receiveCertificateStep(c: ReceiveConnectorConfig): boolean {
    const needsTls = c.requireTls || c.authMechanism.has('BasicAuthRequireTLS');
    if (!c.authMechanism.has('Tls')) {
      this.add(
        'ReceiveCertificate',
        needsTls ? 'Failure' : 'Information',
        `${c.identity} does not offer STARTTLS (AuthMechanism has no Tls).`,
        needsTls ? `Set-ReceiveConnector ${quote(c.identity)} -AuthMechanism ${list([...c.authMechanism, 'Tls'])}` : null,
      );
      return false;
    }
    const cert = this.deps.receiveCertificate(c);
    if (cert) {
      const self = cert.selfSigned ? ' It is self-signed: servers that validate certificates must trust it (import it there).' : '';
      if (!cert.names.some((n) => domainMatches(n, c.fqdn))) {
        this.add(
          'ReceiveCertificate',
          'Warning',
          `STARTTLS is offered with certificate ${cert.thumbprint} (${cert.subject}; names ${list(cert.names)}), chosen by TlsCertificateName, but it does not carry the connector's Fqdn ${c.fqdn}: clients that check the name (DomainValidation) refuse it.${self}`,
          receiveSideFixes.certificate(c),
        );
        return true;
      }
      this.add('ReceiveCertificate', 'Success', `STARTTLS is offered with certificate ${cert.thumbprint} (${cert.subject}; names ${list(cert.names)}), which covers the connector's Fqdn ${c.fqdn}.${self}`);
      return true;
    }
    const others = this.deps.smtpCertificates();
    const what = c.tlsCertificateName ? `its TlsCertificateName ${c.tlsCertificateName} names no usable certificate` : `no certificate of ${this.deps.config.serverName} enabled for SMTP carries its Fqdn ${c.fqdn}`;
    const seen = others.length > 0 ? ` The SMTP certificates here name: ${others.map((o) => `${o.thumbprint} -> ${list(o.names)}`).join('; ')}.` : ' No certificate is enabled for SMTP.';
    this.add(
      'ReceiveCertificate',
      needsTls ? 'Failure' : 'Warning',
      `${c.identity} cannot offer STARTTLS: ${what}.${seen}${needsTls ? ` Clients cannot ${c.requireTls ? 'send mail' : 'authenticate'} here (${c.requireTls ? 'RequireTLS' : 'BasicAuthRequireTLS'}).` : ' Mail arrives unencrypted.'}`,
      receiveSideFixes.certificate(c),
    );
    return false;
  }

  private authenticationStep(c: ReceiveConnectorConfig, identity: string, tlsOk: boolean): Principal | null {
    const basic = c.authMechanism.has('BasicAuth') || c.authMechanism.has('BasicAuthRequireTLS');
    if (!basic) {
      this.add(
        'Authentication',
        'Failure',
        `${c.identity} does not offer AUTH (AuthMechanism: ${list([...c.authMechanism])}): ${identity} cannot authenticate there.`,
        `Set-ReceiveConnector ${quote(c.identity)} -AuthMechanism ${list([...c.authMechanism, 'BasicAuth', 'BasicAuthRequireTLS'].filter((m) => m !== 'None'))}`,
      );
      return null;
    }
    if (c.authMechanism.has('BasicAuthRequireTLS') && !tlsOk) {
      this.add('Authentication', 'Failure', `${c.identity} offers AUTH only after STARTTLS (BasicAuthRequireTLS), and STARTTLS is not offered.`, 'Fix the ReceiveCertificate step first.');
      return null;
    }
    const account = this.deps.account(identity);
    if (!account) {
      const where = this.deps.config.role === 'EdgeTransport' ? 'local account (Get-User on this Edge server)' : 'directory account';
      this.add(
        'Authentication',
        'Failure',
        `There is no ${where} named ${identity}: AUTH would get "535 5.7.3 Authentication unsuccessful".`,
        this.deps.config.role === 'EdgeTransport' ? `New-User ${identity} -Password (Get-Credential).Password, or use an existing account.` : `Create the account or use an existing one (Get-User).`,
      );
      return null;
    }
    if (!account.enabled) {
      this.add('Authentication', 'Failure', `The account ${account.displayName} is disabled: AUTH would get "535 5.7.3 Authentication unsuccessful".`, 'Enable the account, or use another one.');
      return null;
    }
    if (account.lockedOut) {
      const name = account.displayName.slice(account.displayName.indexOf('\\') + 1);
      this.add(
        'Authentication',
        'Failure',
        `The account ${account.displayName} is locked out after too many bad passwords: AUTH would get "535 5.7.3 Authentication unsuccessful", even with the right password.`,
        `Find out who tried the bad passwords (the smtp.in.auth.failed log lines name the source), then unlock it: ${this.deps.config.role === 'EdgeTransport' ? `net user ${name} /active:yes` : `Unlock-ADAccount ${name}`}.`,
      );
      return null;
    }
    this.add(
      'Authentication',
      'Success',
      `${account.displayName} can authenticate (AUTH ${c.authMechanism.has('BasicAuthRequireTLS') ? 'after STARTTLS' : 'LOGIN/PLAIN'}; the password is not checked here)${account.exchangeServer ? ' and is a member of Exchange Servers' : ''}.`,
    );
    return { kind: 'user', name: account.displayName, exchangeServer: account.exchangeServer, accountGuid: account.accountGuid };
  }

  // ---- send side: routing, next hop, connection ----

  private async sendSide(req: ExplainRequest, principal: Principal): Promise<void> {
    const cfg = this.deps.config;
    let address = req.recipient;
    let route: RouteDecision | null = null;
    for (let hop = 0; hop < 5; hop++) {
      route = this.route(address, principal);
      if (route.kind !== 'redirect') break;
      this.add('Routing', 'Information', `${address} forwards to ${route.address} (ForwardingSmtpAddress)${route.keep ? ' and keeps a copy' : ''}; following the forward.`);
      address = route.address;
    }
    if (!route || route.kind === 'redirect') return this.add('Routing', 'Failure', `Forwarding from ${req.recipient} goes on for more than 5 hops.`, 'Check the ForwardingSmtpAddress of the mailboxes involved (a loop?).');
    if (route.kind === 'fail') return this.add('Routing', 'Failure', `The recipient ${address} would get a non-delivery report: ${route.text}.`, sendSideFix.routing(route.enhanced, address));
    if (route.kind === 'expand') {
      return this.add(
        'Routing',
        'Information',
        `${address} is a distribution group with ${route.addresses.length} member(s): ${list(route.addresses.slice(0, 10))}${route.addresses.length > 10 ? ', …' : ''}. Each is routed on its own: run Trace-MailFlow for a member to follow it.`,
      );
    }
    const domain = address.slice(address.lastIndexOf('@') + 1).toLowerCase();
    if (route.deliveryType === 'Unreachable') {
      return this.add('Routing', 'Failure', `No Send connector of ${cfg.serverName} covers ${domain}: the message would wait in the Unreachable queue. ${unusableConnectors(cfg, domain)}`, sendSideFix.unreachable(cfg, domain));
    }
    if (route.deliveryType === 'SmtpDeliveryToMailbox') {
      this.add('Routing', 'Success', `${address} is delivered into mailbox database ${route.nextHopDomain} on this server (no next hop).`);
      const full = this.deps.fullMailbox?.(address);
      if (full) {
        this.add(
          'Mailbox',
          'Failure',
          `The mailbox ${quote(full.name)} holds ${full.size}, at or over its ProhibitSendReceiveQuota of ${full.quota}: delivery fails with 554 5.2.2 mailbox full and the sender gets an NDR.`,
          `Free space in the mailbox, or raise its quota: Set-Mailbox ${quote(full.name)} -UseDatabaseQuotaDefaults $false -ProhibitSendReceiveQuota <size> (or Set-MailboxDatabase ${route.nextHopDomain} -ProhibitSendReceiveQuota <size> for every mailbox that uses the database's quotas).`,
        );
      }
      return;
    }
    const connector = [...cfg.sendConnectors, ...cfg.intraOrg].find((c) => c.guid === route.connector);
    if (!connector) return this.add('Routing', 'Failure', `Routing chose a connector (${route.connector}) this server no longer has.`, 'Run Trace-MailFlow again.');
    const via =
      route.deliveryType === 'SmtpRelayToMailboxDeliveryGroup' || route.deliveryType === 'SmtpRelayToConnectorSourceServers'
        ? `relayed to the Mailbox server ${connector.name} (${route.deliveryType})`
        : `sent through Send connector ${quote(connector.name)} (${route.deliveryType}; AddressSpaces ${list(connector.addressSpaces)})`;
    this.add('Routing', 'Success', `${address} is ${via}; next hop ${route.nextHopDomain}.`);
    if (req.skipConnection) {
      this.add('NextHop', 'Skipped', '-SkipConnection: the next hop is neither resolved nor contacted.');
      return;
    }
    const targets = await this.resolve(connector, route.deliveryType, route.nextHopDomain);
    if (!targets) return;
    const policy = outboundPolicy(connector, {
      serverFqdn: cfg.fqdn,
      defaultSourceAddress: cfg.defaultSourceAddress,
      deliveryType: route.deliveryType,
      nextHopDomain: route.nextHopDomain,
      credential: usesBasicAuth(connector) ? this.deps.credential(connector) : null,
      trustedCertificates: this.deps.trustedCertificates(),
    });
    if (usesBasicAuth(connector) && !policy.auth) {
      this.add(
        'Credential',
        'Failure',
        `Send connector ${quote(connector.name)} uses ${connector.smartHostAuthMechanism} but has no AuthenticationCredential.`,
        `Set-SendConnector ${quote(connector.name)} -AuthenticationCredential (Get-Credential)`,
      );
    }
    await this.connect(connector, targets, policy);
  }

  private route(address: string, principal: Principal): RouteDecision {
    const cfg = this.deps.config;
    return routeRecipient(
      address.slice(address.lastIndexOf('@') + 1),
      1024,
      {
        role: cfg.role as ServerRoleName,
        serverName: cfg.serverName,
        acceptedDomains: cfg.acceptedDomains,
        sendConnectors: cfg.sendConnectors,
        intraOrg: cfg.intraOrg,
        anonymousSender: principal.kind === 'anonymous',
        ...(this.deps.recipients && { recipient: (a: string) => this.deps.recipients!.find(a) }),
      },
      address,
    );
  }

  private async resolve(c: SendConnectorConfig, deliveryType: string, nextHop: string): Promise<OutboundTarget[] | null> {
    const targets: OutboundTarget[] = [];
    const lines: string[] = [];
    const failures: string[] = [];
    const names = deliveryType === 'DnsConnectorDelivery' ? [nextHop] : c.smartHosts.map(String);
    const kind = deliveryType === 'DnsConnectorDelivery' && c.useExternalDnsServers ? 'external' : 'internal';
    for (const name of names) {
      const res = deliveryType === 'DnsConnectorDelivery' ? await this.deps.resolver(kind).resolveMailDomain(name) : await this.deps.resolver('internal').resolveSmartHost(name);
      if (!res.ok) {
        failures.push(`${name}: ${res.text}`);
        continue;
      }
      for (const h of res.hosts) {
        lines.push(`${h.name}${h.implicit ? '' : ` (MX ${h.preference})`} -> ${list(h.addresses)}`);
        for (const address of h.addresses) targets.push({ host: deliveryType === 'DnsConnectorDelivery' ? h.name : name, address, port: c.port });
      }
    }
    const how = deliveryType === 'DnsConnectorDelivery' ? `DNS (${kind} DNS servers) for ${nextHop}` : `the smart hosts (${list(names)})`;
    if (targets.length === 0) {
      this.add('NextHop', 'Failure', `Resolving ${how} failed: ${failures.join('; ')}.`, sendSideFix.resolution(c, deliveryType, failures.join(' ')));
      return null;
    }
    this.add(
      'NextHop',
      failures.length > 0 ? 'Warning' : 'Success',
      `Resolved ${how}: ${lines.join('; ')}.${failures.length > 0 ? ` Not resolved: ${failures.join('; ')}.` : ''}`,
      failures.length > 0 ? sendSideFix.resolution(c, deliveryType, failures.join(' ')) : null,
    );
    return targets;
  }

  private async connect(c: SendConnectorConfig, targets: OutboundTarget[], policy: OutboundPolicy): Promise<void> {
    for (const target of targets.slice(0, MAX_TARGETS)) {
      const where = `${target.host} [${endpointText(target)}]`;
      const conn = await this.deps.connect(target, policy);
      if ('stage' in conn && conn.tls) {
        // The session was up and the peer did not prove its identity: the credential was withheld.
        this.add('Connect', 'Success', `Connected to ${where}${policy.sourceAddress ? ` from ${policy.sourceAddress}` : ''} and said ${policy.forceHelo ? 'HELO' : 'EHLO'} ${policy.ehloName}.`);
        const verdict = this.tlsSteps(c, target, policy, conn.tls);
        this.credentialStep(c, target, policy, verdict, conn.text);
        continue;
      }
      if ('stage' in conn) {
        const step = conn.stage === 'connect' || conn.stage === 'greeting' ? 'Connect' : conn.stage === 'tls' ? (conn.text.startsWith('454 4.7.5') ? 'Certificate' : 'STARTTLS') : conn.stage === 'auth' ? 'AUTH' : 'EHLO';
        const detail =
          conn.text === STARTTLS_REQUIRED_TEXT
            ? `${where} does not offer STARTTLS, and Send connector ${quote(c.name)} requires TLS (${c.requireTls ? 'RequireTLS' : 'SmartHostAuthMechanism BasicAuthRequireTLS'}): delivery would stop with "${conn.text}".`
            : `${where}: ${conn.text}`;
        this.add(step, 'Failure', detail, sendSideFix.connection(conn, c, target, policy));
        continue;
      }
      try {
        this.add('Connect', 'Success', `Connected to ${where}${policy.sourceAddress ? ` from ${policy.sourceAddress}` : ''} and said ${policy.forceHelo ? 'HELO' : 'EHLO'} ${policy.ehloName}.`);
        const verdict = conn.tls ? this.tlsSteps(c, target, policy, conn.tls) : this.noTlsStep(c, target, policy, conn);
        if (verdict) this.credentialStep(c, target, policy, verdict, null);
        else if (policy.auth) {
          this.add(
            'Credential',
            'Warning',
            `Send connector ${quote(c.name)} sends its AuthenticationCredential (${policy.auth.username}) to ${where} without TLS (SmartHostAuthMechanism ${policy.auth.mechanism}): anyone on the path, or answering for ${target.host}, can read the password.`,
            `Set-SendConnector ${quote(c.name)} -SmartHostAuthMechanism BasicAuthRequireTLS (the smart host must then offer STARTTLS).`,
          );
        }
        this.authStep(c, target, policy, conn);
      } finally {
        await conn.close();
      }
      return;
    }
    if (targets.length > MAX_TARGETS) this.add('Connect', 'Information', `${targets.length - MAX_TARGETS} more address(es) were not tried.`);
  }

  private noTlsStep(c: SendConnectorConfig, target: OutboundTarget, policy: OutboundPolicy, conn: ExplainConnection): null {
    const where = `${target.host} [${endpointText(target)}]`;
    if (policy.tls === 'never') {
      this.add('STARTTLS', 'Information', `Send connector ${quote(c.name)} has IgnoreSTARTTLS set: mail to ${where} travels unencrypted.`);
      return null;
    }
    const offered = conn.extensions.has('STARTTLS');
    this.add('STARTTLS', 'Warning', offered ? `${where} offers STARTTLS but the handshake failed, so mail goes unencrypted.` : `${where} does not offer STARTTLS: mail to it travels unencrypted.`, sendSideFix.noTls(c, target));
    return null;
  }

  /** The STARTTLS and Certificate steps; what they showed about the peer's identity (null: no certificate). */
  private tlsSteps(c: SendConnectorConfig, target: OutboundTarget, policy: OutboundPolicy, session: TlsSessionInfo): PeerVerdict {
    const where = `${target.host} [${endpointText(target)}]`;
    this.add('STARTTLS', 'Success', `${where} negotiated ${session.protocol} with ${session.cipher}.`);
    const cert = session.certificate;
    if (!cert) {
      this.add('Certificate', policy.auth ? 'Failure' : 'Warning', `${where} presented no certificate.`, null);
      return { trusted: false, trust: 'no certificate', nameOk: false, expected: target.host, names: [] };
    }
    // The name the certificate should carry: TlsDomain (or, for DomainValidation of DNS delivery,
    // the recipient domain) when the connector validates names; otherwise the host we asked for,
    // checked as the SMTP client checks it (RFC 6125, IP addresses included).
    const expected = policy.tlsAuthLevel === 'DomainValidation' ? policy.tlsDomain || target.host : (c.tlsDomain ?? target.host);
    const byClient = session.identity && session.identity.name === expected.replace(/^\[|\]$/g, '').replace(/\.$/, '');
    const checksName = byClient || !isIP(expected.replace(/^\[|\]$/g, ''));
    const nameOk = byClient ? session.identity!.matches : !checksName || cert.names.some((n) => domainMatches(n, expected));
    const names = [...cert.names, ...cert.addresses];
    const trust = session.authorized ? 'chains to a trusted CA' : `is not trusted here (${session.authorizationError ?? 'unverified'})`;
    const facts = `${where} presented a certificate for ${list(names)} (issuer ${cert.issuer || 'unknown'}, valid to ${cert.validTo}); it ${trust}`;
    const verdict: PeerVerdict = { trusted: session.authorized, trust, nameOk, expected, names };
    if (!nameOk) {
      const failing = policy.tlsAuthLevel === 'DomainValidation' || credentialNeedsProof(policy);
      this.add(
        'Certificate',
        failing ? 'Failure' : 'Warning',
        `${facts}, and it does not carry the name ${expected}. ${failing ? (policy.tlsAuthLevel === 'DomainValidation' ? 'DomainValidation fails.' : 'The credential is not sent to it (see Credential).') : `Delivery still works because Send connector ${quote(c.name)} does not validate the name (TlsAuthLevel ${policy.tlsAuthLevel ?? 'not set'}), but the peer's identity is not proven.`}`,
        sendSideFix.certificateName(c, target, expected),
      );
      return verdict;
    }
    const validates = policy.tlsAuthLevel === 'CertificateValidation' || policy.tlsAuthLevel === 'DomainValidation';
    if (!session.authorized && credentialNeedsProof(policy)) {
      this.add('Certificate', 'Failure', `${facts}; it carries ${expected}. The credential is not sent to it (see Credential).`);
      return verdict;
    }
    if (!session.authorized && !validates) {
      this.add('Certificate', 'Information', `${facts}; it carries ${expected}. TlsAuthLevel ${policy.tlsAuthLevel ?? 'not set'}: encryption only.`);
      return verdict;
    }
    this.add('Certificate', 'Success', `${facts}; it carries ${checksName ? expected : 'the address used'}.`);
    return verdict;
  }

  /** Whether the connector's credential goes to this peer, and what it would take either way. */
  private credentialStep(c: SendConnectorConfig, target: OutboundTarget, policy: OutboundPolicy, v: PeerVerdict, refusal: string | null): void {
    if (!policy.auth) return;
    const where = `${target.host} [${endpointText(target)}]`;
    const faults = [...(v.trusted ? [] : [`its certificate ${v.trust}`]), ...(v.nameOk ? [] : [`its certificate does not carry ${isIP(v.expected) ? 'the IP address' : 'the name'} ${v.expected} (it names ${list(v.names)})`])];
    if (refusal !== null) {
      this.add(
        'Credential',
        'Failure',
        `${policy.connector ? `Send connector ${quote(c.name)}` : `The relay to Mailbox server ${c.name}`} would not send its ${policy.connector ? 'AuthenticationCredential' : 'server account'} (${policy.auth.username}) to ${where}: ${faults.join(', and ')}, so the peer has not proved it is ${target.host} (TlsAuthLevel ${policy.tlsAuthLevel ?? 'not set'}: the credential goes only to a trusted certificate carrying the smart host's name). Delivery sends no AUTH, ends the session with QUIT and keeps the messages queued with "${refusal.split('; ')[0]}".`,
        sendSideFix.credentialWithheld(c, target, policy, { trusted: v.trusted, nameOk: v.nameOk, expected: v.expected }),
      );
      return;
    }
    if (faults.length > 0 && policy.tlsAuthLevel === 'EncryptionOnly') {
      this.add(
        'Credential',
        'Warning',
        `Send connector ${quote(c.name)} sends its AuthenticationCredential (${policy.auth.username}) to ${where} although ${faults.join(', and ')}: TlsAuthLevel EncryptionOnly sends it without checking, so whoever answers for ${target.host} receives the password.`,
        sendSideFix.credentialUnchecked(c, target, { trusted: v.trusted, nameOk: v.nameOk, expected: v.expected }),
      );
      return;
    }
    this.add(
      'Credential',
      'Success',
      policy.tlsAuthLevel === 'EncryptionOnly'
        ? `${where} presented a trusted certificate carrying ${v.expected}; the credential is sent (TlsAuthLevel EncryptionOnly would send it without that proof).`
        : `${where} proved its identity (a trusted certificate carrying ${v.expected}): the AuthenticationCredential may be sent.`,
    );
  }

  private authStep(c: SendConnectorConfig, target: OutboundTarget, policy: OutboundPolicy, conn: ExplainConnection): void {
    const where = `${target.host} [${endpointText(target)}]`;
    const offered = conn.extensions.get('AUTH');
    if (policy.auth) {
      return this.add('AUTH', 'Success', `Logged in to ${where} as ${policy.auth.username} (${policy.auth.mechanism}${conn.tls ? ', inside TLS' : ''}).`);
    }
    this.add(
      'AUTH',
      'Information',
      offered !== undefined
        ? `${where} offers AUTH ${offered}; Send connector ${quote(c.name)} sends no credential (SmartHostAuthMechanism ${c.smartHostAuthMechanism}).`
        : `${where} offers no AUTH; Send connector ${quote(c.name)} sends no credential.`,
    );
  }
}

/** Why connectors that would cover the domain are not used (disabled, sourced elsewhere). */
function unusableConnectors(cfg: TransportConfig, domain: string): string {
  const covering = cfg.sendConnectors.filter((c) => c.addressSpaces.some((s) => s.isSmtp && (s.isAllAcceptedDomains || s.specificity(domain) !== null)));
  const notes = covering.map((c) =>
    !c.enabled
      ? `${quote(c.name)} covers it but is disabled`
      : cfg.role === 'Mailbox' && !c.sourceTransportServers.some((s) => s.toLowerCase() === cfg.serverName.toLowerCase())
        ? `${quote(c.name)} covers it but its SourceTransportServers (${list(c.sourceTransportServers)}) do not include ${cfg.serverName}`
        : `${quote(c.name)} covers it but is too small for the message`,
  );
  return notes.length > 0 ? `${notes.join('; ')}.` : `Send connectors here: ${list(cfg.sendConnectors.map((c) => `${c.name} (${list(c.addressSpaces)})`))}.`;
}
