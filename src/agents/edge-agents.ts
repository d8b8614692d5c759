// The Edge's anti-spam agents at the SMTP events where Exchange runs them
// (spec exchange-edge-agents.md §1-§3): Connection Filtering (at connect,
// deciding at RCPT TO), the Sender Filter (MAIL FROM), the Recipient Filter
// (RCPT TO) and Sender ID (SPF, started at MAIL FROM, decided at the end of
// the headers). Each agent acts only when it is enabled (Enable-/
// Disable-TransportAgent and its settings' Enabled) and the session is one it
// checks: mail from the Internet (ExternalMailEnabled), and from authenticated
// or anti-spam-bypassing sessions only with InternalMailEnabled. A client on
// the IP Allow list skips every other agent. Every decision is written to the
// agent log and counted.

import type { DnsSettings } from '../dns/dns-settings.js';
import type { Logger } from '../observability/logger.js';
import { enhancedReply, type SmtpReply } from '../smtp/protocol/reply.js';
import type { AntispamSettings, ConfigValues } from './antispam-settings.js';
import type { AgentAction, AgentEvent, AgentLog } from './agent-log.js';
import { assessConnection, type ConnectionVerdict } from './connection-filter.js';
import { findBlockedAttachment } from './attachment-filter.js';
import { stripAttachments, type Stripped } from './attachment-strip.js';
import { messageText, MAX_SCANNED_OCTETS, scoreMessage, withRspamd } from './content-filter.js';
import { askRspamd } from './rspamd.js';
import { rewriteOutbound, type OutboundRewrite } from './address-rewriting.js';
import type { RecipientValidator } from './recipient-validation.js';
import { describeProfile, forgedHelo, senderReputationLevel, type SenderProfile, type SenderReputation } from './sender-reputation.js';
import { checkSenderId, type SenderIdResult, type SenderIdStatus } from './sender-id.js';
import { authenticationResults, verifyMailAuth, type MailAuthVerdict } from './dmarc.js';
import type { MailAuthEvidence } from './content-filter.js';
import type { EnhancedTimeSpan } from '../config/types/index.js';

export const CONNECTION_FILTERING = 'Connection Filtering Agent';
export const SENDER_FILTER = 'Sender Filter Agent';
export const RECIPIENT_FILTER = 'Recipient Filter Agent';
export const SENDER_ID = 'Sender Id Agent';
export const CONTENT_FILTER = 'Content Filter Agent';
export const ATTACHMENT_FILTERING = 'Attachment Filtering Agent';
export const PROTOCOL_ANALYSIS = 'Protocol Analysis Agent';
export const ADDRESS_REWRITING_INBOUND = 'Address Rewriting Inbound Agent';
export const ADDRESS_REWRITING_OUTBOUND = 'Address Rewriting Outbound Agent';
export const DMARC_AGENT = 'DMARC Agent';

/** What the DMARC agent made of a message: its Authentication-Results stamp and the policy's action. */
type MailAuthOutcome = { kind: 'stamp'; stamps: string[] } | { kind: 'quarantine'; to: string; stamps: string[] } | { kind: 'reject'; reply: SmtpReply };

/** What the Content Filter made of a message at its end. */
export type ContentOutcome =
  /** message: the whole message that replaces the one received (the Attachment Filtering agent's Strip). */
  { kind: 'stamp'; stamps: string[]; message?: Buffer } | { kind: 'quarantine'; to: string; stamps: string[]; message?: Buffer } | { kind: 'reject'; reply: SmtpReply } | { kind: 'delete' };

/** What the Sender ID agent made of a message at the end of its headers. */
export type SenderIdOutcome = { kind: 'stamp'; stamps: string[] } | { kind: 'reject'; reply: SmtpReply } | { kind: 'delete' };

/** What an agent made of a command: its reply, and whether the session ends after it. */
export interface AgentRefusal {
  reply: SmtpReply;
  disconnect: boolean;
}

export interface AgentSessionInfo {
  sessionId: string;
  localEndpoint: string;
  remoteEndpoint: string;
  clientIp: string;
  /** The name the client gave in EHLO/HELO. */
  helo: () => string;
  /** This Edge's name, in the stamps. */
  fqdn: string;
  /** The Receive connector: its name and its identity (SERVER\\Name). */
  connector: { name: string; identity: string };
  /** The session bypasses anti-spam (authenticated, or a connector whose permissions say so). */
  internal: () => boolean;
}

export interface EdgeAgentsOptions {
  settings: () => AntispamSettings | null;
  agentLog: AgentLog;
  dns: () => DnsSettings;
  log: Logger;
  /** Recipient validation by asking the inside (RecipientValidationEnabled). */
  recipients?: RecipientValidator;
  /**
   * Sender reputation (the Protocol Analysis agent): the profiles of the source addresses, and how
   * an address goes on the IP Block list (its entry's number, or null when it already is on it).
   */
  reputation?: { profiles: SenderReputation; block(ip: string, until: Date, comment: string): number | null };
  /** This organization's names (accepted domains, this server's FQDN): a HELO that claims one is forged. */
  ownNames?: () => string[];
  /** Counts decisions by agent and action. */
  count?: (agent: string, action: AgentAction) => void;
  now?: () => number;
}

export class EdgeAgents {
  constructor(private readonly options: EdgeAgentsOptions) {}

  /** The agents of one session, starting the connection filter's lookups now. */
  session(info: AgentSessionInfo): AgentSession {
    return new AgentSession(this.options, info);
  }
}

export class AgentSession {
  private readonly verdict: Promise<ConnectionVerdict | null>;
  private allowed = false;
  /** Connection Filtering has refused a recipient: every other recipient of the session is refused too. */
  private blocked: AgentRefusal | null = null;
  /** The Sender ID check of the current transaction, started at MAIL FROM. */
  private senderId: Promise<SenderIdResult> | null = null;
  /** What the other agents saw of the current transaction, for the content filter. */
  private evidence: { senderId: SenderIdStatus | null; blockedSender: boolean; mailAuth: MailAuthEvidence | null } = { senderId: null, blockedSender: false, mailAuth: null };
  /** The Sender ID result of the current transaction, for the DMARC agent's Authentication-Results. */
  private spf: SenderIdResult | null = null;

  constructor(
    private readonly o: EdgeAgentsOptions,
    private readonly info: AgentSessionInfo,
  ) {
    const settings = o.settings();
    const now = (o.now ?? Date.now)();
    const cf = settings && this.applies(settings, CONNECTION_FILTERING, null);
    if (!settings || !cf) {
      this.verdict = Promise.resolve(null);
      return;
    }
    const on = (name: string) => this.configApplies(settings.configs[name]);
    this.verdict = assessConnection({
      ip: info.clientIp,
      now,
      dns: o.dns(),
      allowList: on('IPAllowListConfig') ? settings.ipAllowList : null,
      blockList: on('IPBlockListConfig') ? settings.ipBlockList : null,
      allowProviders: on('IPAllowListConfig') ? settings.allowListProviders : null,
      blockProviders: on('IPBlockListProvidersConfig') ? settings.blockListProviders : null,
    }).then(
      (v) => {
        if (v.kind === 'allowed') {
          this.allowed = true;
          this.write({ agent: CONNECTION_FILTERING, event: 'OnConnectEvent', action: 'AcceptMessage', reason: 'LocalAllowList', reasonData: v.by, recipients: [] });
        } else if (v.kind === 'clean' && v.unanswered.length > 0) {
          this.o.log.log('warn', 'agent.connection-filter.unanswered', {
            client: info.clientIp,
            providers: v.unanswered,
            action: "the client was not checked against these block list providers (no answer in time); check Set-TransportService -ExternalDNSServers and the providers' LookupDomain",
          });
        }
        return v;
      },
      (err: Error) => {
        this.o.log.log('error', 'agent.connection-filter.failed', { client: info.clientIp, error: err.message });
        return null;
      },
    );
  }

  /** MAIL FROM: the Sender Filter; the Sender ID check starts here, to be read at the end of the headers. */
  async onMail(sender: string): Promise<AgentRefusal | null> {
    const settings = this.o.settings();
    this.senderId = null;
    this.evidence = { senderId: null, blockedSender: false, mailAuth: null };
    this.spf = null;
    if (!settings || this.allowed) return null;
    if (this.reputationApplies(settings)) {
      const p = this.o.reputation!.profiles.message(this.info.clientIp, forgedHelo(this.info.helo(), this.info.clientIp, this.o.ownNames?.() ?? [this.info.fqdn]));
      this.judge(settings, p, 'OnMailCommand', sender, []);
    }
    const refused = this.senderFilter(settings, sender);
    if (!refused && this.applies(settings, SENDER_ID, 'SenderIdConfig')) {
      const domain = (sender === '' ? this.info.helo() : sender.slice(sender.lastIndexOf('@') + 1)).toLowerCase();
      if (!listOf(settings.configs.SenderIdConfig.BypassedSenderDomains).includes(domain)) {
        this.senderId = checkSenderId({ sender, ip: this.info.clientIp, helo: this.info.helo(), mta: this.info.fqdn, dns: this.o.dns() });
      }
    }
    return refused;
  }

  /** The end of the headers: the Sender ID result, its stamps and its action. */
  async onEndOfHeaders(sender: string, recipients: string[]): Promise<SenderIdOutcome | null> {
    const settings = this.o.settings();
    const pending = this.senderId;
    this.senderId = null;
    if (!settings || !pending) return null;
    const c = settings.configs.SenderIdConfig;
    const bypassed = listOf(c.BypassedRecipients);
    if (recipients.every((r) => bypassed.includes(r.toLowerCase()))) return null;
    const r = await pending;
    this.evidence.senderId = r.status;
    this.spf = r;
    // With the DMARC agent, one Authentication-Results field holds spf, dkim, dmarc and arc: it is stamped at the end of the message.
    const merged = this.applies(settings, DMARC_AGENT, 'DmarcConfig');
    const action = r.status === 'Fail' ? String(c.SpoofedDomainAction) : r.status === 'TempError' ? String(c.TempErrorAction) : 'StampStatus';
    const base = { agent: SENDER_ID, event: 'OnEndOfHeaders' as const, reasonData: `${r.domain}: ${r.comment}`.slice(0, 500), p1From: sender, recipients };
    if (action === 'Reject') {
      const reply =
        r.status === 'TempError'
          ? enhancedReply(451, '4.4.3', `Sender ID check of ${r.domain} could not be completed (TempError); try again later`)
          : enhancedReply(550, '5.7.1', `Sender ID check failed: ${r.domain} does not designate ${this.info.clientIp} as a permitted sender`);
      this.write({ ...base, action: 'RejectMessage', reason: `SenderIdStatus ${r.status}`, reply });
      return { kind: 'reject', reply };
    }
    if (action === 'Delete') {
      this.write({ ...base, action: 'DeleteMessage', reason: `SenderIdStatus ${r.status}` });
      return { kind: 'delete' };
    }
    this.write({ ...base, action: 'AcceptMessage', reason: `SenderIdStatus ${r.status}` });
    return {
      kind: 'stamp',
      stamps: [
        `Received-SPF: ${r.receivedSpf}`,
        ...(merged ? [] : [`Authentication-Results: ${r.authenticationResults}`]),
        `X-MS-Exchange-Organization-SenderIdResult: ${r.status}`,
        `X-MS-Exchange-Organization-Antispam-Report: SID:SenderIDStatus ${r.status}`,
      ],
    };
  }

  /**
   * The end of the message: the Content Filter's SCL and its action (delete, reject, quarantine,
   * at the thresholds that are enabled, in that order). `message` reads the whole message.
   */
  async onEndOfData(sender: string, recipients: string[], size: number, message: () => Promise<Buffer>): Promise<ContentOutcome | null> {
    const settings = this.o.settings();
    if (!settings) return null;
    let read: Promise<Buffer> | null = null;
    const once = () => (read ??= message());
    const auth = await this.mailAuthentication(settings, sender, recipients, once);
    if (auth?.kind === 'reject') return auth;
    const outcome = await this.filters(settings, sender, recipients, size, once, (m) => {
      read = Promise.resolve(m);
    });
    if (!auth) return outcome;
    if (outcome === null) return auth;
    if (outcome.kind === 'reject' || outcome.kind === 'delete') return outcome;
    if (outcome.kind === 'stamp' && auth.kind === 'quarantine') return { kind: 'quarantine', to: auth.to, stamps: [...auth.stamps, ...outcome.stamps], ...(outcome.message && { message: outcome.message }) };
    return { ...outcome, stamps: [...auth.stamps, ...outcome.stamps] };
  }

  /** The Attachment Filtering agent, then the Content Filter (on the message as Strip left it). */
  private async filters(settings: AntispamSettings, sender: string, recipients: string[], size: number, once: () => Promise<Buffer>, replace: (m: Buffer) => void): Promise<ContentOutcome | null> {
    const attachments = await this.attachmentFilter(settings, sender, recipients, once);
    if (attachments && attachments.kind !== 'stripped') return attachments;
    if (!attachments) return this.contentFilter(settings, sender, recipients, size, once);
    // Stripped: the content filter reads the message as it now is, and the session keeps that one.
    const stripped = attachments.message;
    replace(stripped);
    const outcome = await this.contentFilter(settings, sender, recipients, stripped.length, once);
    if (outcome === null) return { kind: 'stamp', stamps: [], message: stripped };
    return outcome.kind === 'stamp' || outcome.kind === 'quarantine' ? { ...outcome, message: stripped } : outcome;
  }

  /** The Content Filter: the SCL and its action (delete, reject, quarantine, at the thresholds that are enabled, in that order). */
  private async contentFilter(settings: AntispamSettings, sender: string, recipients: string[], size: number, once: () => Promise<Buffer>): Promise<ContentOutcome | null> {
    if (this.allowed || !this.applies(settings, CONTENT_FILTER, 'ContentFilterConfig')) return null;
    const c = settings.configs.ContentFilterConfig;
    const domain = sender.slice(sender.lastIndexOf('@') + 1).toLowerCase();
    const bypassedDomain = listOf(c.BypassedSenderDomains).some((d) => (d.startsWith('*.') ? domain === d.slice(2) || domain.endsWith(d.slice(1)) : domain === d));
    const bypassedRecipients = listOf(c.BypassedRecipients);
    if (listOf(c.BypassedSenders).includes(sender.toLowerCase()) || bypassedDomain || recipients.every((r) => bypassedRecipients.includes(r.toLowerCase()))) {
      return { kind: 'stamp', stamps: ['X-MS-Exchange-Organization-SCL: -1', 'X-MS-Exchange-Organization-Antispam-Report: SenderBypassed'] };
    }
    if (size > MAX_SCANNED_OCTETS) return null;
    let text = '';
    try {
      // The text is only looked at for the custom words: without any, the message is not parsed.
      if (settings.phrases.length > 0) text = await messageText(await once());
    } catch (err) {
      this.o.log.log('warn', 'agent.content-filter.unreadable', { error: (err as Error).message, sender, action: 'the message was not scored; it is delivered without an SCL' });
      return null;
    }
    const verdict = await this.verdict;
    let v = scoreMessage({
      text,
      phrases: settings.phrases,
      senderId: this.evidence.senderId,
      blockedSender: this.evidence.blockedSender,
      listedBy: verdict?.kind === 'listed' ? verdict.provider.name : null,
      mailAuth: this.evidence.mailAuth,
    });
    if (typeof c.RspamdUrl === 'string' && !v.customList) {
      const answer = await askRspamd({
        url: c.RspamdUrl,
        timeoutMs: (c.RspamdTimeout as EnhancedTimeSpan).milliseconds,
        message: await once(),
        clientIp: this.info.clientIp,
        helo: this.info.helo(),
        sender,
        recipients,
        queueId: this.info.sessionId,
        mtaName: this.info.fqdn,
      });
      if (answer.kind === 'failed')
        this.o.log.log('warn', 'agent.content-filter.rspamd-unavailable', {
          url: c.RspamdUrl,
          error: answer.why,
          sender,
          action: "the message was scored without rspamd's verdict; check that rspamd's normal worker runs and answers at Set-ContentFilterConfig -RspamdUrl (or -RspamdUrl $null to stop asking it)",
        });
      v = withRspamd(v, answer);
    }
    if (this.reputationApplies(settings)) this.judge(settings, this.o.reputation!.profiles.scored(this.info.clientIp, v.scl), 'OnEndOfData', sender, recipients);
    const stamps = [`X-MS-Exchange-Organization-SCL: ${v.scl}`, ...(v.customList ? ['X-MS-Exchange-Organization-Antispam-Report: CW:CustomList'] : []), ...(v.rspamd ? [`X-MS-Exchange-Organization-Antispam-Report: ${v.rspamd}`] : [])];
    const base = { agent: CONTENT_FILTER, event: 'OnEndOfData' as const, reason: `SCL ${v.scl}`, reasonData: v.reasons.join('; '), p1From: sender, recipients };
    const at = (enabled: string, threshold: string) => c[enabled] === true && v.scl >= Number(c[threshold]);
    if (at('SCLDeleteEnabled', 'SCLDeleteThreshold')) {
      this.write({ ...base, action: 'DeleteMessage' });
      return { kind: 'delete' };
    }
    if (at('SCLRejectEnabled', 'SCLRejectThreshold')) {
      const reply = enhancedReply(550, '5.7.1', String(c.RejectionResponse));
      this.write({ ...base, action: 'RejectMessage', reply });
      return { kind: 'reject', reply };
    }
    if (at('SCLQuarantineEnabled', 'SCLQuarantineThreshold') && c.QuarantineMailbox) {
      this.write({ ...base, action: 'QuarantineMessage', reasonData: `${base.reasonData}; to ${String(c.QuarantineMailbox)}` });
      return { kind: 'quarantine', to: String(c.QuarantineMailbox), stamps };
    }
    this.write({ ...base, action: 'AcceptMessage' });
    return { kind: 'stamp', stamps };
  }

  /**
   * The DMARC agent: DKIM, ARC and DMARC (dmarc.ts) on the message as received, with the Sender ID
   * agent's SPF result (SPF is evaluated here only when Sender ID did not run for the message);
   * one Authentication-Results field naming this Edge, and the sender's policy applied as DmarcConfig says.
   */
  private async mailAuthentication(settings: AntispamSettings, sender: string, recipients: string[], once: () => Promise<Buffer>): Promise<MailAuthOutcome | null> {
    if (this.allowed || !this.applies(settings, DMARC_AGENT, 'DmarcConfig')) return null;
    const c = settings.configs.DmarcConfig;
    const spf = this.spf ?? (await checkSenderId({ sender, ip: this.info.clientIp, helo: this.info.helo(), mta: this.info.fqdn, dns: this.o.dns() }));
    let v: MailAuthVerdict;
    try {
      v = await verifyMailAuth({ message: await once(), sender, spf, dns: this.o.dns() });
    } catch (err) {
      this.o.log.log('warn', 'agent.dmarc.unreadable', { error: (err as Error).message, sender, action: 'the message was not checked for DKIM and DMARC; it is delivered without their verdicts' });
      return null;
    }
    const policy = v.dmarc.result === 'fail' ? v.dmarc.policy : null;
    const bypassed = listOf(c.BypassedSenderDomains).includes(v.fromDomain) || recipients.every((r) => listOf(c.BypassedRecipients).includes(r.toLowerCase()));
    this.evidence.mailAuth = bypassed
      ? null
      : {
          dmarc: v.dmarc.result,
          policy: v.dmarc.policy,
          fromDomain: v.fromDomain,
          alignedDkimPass: v.dkim.some((d) => d.result === 'pass' && (d.domain === v.fromDomain || d.domain.endsWith(`.${v.fromDomain}`) || v.fromDomain.endsWith(`.${d.domain}`))),
          dkimFail: v.dkim.some((d) => d.result === 'fail' || d.result === 'neutral'),
        };
    const summary = `header.from=${v.fromDomain || '(none)'}; ${v.dmarc.info}; ${v.dkim.map((d) => `dkim=${d.result}${d.domain ? ` header.d=${d.domain}` : ''}`).join(' ')}; spf=${spf.status.toLowerCase()}; arc=${v.arc.result}`.slice(
      0,
      500,
    );
    const base = { agent: DMARC_AGENT, event: 'OnEndOfData' as const, p1From: sender, recipients, reasonData: summary };
    const stamp = (action: string) => [`Authentication-Results: ${authenticationResults(this.info.fqdn, spf.spfInfo, v, action)}`];
    if (policy === null || policy === 'none') {
      this.write({ ...base, action: 'AcceptMessage', reason: `DMARC ${v.dmarc.result}` });
      return { kind: 'stamp', stamps: stamp(v.dmarc.result === 'fail' || v.dmarc.result === 'pass' ? 'none' : '') };
    }
    if (bypassed || c.HonorDmarcPolicy !== true) {
      const why = bypassed ? 'bypassed' : 'not honored (HonorDmarcPolicy $false)';
      this.write({ ...base, action: 'AcceptMessage', reason: `DMARC fail p=${policy} ${why}` });
      return { kind: 'stamp', stamps: stamp(`o${policy}`) };
    }
    const action = String(policy === 'reject' ? c.DmarcRejectAction : c.DmarcQuarantineAction);
    if (action === 'Reject') {
      const reply = enhancedReply(550, '5.7.1', `Message rejected by DMARC policy of ${v.dmarc.domain || v.fromDomain}`);
      this.write({ ...base, action: 'RejectMessage', reason: `DMARC fail p=${policy}`, reply });
      return { kind: 'reject', reply };
    }
    const to = c.QuarantineMailbox ? String(c.QuarantineMailbox) : settings.configs.ContentFilterConfig.QuarantineMailbox ? String(settings.configs.ContentFilterConfig.QuarantineMailbox) : null;
    if (!to) {
      this.o.log.log('warn', 'agent.dmarc.no-quarantine-mailbox', {
        sender,
        fromDomain: v.fromDomain,
        policy,
        action: 'the message failed DMARC and was delivered, not quarantined: give a mailbox with Set-DmarcConfig -QuarantineMailbox (or Set-ContentFilterConfig -QuarantineMailbox)',
      });
      this.write({ ...base, action: 'AcceptMessage', reason: `DMARC fail p=${policy} no QuarantineMailbox` });
      return { kind: 'stamp', stamps: stamp(`o${policy}`) };
    }
    this.write({ ...base, action: 'QuarantineMessage', reason: `DMARC fail p=${policy}`, reasonData: `${summary}; to ${to}`.slice(0, 500) });
    return { kind: 'quarantine', to, stamps: stamp('quarantine') };
  }

  /** The Attachment Filtering agent: every message, but those of its ExceptionConnectors. */
  private async attachmentFilter(settings: AntispamSettings, sender: string, recipients: string[], message: () => Promise<Buffer>): Promise<ContentOutcome | { kind: 'stripped'; message: Buffer } | null> {
    if (!settings.agents.find((a) => a.name === ATTACHMENT_FILTERING)?.enabled || settings.attachmentRules.length === 0) return null;
    const c = settings.configs.AttachmentFilterListConfig;
    const connector = [this.info.connector.name.toLowerCase(), this.info.connector.identity.toLowerCase()];
    if (listOf(c.ExceptionConnectors).some((x) => connector.includes(x))) return null;
    let found: string | null;
    try {
      found = await findBlockedAttachment(await message(), settings.attachmentRules);
    } catch (err) {
      this.o.log.log('warn', 'agent.attachment-filter.unreadable', { error: (err as Error).message, sender, action: "the message's attachments could not be read; it is delivered unfiltered" });
      return null;
    }
    if (!found) return null;
    const base = { agent: ATTACHMENT_FILTERING, event: 'OnEndOfData' as const, reason: 'AttachmentFilterEntry', reasonData: found, p1From: sender, recipients };
    if (c.Action === 'Strip') {
      let stripped: Stripped;
      try {
        stripped = await stripAttachments(await message(), settings.attachmentRules, String(c.AdminMessage));
      } catch (err) {
        // A message whose parts cannot be taken apart cannot have one replaced: it is refused, never delivered with the attachment.
        const reply = enhancedReply(550, '5.7.1', String(c.RejectResponse));
        this.o.log.log('warn', 'agent.attachment-filter.strip-failed', { error: (err as Error).message, sender, action: 'the message was refused instead (its MIME structure could not be rewritten)' });
        this.write({ ...base, action: 'RejectMessage', reasonData: `${found}; could not be stripped: ${(err as Error).message}`.slice(0, 500), reply });
        return { kind: 'reject', reply };
      }
      this.write({ ...base, action: 'AcceptMessage', reason: 'AttachmentStripped', reasonData: stripped.removed.join('; ').slice(0, 500) });
      return { kind: 'stripped', message: stripped.message };
    }
    if (c.Action === 'SilentDelete') {
      this.write({ ...base, action: 'DeleteMessage' });
      return { kind: 'delete' };
    }
    const reply = enhancedReply(550, '5.7.1', String(c.RejectResponse));
    this.write({ ...base, action: 'RejectMessage', reply });
    return { kind: 'reject', reply };
  }

  private senderFilter(settings: AntispamSettings, sender: string): AgentRefusal | null {
    if (!this.applies(settings, SENDER_FILTER, 'SenderFilterConfig')) return null;
    const c = settings.configs.SenderFilterConfig;
    const why = blockedSender(sender, c);
    if (!why) return null;
    if (c.Action === 'StampStatus') {
      this.evidence.blockedSender = true;
      this.write({ agent: SENDER_FILTER, event: 'OnMailCommand', action: 'AcceptMessage', reason: 'BlockedSender', reasonData: why, p1From: sender, recipients: [] });
      return null;
    }
    const reply = enhancedReply(554, '5.1.0', 'Sender Denied');
    this.write({ agent: SENDER_FILTER, event: 'OnMailCommand', action: 'RejectCommand', reason: sender === '' ? 'BlankSender' : 'BlockedSender', reasonData: why, p1From: sender, recipients: [], reply });
    return { reply, disconnect: true };
  }

  /**
   * RCPT TO of mail from the Internet: the Address Rewriting Inbound agent turns an external
   * address back into the internal one (entries that are not OutboundOnly); other recipients, and
   * sessions from inside, keep theirs.
   */
  inboundRecipient(recipient: string): string {
    const settings = this.o.settings();
    if (!settings || settings.addressRewriter.empty || this.info.internal() || !settings.agents.find((a) => a.name === ADDRESS_REWRITING_INBOUND)?.enabled) return recipient;
    const r = settings.addressRewriter.inbound(recipient);
    if (!r) return recipient;
    this.o.log.log('info', 'agent.address-rewriting.inbound', { recipient, rewrittenTo: r.address, entry: r.entry, client: this.info.clientIp });
    return r.address;
  }

  /**
   * The end of a message from inside that leaves the organization: the Address Rewriting Outbound
   * agent's MAIL FROM and header fields (address-rewriting.ts), or null when it changes nothing.
   */
  outboundRewrite(sender: string, header: Buffer): OutboundRewrite | null {
    const settings = this.o.settings();
    if (!settings || !this.info.internal() || !settings.agents.find((a) => a.name === ADDRESS_REWRITING_OUTBOUND)?.enabled) return null;
    const r = rewriteOutbound(settings.addressRewriter, sender, header);
    if (r) this.o.log.log('info', 'agent.address-rewriting.outbound', { sender, ...(r.envelope && { rewrittenSender: r.sender }), fields: r.fields.map((f) => `${f.field}: ${f.from} -> ${f.to} (${f.entry})`) });
    return r;
  }

  /** RCPT TO: Connection Filtering's verdict, then the Recipient Filter's block list. */
  async onRcpt(sender: string, recipient: string): Promise<AgentRefusal | null> {
    const settings = this.o.settings();
    if (!settings) return null;
    if (this.blocked) return this.blocked;
    const verdict = await this.verdict;
    if (verdict && (verdict.kind === 'blocked' || verdict.kind === 'listed')) {
      const refusal = this.connectionRefusal(settings, verdict, sender, recipient);
      if (refusal) return refusal;
    }
    if (this.allowed || !this.applies(settings, RECIPIENT_FILTER, 'RecipientFilterConfig')) return null;
    const c = settings.configs.RecipientFilterConfig;
    const refusal = await this.recipientFilter(c, sender, recipient);
    // Sender reputation counts the Recipient Filter's verdicts (a 4xx says nothing of the recipient).
    if ((refusal === null || refusal.reply.code >= 500) && this.reputationApplies(settings)) {
      const p = this.o.reputation!.profiles.recipient(this.info.clientIp, refusal !== null);
      this.judge(settings, p, 'OnRcptCommand', sender, [recipient]);
    }
    return refusal;
  }

  /** The Recipient Filter: its block list, then the lookup. */
  private async recipientFilter(c: ConfigValues, sender: string, recipient: string): Promise<AgentRefusal | null> {
    if (c.BlockListEnabled === true && listOf(c.BlockedRecipients).includes(recipient.toLowerCase())) {
      const reply = enhancedReply(550, '5.1.1', 'User unknown');
      this.write({ agent: RECIPIENT_FILTER, event: 'OnRcptCommand', action: 'RejectCommand', reason: 'RecipientBlockList', reasonData: recipient, p1From: sender, recipients: [recipient], reply });
      return { reply, disconnect: false };
    }
    if (c.RecipientValidationEnabled === true && this.o.recipients?.applies(recipient)) return this.validateRecipient(c, sender, recipient);
    return null;
  }

  /** Whether the Protocol Analysis agent follows this session's client. */
  private reputationApplies(settings: AntispamSettings): boolean {
    return this.o.reputation !== undefined && !this.allowed && this.applies(settings, PROTOCOL_ANALYSIS, 'SenderReputationConfig');
  }

  /**
   * The Protocol Analysis agent: once the client's SRL reaches SrlBlockThreshold, it goes on the IP
   * Block list for SenderBlockingPeriod (and the rest of this session is refused as that entry would be).
   */
  private judge(settings: AntispamSettings, p: SenderProfile, event: AgentEvent, sender: string, recipients: string[]): void {
    const c = settings.configs.SenderReputationConfig;
    const srl = senderReputationLevel(p);
    const hours = Number(c.SenderBlockingPeriod);
    if (srl < Number(c.SrlBlockThreshold) || c.SenderBlockingEnabled !== true || hours <= 0) return;
    const ip = this.info.clientIp;
    const why = `SRL ${srl}: ${describeProfile(p)}`;
    const until = new Date((this.o.now ?? Date.now)() + hours * 3_600_000);
    let entry: number | null;
    try {
      entry = this.o.reputation!.block(ip, until, `Sender reputation: ${why}`);
    } catch (err) {
      this.o.log.log('error', 'agent.sender-reputation.block-failed', { client: ip, srl, error: (err as Error).message, action: `block it by hand: Add-IPBlockListEntry -IPAddress ${ip} -ExpirationTime "${until.toISOString()}"` });
      return;
    }
    this.o.reputation!.profiles.forget(ip);
    const reply = enhancedReply(550, '5.7.1', String(settings.configs.IPBlockListConfig.MachineEntryRejectionResponse));
    this.blocked = { reply, disconnect: false };
    if (entry === null) return;
    this.write({ agent: PROTOCOL_ANALYSIS, event, action: 'RejectConnection', reason: 'SenderReputation', reasonData: `${why}; IP Block list entry ${entry} until ${until.toISOString()}`, p1From: sender, recipients });
    this.o.log.log('warn', 'agent.sender-reputation.blocked', {
      client: ip,
      srl,
      profile: describeProfile(p),
      entry,
      until: until.toISOString(),
      action: `its mail is refused until then; Remove-IPBlockListEntry ${entry} lifts the block, Set-SenderReputationConfig -SrlBlockThreshold or -SenderBlockingEnabled $false changes the policy`,
    });
  }

  /** The Recipient Filter's lookup: the inside is asked whether the recipient exists (recipient-validation.ts). */
  private async validateRecipient(c: ConfigValues, sender: string, recipient: string): Promise<AgentRefusal | null> {
    const span = (v: unknown) => (v as EnhancedTimeSpan | undefined)?.milliseconds ?? 0;
    const v = await this.o.recipients!.validate(recipient, { positiveMs: span(c.RecipientValidationPositiveCacheLifetime), negativeMs: span(c.RecipientValidationNegativeCacheLifetime) });
    if (v.kind === 'exists') return null;
    const base = { agent: RECIPIENT_FILTER, event: 'OnRcptCommand' as const, action: 'RejectCommand' as const, p1From: sender, recipients: [recipient] };
    if (v.kind === 'unknown') {
      const reply = enhancedReply(550, '5.1.10', 'RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup');
      this.write({ ...base, reason: 'RecipientDoesNotExist', reasonData: `${v.cached ? 'cached answer' : 'the inside answered'}: ${v.reply}`.slice(0, 500), reply });
      return { reply, disconnect: false };
    }
    const reply = enhancedReply(451, '4.4.3', 'Recipient validation is unavailable: the internal mail servers could not be asked; try again later');
    this.o.log.log('warn', 'agent.recipient-validation.unavailable', {
      recipient,
      reason: v.why,
      action: 'senders are told to try again later (451 4.4.3) until the inside answers; check the Send connector to the inside (Trace-MailFlow <recipient>), or Set-RecipientFilterConfig -RecipientValidationEnabled $false',
    });
    this.write({ ...base, reason: 'RecipientValidationUnavailable', reasonData: v.why.slice(0, 500), reply });
    return { reply, disconnect: false };
  }

  private connectionRefusal(settings: AntispamSettings, v: Extract<ConnectionVerdict, { kind: 'blocked' | 'listed' }>, sender: string, recipient: string): AgentRefusal | null {
    if (v.kind === 'listed') {
      // A provider's listing spares the recipients the administrator names (IPBlockListProvidersConfig -BypassedRecipients).
      if (listOf(settings.configs.IPBlockListProvidersConfig.BypassedRecipients).includes(recipient.toLowerCase())) return null;
      const text = v.provider.rejectionResponse ?? `Recipient not authorized, your IP address ${this.info.clientIp} was found on the block list ${v.provider.name} (${v.provider.lookupDomain})`;
      const reply = enhancedReply(550, '5.7.1', text);
      this.write({ agent: CONNECTION_FILTERING, event: 'OnRcptCommand', action: 'RejectCommand', reason: 'BlockListProvider', reasonData: `${v.provider.name}: ${v.answer}`, p1From: sender, recipients: [recipient], reply });
      this.blocked = { reply, disconnect: true };
      return this.blocked;
    }
    const config = settings.configs.IPBlockListConfig;
    const text = String(v.by === 'machine' ? config.MachineEntryRejectionResponse : config.StaticEntryRejectionResponse);
    const reply = enhancedReply(550, '5.7.1', text);
    this.write({
      agent: CONNECTION_FILTERING,
      event: 'OnRcptCommand',
      action: 'RejectCommand',
      reason: v.by === 'machine' ? 'SenderReputationBlockList' : 'LocalBlockList',
      reasonData: `IP Block list entry ${v.entry.identity} (${v.entry.range.toString()})`,
      p1From: sender,
      recipients: [recipient],
      reply,
    });
    this.blocked = { reply, disconnect: false };
    return this.blocked;
  }

  /** Whether an agent acts on this session: the agent and its settings enabled, and the session one it checks. */
  private applies(settings: AntispamSettings, agent: string, config: string | null): boolean {
    if (!settings.agents.find((a) => a.name === agent)?.enabled) return false;
    if (config === null) return true;
    return this.configApplies(settings.configs[config]);
  }

  private configApplies(c: ConfigValues | undefined): boolean {
    if (!c || c.Enabled === false) return false;
    return this.info.internal() ? c.InternalMailEnabled === true : c.ExternalMailEnabled !== false;
  }

  private write(e: { agent: string; event: AgentEvent; action: AgentAction; reason: string; reasonData?: string; p1From?: string; recipients: string[]; reply?: SmtpReply }): void {
    const reply = e.reply ? `${e.reply.code} ${e.reply.enhanced ? `${e.reply.enhanced} ` : ''}${e.reply.lines.join(' ')}` : undefined;
    this.o.agentLog.write({
      sessionId: this.info.sessionId,
      localEndpoint: this.info.localEndpoint,
      remoteEndpoint: this.info.remoteEndpoint,
      enteredOrgFromIp: this.info.clientIp,
      ...(e.p1From !== undefined && { p1From: e.p1From }),
      recipients: e.recipients,
      agent: e.agent,
      event: e.event,
      action: e.action,
      ...(reply && { smtpResponse: reply }),
      reason: e.reason,
      ...(e.reasonData && { reasonData: e.reasonData }),
    });
    this.o.count?.(e.agent, e.action);
    this.o.log.log('info', 'agent.decision', { agent: e.agent, event: e.event, action: e.action, reason: e.reason, reasonData: e.reasonData, client: this.info.clientIp, ...(e.recipients.length && { recipients: e.recipients }) });
  }
}

function listOf(v: unknown): string[] {
  return Array.isArray(v) ? v.map((x) => String(x).toLowerCase()) : [];
}

/** Why the Sender Filter blocks a sender, or null. */
export function blockedSender(sender: string, c: ConfigValues): string | null {
  if (sender === '') return c.BlankSenderBlockingEnabled === true ? 'blank sender (BlankSenderBlockingEnabled)' : null;
  const address = sender.toLowerCase();
  if (listOf(c.BlockedSenders).includes(address)) return `BlockedSenders: ${address}`;
  const domain = address.slice(address.lastIndexOf('@') + 1);
  if (listOf(c.BlockedDomains).includes(domain)) return `BlockedDomains: ${domain}`;
  const parent = listOf(c.BlockedDomainsAndSubdomains).find((d) => domain === d || domain.endsWith(`.${d}`));
  return parent ? `BlockedDomainsAndSubdomains: ${parent}` : null;
}
