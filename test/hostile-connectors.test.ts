// Hostile input against every kind of Receive connector, on real servers: the
// anonymous Internet connector of an Edge, the Edge's authenticated connector
// for the internal organization (STARTTLS + AUTH as a member of "Exchange
// Servers"), and a Mailbox server's client submission connector (STARTTLS +
// AUTH as a mailbox user). One catalogue - each row a dialog and the reply (or
// disconnect) it must get - runs on all three; where a connector's rights make
// the answer differ, the row says so per connector. Then floods of 5000
// connections from one address and from many: the connection limits hold,
// memory stays bounded, and legitimate clients are still served. After all of
// it the services are up and accept mail.
//
// Complements test/hostile-input.test.ts (one anonymous Edge connector).

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gatehouse, scratchDir } from './harness/gatehouse.js';
import { recordFigure } from './harness/report.js';
import { startService, type RunningService } from './harness/service.js';
import { seededRandom } from './harness/seeded-random.js';
import { SmtpDialog, type Reply } from './harness/smtp-dialog.js';

const EDGE_INTERNET = '127.10.82.1';
const EDGE_INTERNAL = '127.10.82.2';
const MAILBOX = '127.10.82.3';
const NO_DNS = '127.10.82.53';
/** Where the catalogue's clients connect from. */
const CLIENT_SOURCE = '127.10.82.100';
/** The flood's sources, and the legitimate clients' during a flood. */
const FLOOD_SOURCE = (i: number) => `127.168.82.${i}`;
const LEGIT_SOURCE = '127.168.82.254';
const PASSWORD = { relay: 'Relay-Pass-8812', alice: 'Alice-Pass-1' };
const MAX_HEADER = 64 * 1024;
const MAX_MESSAGE = 4 * 1024 * 1024;
const CONNECTION_TIMEOUT_S = 10;
const AUTH_TARPIT_MS = 1000;
const MAX_LOGON_FAILURES = 3;
const PER_SOURCE = 20;
const MAX_INBOUND = 1500;
const FLOOD = 5000;
const FLOOD_SOURCES = 100;

type Kind = 'internet' | 'internal' | 'submission';

interface Target {
  kind: Kind;
  label: string;
  host: string;
  port: number;
  /** Credentials; none on the anonymous connector. */
  login?: { user: string; password: string };
  /** A sender this connector's principal may use. */
  sender: string;
  /** A recipient this connector accepts. */
  rcpt: string;
  /** A domain this connector accepts recipients in, and one it has to relay to. */
  domain: string;
  service: () => RunningService;
}

// ---- the client: a raw SMTP dialog from this suite's own source address ----

type Client = SmtpDialog;
const openClient = (host: string, port: number, localAddress = CLIENT_SOURCE): Promise<Client> => SmtpDialog.open(host, port, localAddress, 15_000);

// ---- the catalogue ----

/** A reply: "554 5.6.0"; `close`: the server then hangs up. */
interface Expected {
  reply?: string;
  close?: boolean;
  /** Only for a reply: it may take this long (tarpits, timeouts). */
  within?: number;
  /** At least this long before the reply comes (a tarpit). */
  notBefore?: number;
}
type PerKind<T> = T | Record<Kind, T>;

interface Step {
  send?: string | Buffer | ((t: Target) => string | Buffer);
  /** Send one byte every `pace` ms until the server answers or hangs up. */
  pace?: number;
  /** After the 220 to STARTTLS: negotiate TLS. */
  upgrade?: true;
  expect: PerKind<Expected | Expected[] | 'errors-then-421'>;
}

/** Where a row's dialog starts. */
type Stage =
  | 'connect' // nothing read yet, not even the banner
  | 'greeted' // banner read
  | 'tls' // STARTTLS done (plain EHLO, STARTTLS, EHLO), no AUTH
  | 'ready' // EHLO done; on the authenticated connectors also STARTTLS + AUTH
  | 'transaction'; // MAIL and RCPT accepted

interface Row {
  name: string;
  stage: Stage;
  steps: Step[];
}

const r = (reply: string, more: Omit<Expected, 'reply'> = {}): Expected => ({ reply, ...more });
const CLOSED: Expected = { close: true };
const each = <T>(internet: T, internal: T, submission: T): Record<Kind, T> => ({ internet, internal, submission });
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

function randomBytes(seed: number, length: number, avoid: number[] = []): Buffer {
  const next = seededRandom(seed);
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) {
    let b = Math.floor(next() * 256);
    if (avoid.includes(b)) b = 0x41;
    out[i] = b;
  }
  return out;
}

const smuggled = 'MAIL FROM:<evil@fabrikam.com>\r\nRCPT TO:<victim@contoso.com>\r\nDATA\r\n\r\nevil\r\n';
const headers = (n: number) => Array.from({ length: n }, (_, i) => `X-Bomb-${String(i).padStart(5, '0')}: x\r\n`).join('');
const folded = (n: number) => `Subject: folded${' \r\n word'.repeat(n)}\r\n`;

function nestedMime(depth: number): string {
  let body = 'Content-Type: text/plain\r\n\r\ninnermost\r\n';
  for (let level = depth; level > 0; level--) {
    const boundary = `b${level}`;
    body = `Content-Type: multipart/mixed; boundary="${boundary}"\r\n\r\n--${boundary}\r\n${body}--${boundary}--\r\n`;
  }
  return `MIME-Version: 1.0\r\nSubject: nested ${depth}\r\n${body}`;
}

const DATA: Step = { send: 'DATA\r\n', expect: r('354') };
const QUEUED = r('250 2.6.0');
const NOOP_OK: Step = { send: 'NOOP\r\n', expect: r('250 2.0.0') };

const CATALOGUE: Row[] = [
  {
    name: 'smuggling: CRLF.CR does not end DATA',
    stage: 'transaction',
    steps: [DATA, { send: `Subject: s\r\n\r\nhello\r\n.\r${smuggled}.\r\n`, expect: r('554 5.6.0') }, NOOP_OK],
  },
  {
    // ".\0" is a line with a stuffed dot, not the end: the smuggled commands stay content.
    name: 'smuggling: a NUL inside the terminator (CRLF.NUL CRLF) does not end DATA',
    stage: 'transaction',
    steps: [DATA, { send: `Subject: s\r\n\r\nhello\r\n.\0\r\n${smuggled}.\r\n`, expect: QUEUED }, NOOP_OK],
  },
  {
    name: 'smuggling: a NUL before the dot (CRLF NUL.CRLF) does not end DATA',
    stage: 'transaction',
    steps: [DATA, { send: `Subject: s\r\n\r\nhello\r\n\0.\r\n${smuggled}.\r\n`, expect: QUEUED }, NOOP_OK],
  },
  {
    name: 'smuggling: CRLF.CR NUL LF does not end DATA',
    stage: 'transaction',
    steps: [DATA, { send: `Subject: s\r\n\r\nhello\r\n.\r\0\n${smuggled}.\r\n`, expect: r('554 5.6.0') }, NOOP_OK],
  },
  {
    name: 'a bare CR inside a command line does not split it',
    stage: 'ready',
    steps: [{ send: (t) => `MAIL FROM:<${t.sender}>\rRCPT TO:<${t.rcpt}>\r\n`, expect: r('501 5.1.7') }, NOOP_OK],
  },
  {
    name: 'bare CRs in message content are kept as content',
    stage: 'transaction',
    steps: [DATA, { send: 'Subject: cr\r\n\r\nline one\rline two\r\r\n.\r\n', expect: QUEUED }, NOOP_OK],
  },
  {
    name: 'header bomb within MaxHeaderSize: 3,000 header fields',
    stage: 'transaction',
    steps: [DATA, { send: `${headers(3000)}Subject: many\r\n\r\nbody\r\n.\r\n`, expect: QUEUED }],
  },
  {
    name: 'header bomb: 10,000 header fields exceed MaxHeaderSize',
    stage: 'transaction',
    steps: [DATA, { send: `${headers(10_000)}Subject: many\r\n\r\nbody\r\n.\r\n`, expect: r('552 5.3.4') }, NOOP_OK],
  },
  {
    name: 'one header folded over 1,000 lines, within MaxHeaderSize',
    stage: 'transaction',
    steps: [DATA, { send: `${folded(1000)}\r\nbody\r\n.\r\n`, expect: QUEUED }],
  },
  {
    name: 'one header folded over 20,000 lines exceeds MaxHeaderSize',
    stage: 'transaction',
    steps: [DATA, { send: `${folded(20_000)}\r\nbody\r\n.\r\n`, expect: r('552 5.3.4') }, NOOP_OK],
  },
  {
    name: 'MIME nested 200 levels deep',
    stage: 'transaction',
    steps: [DATA, { send: `${nestedMime(200)}.\r\n`, expect: QUEUED }, NOOP_OK],
  },
  {
    name: 'MIME nested 5,000 levels deep',
    stage: 'transaction',
    steps: [DATA, { send: `${nestedMime(5000)}.\r\n`, expect: QUEUED }, NOOP_OK],
  },
  {
    name: 'a 1 MB line inside DATA',
    stage: 'transaction',
    steps: [DATA, { send: `Subject: long line\r\n\r\n${'y'.repeat(1024 * 1024)}\r\n.\r\n`, expect: QUEUED }],
  },
  {
    // The Mailbox server knows contoso.com's recipients: an unknown UTF-8 one is refused there.
    name: 'a UTF-8 recipient with SMTPUTF8',
    stage: 'ready',
    steps: [
      { send: (t) => `MAIL FROM:<${t.sender}> SMTPUTF8\r\n`, expect: r('250 2.1.0') },
      { send: 'RCPT TO:<jörg.müller@contoso.com>\r\n', expect: each(r('250 2.1.5'), r('250 2.1.5'), r('550 5.1.1')) },
    ],
  },
  {
    name: 'a UTF-8 recipient without SMTPUTF8',
    stage: 'ready',
    steps: [
      { send: (t) => `MAIL FROM:<${t.sender}>\r\n`, expect: r('250 2.1.0') },
      { send: 'RCPT TO:<jörg.müller@contoso.com>\r\n', expect: r('501 5.1.3') },
      { send: (t) => `RCPT TO:<${t.rcpt}>\r\n`, expect: r('250 2.1.5') },
    ],
  },
  {
    // A mailbox user may only send as its own addresses (send-as); servers and the Internet may not be checked that way.
    name: 'a UTF-8 sender with SMTPUTF8',
    stage: 'ready',
    steps: [{ send: 'MAIL FROM:<jörg@fabrikam.com> SMTPUTF8\r\n', expect: each(r('250 2.1.0'), r('250 2.1.0'), r('550 5.7.60')) }],
  },
  {
    // Relay rights decide: the Internet may not relay, authenticated servers and users may.
    name: 'an IDN recipient domain (U-label) with SMTPUTF8',
    stage: 'ready',
    steps: [
      { send: (t) => `MAIL FROM:<${t.sender}> SMTPUTF8\r\n`, expect: r('250 2.1.0') },
      { send: 'RCPT TO:<info@bücher.fabrikam.com>\r\n', expect: each(r('550 5.7.1'), r('250 2.1.5'), r('250 2.1.5')) },
    ],
  },
  {
    name: 'an IDN recipient domain (U-label) without SMTPUTF8',
    stage: 'ready',
    steps: [
      { send: (t) => `MAIL FROM:<${t.sender}>\r\n`, expect: r('250 2.1.0') },
      { send: 'RCPT TO:<info@bücher.fabrikam.com>\r\n', expect: r('501 5.1.3') },
    ],
  },
  {
    name: 'an IDN recipient domain as an A-label needs no SMTPUTF8',
    stage: 'ready',
    steps: [
      { send: (t) => `MAIL FROM:<${t.sender}>\r\n`, expect: r('250 2.1.0') },
      { send: 'RCPT TO:<info@xn--bcher-kva.fabrikam.com>\r\n', expect: each(r('550 5.7.1'), r('250 2.1.5'), r('250 2.1.5')) },
    ],
  },
  {
    name: 'invalid UTF-8 in an address with SMTPUTF8',
    stage: 'ready',
    steps: [
      { send: (t) => `MAIL FROM:<${t.sender}> SMTPUTF8\r\n`, expect: r('250 2.1.0') },
      { send: Buffer.concat([Buffer.from('RCPT TO:<j'), Buffer.from([0xc0, 0xaf, 0xff]), Buffer.from('rg@contoso.com>\r\n')]), expect: r('501 5.1.3') },
    ],
  },
  {
    name: 'an address literal that is not an address',
    stage: 'ready',
    steps: [
      { send: (t) => `MAIL FROM:<${t.sender}>\r\n`, expect: r('250 2.1.0') },
      { send: 'RCPT TO:<postmaster@[300.1.1.1]>\r\n', expect: r('501 5.1.3') },
    ],
  },
  {
    name: 'a 300-octet recipient domain',
    stage: 'ready',
    steps: [
      { send: (t) => `MAIL FROM:<${t.sender}>\r\n`, expect: r('250 2.1.0') },
      { send: `RCPT TO:<a@${Array.from({ length: 6 }, () => 'd'.repeat(49)).join('.')}.com>\r\n`, expect: r('501 5.1.3') },
    ],
  },
  {
    name: 'a non-ASCII EHLO domain',
    stage: 'greeted',
    steps: [
      { send: 'EHLO bücher.example\r\n', expect: r('501 5.5.4') },
      { send: 'EHLO ok.example\r\n', expect: r('250') },
    ],
  },
  {
    // Without AUTH on the connector every try is 504; with it, each failure waits AuthTarpitInterval and the third ends the session.
    name: 'AUTH brute force: tarpit, then disconnect after MaxLogonFailures',
    stage: 'tls',
    steps: [1, 2, 3].map((n): Step => ({
      send: (t) => `AUTH PLAIN ${b64(`\0${t.login?.user ?? 'admin'}\0guess-${n}`)}\r\n`,
      expect: each<Expected | Expected[]>(
        r('504 5.7.4'),
        n < MAX_LOGON_FAILURES ? r('535 5.7.3', { notBefore: AUTH_TARPIT_MS * 0.9 }) : [r('535 5.7.3', { notBefore: AUTH_TARPIT_MS * 0.9 }), r('421 4.7.0'), CLOSED],
        n < MAX_LOGON_FAILURES ? r('535 5.7.3', { notBefore: AUTH_TARPIT_MS * 0.9 }) : [r('535 5.7.3', { notBefore: AUTH_TARPIT_MS * 0.9 }), r('421 4.7.0'), CLOSED],
      ),
    })),
  },
  {
    name: 'AUTH LOGIN with a response line over 12,288 octets',
    stage: 'tls',
    steps: [{ send: 'AUTH LOGIN\r\n', expect: each(r('504 5.7.4'), r('334'), r('334')) }, { send: `${'QUFB'.repeat(5000)}\r\n`, expect: each(r('500 5.5.2'), r('501 5.5.4'), r('501 5.5.4')) }, NOOP_OK],
  },
  {
    name: 'a 1 MB AUTH command line',
    stage: 'tls',
    steps: [{ send: `AUTH PLAIN ${'QUFB'.repeat(256 * 1024)}\r\n`, expect: r('500 5.5.2') }, NOOP_OK],
  },
  {
    // The pipelined AUTH would carry valid credentials: it must not be run inside TLS.
    name: 'AUTH pipelined after STARTTLS is discarded',
    stage: 'greeted',
    steps: [
      { send: 'EHLO inject.example\r\n', expect: r('250') },
      { send: (t) => `STARTTLS\r\nAUTH PLAIN ${b64(`\0${t.login?.user ?? 'nobody'}\0${t.login?.password ?? 'x'}`)}\r\n`, expect: r('220 2.0.0') },
      { upgrade: true, send: 'EHLO inject.example\r\n', expect: r('250') },
      { send: (t) => `MAIL FROM:<${t.sender}>\r\n`, expect: each(r('250 2.1.0'), r('530 5.7.1'), r('530 5.7.1')) },
    ],
  },
  {
    name: 'slowloris: one byte every 2 s is cut off by ConnectionTimeout',
    stage: 'greeted',
    steps: [{ send: 'EHLO slowly.sending.one.byte.at.a.time.example\r\n', pace: 2000, expect: [r('451 4.7.0', { within: (CONNECTION_TIMEOUT_S + 10) * 1000 }), CLOSED] }],
  },
  {
    name: 'an early talker sends a transaction before the banner',
    stage: 'connect',
    steps: [{ send: (t) => `EHLO early.example\r\nMAIL FROM:<${t.sender}>\r\nRCPT TO:<${t.rcpt}>\r\n`, expect: [r('220'), r('554 5.5.0'), CLOSED] }],
  },
  {
    name: 'an HTTP POST before the banner is dropped',
    stage: 'connect',
    steps: [{ send: 'POST /owa/auth.owa HTTP/1.1\r\nHost: mail.contoso.com\r\nContent-Length: 5\r\n\r\nhello', expect: [r('220'), CLOSED] }],
  },
  {
    name: 'an HTTP CONNECT (open proxy probe) is dropped',
    stage: 'greeted',
    steps: [{ send: 'CONNECT mx.fabrikam.com:25 HTTP/1.0\r\n\r\n', expect: CLOSED }],
  },
  {
    name: 'random bytes (seed 82) before EHLO',
    stage: 'greeted',
    steps: [{ send: randomBytes(82, 64 * 1024), expect: 'errors-then-421' }],
  },
  {
    name: 'random bytes (seed 83) after EHLO (inside TLS on the authenticated connectors)',
    stage: 'ready',
    steps: [{ send: randomBytes(83, 64 * 1024), expect: 'errors-then-421' }],
  },
  {
    name: 'random binary content (seed 84) inside DATA',
    stage: 'transaction',
    steps: [DATA, { send: Buffer.concat([Buffer.from('Subject: noise\r\n\r\n'), randomBytes(84, 32 * 1024, [0x2e, 0x0d]), Buffer.from('\r\n.\r\n')]), expect: QUEUED }, NOOP_OK],
  },
  {
    name: 'duplicate ESMTP parameters on MAIL',
    stage: 'ready',
    steps: [{ send: (t) => `MAIL FROM:<${t.sender}> SIZE=10 SIZE=20\r\n`, expect: r('501 5.5.4') }],
  },
];

/** Runs a program to its end without blocking the event loop (spawnSync would stall every concurrent session). */
function run(command: string, args: string[], timeoutMs: number): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

// ---- running a row ----

async function login(c: Client, t: Target): Promise<void> {
  const ok = async (line: string, code: number) => {
    const reply = await c.command(line);
    assert.equal(reply?.code, code, `${t.label}: ${line.slice(0, 40)}\n${c.transcript}`);
  };
  await ok('EHLO client.example', 250);
  await ok('STARTTLS', 220);
  await c.upgrade();
  await ok('EHLO client.example', 250);
}

async function openAt(t: Target, stage: Stage): Promise<Client> {
  const c = await openClient(t.host, t.port);
  if (stage === 'connect') return c;
  const banner = await c.reply();
  assert.equal(banner?.code, 220, `${t.label}: banner\n${c.transcript}`);
  if (stage === 'greeted') return c;
  if (stage === 'tls' || t.login) await login(c, t);
  if (stage === 'tls') return c;
  if (t.login) {
    const a = await c.command(`AUTH PLAIN ${b64(`\0${t.login.user}\0${t.login.password}`)}`);
    assert.equal(a?.code, 235, `${t.label}: AUTH\n${c.transcript}`);
  } else {
    assert.equal((await c.command('EHLO client.example'))?.code, 250);
  }
  if (stage === 'ready') return c;
  assert.equal((await c.command(`MAIL FROM:<${t.sender}>`))?.code, 250, c.transcript);
  assert.equal((await c.command(`RCPT TO:<${t.rcpt}>`))?.code, 250, c.transcript);
  return c;
}

function forKind<T>(value: PerKind<T>, kind: Kind): T {
  return value !== null && typeof value === 'object' && 'internet' in (value as object) && 'submission' in (value as object) ? (value as Record<Kind, T>)[kind] : (value as T);
}

async function sendPaced(c: Client, bytes: Buffer, paceMs: number): Promise<void> {
  for (const byte of bytes) {
    if (c.closed || c.unread() > 0) return;
    c.write(Buffer.from([byte]));
    const until = Date.now() + paceMs;
    while (Date.now() < until && !c.closed && c.unread() === 0) await new Promise((res) => setTimeout(res, 50));
  }
}

async function expectOne(c: Client, e: Expected, t: Target, what: string, sentAt: number): Promise<void> {
  if (e.close && !e.reply) {
    // Nothing more may come but the disconnect.
    assert.ok(await c.closedWithin(e.within ?? 10_000), `${what}: the server did not hang up\n${c.transcript}`);
    assert.equal(c.unread(), 0, `${what}: unexpected reply before the disconnect\n${c.transcript}`);
    return;
  }
  const got = await c.reply(e.within ?? 20_000);
  const [code, enhanced] = e.reply!.split(' ');
  assert.ok(got, `${what}: expected ${e.reply}, the server hung up\n${c.transcript}`);
  assert.equal(String(got.code), code, `${what}: expected ${e.reply}\n${c.transcript.slice(-2000)}`);
  if (enhanced) assert.ok(got.lines[0].startsWith(`${enhanced} `), `${what}: expected ${e.reply}, got ${got.code} ${got.lines[0]}`);
  if (e.notBefore) assert.ok(Date.now() - sentAt >= e.notBefore, `${what}: ${e.reply} came after ${Date.now() - sentAt} ms, before the ${e.notBefore} ms tarpit`);
  if (e.close) assert.ok(await c.closedWithin(10_000), `${what}: the server did not hang up\n${c.transcript}`);
  void t;
}

async function runRow(row: Row, t: Target): Promise<void> {
  const c = await openAt(t, row.stage);
  try {
    for (const [i, step] of row.steps.entries()) {
      const what = `${t.label}, step ${i + 1}`;
      if (step.upgrade) await c.upgrade();
      const sentAt = Date.now();
      if (step.send !== undefined) {
        const bytes = typeof step.send === 'function' ? step.send(t) : step.send;
        if (step.pace) await sendPaced(c, Buffer.from(bytes), step.pace);
        else c.write(bytes);
      }
      const expected = forKind(step.expect, t.kind);
      if (expected === 'errors-then-421') {
        let last: Reply | null = null;
        for (let n = 0; n < 50; n++) {
          const got = await c.reply();
          if (!got) break;
          last = got;
          if (got.code === 421) break;
          assert.ok(got.code >= 500, `${what}: ${got.code} ${got.lines[0]} to random bytes\n${c.transcript.slice(-2000)}`);
        }
        assert.equal(last?.code, 421, `${what}: the session must end on too many errors\n${c.transcript.slice(-2000)}`);
        assert.ok(last!.lines[0].startsWith('4.7.0 '));
        assert.ok(await c.closedWithin(10_000), `${what}: not closed after 421`);
        continue;
      }
      for (const e of Array.isArray(expected) ? expected : [expected]) await expectOne(c, e, t, what, sentAt);
    }
  } finally {
    c.close();
  }
}

// ---- floods ----

interface FloodResult {
  accepted: number;
  perSource: number;
  perConnector: number;
  failed: string[];
  acceptedBySource: Map<string, number>;
  /** The accepted connections, held open until close(). */
  held: Socket[];
}

/** The first reply line of a new connection from `source`: the banner or a refusal. */
function firstLine(host: string, port: number, source: string): Promise<{ line: string; socket: Socket }> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host, port, localAddress: source });
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('no banner within 30 s'));
    }, 30_000);
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      const nl = text.indexOf('\r\n');
      if (nl >= 0) {
        clearTimeout(timer);
        socket.removeAllListeners('data');
        resolve({ line: text.slice(0, nl), socket });
      }
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.once('close', () => {
      clearTimeout(timer);
      reject(new Error(`closed before a reply${text ? `: ${text}` : ''}`));
    });
  });
}

/** Opens `total` connections round-robin from `sources`, at most `parallel` connecting at once; keeps the accepted ones open. */
async function flood(t: Target, sources: string[], total: number, parallel = 400): Promise<FloodResult> {
  const result: FloodResult = { accepted: 0, perSource: 0, perConnector: 0, failed: [], acceptedBySource: new Map(), held: [] };
  let next = 0;
  const worker = async () => {
    while (next < total) {
      const source = sources[next++ % sources.length];
      try {
        const { line, socket } = await firstLine(t.host, t.port, source);
        if (line.startsWith('220 ')) {
          result.accepted++;
          result.acceptedBySource.set(source, (result.acceptedBySource.get(source) ?? 0) + 1);
          socket.on('error', () => undefined);
          result.held.push(socket);
        } else {
          socket.on('error', () => undefined);
          socket.destroy();
          if (/^421 4\.3\.2 The maximum number of concurrent connections has exceeded a limit/.test(line)) result.perSource++;
          else if (/^421 4\.3\.2 The maximum number of concurrent server connections has exceeded a limit/.test(line)) result.perConnector++;
          else result.failed.push(line);
        }
      } catch (err) {
        result.failed.push((err as Error).message);
      }
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return result;
}

function release(f: FloodResult): Promise<void> {
  for (const s of f.held) s.destroy();
  f.held = [];
  return new Promise((res) => setTimeout(res, 1500)); // the server sees the closes
}

/** One whole message on `t` from `source`: the final reply code and enhanced code, e.g. "250 2.6.0", or the refusal. */
async function legitimateMessage(t: Target, source: string): Promise<string> {
  const c = await openClient(t.host, t.port, source);
  try {
    const banner = await c.reply();
    if (banner?.code !== 220) return `${banner?.code} ${banner?.lines[0].split(' ')[0]}`;
    if (t.login) {
      await login(c, t);
      assert.equal((await c.command(`AUTH PLAIN ${b64(`\0${t.login.user}\0${t.login.password}`)}`))?.code, 235, c.transcript);
    } else {
      assert.equal((await c.command('EHLO legit.example'))?.code, 250);
    }
    assert.equal((await c.command(`MAIL FROM:<${t.sender}>`))?.code, 250, c.transcript);
    assert.equal((await c.command(`RCPT TO:<${t.rcpt}>`))?.code, 250, c.transcript);
    assert.equal((await c.command('DATA'))?.code, 354);
    c.write('Subject: during the flood\r\n\r\nstill served\r\n.\r\n');
    const done = await c.reply();
    return `${done?.code} ${done?.lines[0].split(' ')[0]}`;
  } finally {
    c.close();
  }
}

/** How many descriptors this process may open (the flood sizes itself to it, and says so). */
function openFileLimit(): number {
  const out = spawnSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).stdout.trim();
  return out === 'unlimited' ? Infinity : Number(out) || 1024;
}

// ---- the servers ----

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

/** Waits for the next `config.applied` of a service after a configuration change. */
async function reloaded(s: RunningService, before: number): Promise<void> {
  await s.waitFor((l) => l.event === 'config.applied' && s.lines.indexOf(l) >= before, 30_000, 'config.applied');
}

describe('hostile input on every connector type', () => {
  const dir = scratchDir('hostile-connectors');
  const edgeData = join(dir.path, 'EDGE01');
  const mailboxData = join(dir.path, 'MBX01');
  let edge: RunningService;
  let mailbox: RunningService;
  const rssBefore: Record<string, number> = {};
  const passed: Record<Kind, number> = { internet: 0, internal: 0, submission: 0 };

  const limits = `-MaxInboundConnection ${MAX_INBOUND} -MaxInboundConnectionPerSource ${PER_SOURCE} -MaxInboundConnectionPercentagePerSource 100`;
  const hardening =
    `-ConnectionTimeout 00:00:${CONNECTION_TIMEOUT_S} -ConnectionInactivityTimeout 00:00:04 -TarpitInterval 00:00:00 -AuthTarpitInterval 00:00:0${AUTH_TARPIT_MS / 1000} ` +
    `-MaxLogonFailures ${MAX_LOGON_FAILURES} -MaxHeaderSize ${MAX_HEADER} -MaxMessageSize ${MAX_MESSAGE} -MaxProtocolErrors 5 -MessageRateLimit unlimited ${limits}`;

  const targets: Target[] = [
    { kind: 'internet', label: 'Edge "From Internet" (anonymous)', host: EDGE_INTERNET, port: 25, sender: 'sender@fabrikam.com', rcpt: 'bob@contoso.com', domain: 'contoso.com', service: () => edge },
    {
      kind: 'internal',
      label: 'Edge "From Internal Org" (STARTTLS + AUTH, Exchange Servers)',
      host: EDGE_INTERNAL,
      port: 25,
      login: { user: 'mbxrelay', password: PASSWORD.relay },
      sender: 'alice@contoso.com',
      rcpt: 'carol@fabrikam.com',
      domain: 'fabrikam.com',
      service: () => edge,
    },
    {
      kind: 'submission',
      label: 'Mailbox "Client MBX01" (STARTTLS + AUTH, mailbox user)',
      host: MAILBOX,
      port: 587,
      login: { user: 'alice@contoso.com', password: PASSWORD.alice },
      sender: 'alice@contoso.com',
      rcpt: 'alice@contoso.com',
      domain: 'contoso.com',
      service: () => mailbox,
    },
  ];

  /** The Mailbox server's other connector (port 25), for a legitimate client while "Client MBX01" is flooded. */
  const mailboxDefault: Target = { ...targets[2], label: 'Mailbox "Default MBX01"', port: 25 };

  before(async () => {
    for (const [role, name, fqdn, data] of [
      ['EdgeTransport', 'EDGE01', 'edge01.contoso.net', edgeData],
      ['Mailbox', 'MBX01', 'mbx01.contoso.com', mailboxData],
    ]) {
      const res = await gatehouse(['setup', '--role', role, '--name', name, '--fqdn', fqdn, '--data', data]);
      assert.equal(res.code, 0, res.stdout + res.stderr);
    }
    const dns = (server: string) => `Set-TransportService ${server} -InternalDNSServers ${NO_DNS}:53 -InternalDNSAdapterEnabled $false -ExternalDNSServers ${NO_DNS}:53 -ExternalDNSAdapterEnabled $false`;
    const shell = async (data: string, lines: string[]) => {
      const res = await gatehouse(['shell', '--data', data], { input: lines.join('\n') + '\n' });
      assert.equal(res.code, 0, `${lines.join('\n')}\n${res.stdout}\n${res.stderr}`);
    };
    await shell(edgeData, [
      'New-AcceptedDomain Contoso -DomainName contoso.com',
      `New-LocalUser -Name mbxrelay -Password (ConvertTo-SecureString "${PASSWORD.relay}" -AsPlainText -Force)`,
      'Add-LocalGroupMember -Group "Exchange Servers" -Member mbxrelay',
      dns('EDGE01'),
      `Set-ReceiveConnector "Default internal Receive connector EDGE01" -Name "From Internet" -Bindings ${EDGE_INTERNET}:25 ${hardening}`,
      `New-ReceiveConnector -Name "From Internal Org" -Usage Internal -AuthMechanism TLS,BasicAuth,BasicAuthRequireTLS,ExchangeServer -Bindings ${EDGE_INTERNAL}:25 -RemoteIPRanges 127.0.0.0/8`,
      `Set-ReceiveConnector "From Internal Org" ${hardening}`,
    ]);
    await shell(mailboxData, [
      'New-AcceptedDomain Contoso -DomainName contoso.com',
      'New-MailboxDatabase DB1 -Server MBX01',
      `New-Mailbox -Name Alice -Alias alice -UserPrincipalName alice@contoso.com -Database DB1 -Password (ConvertTo-SecureString "${PASSWORD.alice}" -AsPlainText -Force)`,
      dns('MBX01'),
      `Set-ReceiveConnector "Default MBX01" -Bindings ${MAILBOX}:25 -TarpitInterval 00:00:00`,
      `Set-ReceiveConnector "Client MBX01" -Bindings ${MAILBOX}:587 ${hardening}`,
    ]);
    edge = await startService(edgeData);
    mailbox = await startService(mailboxData);
    rssBefore.edge = rssMb(edge.child.pid!);
    rssBefore.mailbox = rssMb(mailbox.child.pid!);
  });

  after(async () => {
    await edge?.stop();
    await mailbox?.stop();
    dir.remove();
  });

  describe('the catalogue', { concurrency: 3 }, () => {
    for (const t of targets) {
      describe(t.label, { concurrency: 1 }, () => {
        for (const row of CATALOGUE) {
          it(row.name, { timeout: 60_000 }, async () => {
            await runRow(row, t);
            passed[t.kind]++;
          });
        }

        it('a real client (Python smtplib) guessing passwords is slowed and cut off', { timeout: 60_000 }, async () => {
          // Run without blocking this process: the other catalogues' sessions go on meanwhile.
          const py = await run(
            'python3',
            [
              '-c',
              `
import smtplib, ssl, time, sys
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
s = smtplib.SMTP('${t.host}', ${t.port}, source_address=('${CLIENT_SOURCE}', 0), timeout=20)
s.starttls(context=ctx); s.ehlo('guesser.example')
print('auth offered', s.has_extn('auth'))
for n in range(5):
    started = time.monotonic()
    try:
        if not s.has_extn('auth'): raise smtplib.SMTPNotSupportedError()
        s.user, s.password = '${t.login?.user ?? 'administrator'}', 'guess-%d' % n
        s.auth('PLAIN', s.auth_plain)
        print('logged in'); break
    except smtplib.SMTPAuthenticationError as e:
        print('refused', e.smtp_code, '%.2f' % (time.monotonic() - started))
    except smtplib.SMTPNotSupportedError:
        code, text = s.docmd('AUTH', 'PLAIN AGFkbWluAGd1ZXNz')
        print('not offered', code, text.decode().split(' ')[0]); break
    except smtplib.SMTPServerDisconnected:
        print('disconnected'); break
`,
            ],
            45_000,
          );
          assert.equal(py.status, 0, py.stdout + py.stderr);
          const lines = py.stdout.trim().split('\n');
          if (t.kind === 'internet') {
            assert.deepEqual(lines, ['auth offered False', 'not offered 504 5.7.4']);
          } else {
            assert.equal(lines[0], 'auth offered True');
            const refusals = lines.filter((l) => l.startsWith('refused 535'));
            assert.equal(refusals.length, MAX_LOGON_FAILURES, py.stdout);
            for (const l of refusals) assert.ok(Number(l.split(' ')[2]) >= (AUTH_TARPIT_MS / 1000) * 0.9, `the tarpit: ${l}`);
            assert.equal(lines.at(-1), 'disconnected', py.stdout);
          }
          passed[t.kind]++;
        });
      });
    }
  });

  it('after the catalogue the services are up, accept mail, and memory stayed bounded', { timeout: 60_000 }, async () => {
    for (const t of targets) {
      const c = await openAt(t, 'transaction');
      assert.equal((await c.command('DATA'))?.code, 354);
      c.write('Subject: still here\r\n\r\nfine\r\n.\r\n');
      const done = await c.reply();
      assert.equal(done?.code, 250, `${t.label}\n${c.transcript}`);
      c.close();
    }
    for (const [name, s] of [
      ['edge', edge],
      ['mailbox', mailbox],
    ] as const) {
      assert.equal(s.child.exitCode, null, `${name} is running`);
      assert.ok(!s.lines.some((l) => l.event === 'smtp.in.session.bug' || l.event === 'stderr'), `${name}: internal errors were logged`);
    }
    const rows = CATALOGUE.length + 1;
    for (const t of targets) {
      const s = t.service() === edge ? 'edge' : 'mailbox';
      const after = rssMb(t.service().child.pid!);
      const ok = passed[t.kind] === rows && after - rssBefore[s] < 256;
      recordFigure('hostile', { subject: t.label, finding: `${passed[t.kind]} of ${rows} cases passed, RSS ${rssBefore[s].toFixed(0)} -> ${after.toFixed(0)} MB`, ok });
      assert.equal(passed[t.kind], rows, `${t.label}: cases passed`);
      assert.ok(after - rssBefore[s] < 256, `${s}: resident memory grew from ${rssBefore[s]} to ${after} MB`);
    }
  });
  describe('floods of connections', { concurrency: 1 }, () => {
    // The flood holds its accepted connections for seconds: the catalogue's 4 s idle timeout would free them midway.
    before(async () => {
      const edgeMark = edge.lines.length;
      const mailboxMark = mailbox.lines.length;
      const patient = '-ConnectionInactivityTimeout 00:01:00 -ConnectionTimeout 00:05:00';
      // MaxConnectionRatePerMinute (server-wide, default 1200) would refuse most of a burst of 5000 first: raised, so the
      // connectors' own limits are what the floods meet.
      for (const [data, server, names] of [
        [edgeData, 'EDGE01', ['From Internet', 'From Internal Org']],
        [mailboxData, 'MBX01', ['Client MBX01']],
      ] as const) {
        const script = [`Set-TransportService ${server} -MaxConnectionRatePerMinute 1000000`, ...names.map((n) => `Set-ReceiveConnector "${n}" ${patient}`)];
        const res = await gatehouse(['shell', '--data', data, '-c', script.join('; ')]);
        assert.equal(res.code, 0, res.stderr);
      }
      await reloaded(edge, edgeMark);
      await reloaded(mailbox, mailboxMark);
    });

    // Refused connections are closed at once: each process holds at most the accepted ones plus those still
    // connecting (400), well inside the descriptor limit both inherit; with a lower limit the flood shrinks, and says so.
    const limit = openFileLimit();
    const size = limit >= MAX_INBOUND + 1000 ? FLOOD : Math.max(PER_SOURCE * 2, limit - 600);
    const other = (t: Target): Target => (t.kind === 'internet' ? targets[1] : t.kind === 'internal' ? targets[0] : mailboxDefault);

    for (const t of targets) {
      it(`${size} connections from one address: MaxInboundConnectionPerSource holds, others are served (${t.kind})`, { timeout: 120_000 }, async () => {
        const s = t.service();
        const before = rssMb(s.child.pid!);
        const f = await flood(t, [FLOOD_SOURCE(200)], size);
        let peak = 0;
        try {
          peak = rssMb(s.child.pid!);
          const legit = await legitimateMessage(t, LEGIT_SOURCE);
          assert.deepEqual(f.failed, [], 'every connection got an SMTP answer');
          assert.equal(f.accepted, PER_SOURCE, 'accepted');
          assert.equal(f.perSource, size - PER_SOURCE, 'refused with 421 4.3.2 (per source)');
          assert.equal(legit, '250 2.6.0', 'a client from another address is served during the flood');
        } finally {
          await release(f);
        }
        const after = rssMb(s.child.pid!);
        const ok = after - before < 150 && peak - before < 300;
        recordFigure('hostile', {
          subject: `${size} connections from one address on ${t.label}`,
          finding: `${f.accepted} accepted, ${f.perSource} refused 421 4.3.2, legitimate client served; RSS ${before.toFixed(0)} -> peak ${peak.toFixed(0)} -> ${after.toFixed(0)} MB`,
          ok,
        });
        assert.ok(ok, `resident memory ${before} -> peak ${peak} -> ${after} MB`);
      });

      it(`${size} connections from ${FLOOD_SOURCES} addresses: MaxInboundConnection holds, other connectors are served (${t.kind})`, { timeout: 120_000 }, async () => {
        const s = t.service();
        const before = rssMb(s.child.pid!);
        const sources = Array.from({ length: FLOOD_SOURCES }, (_, i) => FLOOD_SOURCE(i + 1));
        const f = await flood(t, sources, size);
        let peak = 0;
        try {
          peak = rssMb(s.child.pid!);
          const sameConnector = await legitimateMessage(t, LEGIT_SOURCE);
          const otherConnector = await legitimateMessage(other(t), LEGIT_SOURCE);
          assert.deepEqual(f.failed, [], 'every connection got an SMTP answer');
          assert.equal(f.accepted, MAX_INBOUND, 'accepted');
          assert.ok(Math.max(...f.acceptedBySource.values()) <= PER_SOURCE, 'no source above MaxInboundConnectionPerSource');
          assert.equal(f.perSource + f.perConnector, size - MAX_INBOUND, 'the rest refused with 421 4.3.2');
          assert.ok(f.perConnector > 0);
          assert.equal(sameConnector, '421 4.3.2', 'the full connector refuses everyone');
          assert.equal(otherConnector, '250 2.6.0', "the server's other connector still serves");
        } finally {
          await release(f);
        }
        assert.equal(await legitimateMessage(t, LEGIT_SOURCE), '250 2.6.0', 'served again once the flood is gone');
        const after = rssMb(s.child.pid!);
        const ok = after - before < 150 && peak - before < 400;
        recordFigure('hostile', {
          subject: `${size} connections from ${FLOOD_SOURCES} addresses on ${t.label}`,
          finding: `${f.accepted} accepted, ${f.perConnector} refused 421 4.3.2 (connector), ${f.perSource} (per source); other connector served; RSS ${before.toFixed(0)} -> peak ${peak.toFixed(0)} -> ${after.toFixed(0)} MB`,
          ok,
        });
        assert.ok(ok, `resident memory ${before} -> peak ${peak} -> ${after} MB`);
      });
    }

    it('after the floods both services are up and accept mail', { timeout: 60_000 }, async () => {
      for (const t of targets) assert.equal(await legitimateMessage(t, CLIENT_SOURCE), '250 2.6.0', t.label);
      for (const s of [edge, mailbox]) {
        assert.equal(s.child.exitCode, null);
        assert.ok(!s.lines.some((l) => l.event === 'smtp.in.session.bug' || l.event === 'stderr'), 'no internal errors were logged');
      }
    });
  });
});
