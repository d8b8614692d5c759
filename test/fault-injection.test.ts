// Outbound faults on a real Edge, each watched through the shell as an admin
// would (Get-Queue, Get-Message | Format-List: Status, LastError, RetryCount,
// LastRetryTime, NextRetryTime) and each followed to its end: once the fault
// clears the message reaches the healthy peer (Postfix's smtp-sink, or
// aiosmtpd with STARTTLS) exactly once, and a permanent fault returns an NDR
// with the peer's (or DNS's) enhanced status code to the sender, whose domain's
// MX is another smtp-sink. Every case ends with an empty queue. The faults: a
// smart host refusing connections, accepting and never greeting, going silent
// after the data, 421/451/452/550/554 at the greeting, EHLO, MAIL, RCPT, DATA
// and end of data, dropping the connection mid-DATA, a broken TLS handshake
// and no STARTTLS where TLS is required; DNS SERVFAIL, no answer, NXDOMAIN and
// null MX; and a full disk under the Edge's data folder (a tmpfs this test
// mounts): 452 4.3.1, never 250, and nothing acknowledged is lost.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generateSelfSignedCertificate } from '../src/tls/self-signed.js';
import { FaultDnsServer } from './harness/fault-dns.js';
import { FaultPeer, type FaultScript } from './harness/fault-peer.js';
import { formatListRecords } from './harness/format-list.js';
import { gatehouse, scratchDir } from './harness/gatehouse.js';
import { startAiosmtpd, startSink, until, type Peer, type SinkMessage } from './harness/peers.js';
import { recordFigure } from './harness/report.js';
import { startService, type RunningService } from './harness/service.js';
import { SmtpDialog } from './harness/smtp-dialog.js';
import { needs } from './harness/tools.js';

const EDGE = '127.10.81.1';
const CLIENT = '127.10.81.2';
const SMART_HOST = '127.10.81.20';
const SECURE_HOST = '127.10.81.21';
const RECOVERED_MX = '127.10.81.30';
const BOUNCE_MX = '127.10.81.40';
const DNS = '127.10.81.53';
const DISK_EDGE = '127.10.81.5';
const DISK_SMART_HOST = '127.10.81.6';

/** Retry intervals and the connector's inactivity timeout, short enough for a test, real settings all. */
const RETRY_MS = 3000;
const INACTIVITY_MS = 2000;

type Sink = Peer & { messages(): SinkMessage[] };

// ---- the shell, as an admin reads it ----

/** Shell dates ("11/27/2026 10:25:31 PM", local time) to milliseconds. */
const shellTime = (text: string): number => new Date(text).getTime();

const subjectOf = (m: SinkMessage) => /^Subject: (.*)$/m.exec(m.text)?.[1]?.trim() ?? '';

describe('outbound fault injection on a real Edge', () => {
  const dir = scratchDir('faults');
  const edge = join(dir.path, 'EDGE01');
  let service: RunningService | undefined;
  let dns: FaultDnsServer | undefined;
  let bounces: Sink | undefined;
  let recovered: Sink | undefined;
  /** Whatever listens at the smart host's address now. */
  let smartHost: { stop(): Promise<void> } | null = null;
  let sinkRuns = 0;

  const sh = async (script: string) => {
    const r = await gatehouse(['shell', '--data', edge, '-c', script], { timeoutMs: 30_000 });
    assert.equal(r.code, 0, `${script}\n${r.stdout}\n${r.stderr}`);
    assert.equal(r.stderr, '', script);
    return r.stdout;
  };
  const messages = async () => formatListRecords(await sh('Get-Message | Format-List Identity,Subject,FromAddress,Status,LastError,RetryCount,Queue'));
  const queues = async () => formatListRecords(await sh('Get-Queue | Format-List'));
  const queueFor = async (nextHop: string) => (await queues()).find((q) => q.NextHopDomain === nextHop);
  const messageFor = async (subject: string) => (await messages()).find((m) => m.Subject === subject);
  /** Queues and messages from one shell command, so that both describe the same moment. */
  const snapshot = async () => {
    const all = formatListRecords(await sh('Get-Queue | Format-List; Get-Message | Format-List Identity,Subject,FromAddress,Status,LastError,RetryCount,Queue'));
    const queueList = all.filter((r) => 'DeliveryType' in r);
    const messageList = all.filter((r) => 'FromAddress' in r);
    return { queues: queueList, messages: messageList, queue: (hop: string) => queueList.find((q) => q.NextHopDomain === hop), message: (subject: string) => messageList.find((m) => m.Subject === subject) };
  };
  type Snapshot = Awaited<ReturnType<typeof snapshot>>;
  /** The first snapshot for which `ready` holds. */
  const waitSnapshot = async (ready: (s: Snapshot) => boolean, ms: number, what: string): Promise<Snapshot> => {
    let found: Snapshot | undefined;
    await waitFor(
      async () => {
        const s = await snapshot();
        if (ready(s)) found = s;
        return found !== undefined;
      },
      ms,
      what,
    );
    return found!;
  };
  /** until() that, when it gives up, says what the queues, the messages and delivery's log showed. */
  const waitFor = (check: () => Promise<boolean> | boolean, ms: number, what: string) =>
    until(check, ms, what).catch(async (err) => {
      const log = service?.lines
        .filter((l) => /^(delivery|dsn|routing|config)/.test(l.event))
        .slice(-25)
        .map((l) => JSON.stringify(l))
        .join('\n');
      throw new Error(`${(err as Error).message}\nqueues: ${JSON.stringify((await queues()).filter((q) => q.MessageCount !== '0'))}\nmessages: ${JSON.stringify(await messages())}\nlog:\n${log}`);
    });
  /** Waits until the shell shows no message with one of these subjects (NDRs about them included). */
  const gone = (subjects: string[], what: string) =>
    waitFor(
      async () => {
        const left = (await messages()).filter((m) => subjects.some((s) => m.Subject === s || m.Subject.endsWith(`: ${s}`)));
        return left.length === 0;
      },
      30_000,
      what,
    );

  /** Sends each message in one session from the client's address; every one must get 250. */
  const submit = async (list: { from: string; to: string; subject: string }[]) => {
    const d = await SmtpDialog.open(EDGE, 25, CLIENT);
    try {
      assert.equal((await d.reply())?.code, 220);
      assert.equal((await d.command('EHLO client.fabrikam.example'))?.code, 250);
      for (const m of list) {
        assert.equal((await d.command(`MAIL FROM:<${m.from}>`))?.code, 250, d.transcript);
        assert.equal((await d.command(`RCPT TO:<${m.to}>`))?.code, 250, d.transcript);
        assert.equal((await d.command('DATA'))?.code, 354, d.transcript);
        const done = await d.command(`From: <${m.from}>\r\nTo: <${m.to}>\r\nSubject: ${m.subject}\r\n\r\nbody of ${m.subject}\r\n.`);
        assert.equal(done?.code, 250, d.transcript);
      }
      await d.command('QUIT');
    } finally {
      d.close();
    }
  };

  const faultySmartHost = async (script: FaultScript): Promise<FaultPeer> => {
    await smartHost?.stop();
    const peer = await FaultPeer.start(SMART_HOST, 25, script);
    smartHost = { stop: () => peer.close() };
    return peer;
  };
  /** Postfix's smtp-sink at the smart host's address: healthy, or failing as its options say (-r, -f, -Q ...). */
  const healthySmartHost = async (options: string[] = []): Promise<Sink> => {
    await smartHost?.stop();
    const sink = await startSink(SMART_HOST, join(dir.path, `smart-sink-${++sinkRuns}`), options);
    smartHost = sink;
    return sink;
  };
  const noSmartHost = async () => {
    await smartHost?.stop();
    smartHost = null;
  };

  /** The NDR that reached the sender's MX for a subject, if any. */
  const ndrFor = (subject: string) => bounces!.messages().find((m) => m.mailFrom === '' && subjectOf(m) === `Undeliverable: ${subject}`);

  before(async () => {
    dns = await FaultDnsServer.start(DNS, 53, ['example']);
    dns.set('bounce.example', { kind: 'mx', exchange: 'mx.bounce.example', address: BOUNCE_MX });
    bounces = await startSink(BOUNCE_MX, join(dir.path, 'bounces'));
    recovered = await startSink(RECOVERED_MX, join(dir.path, 'recovered'));

    const setup = await gatehouse(['setup', '--role', 'EdgeTransport', '--name', 'EDGE01', '--fqdn', 'edge01.contoso.net', '--data', edge]);
    assert.equal(setup.code, 0, setup.stderr);
    const seconds = (ms: number) => `00:00:${String(ms / 1000).padStart(2, '0')}`;
    await sh(
      [
        `Set-ReceiveConnector "Default internal Receive connector EDGE01" -Bindings ${EDGE}:25 -RemoteIPRanges 127.10.81.0/24 -AuthMechanism ExternalAuthoritative -PermissionGroups ExchangeServers -TarpitInterval 00:00:00`,
        `New-SendConnector -Name "To Smart Host" -AddressSpaces smart.example -DNSRoutingEnabled $false -SmartHosts ${SMART_HOST} -ConnectionInactivityTimeOut ${seconds(INACTIVITY_MS)}`,
        `New-SendConnector -Name "To Secure Partner" -AddressSpaces secure.example -DNSRoutingEnabled $false -SmartHosts ${SECURE_HOST} -RequireTLS $true -ConnectionInactivityTimeOut ${seconds(INACTIVITY_MS)}`,
        `New-SendConnector -Name "To Internet" -Usage Internet -AddressSpaces * -DNSRoutingEnabled $true -ConnectionInactivityTimeOut ${seconds(INACTIVITY_MS)}`,
        `Set-TransportService EDGE01 -ExternalDNSServers ${DNS}:53 -ExternalDNSAdapterEnabled $false -InternalDNSServers ${DNS}:53 -InternalDNSAdapterEnabled $false` +
          ` -TransientFailureRetryInterval ${seconds(RETRY_MS)} -OutboundConnectionFailureRetryInterval ${seconds(RETRY_MS)} -MessageRetryInterval ${seconds(RETRY_MS)}`,
      ].join('; '),
    );
    service = await startService(edge);
  });

  after(async () => {
    await service?.stop();
    await smartHost?.stop();
    await bounces?.stop();
    await recovered?.stop();
    dns?.close();
    dir.remove();
  });

  it('a smart host refusing connections: the queue retries on schedule with LastError, then delivers once it listens', async () => {
    await noSmartHost();
    await submit([{ from: 'refused@bounce.example', to: 'ann@smart.example', subject: 'refused' }]);
    const snap = await waitSnapshot((x) => x.queue(`[${SMART_HOST}]`)?.Status === 'Retry' && x.message('refused')?.Status === 'Retry', 20_000, 'the smart-host queue in Retry');
    const q = snap.queue(`[${SMART_HOST}]`)!;
    assert.match(q.LastError, /\{LED=441 4\.4\.1 .*refused the connection \(ECONNREFUSED\)/);
    assert.match(q.LastError, new RegExp(`\\{IP=${SMART_HOST.replace(/\./g, '\\.')}\\}`));
    assert.ok(Number(q.RetryCount) >= 1, JSON.stringify(q));
    // The next attempt is TransientFailureRetryInterval (±10%) after the last one (shown to the second).
    const gap = shellTime(q.NextRetryTime) - shellTime(q.LastRetryTime);
    assert.ok(gap >= RETRY_MS * 0.9 - 1000 && gap <= RETRY_MS * 1.1 + 5000, `NextRetryTime - LastRetryTime = ${gap} ms: ${JSON.stringify(q)}`);
    assert.match(snap.message('refused')!.LastError, /ECONNREFUSED/);

    const sink = await healthySmartHost();
    await waitFor(() => sink.messages().some((x) => subjectOf(x) === 'refused'), 20_000, 'delivery once the smart host listens');
    await gone(['refused'], 'an empty queue');
    assert.equal(sink.messages().filter((x) => subjectOf(x) === 'refused').length, 1);
    recordFigure('faults', { subject: 'smart host refusing connections', finding: `Retry, LastError "${/LED=([^}]*)/.exec(q.LastError)?.[1]?.slice(0, 90)}"; delivered once after it listened`, ok: true });
  });

  it('a smart host that accepts and never greets: Retry with a LastError naming the greeting timeout, then delivery', async () => {
    const peer = await faultySmartHost({ at: { greeting: 'silent' } });
    await submit([{ from: 'silent@bounce.example', to: 'ben@smart.example', subject: 'never greets' }]);
    const snap = await waitSnapshot(
      (x) => x.queue(`[${SMART_HOST}]`)?.Status === 'Retry' && x.message('never greets')?.Status === 'Retry' && /no SMTP greeting/.test(x.message('never greets')?.LastError ?? ''),
      30_000,
      'a greeting timeout in LastError',
    );
    const q = snap.queue(`[${SMART_HOST}]`)!;
    assert.match(q.LastError, new RegExp(`accepted the connection but sent no SMTP greeting within ${INACTIVITY_MS} ms`));
    assert.notEqual(q.NextRetryTime, '');
    assert.equal(snap.message('never greets')!.Status, 'Retry');
    // Attempts are the timeout plus TransientFailureRetryInterval (-10%) apart.
    await waitFor(() => peer.connectionTimes.length >= 2, 20_000, 'a second connection');
    const spacing = peer.connectionTimes[1] - peer.connectionTimes[0];
    assert.ok(spacing >= INACTIVITY_MS + RETRY_MS * 0.9 - 300, `connections ${spacing} ms apart`);
    assert.deepEqual(
      peer.commands.filter((c) => !/^QUIT$/i.test(c)),
      [],
      'no command but QUIT to a server that never greeted',
    );

    const sink = await healthySmartHost();
    await waitFor(() => sink.messages().some((x) => subjectOf(x) === 'never greets'), 20_000, 'delivery after the greeting fault');
    await gone(['never greets'], 'an empty queue');
    assert.equal(sink.messages().filter((x) => subjectOf(x) === 'never greets').length, 1);
    recordFigure('faults', { subject: 'smart host accepts TCP, never greets', finding: `Retry, LastError names the ${INACTIVITY_MS} ms greeting timeout; delivered once after`, ok: true });
  });

  it('a smart host silent after the data: the message waits in Retry with a timeout LastError, the next try is MessageRetryInterval later', async () => {
    const peer = await faultySmartHost({ at: { eod: 'silent' } });
    await submit([{ from: 'slow@bounce.example', to: 'cat@smart.example', subject: 'silent after data' }]);
    const snap = await waitSnapshot((x) => x.message('silent after data')?.Status === 'Retry' && /did not answer within/.test(x.message('silent after data')?.LastError ?? ''), 30_000, "a timeout in the message's LastError");
    const m = snap.message('silent after data')!;
    assert.match(m.LastError, new RegExp(`441 4\\.4\\.1 .*did not answer within ${INACTIVITY_MS} ms`));
    assert.ok(Number(m.RetryCount) >= 1, JSON.stringify(m));
    // A second attempt, and not before MessageRetryInterval (-10%) after the first one gave up.
    await waitFor(() => peer.commands.filter((c) => /^MAIL FROM:<slow@/i.test(c)).length >= 2, 20_000, 'a second attempt');
    const starts = peer.mailTimes('slow@bounce.example');
    assert.ok(starts[1] - starts[0] >= INACTIVITY_MS + RETRY_MS * 0.9 - 300, `attempts ${starts[1] - starts[0]} ms apart`);
    assert.equal(peer.accepted.length, 0);

    const sink = await healthySmartHost();
    await waitFor(() => sink.messages().some((x) => subjectOf(x) === 'silent after data'), 20_000, 'delivery after the silent peer');
    await gone(['silent after data'], 'an empty queue');
    assert.equal(sink.messages().filter((x) => subjectOf(x) === 'silent after data').length, 1);
    recordFigure('faults', { subject: 'smart host silent after end of data', finding: `message in Retry, LastError "did not answer within ${INACTIVITY_MS} ms", retried ${starts[1] - starts[0]} ms later; delivered once`, ok: true });
  });

  it('421/451/452/550/554 at the greeting and at EHLO: Retry with the reply in LastError, delivery after', async () => {
    const peer = await faultySmartHost({});
    await submit([{ from: 'setup@bounce.example', to: 'dan@smart.example', subject: 'session setup faults' }]);
    const seen: string[] = [];
    for (const stage of ['greeting', 'ehlo'] as const) {
      for (const code of [421, 451, 452, 550, 554]) {
        const reply = `${code} ${code < 500 ? '4' : '5'}.3.2 ${stage} fault ${code}`;
        peer.script = { at: { [stage]: reply } };
        let snap: Snapshot | undefined;
        await waitFor(
          async () => {
            const x = await snapshot();
            const q = x.queue(`[${SMART_HOST}]`);
            if (q?.Status === 'Retry' && q.LastError.includes(`"${reply}.`) && x.message('session setup faults')?.Status === 'Retry') snap = x;
            else if (q?.Status === 'Retry') await sh(`Retry-Queue "${q.Identity}"`);
            return snap !== undefined;
          },
          30_000,
          `LastError with ${reply}`,
        );
        assert.match(snap!.queue(`[${SMART_HOST}]`)!.LastError, /\{LED=451 4\.4\.0 Primary target IP address responded with: /);
        const m = snap!.message('session setup faults')!;
        assert.ok(m.LastError.includes(reply), `${reply}: ${m.LastError}`);
        seen.push(`${stage} ${code}`);
      }
    }
    assert.ok(!peer.commands.some((c) => /^MAIL/i.test(c)), 'no transaction was started on a failed session');
    const sink = await healthySmartHost();
    await waitFor(() => sink.messages().some((x) => subjectOf(x) === 'session setup faults'), 20_000, 'delivery after the setup faults');
    await gone(['session setup faults'], 'an empty queue');
    assert.equal(sink.messages().filter((x) => subjectOf(x) === 'session setup faults').length, 1);
    assert.equal(bounces!.messages().filter((x) => subjectOf(x).includes('session setup faults')).length, 0, 'a setup failure is never a bounce');
    recordFigure('faults', { subject: '421/451/452/550/554 at greeting and EHLO', finding: `${seen.length} replies, each Retry with "451 4.4.0 Primary target IP address responded with" the reply; delivered once after`, ok: true });
  });

  it('421/451/452/550/554 at MAIL, RCPT, DATA and end of data: 4xx waits with the reply, 5xx bounces with its enhanced code', async () => {
    const cases = (['mail', 'rcpt', 'data', 'eod'] as const).flatMap((stage) =>
      [421, 451, 452, 550, 554].map((code) => {
        const enhanced = code === 421 ? '4.3.2' : code === 451 ? '4.4.3' : code === 452 ? '4.3.1' : code === 550 ? '5.7.1' : '5.6.0';
        return { stage, code, enhanced, reply: `${code} ${enhanced} ${stage} fault ${code}`, from: `${stage}.${code}@bounce.example`, to: `${stage}.${code}@smart.example`, subject: `tx ${stage} ${code}` };
      }),
    );
    const peer = await faultySmartHost({
      byEnvelope: (from) => {
        const c = cases.find((x) => x.from === from);
        return c && { [c.stage]: c.reply };
      },
    });
    await submit(cases);
    const transient = cases.filter((c) => c.code < 500);
    const permanent = cases.filter((c) => c.code >= 500);
    // Each message is retried every few seconds (Ready while it is): each one's row is taken from
    // the first listing that shows it waiting in Retry with its reply.
    const waiting = new Map<string, Record<string, string>>();
    let list: Record<string, string>[] = [];
    await waitFor(
      async () => {
        list = await messages();
        for (const c of transient) {
          const m = list.find((x) => x.Subject === c.subject);
          if (m?.Status === 'Retry' && m.LastError === c.reply && !waiting.has(c.subject)) waiting.set(c.subject, m);
        }
        return waiting.size === transient.length && permanent.every((c) => !list.some((m) => m.Subject === c.subject));
      },
      30_000,
      'every 4xx seen waiting in Retry with its reply and every 5xx gone',
    );
    for (const c of transient) {
      const m = waiting.get(c.subject)!;
      assert.ok(Number(m.RetryCount) >= 1, `${c.subject}: ${JSON.stringify(m)}`);
    }
    for (const m of list) assert.notEqual(m.LastError, '', `no message waits without LastError: ${JSON.stringify(m)}`);
    await waitFor(() => permanent.every((c) => ndrFor(c.subject)), 30_000, 'an NDR for every 5xx');
    for (const c of permanent) {
      const ndr = ndrFor(c.subject)!;
      assert.deepEqual(ndr.rcptTo, [c.from], c.subject);
      assert.match(ndr.text, new RegExp(`^Status: ${c.enhanced.replace(/\./g, '\\.')}\\s*$`, 'm'), c.subject);
      assert.match(ndr.text, new RegExp(`^Diagnostic-Code: smtp; ?${c.reply}`, 'm'), c.subject);
      assert.match(ndr.text, new RegExp(`^Final-Recipient: rfc822; ?${c.to}`, 'm'), c.subject);
    }
    // 4xx replies are retried, not before MessageRetryInterval (-10%).
    await waitFor(() => transient.every((c) => peer.mailTimes(c.from).length >= 2), 20_000, 'a second attempt of every 4xx');
    const gaps = transient.map((c) => {
      const t = peer.mailTimes(c.from);
      return t[1] - t[0];
    });
    assert.ok(
      gaps.every((g) => g >= RETRY_MS * 0.9 - 300),
      `retry gaps ${gaps.join(', ')} ms`,
    );
    assert.equal(peer.accepted.length, 0);

    const sink = await healthySmartHost();
    await waitFor(() => transient.every((c) => sink.messages().some((x) => subjectOf(x) === c.subject)), 30_000, 'delivery of every 4xx message after the fault');
    await gone(
      cases.map((c) => c.subject),
      'an empty queue',
    );
    for (const c of transient) assert.equal(sink.messages().filter((x) => subjectOf(x) === c.subject).length, 1, c.subject);
    assert.ok(!sink.messages().some((x) => permanent.some((c) => subjectOf(x) === c.subject)), 'a bounced message is not delivered later');
    for (const c of cases) {
      recordFigure('faults', {
        subject: `${c.code} at ${c.stage === 'eod' ? 'end of data' : c.stage.toUpperCase()}`,
        finding: c.code < 500 ? `Retry, LastError "${c.reply}"; delivered once after` : `NDR to the sender, Status ${c.enhanced}`,
        ok: true,
      });
    }
  });

  it('Postfix smtp-sink failing: 450 at RCPT and 421 at MAIL wait with its reply, 500 at RCPT bounces with 5.3.0', async () => {
    await healthySmartHost(['-r', 'RCPT']);
    await submit([{ from: 'sink.soft@bounce.example', to: 'liz@smart.example', subject: 'sink soft reject' }]);
    const soft = await waitSnapshot((x) => x.message('sink soft reject')?.Status === 'Retry' && x.message('sink soft reject')?.LastError === '450 4.3.0 Error: command failed', 30_000, 'the 450 in LastError');
    assert.ok(Number(soft.message('sink soft reject')!.RetryCount) >= 1);
    await healthySmartHost(['-Q', 'MAIL']);
    await waitSnapshot((x) => x.message('sink soft reject')?.Status === 'Retry' && x.message('sink soft reject')?.LastError === '421 4.0.0 Server closing connection', 30_000, 'the 421 in LastError');
    const healthy = await healthySmartHost();
    await waitFor(() => healthy.messages().some((x) => subjectOf(x) === 'sink soft reject'), 20_000, 'delivery once smtp-sink accepts');
    await gone(['sink soft reject'], 'an empty queue');
    assert.equal(healthy.messages().filter((x) => subjectOf(x) === 'sink soft reject').length, 1);

    await healthySmartHost(['-f', 'RCPT']);
    await submit([{ from: 'sink.hard@bounce.example', to: 'max@smart.example', subject: 'sink hard reject' }]);
    await waitFor(() => ndrFor('sink hard reject') !== undefined, 30_000, 'the NDR for the 500');
    const ndr = ndrFor('sink hard reject')!;
    assert.deepEqual(ndr.rcptTo, ['sink.hard@bounce.example']);
    assert.match(ndr.text, /^Status: 5\.3\.0\s*$/m);
    assert.match(ndr.text, /^Diagnostic-Code: smtp; ?500 5\.3\.0 Error: command failed/m);
    await gone(['sink hard reject'], 'an empty queue');
    recordFigure('faults', { subject: 'smtp-sink -r RCPT / -Q MAIL', finding: 'Retry, LastError "450 4.3.0 Error: command failed", then "421 4.0.0 Server closing connection"; delivered once after', ok: true });
    recordFigure('faults', { subject: 'smtp-sink -f RCPT', finding: 'NDR to the sender, Status 5.3.0 ("500 5.3.0 Error: command failed")', ok: true });
  });

  it('a connection dropped in the middle of the data: Retry with a lost-connection LastError, then one delivery', async () => {
    const peer = await faultySmartHost({ dropAfterDataBytes: 1 });
    await submit([{ from: 'drop@bounce.example', to: 'eve@smart.example', subject: 'dropped mid data' }]);
    const m = (await waitSnapshot((x) => x.message('dropped mid data')?.Status === 'Retry' && x.message('dropped mid data')?.LastError !== '', 30_000, 'the message in Retry with a LastError for the dropped session')).message(
      'dropped mid data',
    )!;
    assert.match(m.LastError, /^441 4\.4\.1 Error encountered while communicating with primary target IP address: "(The remote server closed the connection|The connection .*)\./);
    assert.ok(peer.commands.includes('DATA'), 'the peer got as far as DATA');
    await waitFor(() => peer.mailTimes('drop@bounce.example').length >= 2, 20_000, 'a second attempt');
    const [first, second] = peer.mailTimes('drop@bounce.example');
    assert.ok(second - first >= RETRY_MS * 0.9 - 300, `attempts ${second - first} ms apart (MessageRetryInterval ${RETRY_MS} ms)`);
    const sink = await healthySmartHost();
    await waitFor(() => sink.messages().some((x) => subjectOf(x) === 'dropped mid data'), 20_000, 'delivery after the drop');
    await gone(['dropped mid data'], 'an empty queue');
    assert.equal(sink.messages().filter((x) => subjectOf(x) === 'dropped mid data').length, 1);
    recordFigure('faults', { subject: 'connection dropped mid-DATA', finding: `Retry, LastError "${m.LastError.slice(0, 100)}"; delivered once after`, ok: true });
  });

  it('TLS required: a broken handshake and a peer without STARTTLS keep the message in Retry; a TLS peer then gets it encrypted', needs('aiosmtpd'), async () => {
    const broken = await FaultPeer.start(SECURE_HOST, 25, { startTls: 'broken' });
    let secure: (Peer & { output(): string }) | undefined;
    try {
      await submit([{ from: 'tls@bounce.example', to: 'fay@secure.example', subject: 'tls required' }]);
      let afterBroken: Record<string, string> | undefined;
      await waitFor(async () => (afterBroken = await queueFor(`[${SECURE_HOST}]`))?.Status === 'Retry', 30_000, 'Retry after the broken handshake');
      assert.ok(Number(afterBroken!.RetryCount) >= 1 && afterBroken!.NextRetryTime !== '', JSON.stringify(afterBroken));
      assert.match(afterBroken!.LastError, /\{LED=441 4\.4\.1 .*(TLS|tls|SSL|ssl|handshake)/);
      assert.ok(broken.commands.includes('STARTTLS'));
      assert.ok(!broken.commands.some((c) => /^MAIL/i.test(c)), 'no mail in plaintext after a failed handshake');
      broken.script = { startTls: 'none' };
      // The queue and its message read in one snapshot: both wait in Retry after the refusal.
      await waitFor(
        async () => {
          const x = await snapshot();
          const q = x.queue(`[${SECURE_HOST}]`);
          if (q?.Status === 'Retry' && q.LastError.includes('451 5.7.3 STARTTLS is required to send mail') && x.message('tls required')?.Status === 'Retry') return true;
          if (q?.Status === 'Retry' && !q.LastError.includes('451 5.7.3')) await sh(`Retry-Queue "${q.Identity}"`);
          return false;
        },
        30_000,
        'LastError 451 5.7.3 with the message in Retry',
      );
      assert.ok(!broken.commands.some((c) => /^MAIL/i.test(c)), 'no mail to a peer without STARTTLS');
      await broken.close();
      const cert = await generateSelfSignedCertificate({ subject: 'CN=mx.secure.example', domains: ['mx.secure.example'] });
      secure = await startAiosmtpd({ dir: join(dir.path, 'aiosmtpd'), host: SECURE_HOST, port: 25, certificatePem: cert.certificatePem, privateKeyPem: cert.privateKeyPem, user: 'unused', password: 'unused-password' });
      await waitFor(() => secure!.output().includes('fay@secure.example'), 30_000, 'delivery to the TLS peer');
      await gone(['tls required'], 'an empty queue');
      const lines = secure
        .output()
        .split('\n')
        .filter((l) => l.startsWith('MSG') && l.includes('fay@secure.example'));
      assert.equal(lines.length, 1, secure.output());
      assert.match(lines[0], /tls=True/);
      recordFigure('faults', { subject: 'TLS handshake fails (RequireTLS)', finding: `Retry, LastError "${/LED=([^}]*)/.exec(afterBroken!.LastError)?.[1]?.slice(0, 100)}"`, ok: true });
      recordFigure('faults', { subject: 'no STARTTLS offered (RequireTLS)', finding: 'Retry, LastError "451 5.7.3 STARTTLS is required to send mail"; delivered once over TLS after', ok: true });
    } finally {
      await broken.close().catch(() => undefined);
      await secure?.stop();
    }
  });

  it('DNS: SERVFAIL and no answer wait in Retry and deliver once DNS answers; NXDOMAIN and null MX bounce with 5.4.4 and 5.1.10', async () => {
    dns!.set('servfail.example', { kind: 'servfail' });
    dns!.set('silent.example', { kind: 'silent' });
    dns!.set('nx.example', { kind: 'nxdomain' });
    dns!.set('nullmx.example', { kind: 'null-mx' });
    await submit([
      { from: 'dns.servfail@bounce.example', to: 'gil@servfail.example', subject: 'dns servfail' },
      { from: 'dns.silent@bounce.example', to: 'hal@silent.example', subject: 'dns silent' },
      { from: 'dns.nx@bounce.example', to: 'ivy@nx.example', subject: 'dns nxdomain' },
      { from: 'dns.nullmx@bounce.example', to: 'jon@nullmx.example', subject: 'dns null mx' },
    ]);
    // Each queue is tried again every few seconds (Ready while it is, for longer when the server
    // is silent): each queue's row is taken from the first listing that shows it in Retry with its
    // error, and the checks below read that row, never a later listing.
    const expected: Record<string, RegExp> = { 'servfail.example': /ServerFailure/, 'silent.example': /Timeout/ };
    const waitingRows = new Map<string, Record<string, string>>();
    await waitFor(
      async () => {
        for (const row of await queues()) {
          const reason = expected[row.NextHopDomain];
          if (reason && row.Status === 'Retry' && reason.test(row.LastError) && !waitingRows.has(row.NextHopDomain)) waitingRows.set(row.NextHopDomain, row);
        }
        return waitingRows.size === 2;
      },
      40_000,
      'the SERVFAIL and timeout queues each seen in Retry',
    );
    for (const [domain, reason] of [
      ['servfail.example', 'ServerFailure'],
      ['silent.example', 'Timeout'],
    ]) {
      const row = waitingRows.get(domain)!;
      assert.match(row.LastError, new RegExp(`\\{LED=451 4\\.4\\.0 DNS query failed\\. The error was: DNS query failed with error ${reason}\\}`), domain);
      // The next try is TransientFailureRetryInterval (±10%) after the failed one; a silent server also takes its timeouts.
      const gap = shellTime(row.NextRetryTime) - shellTime(row.LastRetryTime);
      assert.ok(gap >= RETRY_MS * 0.9 - 1000 && gap <= RETRY_MS * 1.1 + (reason === 'Timeout' ? 25_000 : 5000), `${domain}: NextRetryTime - LastRetryTime = ${gap} ms`);
      let m: Record<string, string> | undefined;
      await waitFor(async () => (m = await messageFor(domain === 'servfail.example' ? 'dns servfail' : 'dns silent'))?.Status === 'Retry' && new RegExp(reason).test(m!.LastError), 20_000, `the message to ${domain} in Retry with ${reason}`);
    }
    await waitFor(() => ndrFor('dns nxdomain') !== undefined && ndrFor('dns null mx') !== undefined, 30_000, 'the NDRs for NXDOMAIN and null MX');
    assert.match(ndrFor('dns nxdomain')!.text, /^Status: 5\.4\.4\s*$/m);
    assert.match(ndrFor('dns nxdomain')!.text, /NonExistentDomain/);
    assert.match(ndrFor('dns null mx')!.text, /^Status: 5\.1\.10\s*$/m);
    assert.deepEqual(ndrFor('dns null mx')!.rcptTo, ['dns.nullmx@bounce.example']);

    dns!.set('servfail.example', { kind: 'mx', exchange: 'mx.recovered.example', address: RECOVERED_MX });
    dns!.set('silent.example', { kind: 'mx', exchange: 'mx.recovered.example', address: RECOVERED_MX });
    await waitFor(() => ['dns servfail', 'dns silent'].every((s) => recovered!.messages().some((x) => subjectOf(x) === s)), 40_000, 'delivery once DNS answers');
    await gone(['dns servfail', 'dns silent', 'dns nxdomain', 'dns null mx'], 'an empty queue');
    for (const s of ['dns servfail', 'dns silent']) assert.equal(recovered!.messages().filter((x) => subjectOf(x) === s).length, 1, s);
    recordFigure('faults', { subject: 'DNS SERVFAIL', finding: 'Retry, LastError "451 4.4.0 DNS query failed ... ServerFailure"; delivered once DNS answered', ok: true });
    recordFigure('faults', { subject: 'DNS timeout (no answer)', finding: 'Retry, LastError "451 4.4.0 DNS query failed ... Timeout"; delivered once DNS answered', ok: true });
    recordFigure('faults', { subject: 'DNS NXDOMAIN', finding: 'NDR to the sender, Status 5.4.4 (NonExistentDomain)', ok: true });
    recordFigure('faults', { subject: 'DNS null MX (RFC 7505)', finding: 'NDR to the sender, Status 5.1.10', ok: true });
  });

  it('leaves nothing behind: every queue empty, no message without a final outcome', async () => {
    const snap = await waitSnapshot((x) => x.messages.length === 0, 30_000, 'no message in any queue');
    for (const q of snap.queues) assert.equal(q.MessageCount, '0', JSON.stringify(q));
  });
});

describe("a full disk under the Edge's data folder", () => {
  const dir = scratchDir('faults-disk');
  const mountPoint = join(dir.path, 'disk');
  const edge = join(mountPoint, 'EDGE02');
  const filler = join(mountPoint, 'filler');
  let mounted = false;
  let service: RunningService | undefined;
  let sink: Sink | undefined;
  /** About 280 KB: more than the queue's write-ahead log holds already, so accepting it needs new space. */
  const largeBody = ('x'.repeat(70) + '\r\n').repeat(4000);

  /** One message on its own session; the reply to the end of data. */
  const sendLarge = async (subject: string) => {
    const d = await SmtpDialog.open(DISK_EDGE, 25, CLIENT);
    try {
      assert.equal((await d.reply())?.code, 220);
      assert.equal((await d.command('EHLO client.fabrikam.example'))?.code, 250);
      assert.equal((await d.command('MAIL FROM:<disk@bounce.example>'))?.code, 250);
      assert.equal((await d.command('RCPT TO:<kim@smart.example>'))?.code, 250);
      assert.equal((await d.command('DATA'))?.code, 354);
      const reply = await d.command(`Subject: ${subject}\r\n\r\n${largeBody}.`, 30_000);
      await d.command('QUIT').catch(() => null);
      return reply;
    } finally {
      d.close();
    }
  };
  const freeKb = () => Number(spawnSync('df', ['-k', '--output=avail', mountPoint], { encoding: 'utf8' }).stdout.trim().split('\n').pop());

  before(async () => {
    mkdirSync(mountPoint, { recursive: true });
    const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=16m,mode=0700', 'tmpfs', mountPoint], { encoding: 'utf8', timeout: 10_000 });
    assert.equal(mount.status, 0, `mounting a tmpfs needs root: ${mount.stderr}`);
    mounted = true;
    const setup = await gatehouse(['setup', '--role', 'EdgeTransport', '--name', 'EDGE02', '--fqdn', 'edge02.contoso.net', '--data', edge]);
    assert.equal(setup.code, 0, setup.stderr);
    const config = await gatehouse([
      'shell',
      '--data',
      edge,
      '-c',
      [
        `Set-ReceiveConnector "Default internal Receive connector EDGE02" -Bindings ${DISK_EDGE}:25 -RemoteIPRanges 127.10.81.0/24 -AuthMechanism ExternalAuthoritative -PermissionGroups ExchangeServers -TarpitInterval 00:00:00`,
        `New-SendConnector -Name "To Smart Host" -AddressSpaces * -DNSRoutingEnabled $false -SmartHosts ${DISK_SMART_HOST}`,
        'Set-TransportService EDGE02 -TransientFailureRetryInterval 00:00:03 -OutboundConnectionFailureRetryInterval 00:00:03 -MessageRetryInterval 00:00:03',
      ].join('; '),
    ]);
    assert.equal(config.code, 0, config.stderr);
    service = await startService(edge);
  });

  after(async () => {
    await service?.stop();
    await sink?.stop();
    if (mounted) {
      let r = spawnSync('umount', [mountPoint], { timeout: 10_000 });
      for (let i = 0; i < 10 && r.status !== 0; i++) {
        await new Promise((res) => setTimeout(res, 300));
        r = spawnSync('umount', [mountPoint], { timeout: 10_000 });
      }
      if (r.status !== 0) spawnSync('umount', ['-l', mountPoint], { timeout: 10_000 });
    }
    dir.remove();
  });

  it('answers 452 4.3.1 (never 250) while the disk is full, stays up, then accepts again and delivers everything it acknowledged', async () => {
    // Accepted before the disk fills, waiting while the smart host is down.
    assert.equal((await sendLarge('before the disk filled'))?.code, 250);

    spawnSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=64k'], { timeout: 30_000 });
    assert.equal(freeKb(), 0, 'the filesystem is full');
    const refused: string[] = [];
    for (let i = 0; i < 3; i++) {
      const reply = await sendLarge(`while full ${i}`);
      assert.equal(reply?.code, 452, `while full ${i}: ${JSON.stringify(reply)}`);
      assert.match(reply!.lines.join(' '), /^4\.3\.1 /);
      refused.push(`${reply!.code} ${reply!.lines.join(' ')}`);
    }
    assert.equal(service!.child.exitCode, null, 'the service is still running');
    const probe = await SmtpDialog.open(DISK_EDGE, 25, CLIENT);
    try {
      assert.equal((await probe.reply())?.code, 220);
      assert.equal((await probe.command('EHLO probe.fabrikam.example'))?.code, 250);
    } finally {
      probe.close();
    }

    // The smart host comes back while the disk is still full: delivery cannot record an outcome, so it must not send.
    sink = await startSink(DISK_SMART_HOST, join(dir.path, 'disk-sink'));
    await service!.waitFor((l) => l.event === 'delivery.store.full', 30_000, 'delivery saying the queue database is full');
    await new Promise((r) => setTimeout(r, 2 * 3000 + 500)); // two retry intervals with the smart host up
    assert.equal(sink.messages().length, 0, 'nothing is sent while its outcome cannot be recorded');
    assert.ok(!service!.lines.some((l) => l.event === 'delivery.bug'), 'a full disk is not reported as a delivery bug');

    rmSync(filler);
    assert.equal((await sendLarge('after the disk was freed'))?.code, 250);
    const delivered = (s: string) => sink!.messages().filter((m) => subjectOf(m) === s).length;
    await until(() => delivered('before the disk filled') === 1 && delivered('after the disk was freed') === 1, 30_000, 'both acknowledged messages delivered');
    await until(
      async () => {
        const r = await gatehouse(['shell', '--data', edge, '-c', 'Get-Message | Format-List Subject']);
        return r.code === 0 && formatListRecords(r.stdout).length === 0;
      },
      30_000,
      'an empty queue',
    );
    assert.equal(delivered('before the disk filled'), 1);
    assert.equal(delivered('after the disk was freed'), 1);
    assert.equal(sink.messages().filter((m) => /^while full/.test(subjectOf(m))).length, 0, 'a refused message is not delivered');
    assert.equal(service!.child.exitCode, null);
    recordFigure('faults', {
      subject: 'disk full under the data folder (16 MB tmpfs)',
      finding: `${refused.length} messages refused "${refused[0]}", service up, nothing sent while full; after freeing space 250 and both acknowledged messages delivered once`,
      ok: true,
    });
  });
});
