// Test-Mailflow as Exchange 2013 has it (spec exchange-management.md §6): the
// system mailbox of this server's database sends a real probe message
// (Subject "Test-Mailflow <GUID>", body "This is a Test-Mailflow probe
// message.") through the running service, to itself, to the system mailbox
// of another server or database, or to an address, and waits for its
// delivery, at most -ExecutionTimeout seconds (240 by default).
// The probe is submitted over SMTP to this server's "Default <NAME>" Receive
// connector, with STARTTLS and the server's own account (NAME$, Exchange
// Servers), exactly as another Mailbox server relays; delivery is read from
// the message tracking logs: DELIVER on the server that owns the target
// mailbox (another server's log is asked through its management endpoint),
// else SEND from this server for a remote target; FAIL, or the time running out, is *FAILURE* with the
// reason (the last deferral when there was one), written as an error too.
// The explainer that checks a path without sending is Trace-MailFlow.

import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { StoredCredential } from '../config/model/credential.js';
import { receiveConnectorSchema } from '../config/model/receive-connector.js';
import { mailboxDatabaseSchema } from '../config/model/recipient.js';
import { serverSchema } from '../config/model/server.js';
import { EnhancedTimeSpan, type IPBinding } from '../config/types/index.js';
import { RecipientDirectory } from '../directory/recipients.js';
import { TrackingReader } from '../queue/tracking-reader.js';
import { trustedCertificates } from '../tls/trusted-certificates.js';
import { ConversionError, type BoundArguments, type CommandSpec, type InvocationContext, type ParameterSpec } from '../shell/command.js';
import { CmdletError, PSObject, type ObjectView } from '../shell/values.js';
import { isConnectFailure, OutboundConnection } from '../smtp/outbound/connection.js';
import type { ModelObject } from '../store/repository.js';
import type { TrackingEvent } from '../tracking/tracking-event.js';
import { invalidOperation, notFound } from './errors.js';
import { ensureSystemMailbox } from './mailbox-system.js';
import { serviceRunning, type ServerContext } from './server-context.js';

/** Exchange's default -ExecutionTimeout in the Exchange Management Shell, in seconds. */
export const DEFAULT_EXECUTION_TIMEOUT_S = 240;
const POLL_MS = 250;

interface Target {
  address: string;
  /** The server whose tracking log shows the delivery (null: the probe is done once this server has sent it on). */
  deliveringServer: ModelObject | null;
  remote: boolean;
}

type Outcome = { ok: true; latencyMs: number } | { ok: false; reason: string; timedOut?: boolean };

function serverByName(ctx: ServerContext, given: string): ModelObject {
  const id = given.toLowerCase();
  const s = ctx.repo.list(serverSchema).find((x) => String(x.values.Name).toLowerCase() === id || String(x.values.Fqdn).toLowerCase() === id || x.guid.toLowerCase() === id);
  if (!s) throw notFound(given, ctx.fqdn);
  return s;
}

function databasesOf(ctx: ServerContext, server: ModelObject): ModelObject[] {
  return ctx.repo.list(mailboxDatabaseSchema).filter((d) => String(d.values.Server).toLowerCase() === String(server.values.Name).toLowerCase());
}

function firstDatabase(ctx: ServerContext, server: ModelObject, parameter: string): ModelObject {
  const db = databasesOf(ctx, server)[0];
  if (!db) throw invalidOperation(`The server ${server.values.Name} has no mailbox database, so it has no system mailbox to test with. Create one: New-MailboxDatabase -Name <name> -Server ${server.values.Name}.`, parameter);
  return db;
}

function serverOfDatabase(ctx: ServerContext, db: ModelObject): ModelObject | null {
  return ctx.repo.list(serverSchema).find((s) => String(s.values.Name).toLowerCase() === String(db.values.Server).toLowerCase()) ?? null;
}

/** Whether the delivery can be watched on this server: it is this one, or another one reached through its endpoint. */
function watchable(ctx: ServerContext, server: ModelObject | null): boolean {
  return server !== null && (String(server.values.Name).toLowerCase() === ctx.name.toLowerCase() || ctx.peers !== undefined);
}

function resolveTarget(ctx: ServerContext, self: ModelObject, args: BoundArguments): Target {
  const isSelf = (s: ModelObject | null) => s !== null && s.guid === self.guid;
  const mailboxTarget = (db: ModelObject): Target => {
    const owner = serverOfDatabase(ctx, db);
    return { address: String(ensureSystemMailbox(ctx, db).values.PrimarySmtpAddress), deliveringServer: watchable(ctx, owner) ? owner : null, remote: !isSelf(owner) };
  };
  if (args.has('TargetDatabase')) {
    const id = String(args.get('TargetDatabase')).toLowerCase();
    const db = ctx.repo.list(mailboxDatabaseSchema).find((d) => String(d.values.Name).toLowerCase() === id || d.guid.toLowerCase() === id);
    if (!db) throw notFound(String(args.get('TargetDatabase')), ctx.fqdn);
    return mailboxTarget(db);
  }
  if (args.has('TargetMailboxServer')) {
    const server = serverByName(ctx, String(args.get('TargetMailboxServer')));
    if (server.values.ServerRole !== 'Mailbox') throw invalidOperation(`The server ${server.values.Name} is an Edge Transport server; -TargetMailboxServer names a Mailbox server.`, 'TargetMailboxServer');
    return mailboxTarget(firstDatabase(ctx, server, 'TargetMailboxServer'));
  }
  if (args.has('TargetEmailAddress')) {
    const address = String(args.get('TargetEmailAddress'));
    const found = new RecipientDirectory(ctx.repo).find(address);
    const owner = found?.kind === 'mailbox' ? (ctx.repo.list(serverSchema).find((s) => String(s.values.Name).toLowerCase() === found.server.toLowerCase()) ?? null) : null;
    return { address, deliveringServer: watchable(ctx, owner) ? owner : null, remote: true };
  }
  return mailboxTarget(firstDatabase(ctx, self, 'Identity'));
}

/** Where this server takes server-to-server mail: its "Default <NAME>" connector's first binding (a wildcard as loopback). */
function submissionEndpoint(ctx: ServerContext): { address: string; port: number } | null {
  const c = ctx.repo.list(receiveConnectorSchema).find((o) => o.server.toLowerCase() === ctx.name.toLowerCase() && String(o.values.Name).toLowerCase() === `default ${ctx.name.toLowerCase()}`);
  if (!c || c.values.Enabled === false) return null;
  const b = ((c.values.Bindings as IPBinding[] | undefined) ?? [])[0];
  if (!b) return null;
  const address = b.isWildcard ? (b.family === 'IPv6' ? '::1' : '127.0.0.1') : b.address.toString();
  return { address, port: b.port };
}

function probeMessage(o: { from: string; to: string; toName?: string; fqdn: string; messageId: string; subject: string; now: Date }): Buffer {
  const to = o.toName ? `"${o.toName.replace(/["\\\r\n]/g, '')}" <${o.to}>` : o.to;
  return Buffer.from(
    [
      `From: Microsoft Exchange <${o.from}>`,
      `To: ${to}`,
      `Subject: ${o.subject}`,
      `Date: ${o.now.toUTCString().replace('GMT', '+0000')}`,
      `Message-ID: ${o.messageId}`,
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=us-ascii',
      'X-MS-Exchange-Organization-Test-Mailflow: True',
      '',
      'This is a Test-Mailflow probe message.',
      '',
    ].join('\r\n'),
    'ascii',
  );
}

/** Submits the probe to the running service; null when it was accepted, else why not. */
async function submit(ctx: ServerContext, self: ModelObject, from: string, to: string, body: Buffer): Promise<string | null> {
  const endpoint = submissionEndpoint(ctx);
  if (!endpoint) return `the Receive connector "Default ${ctx.name}" is missing, disabled or has no binding: re-enable it (Set-ReceiveConnector "Default ${ctx.name}" -Enabled $true) so the server takes mail from other servers.`;
  const account = self.values.ServerAccount as StoredCredential | null | undefined;
  if (!account?.sealed) return `the server ${ctx.name} has no server account (NAME$) to submit with; run gatehouse setup for this server again.`;
  const password = ctx.repo.openSecret(account.sealed, `ExchangeServer/${self.guid}/ServerAccount`);
  const conn = await OutboundConnection.open(
    { host: ctx.fqdn, address: endpoint.address, port: endpoint.port },
    {
      ehloName: ctx.fqdn,
      forceHelo: false,
      tls: 'required',
      tlsAuthLevel: null,
      trustedCertificates: trustedCertificates(ctx.repo),
      auth: { username: account.userName, password, mechanism: 'BasicAuthRequireTLS' },
      connectTimeoutMs: 10_000,
      greetingTimeoutMs: 15_000,
      inactivityTimeoutMs: 30_000,
      maxMessagesPerConnection: 1,
    },
  );
  if (isConnectFailure(conn)) return `the service did not take the probe at ${endpoint.address}:${endpoint.port} ("Default ${ctx.name}"): ${conn.text}`;
  try {
    const [outcome] = await conn.send({ sender: from, recipients: [{ address: to }], body, smtputf8: false, bodyType: '7BIT' });
    return outcome.status === 'delivered' ? null : `the service refused the probe for ${to}: ${outcome.reply}`;
  } finally {
    await conn.close();
  }
}

function openLog(dataDir: string): TrackingReader {
  const log = TrackingReader.open(dataDir, { checkVersion: false });
  if (!log) throw new Error(`the message tracking log ${join(dataDir, 'queue.db')} does not exist: the transport service has not run on this server`);
  return log;
}

/** How often another server's log is asked again (through its endpoint). */
const REMOTE_POLL_MS = 1000;

/**
 * The probe's events in another server's tracking log, asked of that server through its endpoint
 * (Get-MessageTrackingLog -MessageId); a server that does not answer is "nothing yet", and its
 * error is kept for the final reason.
 */
class RemoteLog {
  lastError: string | null = null;
  private events: TrackingEvent[] = [];
  private askedAt = 0;
  constructor(
    private readonly ctx: ServerContext,
    private readonly server: ModelObject,
    private readonly inv: InvocationContext,
  ) {}

  async eventsOf(messageId: string): Promise<TrackingEvent[]> {
    if (Date.now() - this.askedAt < REMOTE_POLL_MS) return this.events;
    this.askedAt = Date.now();
    try {
      const found = await this.ctx.peers!.run(this.server, 'Get-MessageTrackingLog', new Map([['MessageId', messageId]]), new Set(), this.inv);
      this.events = found
        .filter((o): o is PSObject => o instanceof PSObject)
        .map(
          (o) =>
            ({
              eventId: String(o.get('EventId')),
              timestamp: o.get('Timestamp'),
              serverHostname: String(o.get('ServerHostname') ?? ''),
              recipientStatus: ([] as unknown[]).concat(o.get('RecipientStatus') ?? []).map(String),
              sourceContext: o.get('SourceContext') === null ? undefined : String(o.get('SourceContext')),
            }) as unknown as TrackingEvent,
        );
      this.lastError = null;
    } catch (err) {
      this.lastError = (err as Error).message;
    }
    return this.events;
  }
}

/** Waits for the probe's DELIVER (or SEND, for a remote target), a FAIL, or the deadline. */
async function awaitDelivery(ctx: ServerContext, target: Target, messageId: string, started: number, timeoutMs: number, inv: InvocationContext): Promise<Outcome> {
  const local = openLog(ctx.dataDir);
  const elsewhere = target.deliveringServer && String(target.deliveringServer.values.Name).toLowerCase() !== ctx.name.toLowerCase();
  const remoteLog = elsewhere ? new RemoteLog(ctx, target.deliveringServer!, inv) : null;
  const deliveringName = target.deliveringServer ? String(target.deliveringServer.values.Name) : ctx.name;
  let lastDeferral: string | null = null;
  try {
    const deadline = started + timeoutMs;
    for (let round = 0; round < Math.ceil(timeoutMs / POLL_MS) + 1; round++) {
      const mine = local.eventsOf(messageId);
      const theirs = remoteLog ? await remoteLog.eventsOf(messageId) : mine;
      const failed = [...mine, ...(remoteLog ? theirs : [])].find((e) => e.eventId === 'FAIL');
      if (failed) return { ok: false, reason: `the probe failed on ${failed.serverHostname ?? ctx.fqdn}: ${(failed.recipientStatus ?? []).join('; ') || 'no reason recorded'}` };
      const done = target.deliveringServer ? theirs.find((e) => e.eventId === 'DELIVER') : mine.find((e) => e.eventId === 'SEND');
      if (done) return { ok: true, latencyMs: Math.max(0, new Date(done.timestamp).getTime() - started) };
      const deferred = [...mine, ...(remoteLog ? theirs : [])].filter((e) => e.eventId === 'DEFER').pop();
      if (deferred) lastDeferral = (deferred.recipientStatus ?? []).join('; ') || deferred.sourceContext || null;
      if (Date.now() >= deadline) break;
      await new Promise((r) => setTimeout(r, Math.min(POLL_MS, Math.max(1, deadline - Date.now()))));
    }
    const where = target.deliveringServer ? `delivered on ${deliveringName}` : `sent on by ${ctx.name}`;
    const unreachable = remoteLog?.lastError ? `; ${deliveringName}'s tracking log could not be read: ${remoteLog.lastError}` : '';
    return {
      ok: false,
      timedOut: true,
      reason: `the probe was not ${where} within ${Math.round(timeoutMs / 1000)} seconds (-ExecutionTimeout)${lastDeferral ? `; the last attempt was deferred: ${lastDeferral}` : '; check its queue with Get-Queue and Get-Message'}${unreachable}`,
    };
  } finally {
    local.close();
  }
}

function result(outcome: Outcome, remote: boolean): PSObject {
  return new PSObject('TestMailflowResult', [
    ['TestMailflowResult', outcome.ok ? 'Success' : '*FAILURE*'],
    ['MessageLatencyTime', EnhancedTimeSpan.fromMilliseconds(outcome.ok ? outcome.latencyMs : 0)],
    ['IsRemoteTest', remote],
    ['Identity', null],
    ['IsValid', true],
    ['ObjectState', 'New'],
  ]);
}

function seconds(name: string): (v: unknown) => number {
  return (v) => {
    const n = typeof v === 'number' ? v : Number(String(v).trim());
    if (!Number.isInteger(n) || n < 1 || n > 2147483647) throw new ConversionError(`The value "${String(v)}" is not valid for ${name}: give a whole number of seconds, at least 1.`);
    return n;
  };
}

async function run(ctx: ServerContext, args: BoundArguments, inv: InvocationContext): Promise<PSObject[]> {
  const targets = ['TargetMailboxServer', 'TargetDatabase', 'TargetEmailAddress'].filter((p) => args.has(p));
  if (targets.length > 1)
    throw new CmdletError(`Parameter set cannot be resolved using the specified named parameters: ${targets.map((t) => `-${t}`).join(' and ')} cannot be used together.`, { category: 'InvalidArgument', reason: 'ParameterBindingException' });
  if (args.has('TargetEmailAddressDisplayName') && !args.has('TargetEmailAddress'))
    throw new CmdletError('Parameter set cannot be resolved using the specified named parameters: -TargetEmailAddressDisplayName needs -TargetEmailAddress.', { category: 'InvalidArgument', reason: 'ParameterBindingException' });
  const self = serverByName(ctx, ctx.name);
  if (args.has('Identity')) {
    const source = serverByName(ctx, String(args.get('Identity')));
    if (source.guid !== self.guid)
      throw invalidOperation(`Test-Mailflow sends from the server whose shell runs it (${ctx.name}). To test from ${source.values.Name}, run it in ${source.values.Name}'s shell (gatehouse shell --data <its folder>).`, 'Identity');
  }
  const sender = ensureSystemMailbox(ctx, firstDatabase(ctx, self, 'Identity'));
  const target = resolveTarget(ctx, self, args);
  const timeoutMs = (args.has('ExecutionTimeout') ? Number(args.get('ExecutionTimeout')) : DEFAULT_EXECUTION_TIMEOUT_S) * 1000;
  const fail = (reason: string, timedOut = false) => {
    inv.writeError(new CmdletError(`Test-Mailflow: ${reason}`, { category: timedOut ? 'OperationTimeout' : 'NotSpecified', reason: 'TestMailflowFailure' }));
    return [result({ ok: false, reason }, target.remote)];
  };
  if (!serviceRunning(ctx)) return fail(`the transport service of ${ctx.name} is not running, so no probe can be submitted. Start it: gatehouse start --data ${ctx.dataDir}`);
  const id = randomUUID();
  const messageId = `<${id}@${ctx.fqdn}>`;
  const from = String(sender.values.PrimarySmtpAddress);
  const started = Date.now();
  const body = probeMessage({
    from,
    to: target.address,
    ...(args.has('TargetEmailAddressDisplayName') && { toName: String(args.get('TargetEmailAddressDisplayName')) }),
    fqdn: ctx.fqdn,
    messageId,
    subject: `Test-Mailflow ${id}`,
    now: new Date(started),
  });
  const refused = await submit(ctx, self, from, target.address, body);
  if (refused) return fail(refused);
  const outcome = await awaitDelivery(ctx, target, messageId, started, timeoutMs, inv);
  if (!outcome.ok) return fail(outcome.reason, outcome.timedOut);
  return [result(outcome, target.remote)];
}

export function testMailflowCommands(ctx: ServerContext): CommandSpec[] {
  const serverParam = (name: string, description: string, extra: Partial<ParameterSpec> = {}): ParameterSpec => ({
    name,
    typeName: 'ServerIdParameter',
    description,
    convert: (v) => String((v as { get?: (n: string) => unknown })?.get?.('Name') ?? v),
    ...extra,
  });
  return [
    {
      name: 'Test-Mailflow',
      synopsis:
        "Sends a probe message from this server's system mailbox through the running service and waits for its delivery: to itself, to another Mailbox server or database, or to an address. Returns Success and the latency, or *FAILURE* and why.",
      parameters: [
        serverParam('Identity', 'The source server (name or FQDN; this server by default). Another server runs the test itself, through its management endpoint.', { position: 0 }),
        serverParam('TargetMailboxServer', 'Send to the system mailbox of this Mailbox server.'),
        { name: 'TargetDatabase', typeName: 'DatabaseIdParameter', description: 'Send to the system mailbox of this mailbox database.', convert: (v) => String(v) },
        { name: 'TargetEmailAddress', typeName: 'String', description: 'Send to this address (always a remote test).', convert: (v) => String(v) },
        { name: 'TargetEmailAddressDisplayName', typeName: 'String', description: "The display name of -TargetEmailAddress in the probe's To header.", convert: (v) => String(v) },
        {
          name: 'ExecutionTimeout',
          typeName: 'Int32',
          description: `Seconds to wait for the delivery before the test fails (default ${DEFAULT_EXECUTION_TIMEOUT_S}).`,
          defaultValue: String(DEFAULT_EXECUTION_TIMEOUT_S),
          convert: seconds('ExecutionTimeout'),
        },
      ],
      examples: [
        { code: 'Test-Mailflow', remarks: "Sends a probe from this server's system mailbox to itself and waits for it." },
        { code: 'Test-Mailflow MBX01 -TargetMailboxServer MBX02', remarks: "Tests mail flow from MBX01 to MBX02's system mailbox (from any server's shell: MBX01 runs the test)." },
        { code: 'Test-Mailflow -TargetEmailAddress john@contoso.com', remarks: 'Sends a probe to john@contoso.com and waits until it is delivered (or sent on, for an address outside the organization).' },
      ],
      invoke: (args, inv) => {
        if (ctx.role !== 'Mailbox') {
          throw new CmdletError(
            `Test-Mailflow sends its probe between the system mailboxes of Mailbox servers; an Edge Transport server (${ctx.name}) has none. Run it in a Mailbox server's shell, or check a path through this Edge with Trace-MailFlow.`,
            { category: 'InvalidOperation', reason: 'InvalidOperationException' },
          );
        }
        return run(ctx, args, inv);
      },
    },
  ];
}

export const testMailflowViews: ObjectView[] = [{ typeName: 'TestMailflowResult', display: 'list', list: ['TestMailflowResult', 'MessageLatencyTime', 'IsRemoteTest', 'Identity', 'IsValid', 'ObjectState'] }];
