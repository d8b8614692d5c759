// Deterministic fuzzing of whole SMTP sessions against the built server: seeded
// pseudo-random streams of SMTP-flavoured tokens (commands, DATA and BDAT,
// STARTTLS, AUTH, dots, bare CR and LF, NUL, 0xff, HTTP lines, long lines,
// random bytes) written in random chunk sizes over real loopback sockets, a few
// sessions at a time, on three Receive connectors with different settings.
// Three sessions in four first send EHLO and wait for its reply (a client may
// pipeline only after it); the others are fuzzed from the banner on. Every
// session ends with "\r\n.\r\nQUIT\r\nQUIT\r\n", which brings it out of DATA, a
// short BDAT chunk or an AUTH exchange, so the server closes it.
//
// Asserted: every byte the server sent is well-formed SMTP replies (up to a 220
// to STARTTLS, where the session stops: what follows would be TLS); the server
// closes each session within a deadline; no session logged smtp.in.session.bug;
// afterwards no session is left open (the sessions gauge is back to 0), the
// service is still running and accepts a message from swaks, and its memory
// (VmRSS) stayed within a generous bound. A failure names the seed and the
// session, so it can be replayed.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { get } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gatehouse, scratchDir } from './harness/gatehouse.js';
import { recordFigure } from './harness/report.js';
import { startService, type RunningService } from './harness/service.js';
import { seededRandom } from './harness/seeded-random.js';
import { SmtpDialog } from './harness/smtp-dialog.js';

/** GATEHOUSE_FUZZ_SEED=n runs another set of sessions (a failure names its seed). */
const SEED = Number(process.env.GATEHOUSE_FUZZ_SEED ?? 0x5e55);
const SESSIONS = 1000;
const PARALLEL = 8;
const CLIENT = '127.10.94.2';
const DEFAULT_CONNECTOR = '127.10.93.250';
const METRICS = '127.10.93.250:9225';
const PASSWORD = 'Fuzz-Pass-7731';
/** Per session: from the banner to the server's close. */
const SESSION_DEADLINE_MS = 15_000;
const RSS_GROWTH_LIMIT_KB = 150 * 1024;
const WELL_FORMED = /^(?:[2-5]\d\d[ -][\x20-\x7e]*\r\n)*$/;

interface Connector {
  name: string;
  address: string;
  settings: string;
}

const CONNECTORS: Connector[] = [
  // STARTTLS and AUTH, the defaults otherwise. Failed logons from the fuzz's one address make the
  // service wait longer and longer before each 535 (up to half ConnectionInactivityTimeout): a short
  // timeout keeps every session within its deadline.
  { name: 'Fuzz auth', address: '127.10.93.201', settings: '-AuthMechanism Tls,BasicAuth -PermissionGroups AnonymousUsers,ExchangeServers -ConnectionInactivityTimeout 00:00:04' },
  // Small limits, errors never close the session, EHLO needs a domain.
  { name: 'Fuzz limits', address: '127.10.93.202', settings: '-MaxRecipientsPerMessage 2 -MaxMessageSize 64KB -MaxHeaderSize 1KB -MaxHopCount 3 -MaxProtocolErrors unlimited -RequireEHLODomain $true' },
  // No CHUNKING, no enhanced codes, no SIZE, bare LFs refused, no TLS.
  { name: 'Fuzz plain', address: '127.10.93.203', settings: '-AuthMechanism None -ChunkingEnabled $false -BinaryMimeEnabled $false -EnhancedStatusCodesEnabled $false -SizeEnabled Disabled -BareLinefeedRejectionEnabled $true' },
];

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

/** Tokens a session is made of. */
const TOKENS = [
  'EHLO x\r\n',
  'HELO y.example\r\n',
  'EHLO\r\n',
  'MAIL FROM:<a@fabrikam.com>\r\n',
  'MAIL FROM:<> SIZE=10 BODY=BINARYMIME\r\n',
  'MAIL FROM:<j\xc3\xb6rg@fabrikam.com> SMTPUTF8 BODY=8BITMIME\r\n',
  'RCPT TO:<c@contoso.com> NOTIFY=SUCCESS\r\n',
  'RCPT TO:<kim@fabrikam.com>\r\n',
  'RCPT TO:<b@contoso.com> ORCPT=rfc822;a+0D+0Ab@c\r\n',
  'DATA\r\n',
  'BDAT 5\r\n',
  'BDAT 3 LAST\r\n',
  'BDAT 0 LAST\r\n',
  'RSET\r\n',
  'NOOP\r\n',
  'AUTH LOGIN\r\n',
  'AUTH PLAIN\r\n',
  `AUTH PLAIN ${b64(`\0fuzz\0${PASSWORD}`)}\r\n`,
  'AUTH PLAIN AHUAc2VjcmV0\r\n',
  `${b64('fuzz')}\r\n`,
  `${b64(PASSWORD)}\r\n`,
  'dXNlcg==\r\n',
  '*\r\n',
  '.\r\n',
  '\r\n.\r\n',
  '\n.\n',
  '\r.\r',
  '..',
  '.',
  '\r',
  '\n',
  '\r\n',
  '\0',
  '\xff',
  '\xc2\x85',
  'VRFY a\r\n',
  'HELP\r\n',
  'Subject: s\r\n',
  'Received: r\r\n',
  'x'.repeat(600),
  '<',
  '>',
  '@',
  ' ',
  '=',
  '+',
  ':',
  // Whole pieces of a transaction, so that sessions reach the content and the queue.
  'MAIL FROM:<a@fabrikam.com>\r\nRCPT TO:<c@contoso.com>\r\nDATA\r\n',
  'MAIL FROM:<a@fabrikam.com> BODY=BINARYMIME\r\nRCPT TO:<c@contoso.com>\r\n',
  'Subject: s\r\n\r\nbody\r\n.\r\n',
  'BDAT 12 LAST\r\nSubject: s\r\n',
  'BDAT 8\r\nX: y\r\n\r\n',
];
/** Tokens that end a session or stop it (QUIT, HTTP, an unreadable BDAT size, STARTTLS): rarer, so sessions go deeper. */
const RARE_TOKENS = [
  'QUIT\r\n',
  'GET / HTTP/1.1\r\n',
  'Host: x\r\n',
  'BDAT 1x\r\n',
  'STARTTLS\r\n',
  // A message larger than the memory part of the intake (128 KB): its body goes to a spool file (or over MaxMessageSize).
  `MAIL FROM:<a@fabrikam.com>\r\nRCPT TO:<c@contoso.com>\r\nDATA\r\nSubject: big\r\n\r\n${'y'.repeat(200_000)}\r\n.\r\n`,
];
const EPILOGUE = Buffer.from('\r\n.\r\nQUIT\r\nQUIT\r\n', 'latin1');

function sessionInput(rand: () => number): Buffer {
  const parts: Buffer[] = [];
  const n = 1 + Math.floor(rand() * 40);
  for (let i = 0; i < n; i++) {
    const r = rand();
    if (r < 0.03) parts.push(Buffer.from(RARE_TOKENS[Math.floor(rand() * RARE_TOKENS.length)]!, 'latin1'));
    else if (r < 0.75) parts.push(Buffer.from(TOKENS[Math.floor(rand() * TOKENS.length)]!, 'latin1'));
    else parts.push(Buffer.from(Array.from({ length: 1 + Math.floor(rand() * 20) }, () => Math.floor(rand() * 256))));
  }
  return Buffer.concat(parts);
}

/**
 * What the server sent up to the end of its 220 reply to STARTTLS (the first 220 after the banner;
 * after it the bytes are TLS), and whether there was one.
 */
function smtpPart(transcript: string): { text: string; tls: boolean } {
  const m = /\r\n220 [^\r\n]*\r\n/.exec(transcript);
  return m ? { text: transcript.slice(0, m.index + m[0].length), tls: true } : { text: transcript, tls: false };
}

interface Outcome {
  index: number;
  transcript: string;
  closedByServer: boolean;
  tls: boolean;
}

async function fuzzSession(index: number, rand: () => number): Promise<Outcome> {
  const connector = CONNECTORS[index % CONNECTORS.length]!;
  const input = Buffer.concat([sessionInput(rand), EPILOGUE]);
  const sizes: number[] = [];
  for (let at = 0; at < input.length;) {
    const size = 1 + Math.floor(rand() * (rand() < 0.1 ? 700 : 64));
    sizes.push(size);
    at += size;
  }
  const greet = rand() < 0.75;
  const client = await SmtpDialog.open(connector.address, 25, CLIENT);
  try {
    const banner = await client.until(() => client.transcript.includes('\r\n'), SESSION_DEADLINE_MS);
    assert.ok(banner, `session ${index}: no banner`);
    if (greet) {
      // Most sessions greet first and wait for the reply, as a client must before it pipelines
      // (RFC 2920 §3.1); the rest fuzz the state before the greeting (and meet the early-talker refusal).
      client.write('EHLO fuzz.example\r\n');
      await client.until(() => /\r\n250 [^\r\n]*\r\n/.test(client.transcript), SESSION_DEADLINE_MS);
    }
    const tlsStarted = () => smtpPart(client.transcript).tls;
    let at = 0;
    for (const size of sizes) {
      if (client.closed || tlsStarted()) break;
      client.write(input.subarray(at, at + size));
      at += size;
      await new Promise((resolve) => setImmediate(resolve));
    }
    const ended = await client.until(() => client.closed || tlsStarted(), SESSION_DEADLINE_MS);
    const part = smtpPart(client.transcript);
    return { index, transcript: part.text, closedByServer: ended && !part.tls, tls: part.tls };
  } finally {
    client.close();
  }
}

function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  assert.ok(m, 'VmRSS in /proc/<pid>/status');
  return Number(m[1]);
}

function metric(name: string): Promise<number> {
  return new Promise((resolve, reject) => {
    get(`http://${METRICS}/metrics`, (res) => {
      let body = '';
      res
        .setEncoding('utf8')
        .on('data', (d: string) => {
          body += d;
        })
        .on('end', () => {
          let sum = 0;
          for (const line of body.split('\n')) {
            const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`).exec(line);
            if (m) sum += Number(m[1]);
          }
          resolve(sum);
        });
    }).on('error', reject);
  });
}

describe('session fuzzing against the running service', () => {
  const dir = scratchDir('session-fuzz');
  const dataDir = join(dir.path, 'EDGE01');
  let service: RunningService | undefined;

  before(async () => {
    const setup = await gatehouse(['setup', '--role', 'EdgeTransport', '--name', 'EDGE01', '--fqdn', 'edge01.contoso.net', '--data', dataDir]);
    assert.equal(setup.code, 0, setup.stderr);
    const script =
      [
        'New-AcceptedDomain Contoso -DomainName contoso.com',
        `Set-ReceiveConnector "Default internal Receive connector EDGE01" -Bindings ${DEFAULT_CONNECTOR}:25`,
        'New-LocalUser -Name fuzz -Password (Read-Host -AsSecureString "Password")',
        PASSWORD,
        'Add-LocalGroupMember -Group "Exchange Servers" -Member fuzz',
        ...CONNECTORS.flatMap((c) => [
          `New-ReceiveConnector -Name "${c.name}" -Usage Internet -Bindings ${c.address}:25 -TarpitInterval 00:00:00 -AuthTarpitInterval 00:00:00 -MessageRateLimit unlimited -MaxInboundConnectionPerSource unlimited`,
          `Set-ReceiveConnector "${c.name}" ${c.settings}`,
        ]),
      ].join('\n') + '\n';
    const shell = await gatehouse(['shell', '--data', dataDir], { input: script });
    assert.equal(shell.code, 0, `${shell.stdout}\n${shell.stderr}`);
    service = await startService(dataDir, ['--metrics', METRICS]);
    const ready = service.lines.find((l) => l.event === 'service.ready')!.listening as string[];
    for (const c of CONNECTORS)
      assert.ok(
        ready.some((l) => l.startsWith(`${c.address}:25 `)),
        `${c.name} is not listening on ${c.address}:25; ${service.describe()}`,
      );
  });

  after(async () => {
    if (service) await service.stop();
    dir.remove();
  });

  it(`${SESSIONS} seeded sessions (seed ${SEED}): well-formed replies, every session ends, no bug, bounded memory`, async (t) => {
    assert.ok(service);
    const pid = service.child.pid!;
    const rssBefore = rssKb(pid);
    const rand = seededRandom(SEED);
    // Each session draws from its own generator, seeded in order, so a session replays alone.
    const seeds = Array.from({ length: SESSIONS }, () => Math.floor(rand() * 2 ** 32));
    const failures: string[] = [];
    const seen = { replies: 0, queued: 0, earlyTalker: 0, http: 0 };
    let next = 0;
    let tlsStops = 0;
    let serverCloses = 0;
    const worker = async () => {
      while (next < SESSIONS && failures.length < 5) {
        const index = next++;
        const outcome = await fuzzSession(index, seededRandom(seeds[index]!));
        const label = `session ${index} (seed ${seeds[index]}, connector ${CONNECTORS[index % CONNECTORS.length]!.name})`;
        if (!WELL_FORMED.test(outcome.transcript)) failures.push(`${label}: not well-formed SMTP replies: ${JSON.stringify(outcome.transcript)}`);
        seen.replies += outcome.transcript.split('\r\n').filter((l) => /^\d{3} /.test(l)).length;
        seen.queued += (outcome.transcript.match(/Queued mail for delivery/g) ?? []).length;
        if (outcome.transcript.includes('Protocol error: the client sent commands before')) seen.earlyTalker++;
        if (outcome.tls) tlsStops++;
        else if (outcome.closedByServer) serverCloses++;
        else failures.push(`${label}: the server did not close the session within ${SESSION_DEADLINE_MS} ms after QUIT; received: ${JSON.stringify(outcome.transcript.slice(-500))}`);
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, worker));
    assert.deepEqual(failures, [], service.running() ? undefined : service.describe());
    assert.equal(tlsStops + serverCloses, SESSIONS);
    t.diagnostic(`${serverCloses} sessions closed by the server, ${tlsStops} stopped at STARTTLS; ${seen.replies} replies, ${seen.queued} messages queued, ${seen.earlyTalker} early talkers refused`);

    const bugs = service.lines.filter((l) => l.event === 'smtp.in.session.bug');
    assert.deepEqual(bugs, [], 'smtp.in.session.bug');
    assert.ok(service.running(), service.describe());

    // Every session, also those stopped at STARTTLS, is gone from the server.
    const deadline = Date.now() + 15_000;
    let active = await metric('gatehouse_smtp_sessions_active');
    while (active !== 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      active = await metric('gatehouse_smtp_sessions_active');
    }
    assert.equal(active, 0, 'sessions still open on the server');
    assert.ok((await metric('gatehouse_smtp_sessions_total')) >= SESSIONS, 'every session was counted');

    const swaks = spawnSync(
      'swaks',
      [
        '--server',
        `${CONNECTORS[0]!.address}:25`,
        '--ehlo',
        'after.fuzz.example',
        '--from',
        'kim@fabrikam.com',
        '--to',
        'alice@contoso.com',
        '--tls',
        '--auth',
        'PLAIN',
        '--auth-user',
        'fuzz',
        '--auth-password',
        PASSWORD,
        '--header',
        'Subject: after the fuzz',
      ],
      { encoding: 'utf8', timeout: 30_000 },
    );
    assert.equal(swaks.status, 0, `${swaks.stdout}\n${swaks.stderr}`);
    assert.match(swaks.stdout, /<~ {2}250 2\.6\.0 <[^>]+> \[InternalId=\d+, Hostname=edge01\.contoso\.net\] Queued mail for delivery/);

    const rssAfter = rssKb(pid);
    const bounded = rssAfter - rssBefore < RSS_GROWTH_LIMIT_KB;
    recordFigure('hostile', {
      subject: `${SESSIONS} fuzzed SMTP sessions (seed ${SEED}) on ${CONNECTORS.length} connectors`,
      finding: `${seen.replies} well-formed replies, ${seen.queued} messages queued, every session closed, no session bug; RSS ${Math.round(rssBefore / 1024)} -> ${Math.round(rssAfter / 1024)} MB`,
      ok: bounded,
    });
    assert.ok(bounded, `VmRSS grew from ${rssBefore} kB to ${rssAfter} kB`);
  });
});
