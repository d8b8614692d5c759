// The outbound SMTP client against real peers on loopback: a scriptable server written here on
// net/tls (so each reply and each command seen can be asserted), Postfix's smtp-sink and
// Python's aiosmtpd.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OutboundConnection, isConnectFailure, type ConnectFailure, type OutboundMessage, type OutboundPolicy } from '../src/smtp/outbound/index.js';
import { generateSelfSignedCertificate, type GeneratedCertificate } from '../src/tls/self-signed.js';
import { certificateAuthority, selfSigned } from './harness/openssl-certificates.js';
import { startAiosmtpd } from './harness/peers.js';
import { needs } from './harness/tools.js';

// ---------------------------------------------------------------------------------------------
// Scriptable SMTP server

interface Session {
  remoteAddress: string;
  tls: boolean;
  authenticated: boolean;
}

interface Script {
  greeting?: string | null; // null: accept and never answer
  extensions?: string[]; // EHLO keywords, besides STARTTLS/AUTH which follow from the options below
  certificate?: Pick<GeneratedCertificate, 'certificatePem' | 'privateKeyPem'>; // offers STARTTLS when set
  auth?: { user: string; pass: string; requireTls: boolean };
  mail?: (cmd: string, s: Session) => string;
  rcpt?: (addr: string, cmd: string, s: Session) => string;
  data?: (s: Session) => string;
  endOfData?: (body: string, s: Session) => string | 'drop';
  dropAfterDataBytes?: number; // close the socket once this much message data arrived
  starttlsReply?: string; // answer STARTTLS with this instead of starting TLS
  breakTls?: boolean; // answer 220 to STARTTLS, then send plaintext garbage instead of a handshake
}

interface Received {
  mail: string;
  rcpts: string[];
  body: string;
}

class ScriptServer {
  readonly commands: string[] = [];
  readonly peers: string[] = [];
  readonly messages: Received[] = [];
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  port = 0;

  constructor(private readonly script: Script) {
    this.server = net.createServer((socket) => this.handle(socket));
  }

  async listen(host = '127.0.0.1'): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, host, resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  get sawAuth(): boolean {
    return this.commands.some((c) => /^AUTH\b/i.test(c));
  }

  private handle(raw: net.Socket): void {
    this.sockets.add(raw);
    raw.on('close', () => this.sockets.delete(raw));
    raw.on('error', () => undefined);
    const s: Session = { remoteAddress: raw.remoteAddress ?? '', tls: false, authenticated: false };
    this.peers.push(s.remoteAddress);
    const script = this.script;
    let socket: net.Socket = raw;
    let buffer = '';
    let inData = false;
    let dataBytes = 0;
    let body = '';
    let tx: Received | null = null;
    let authStep: null | { kind: 'login-user' } | { kind: 'login-pass'; user: string } = null;
    const write = (line: string) => {
      if (!socket.destroyed) socket.write(line + '\r\n');
    };
    const checkAuth = (user: string, pass: string) => {
      if (script.auth && user === script.auth.user && pass === script.auth.pass) {
        s.authenticated = true;
        write('235 2.7.0 Authentication successful');
      } else {
        write('535 5.7.8 Error: authentication failed');
      }
    };
    const onLine = (line: string): void => {
      if (inData) {
        if (line === '.') {
          inData = false;
          const reply = script.endOfData ? script.endOfData(body, s) : '250 2.0.0 Ok: queued';
          if (reply === 'drop') {
            socket.destroy();
            return;
          }
          if (tx && /^2/.test(reply)) this.messages.push({ ...tx, body });
          tx = null;
          write(reply);
          return;
        }
        body += (line.startsWith('.') ? line.slice(1) : line) + '\r\n';
        return;
      }
      this.commands.push(authStep ? '<auth data>' : line);
      if (authStep?.kind === 'login-user') {
        authStep = { kind: 'login-pass', user: Buffer.from(line, 'base64').toString() };
        write('334 UGFzc3dvcmQ6');
        return;
      }
      if (authStep?.kind === 'login-pass') {
        const user = authStep.user;
        authStep = null;
        checkAuth(user, Buffer.from(line, 'base64').toString());
        return;
      }
      const verb = line.split(' ')[0].toUpperCase();
      switch (verb) {
        case 'EHLO': {
          const ext = [...(script.extensions ?? ['PIPELINING', '8BITMIME', 'ENHANCEDSTATUSCODES'])];
          if (script.certificate && !s.tls) ext.push('STARTTLS');
          if (script.auth && (s.tls || !script.auth.requireTls)) ext.push('AUTH PLAIN LOGIN');
          const lines = ['mx.test.example', ...ext];
          lines.forEach((l, i) => write(`250${i === lines.length - 1 ? ' ' : '-'}${l}`));
          return;
        }
        case 'HELO':
          write('250 mx.test.example');
          return;
        case 'STARTTLS': {
          if (!script.certificate || s.tls) return write('502 5.5.1 Not offered');
          if (script.starttlsReply) return write(script.starttlsReply);
          write('220 2.0.0 Ready to start TLS');
          if (script.breakTls) {
            socket.end('this is not a TLS server hello\r\n');
            return;
          }
          socket.removeListener('data', onData);
          const secure = new tls.TLSSocket(socket, {
            isServer: true,
            key: script.certificate.privateKeyPem,
            cert: script.certificate.certificatePem,
          });
          secure.on('error', () => undefined);
          secure.on('secure', () => {
            s.tls = true;
          });
          socket = secure;
          buffer = '';
          secure.on('data', onData);
          return;
        }
        case 'AUTH': {
          const [, mech, initial] = line.split(' ');
          if (!script.auth || (script.auth.requireTls && !s.tls)) return write('503 5.5.1 AUTH not available');
          if (mech.toUpperCase() === 'PLAIN' && initial) {
            const parts = Buffer.from(initial, 'base64').toString().split('\0');
            return checkAuth(parts[1] ?? '', parts[2] ?? '');
          }
          if (mech.toUpperCase() === 'LOGIN') {
            authStep = { kind: 'login-user' };
            return write('334 VXNlcm5hbWU6');
          }
          return write('504 5.5.4 Unrecognized authentication type');
        }
        case 'MAIL': {
          const reply = script.mail ? script.mail(line, s) : '250 2.1.0 Ok';
          if (/^2/.test(reply)) tx = { mail: line, rcpts: [], body: '' };
          write(reply);
          if (/^421/.test(reply)) socket.end();
          return;
        }
        case 'RCPT': {
          const addr = /<([^>]*)>/.exec(line)?.[1] ?? '';
          const reply = script.rcpt ? script.rcpt(addr, line, s) : '250 2.1.5 Ok';
          if (/^2/.test(reply)) tx?.rcpts.push(line);
          write(reply);
          if (/^421/.test(reply)) socket.end();
          return;
        }
        case 'DATA': {
          const reply = !tx || tx.rcpts.length === 0 ? '554 5.5.1 Error: no valid recipients' : script.data ? script.data(s) : '354 End data with <CR><LF>.<CR><LF>';
          write(reply);
          if (/^3/.test(reply)) {
            inData = true;
            body = '';
            dataBytes = 0;
          }
          if (/^421/.test(reply)) socket.end();
          return;
        }
        case 'RSET':
          tx = null;
          return write('250 2.0.0 Ok');
        case 'NOOP':
          return write('250 2.0.0 Ok');
        case 'QUIT':
          write('221 2.0.0 Bye');
          socket.end();
          return;
        default:
          return write('502 5.5.2 Error: command not recognized');
      }
    };
    const onData = (chunk: Buffer) => {
      if (inData && script.dropAfterDataBytes !== undefined) {
        dataBytes += chunk.length;
        if (dataBytes >= script.dropAfterDataBytes) {
          socket.destroy();
          raw.destroy();
          return;
        }
      }
      buffer += chunk.toString('utf8');
      let nl: number;
      while ((nl = buffer.indexOf('\r\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 2);
        const before = socket;
        onLine(line);
        if (socket !== before) return; // switched to TLS: the rest belongs to the handshake
      }
    };
    socket.on('data', onData);
    if (script.greeting !== null) write(script.greeting ?? '220 mx.test.example ESMTP test');
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers

function policy(over: Partial<OutboundPolicy> = {}): OutboundPolicy {
  return {
    ehloName: 'edge01.contoso.net',
    forceHelo: false,
    tls: 'opportunistic',
    tlsAuthLevel: null,
    connectTimeoutMs: 3000,
    greetingTimeoutMs: 3000,
    inactivityTimeoutMs: 5000,
    maxMessagesPerConnection: 20,
    ...over,
  };
}

function message(recipients: string[], over: Partial<OutboundMessage> = {}): OutboundMessage {
  return {
    sender: 'alice@contoso.com',
    recipients: recipients.map((address) => ({ address })),
    body: Buffer.from('From: alice@contoso.com\r\nTo: bob@fabrikam.com\r\nSubject: test\r\n\r\nHello.\r\n'),
    smtputf8: false,
    bodyType: '7BIT',
    ...over,
  };
}

async function openOk(port: number, p: OutboundPolicy, host = 'mx.test.example', address = '127.0.0.1'): Promise<OutboundConnection> {
  const c = await OutboundConnection.open({ host, address, port }, p);
  if (isConnectFailure(c)) assert.fail(`open failed: ${c.stage} ${c.text}`);
  return c;
}

async function openFail(port: number, p: OutboundPolicy, host = 'mx.test.example', address = '127.0.0.1'): Promise<ConnectFailure> {
  const c = await OutboundConnection.open({ host, address, port }, p);
  if (!isConnectFailure(c)) {
    await c.close();
    assert.fail('open succeeded');
  }
  return c;
}

async function waitFor(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

async function waitForPort(port: number, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = net.connect({ host: '127.0.0.1', port }, () => {
        c.destroy();
        resolve(true);
      });
      c.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listening on ${port} after ${ms} ms`);
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.pid === undefined) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve();
    }, 3000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

let certificate: GeneratedCertificate;
let otherCertificate: GeneratedCertificate;

before(async () => {
  certificate = await generateSelfSignedCertificate({ subject: 'CN=mx.test.example', domains: ['mx.test.example'] });
  otherCertificate = await generateSelfSignedCertificate({ subject: 'CN=other.example', domains: ['other.example'] });
});

// ---------------------------------------------------------------------------------------------
// Postfix smtp-sink

const SMTP_SINK = '/usr/sbin/smtp-sink';

test('smtp-sink: plain delivery, then several messages on one connection up to the limit', needs('smtp-sink'), async () => {
  const port = await freePort();
  const sink = spawn(SMTP_SINK, ['-u', 'nobody', `127.0.0.1:${port}`, '100'], { stdio: 'ignore' });
  try {
    await waitForPort(port, 5000);
    const c = await openOk(port, policy({ maxMessagesPerConnection: 3 }), 'sink.test.example');
    assert.equal(c.tls, null);
    for (let i = 0; i < 3; i++) {
      assert.equal(c.usable, true);
      const out = await c.send(message(['bob@fabrikam.com', 'carol@fabrikam.com']));
      assert.deepEqual(
        out.map((o) => o.status),
        ['delivered', 'delivered'],
      );
      assert.match(out[0].reply, /^250 /);
    }
    assert.equal(c.messagesSent, 3);
    assert.equal(c.usable, false);
    await c.close();
  } finally {
    await stopChild(sink);
  }
});

// ---------------------------------------------------------------------------------------------
// Scriptable server

test('per-recipient 550 and 250 in one transaction; the accepted one is delivered', async () => {
  const srv = await new ScriptServer({
    rcpt: (addr) => (addr.startsWith('nobody') ? '550 5.1.1 <nobody@fabrikam.com>: Recipient address rejected: User unknown' : '250 2.1.5 Ok'),
  }).listen();
  try {
    const c = await openOk(srv.port, policy());
    const out = await c.send(message(['bob@fabrikam.com', 'nobody@fabrikam.com', 'carol@fabrikam.com']));
    assert.deepEqual(out, [
      { address: 'bob@fabrikam.com', status: 'delivered', reply: '250 2.0.0 Ok: queued' },
      { address: 'nobody@fabrikam.com', status: 'permanent', reply: '550 5.1.1 <nobody@fabrikam.com>: Recipient address rejected: User unknown' },
      { address: 'carol@fabrikam.com', status: 'delivered', reply: '250 2.0.0 Ok: queued' },
    ]);
    assert.equal(srv.messages.length, 1);
    assert.equal(srv.messages[0].rcpts.length, 2);
    // The connection stays usable for the next message.
    const again = await c.send(message(['bob@fabrikam.com']));
    assert.equal(again[0].status, 'delivered');
    await c.close();
  } finally {
    await srv.close();
  }
});

test('every recipient refused: outcomes per recipient, session reset and reusable', async () => {
  let refuse = true;
  const srv = await new ScriptServer({
    rcpt: (addr) => (refuse ? (addr.startsWith('a') ? '550 5.1.1 unknown' : '452 4.2.2 Mailbox full') : '250 2.1.5 Ok'),
  }).listen();
  try {
    const c = await openOk(srv.port, policy());
    const out = await c.send(message(['a@fabrikam.com', 'b@fabrikam.com']));
    assert.deepEqual(
      out.map((o) => [o.status, o.reply]),
      [
        ['permanent', '550 5.1.1 unknown'],
        ['transient', '452 4.2.2 Mailbox full'],
      ],
    );
    refuse = false;
    const again = await c.send(message(['a@fabrikam.com']));
    assert.equal(again[0].status, 'delivered');
    assert.ok(srv.commands.includes('RSET'));
    await c.close();
  } finally {
    await srv.close();
  }
});

test('421 at MAIL: every recipient transient with the peer reply, connection closed', async () => {
  const srv = await new ScriptServer({ mail: () => '421 4.3.2 Service shutting down' }).listen();
  try {
    const c = await openOk(srv.port, policy());
    const out = await c.send(message(['bob@fabrikam.com', 'carol@fabrikam.com']));
    assert.deepEqual(
      out.map((o) => [o.status, o.reply]),
      [
        ['transient', '421 4.3.2 Service shutting down'],
        ['transient', '421 4.3.2 Service shutting down'],
      ],
    );
    assert.equal(c.usable, false);
    const later = await c.send(message(['bob@fabrikam.com']));
    assert.equal(later[0].status, 'transient');
    await c.close();
  } finally {
    await srv.close();
  }
});

test('451 at RCPT for one recipient, 550 at MAIL for a whole message', async () => {
  let mailReply = '250 2.1.0 Ok';
  const srv = await new ScriptServer({
    mail: () => mailReply,
    rcpt: (addr) => (addr === 'later@fabrikam.com' ? '451 4.7.1 Greylisted, try again later' : '250 2.1.5 Ok'),
  }).listen();
  try {
    const c = await openOk(srv.port, policy());
    const out = await c.send(message(['bob@fabrikam.com', 'later@fabrikam.com']));
    assert.deepEqual(
      out.map((o) => o.status),
      ['delivered', 'transient'],
    );
    assert.equal(out[1].reply, '451 4.7.1 Greylisted, try again later');
    mailReply = '550 5.7.1 Sender rejected';
    const refused = await c.send(message(['bob@fabrikam.com', 'carol@fabrikam.com']));
    assert.deepEqual(
      refused.map((o) => [o.status, o.reply]),
      [
        ['permanent', '550 5.7.1 Sender rejected'],
        ['permanent', '550 5.7.1 Sender rejected'],
      ],
    );
    await c.close();
  } finally {
    await srv.close();
  }
});

test('451 to DATA, 554 after the data: whole-message outcomes; RCPT refusals kept', async () => {
  let dataReply = '451 4.3.0 Try again later';
  const srv = await new ScriptServer({
    rcpt: (addr) => (addr.startsWith('x') ? '550 5.1.1 unknown' : '250 2.1.5 Ok'),
    data: () => dataReply,
    endOfData: () => '554 5.7.1 Message content rejected',
  }).listen();
  try {
    const c = await openOk(srv.port, policy());
    const out = await c.send(message(['bob@fabrikam.com', 'x@fabrikam.com']));
    assert.deepEqual(
      out.map((o) => [o.status, o.reply]),
      [
        ['transient', '451 4.3.0 Try again later'],
        ['permanent', '550 5.1.1 unknown'],
      ],
    );
    dataReply = '354 go ahead';
    const out2 = await c.send(message(['bob@fabrikam.com', 'carol@fabrikam.com']));
    assert.deepEqual(
      out2.map((o) => [o.status, o.reply]),
      [
        ['permanent', '554 5.7.1 Message content rejected'],
        ['permanent', '554 5.7.1 Message content rejected'],
      ],
    );
    await c.close();
  } finally {
    await srv.close();
  }
});

test('connection dropped mid-DATA: every recipient transient, never delivered', async () => {
  const srv = await new ScriptServer({ dropAfterDataBytes: 10 }).listen();
  try {
    const c = await openOk(srv.port, policy());
    const out = await c.send(message(['bob@fabrikam.com', 'carol@fabrikam.com'], { body: Buffer.from('Subject: big\r\n\r\n' + 'x'.repeat(200000) + '\r\n') }));
    assert.deepEqual(
      out.map((o) => o.status),
      ['transient', 'transient'],
    );
    assert.match(out[0].reply, /^441 4\.4\.1 Error encountered while communicating with primary target IP address: ".*"/);
    assert.equal(c.usable, false);
    await c.close();
  } finally {
    await srv.close();
  }
});

test('connection refused on an unused loopback port: transient, stage connect', async () => {
  const port = await freePort();
  const f = await openFail(port, policy());
  assert.equal(f.kind, 'transient');
  assert.equal(f.stage, 'connect');
  assert.match(f.text, /^441 4\.4\.1 Error encountered while communicating with primary target IP address: "Failed to connect\. The remote server refused the connection \(ECONNREFUSED\)\."/);
});

test('greeting timeout: a server that never answers', async () => {
  const srv = await new ScriptServer({ greeting: null }).listen();
  try {
    const started = Date.now();
    const f = await openFail(srv.port, policy({ greetingTimeoutMs: 400 }));
    assert.ok(Date.now() - started < 3000);
    assert.equal(f.kind, 'transient');
    assert.equal(f.stage, 'greeting');
    assert.match(f.text, /sent no SMTP greeting within 400 ms/);
    assert.match(f.text, /The last endpoint attempted was 127\.0\.0\.1:\d+$/);
  } finally {
    await srv.close();
  }
});

test('a 554 greeting is a session-setup reply: transient, quoted verbatim', async () => {
  const srv = await new ScriptServer({ greeting: '554 5.7.1 No SMTP service here' }).listen();
  try {
    const f = await openFail(srv.port, policy());
    assert.equal(f.kind, 'transient');
    assert.equal(f.stage, 'greeting');
    assert.match(f.text, /^451 4\.4\.0 Primary target IP address responded with: "554 5\.7\.1 No SMTP service here\."/);
  } finally {
    await srv.close();
  }
});

test('opportunistic STARTTLS with a self-signed peer, TlsAuthLevel null and EncryptionOnly', async () => {
  const srv = await new ScriptServer({ certificate }).listen();
  try {
    for (const level of [null, 'EncryptionOnly'] as const) {
      const c = await openOk(srv.port, policy({ tlsAuthLevel: level }));
      assert.ok(c.tls, 'TLS in use');
      assert.match(c.tls.protocol, /^TLSv1\.[23]$/);
      assert.equal(c.tls.authorized, false);
      const out = await c.send(message(['bob@fabrikam.com']));
      assert.equal(out[0].status, 'delivered');
      await c.close();
    }
    assert.equal(srv.commands.filter((x) => x === 'STARTTLS').length, 2);
  } finally {
    await srv.close();
  }
});

test('opportunistic: a broken TLS handshake is retried once in plaintext; required: transient, no retry', async () => {
  const srv = await new ScriptServer({ certificate, breakTls: true }).listen();
  try {
    const c = await openOk(srv.port, policy());
    assert.equal(c.tls, null);
    assert.equal((await c.send(message(['bob@fabrikam.com'])))[0].status, 'delivered');
    await c.close();
    assert.equal(srv.peers.length, 2);
    assert.equal(srv.commands.filter((x) => x === 'STARTTLS').length, 1);

    const f = await openFail(srv.port, policy({ tls: 'required' }));
    assert.equal(f.stage, 'tls');
    assert.equal(f.kind, 'transient');
    assert.match(f.text, /^441 4\.4\.1 Error encountered while communicating with primary target IP address: "TLS negotiation failed: /);
    assert.equal(srv.peers.length, 3);
  } finally {
    await srv.close();
  }
});

test('STARTTLS refused with 454: opportunistic goes on in plaintext, required fails quoting the reply', async () => {
  const srv = await new ScriptServer({ certificate, starttlsReply: '454 4.7.0 TLS not available due to local problem' }).listen();
  try {
    const c = await openOk(srv.port, policy());
    assert.equal(c.tls, null);
    assert.equal((await c.send(message(['bob@fabrikam.com'])))[0].status, 'delivered');
    await c.close();
    const f = await openFail(srv.port, policy({ tls: 'required' }));
    assert.equal(f.stage, 'tls');
    assert.match(f.text, /^451 4\.4\.0 Primary target IP address responded with: "454 4\.7\.0 TLS not available due to local problem\."/);
  } finally {
    await srv.close();
  }
});

test('tls never (IgnoreSTARTTLS): no STARTTLS although offered', async () => {
  const srv = await new ScriptServer({ certificate }).listen();
  try {
    const c = await openOk(srv.port, policy({ tls: 'never' }));
    assert.equal(c.tls, null);
    await c.close();
    assert.ok(!srv.commands.includes('STARTTLS'));
  } finally {
    await srv.close();
  }
});

test('tls required, peer without STARTTLS: 451 5.7.3, no STARTTLS and no AUTH sent', async () => {
  const srv = await new ScriptServer({ auth: { user: 'relay', pass: 'S3cret', requireTls: false } }).listen();
  try {
    const f = await openFail(srv.port, policy({ tls: 'required', auth: { username: 'relay', password: 'S3cret', mechanism: 'BasicAuthRequireTLS' } }));
    assert.deepEqual(f, { kind: 'transient', text: '451 5.7.3 STARTTLS is required to send mail', stage: 'tls' });
    assert.equal(srv.sawAuth, false);
    assert.ok(!srv.commands.includes('STARTTLS'));
    assert.ok(!srv.commands.some((x) => x.startsWith('MAIL')));
  } finally {
    await srv.close();
  }
});

test('AUTH after STARTTLS: right password delivers, wrong password is transient (stage auth)', async () => {
  const srv = await new ScriptServer({ certificate, auth: { user: 'relay@contoso.com', pass: 'S3cret', requireTls: true } }).listen();
  const trustedCertificates = [certificate.certificatePem];
  try {
    const good = await openOk(srv.port, policy({ tls: 'required', trustedCertificates, auth: { username: 'relay@contoso.com', password: 'S3cret', mechanism: 'BasicAuthRequireTLS' } }));
    assert.ok(good.tls);
    const out = await good.send(message(['bob@fabrikam.com']));
    assert.equal(out[0].status, 'delivered');
    await good.close();
    const starttlsAt = srv.commands.indexOf('STARTTLS');
    const authAt = srv.commands.findIndex((x) => x.startsWith('AUTH'));
    assert.ok(starttlsAt >= 0 && authAt > starttlsAt, 'AUTH only after STARTTLS');

    const bad = await openFail(srv.port, policy({ tls: 'required', trustedCertificates, auth: { username: 'relay@contoso.com', password: 'wrong', mechanism: 'BasicAuthRequireTLS' } }));
    assert.equal(bad.kind, 'transient');
    assert.equal(bad.stage, 'auth');
    assert.match(bad.text, /^451 4\.4\.0 Primary target IP address responded with: "535 5\.7\.8 Error: authentication failed\."/);
  } finally {
    await srv.close();
  }
});

test('CertificateValidation: trusted peer certificate passes, untrusted is transient 454 4.7.5', async () => {
  const srv = await new ScriptServer({ certificate }).listen();
  try {
    const ok = await openOk(srv.port, policy({ tls: 'required', tlsAuthLevel: 'CertificateValidation', trustedCertificates: [certificate.certificatePem] }));
    assert.equal(ok.tls?.authorized, true);
    await ok.close();

    const f = await openFail(srv.port, policy({ tls: 'required', tlsAuthLevel: 'CertificateValidation' }));
    assert.equal(f.kind, 'transient');
    assert.equal(f.stage, 'tls');
    assert.match(f.text, /^454 4\.7\.5 The certificate presented by mx\.test\.example \[127\.0\.0\.1:\d+\] failed CertificateValidation: self[- ]signed certificate\. \(DEPTH_ZERO_SELF_SIGNED_CERT\)\. Trust the issuing CA/);
    assert.equal(srv.messages.length, 0);
  } finally {
    await srv.close();
  }
});

test('DomainValidation: matching TlsDomain passes, a wrong one is transient and names both', async () => {
  const srv = await new ScriptServer({ certificate }).listen();
  try {
    const trusted = [certificate.certificatePem, otherCertificate.certificatePem];
    const ok = await openOk(srv.port, policy({ tls: 'required', tlsAuthLevel: 'DomainValidation', trustedCertificates: trusted, tlsDomain: '*.test.example' }));
    await ok.close();
    const byHost = await openOk(srv.port, policy({ tls: 'required', tlsAuthLevel: 'DomainValidation', trustedCertificates: trusted }));
    await byHost.close();

    const f = await openFail(srv.port, policy({ tls: 'required', tlsAuthLevel: 'DomainValidation', trustedCertificates: trusted, tlsDomain: 'contoso.com' }));
    assert.equal(f.kind, 'transient');
    assert.equal(f.stage, 'tls');
    assert.match(f.text, /^454 4\.7\.5 .* failed DomainValidation: the certificate does not carry the name contoso\.com \(it names mx\.test\.example\)\. \(ERR_TLS_CERT_TLSDOMAIN_MISMATCH\)\. Set TlsDomain/);
  } finally {
    await srv.close();
  }
});

// ---------------------------------------------------------------------------------------------
// Who gets the credential: only a peer whose certificate chains to a trusted certificate and
// carries the target's name, unless TlsAuthLevel is EncryptionOnly. The peers listen on
// 127.10.91.0/24.

const TRUST_PEER = '127.10.91.10';
const relayAuth = { username: 'relay@contoso.com', password: 'S3cret', mechanism: 'BasicAuthRequireTLS' as const };

test('credential: an untrusted certificate gets no AUTH and a QUIT, and the failure says why and what to change', async () => {
  const srv = await new ScriptServer({ certificate, auth: { user: 'relay@contoso.com', pass: 'S3cret', requireTls: true } }).listen(TRUST_PEER);
  try {
    const f = await openFail(srv.port, policy({ tls: 'required', auth: relayAuth, connector: { name: 'To Internal Org', requireTls: false } }), 'mx.test.example', TRUST_PEER);
    assert.equal(f.kind, 'transient');
    assert.equal(f.stage, 'tls');
    assert.match(
      f.text,
      new RegExp(
        `^454 4\\.7\\.5 The certificate presented by mx\\.test\\.example \\[${TRUST_PEER.replace(/\./g, '\\.')}:\\d+\\] does not chain to a trusted certificate \\(DEPTH_ZERO_SELF_SIGNED_CERT\\); the AuthenticationCredential of Send connector "To Internal Org" was not sent\\.`,
      ),
    );
    assert.match(f.text, /Import-ExchangeCertificate -FileName <file>\. Or, to send the credential without checking the peer: Set-SendConnector "To Internal Org" -RequireTLS \$true -TlsAuthLevel EncryptionOnly\.$/);
    assert.equal(f.tls?.authorized, false, 'the session the decision was made on comes with the failure');
    assert.deepEqual(f.tls?.identity, { name: 'mx.test.example', matches: true });
    await waitFor(() => srv.commands.includes('QUIT'), 3000, 'QUIT');
    assert.deepEqual(
      srv.commands.filter((c) => !/^EHLO /.test(c)),
      ['STARTTLS', 'QUIT'],
      'STARTTLS, then QUIT: no AUTH, no MAIL',
    );
    assert.equal(srv.sawAuth, false);
  } finally {
    await srv.close();
  }
});

test('credential: a trusted certificate (imported, or issued by an imported CA) that carries the name gets AUTH and the mail', async () => {
  const ca = certificateAuthority('Contoso Test Root');
  const issued = ca.issue('mx.test.example', ['mx.test.example']);
  for (const [what, cert, trusted] of [
    ['the peer certificate itself', certificate, certificate.certificatePem],
    ['a CA', issued, ca.certificatePem],
  ] as const) {
    const srv = await new ScriptServer({ certificate: cert, auth: { user: 'relay@contoso.com', pass: 'S3cret', requireTls: true } }).listen(TRUST_PEER);
    try {
      const c = await openOk(srv.port, policy({ tls: 'required', auth: relayAuth, trustedCertificates: [otherCertificate.certificatePem, trusted] }), 'MX.test.example', TRUST_PEER);
      assert.equal(c.tls?.authorized, true, what);
      assert.equal((await c.send(message(['bob@fabrikam.com'])))[0].status, 'delivered', what);
      await c.close();
      assert.ok(srv.sawAuth, what);
      assert.equal(srv.messages.length, 1, what);
    } finally {
      await srv.close();
    }
  }
});

test('credential: a trusted certificate for another name is refused, also under CertificateValidation; a wildcard covers one label', async () => {
  const ca = certificateAuthority('Contoso Test Root');
  const wrong = ca.issue('impostor.example', ['impostor.example', 'mail.fabrikam.com']);
  const srv = await new ScriptServer({ certificate: wrong, auth: { user: 'relay@contoso.com', pass: 'S3cret', requireTls: true } }).listen(TRUST_PEER);
  try {
    for (const level of [null, 'CertificateValidation'] as const) {
      const f = await openFail(srv.port, policy({ tls: 'required', tlsAuthLevel: level, auth: relayAuth, trustedCertificates: [ca.certificatePem] }), 'mx.test.example', TRUST_PEER);
      assert.equal(f.stage, 'tls');
      assert.match(
        f.text,
        /^454 4\.7\.5 The certificate presented by mx\.test\.example \[[\d.:]+\] does not carry the name mx\.test\.example \(it names impostor\.example, mail\.fabrikam\.com\); the credential was not sent\. Have mx\.test\.example present a certificate for mx\.test\.example\./,
      );
      assert.doesNotMatch(f.text, /Import-ExchangeCertificate/, 'the chain is trusted');
    }
    assert.equal(srv.sawAuth, false);
  } finally {
    await srv.close();
  }
  const wildcard = await new ScriptServer({ certificate: ca.issue('*.test.example', ['*.test.example']), auth: { user: 'relay@contoso.com', pass: 'S3cret', requireTls: true } }).listen(TRUST_PEER);
  try {
    const c = await openOk(wildcard.port, policy({ tls: 'required', auth: relayAuth, trustedCertificates: [ca.certificatePem] }), 'mx.test.example', TRUST_PEER);
    await c.close();
    const f = await openFail(wildcard.port, policy({ tls: 'required', auth: relayAuth, trustedCertificates: [ca.certificatePem] }), 'a.mx.test.example', TRUST_PEER);
    assert.match(f.text, /does not carry the name a\.mx\.test\.example \(it names \*\.test\.example\)/);
    assert.equal(wildcard.commands.filter((x) => /^AUTH /.test(x)).length, 1, 'AUTH only on the matching connection');
  } finally {
    await wildcard.close();
  }
});

test('credential: an IP-literal target must be an IP address SAN of a trusted certificate', async () => {
  const byIp = selfSigned('smart.test.example', ['smart.test.example', TRUST_PEER]);
  const byName = selfSigned(TRUST_PEER, ['smart.test.example']);
  for (const [cert, ok] of [
    [byIp, true],
    [byName, false],
  ] as const) {
    const srv = await new ScriptServer({ certificate: cert, auth: { user: 'relay@contoso.com', pass: 'S3cret', requireTls: true } }).listen(TRUST_PEER);
    try {
      const p = policy({ tls: 'required', auth: relayAuth, trustedCertificates: [cert.certificatePem] });
      if (ok) {
        const c = await openOk(srv.port, p, TRUST_PEER, TRUST_PEER);
        await c.close();
        assert.ok(srv.sawAuth);
      } else {
        const f = await openFail(srv.port, p, TRUST_PEER, TRUST_PEER);
        assert.match(f.text, /does not carry the IP address 127\.10\.91\.10 \(it names smart\.test\.example\)/, 'a CN that looks like the address does not count');
        assert.equal(srv.sawAuth, false);
      }
    } finally {
      await srv.close();
    }
  }
});

test('credential: TlsAuthLevel EncryptionOnly sends it to any certificate, as the connector says', async () => {
  const srv = await new ScriptServer({ certificate: otherCertificate, auth: { user: 'relay@contoso.com', pass: 'S3cret', requireTls: true } }).listen(TRUST_PEER);
  try {
    const c = await openOk(srv.port, policy({ tls: 'required', tlsAuthLevel: 'EncryptionOnly', auth: relayAuth }), 'mx.test.example', TRUST_PEER);
    assert.equal(c.tls?.authorized, false);
    assert.equal(c.tls?.identity?.matches, false);
    assert.equal((await c.send(message(['bob@fabrikam.com'])))[0].status, 'delivered');
    await c.close();
    assert.ok(srv.sawAuth);
  } finally {
    await srv.close();
  }
});

test('sourceAddress binding is what the peer sees', async () => {
  const srv = await new ScriptServer({}).listen();
  try {
    const c = await openOk(srv.port, policy({ sourceAddress: '127.10.1.2' }));
    await c.close();
    const any = await openOk(srv.port, policy({ sourceAddress: '0.0.0.0' }));
    await any.close();
    assert.deepEqual(srv.peers, ['127.10.1.2', '127.0.0.1']);
  } finally {
    await srv.close();
  }
});

test('DSN parameters on the wire when the peer advertises DSN, none when it does not', async () => {
  const dsn = await new ScriptServer({ extensions: ['PIPELINING', 'SIZE 10485760', '8BITMIME', 'DSN', 'SMTPUTF8'] }).listen();
  const plain = await new ScriptServer({ extensions: ['8BITMIME'] }).listen();
  const m = message([], {
    envid: 'QQ314159+x',
    ret: 'HDRS',
    bodyType: '8BITMIME',
    recipients: [
      { address: 'bob@fabrikam.com', notify: ['SUCCESS', 'FAILURE'], orcpt: 'rfc822;bob@fabrikam.com' },
      { address: 'carol@fabrikam.com', notify: ['NEVER'] },
      { address: 'dave@fabrikam.com', orcpt: 'dave+tag@fabrikam.com' },
    ],
  });
  try {
    const c = await openOk(dsn.port, policy());
    assert.deepEqual(
      (await c.send(m)).map((o) => o.status),
      ['delivered', 'delivered', 'delivered'],
    );
    await c.close();
    const mail = dsn.commands.find((x) => x.startsWith('MAIL'));
    assert.equal(mail, `MAIL FROM:<alice@contoso.com> SIZE=${m.body.length} BODY=8BITMIME RET=HDRS ENVID=QQ314159+2Bx`);
    assert.deepEqual(
      dsn.commands.filter((x) => x.startsWith('RCPT')),
      ['RCPT TO:<bob@fabrikam.com> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;bob@fabrikam.com', 'RCPT TO:<carol@fabrikam.com> NOTIFY=NEVER', 'RCPT TO:<dave@fabrikam.com> ORCPT=rfc822;dave+2Btag@fabrikam.com'],
    );

    const p = await openOk(plain.port, policy());
    await p.send(m);
    await p.close();
    assert.equal(
      plain.commands.find((x) => x.startsWith('MAIL')),
      'MAIL FROM:<alice@contoso.com> BODY=8BITMIME',
    );
    assert.ok(plain.commands.filter((x) => x.startsWith('RCPT')).every((x) => !x.includes('NOTIFY') && !x.includes('ORCPT')));
  } finally {
    await dsn.close();
    await plain.close();
  }
});

test('ForceHELO sends HELO; SMTPUTF8 content to a peer without SMTPUTF8 is refused permanently', async () => {
  const srv = await new ScriptServer({}).listen();
  try {
    const c = await openOk(srv.port, policy({ forceHelo: true }));
    assert.ok(srv.commands.includes('HELO edge01.contoso.net'));
    assert.ok(!srv.commands.some((x) => x.startsWith('EHLO')));
    const out = await c.send(message(['bob@fabrikam.com'], { smtputf8: true }));
    assert.equal(out[0].status, 'permanent');
    assert.match(out[0].reply, /^554 5\.6\.9 /);
    const addr = await c.send(message(['jörg@fabrikam.com']));
    assert.match(addr[0].reply, /^554 5\.6\.7 /);
    assert.ok(!srv.commands.some((x) => x.startsWith('MAIL')));
    const ok = await c.send(message(['bob@fabrikam.com']));
    assert.equal(ok[0].status, 'delivered');
    await c.close();
  } finally {
    await srv.close();
  }
});

test('SMTPUTF8 and BINARYMIME to a peer that supports SMTPUTF8', async () => {
  const srv = await new ScriptServer({ extensions: ['8BITMIME', 'SMTPUTF8'] }).listen();
  try {
    const c = await openOk(srv.port, policy());
    const out = await c.send(message(['jörg@fabrikam.com'], { smtputf8: true, bodyType: '8BITMIME' }));
    assert.equal(out[0].status, 'delivered');
    assert.equal(
      srv.commands.find((x) => x.startsWith('MAIL')),
      'MAIL FROM:<alice@contoso.com> BODY=8BITMIME SMTPUTF8',
    );
    const binary = await c.send(message(['bob@fabrikam.com'], { bodyType: 'BINARYMIME', body: Buffer.from([0x41, 0x00, 0x0a, 0x42, 0x0d, 0x0a]) }));
    assert.equal(binary[0].status, 'permanent');
    assert.match(binary[0].reply, /^554 5\.6\.3 /);
    await c.close();
  } finally {
    await srv.close();
  }
});

// ---------------------------------------------------------------------------------------------
// aiosmtpd: STARTTLS required by the peer, AUTH only inside TLS

test('aiosmtpd peer: STARTTLS then AUTH LOGIN delivers; wrong password transient; no TLS -> 451 5.7.3', needs('aiosmtpd'), async () => {
  const dir = mkdtempSync(join(tmpdir(), 'outbound-aiosmtpd-'));
  const port = await freePort();
  const peer = await startAiosmtpd({ dir, host: '127.0.0.1', port, certificatePem: certificate.certificatePem, privateKeyPem: certificate.privateKeyPem, user: 'relay@contoso.com', password: 'S3cret' });
  try {
    await waitForPort(port, 8000);
    const auth = { username: 'relay@contoso.com', password: 'S3cret', mechanism: 'BasicAuthRequireTLS' as const };
    const c = await openOk(port, policy({ tls: 'required', tlsAuthLevel: 'CertificateValidation', trustedCertificates: [certificate.certificatePem], auth }));
    assert.equal(c.tls?.authorized, true);
    const res = await c.send(message(['bob@fabrikam.com']));
    assert.deepEqual(
      res.map((o) => [o.status, o.reply]),
      [['delivered', '250 2.0.0 Ok: stored']],
    );
    await c.close();
    const deadline = Date.now() + 3000;
    while (!peer.output().includes('MSG') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.match(peer.output(), /MSG alice@contoso\.com \['bob@fabrikam\.com'\] tls=True auth=True/);

    const wrong = await openFail(port, policy({ tls: 'required', trustedCertificates: [certificate.certificatePem], auth: { ...auth, password: 'nope' } }));
    assert.equal(wrong.kind, 'transient');
    assert.equal(wrong.stage, 'auth');
    assert.match(wrong.text, /responded with: "535 /);

    const never = await openFail(port, policy({ tls: 'never', auth }));
    assert.equal(never.text, '451 5.7.3 STARTTLS is required to send mail');
  } finally {
    await peer.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

after(() => undefined);
