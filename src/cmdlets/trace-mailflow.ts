// Trace-MailFlow: the mail flow explainer (src/explain) for one sender and
// recipient on this server, without sending anything (Test-Mailflow, in
// test-mailflow.ts, sends a real probe as Exchange's does), from the configuration the service runs on: the
// Receive connector that would take the message from -ClientIPAddress, the
// permissions, MAIL and RCPT replies, the route and Send connector, the next
// hop resolved and contacted (STARTTLS, certificate name, AUTH). One result
// object per step, each failure with the command that fixes it.

import { existsSync } from 'node:fs';
import { findAccount, isExchangeServersMember } from '../directory/account-lookup.js';
import { formatBytes, MaildirSizes } from '../mailbox/index.js';
import { lockedOut } from './lockout-support.js';
import { RecipientDirectory } from '../directory/recipients.js';
import { dnsSettingsFromTransport, MailResolver } from '../dns/index.js';
import { MailFlowExplainer, type ReceiveCertificate } from '../explain/mail-flow-explainer.js';
import { IPAddress, IPBinding, SmtpAddress } from '../config/types/index.js';
import { connectorCredential } from '../routing/send-connector-config.js';
import { trustedCertificates } from '../tls/trusted-certificates.js';
import { loadTransportConfig } from '../config/transport-config.js';
import { ConversionError, type CommandSpec } from '../shell/command.js';
import { CmdletError, PSObject, type ObjectView } from '../shell/values.js';
import { OutboundConnection } from '../smtp/outbound/connection.js';
import { serverCertificates, servicesOf, smtpCandidates } from '../tls/certificate-selection.js';
import type { ModelObject } from '../store/repository.js';
import type { ServerContext } from './server-context.js';

function converting<T>(parse: (v: unknown) => T): (v: unknown) => T {
  return (v) => {
    try {
      return parse(v);
    } catch (err) {
      throw new ConversionError((err as Error).message);
    }
  };
}

function certificateFacts(o: ModelObject): ReceiveCertificate {
  return {
    thumbprint: String(o.values.Name),
    subject: String(o.values.Subject ?? ''),
    names: Array.isArray(o.values.CertificateDomains) ? o.values.CertificateDomains.map(String) : [],
    selfSigned: o.values.IsSelfSigned === true,
  };
}

/** A mailbox of this server at or over its ProhibitSendReceiveQuota, else null (another server's mailboxes are that server's to measure). */
function fullMailbox(ctx: ServerContext, directory: RecipientDirectory, address: string): { name: string; size: string; quota: string } | null {
  const m = directory.find(address);
  if (!m || m.kind !== 'mailbox' || m.server.toLowerCase() !== ctx.name.toLowerCase() || m.quotas.prohibitSendReceive === null || !m.folderPath || !existsSync(m.folderPath)) return null;
  const size = new MaildirSizes().size(m.folderPath, m.maildirFolder);
  return size >= m.quotas.prohibitSendReceive ? { name: m.name, size: formatBytes(size), quota: formatBytes(m.quotas.prohibitSendReceive) } : null;
}

export function traceMailflowCommands(ctx: ServerContext): CommandSpec[] {
  return [
    {
      name: 'Trace-MailFlow',
      synopsis:
        'Explains the path a message from a sender to a recipient takes through this server: Receive connector, permissions, routing, Send connector and next hop, then connects to the next hop and checks STARTTLS, its certificate and AUTH. Every failing step says how to fix it. No message is sent.',
      examples: [
        {
          code: 'Trace-MailFlow kim@fabrikam.com -Sender alice@contoso.com -ClientIPAddress 192.168.5.10 -ReceiveBinding 10.1.1.2:25 -AuthenticatedAs mbxrelay',
          remarks: "Explains how the Edge would take alice's message from the Mailbox server at 192.168.5.10 and pass it on to fabrikam.com.",
        },
        { code: 'Trace-MailFlow alice@contoso.com -SkipConnection | Format-List Step,Result,Detail,Fix', remarks: "Checks the route to alice's mailbox from the configuration only, without DNS queries or connections." },
      ],
      parameters: [
        { name: 'TargetEmailAddress', aliases: ['Recipient'], typeName: 'SmtpAddress', mandatory: true, position: 0, description: 'The recipient.', convert: converting((v) => SmtpAddress.parse(v).toString()) },
        { name: 'Sender', typeName: 'SmtpAddress', description: "The sender (default: this server's postmaster address).", convert: converting((v) => (String(v) === '' || String(v) === '<>' ? '' : SmtpAddress.parse(v).toString())) },
        {
          name: 'ClientIPAddress',
          typeName: 'IPAddress',
          description: 'The address the message comes from. Without it the receive side (connector, permissions, MAIL/RCPT) is not checked.',
          convert: converting((v) => IPAddress.parse(v).toString()),
        },
        {
          name: 'ReceiveBinding',
          typeName: 'IPBinding',
          description: "The local address and port the client connects to, as in a Receive connector's Bindings (default: every binding on port 25).",
          convert: converting((v) => IPBinding.parse(v)),
        },
        { name: 'AuthenticatedAs', typeName: 'String', description: 'An account the client authenticates as (its password is not checked).', convert: (v) => String(v) },
        { name: 'SkipConnection', typeName: 'SwitchParameter', switch: true, description: 'Check the configuration only: no DNS query and no connection to the next hop.' },
      ],
      async invoke(args) {
        const config = loadTransportConfig(ctx.repo, ctx.role, ctx.name, ctx.fqdn);
        const scope = { role: ctx.role, netbiosName: ctx.role === 'EdgeTransport' ? ctx.name : ctx.directory.netbiosName, dnsDomain: ctx.directory.dnsDomain, repo: ctx.repo };
        const directory = ctx.role === 'Mailbox' ? new RecipientDirectory(ctx.repo) : null;
        const certs = () => serverCertificates(ctx.repo, ctx.name);
        const explainer = new MailFlowExplainer({
          config,
          receiveCertificate: (c) => {
            const best = smtpCandidates(certs(), c.fqdn, c.tlsCertificateName, new Date())[0];
            return best ? certificateFacts(best) : null;
          },
          smtpCertificates: () =>
            certs()
              .filter((c) => servicesOf(c).has('SMTP'))
              .map(certificateFacts),
          account: (identity) => {
            const a = findAccount(scope, identity);
            if (!a) return null;
            const name = ctx.role === 'EdgeTransport' ? String(a.values.Name) : String(a.values.SamAccountName);
            return { displayName: `${scope.netbiosName}\\${name}`, enabled: a.values.Enabled === true, exchangeServer: isExchangeServersMember(scope, a), accountGuid: a.guid, lockedOut: lockedOut(ctx, a) };
          },
          ...(directory && { recipients: { find: (a: string) => directory.find(a), addressesOfAccount: (g: string) => directory.addressesOfAccount(g) } }),
          ...(directory && { fullMailbox: (a: string) => fullMailbox(ctx, directory, a) }),
          resolver: (kind) => new MailResolver(dnsSettingsFromTransport(config.dns, kind)),
          credential: (c) => connectorCredential(ctx.repo, c),
          trustedCertificates: () => trustedCertificates(ctx.repo),
          connect: (target, policy) => OutboundConnection.open(target, { ...policy, connectTimeoutMs: 10_000, greetingTimeoutMs: 15_000, inactivityTimeoutMs: Math.min(policy.inactivityTimeoutMs, 15_000) }),
        });
        let steps;
        try {
          steps = await explainer.explain({
            recipient: String(args.get('TargetEmailAddress')),
            sender: args.has('Sender') ? String(args.get('Sender')) : config.postmaster,
            ...(args.has('ClientIPAddress') && { clientIp: String(args.get('ClientIPAddress')) }),
            ...(args.has('ReceiveBinding') && { binding: args.get('ReceiveBinding') as IPBinding }),
            ...(args.has('AuthenticatedAs') && { account: String(args.get('AuthenticatedAs')) }),
            skipConnection: args.get('SkipConnection') === true,
          });
        } catch (err) {
          throw new CmdletError(`Trace-MailFlow could not run: ${(err as Error).message}`, { reason: 'MailFlowTestException' });
        }
        return steps.map(
          (s) =>
            new PSObject('MailFlowTraceStep', [
              ['Step', s.step],
              ['Result', s.result],
              ['Detail', s.detail],
              ['Fix', s.fix],
            ]),
        );
      },
    },
  ];
}

export const traceMailflowViews: ObjectView[] = [{ typeName: 'MailFlowTraceStep', display: 'list', list: ['Step', 'Result', 'Detail', 'Fix'] }];
