// The seed's Edge, running: Receive connectors on two loopback addresses
// (external 127.10.11.1, internal 127.10.11.2; the Mailbox servers are
// 127.168.5.10 and .20), driven by swaks and Python's smtplib from allowed and
// disallowed source addresses.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { gatehouse, scratchDir } from './harness/gatehouse.js';
import { startService, type RunningService } from './harness/service.js';

const EXTERNAL = '127.10.11.1';
const INTERNAL = '127.10.11.2';
const MOVED = '127.10.11.3';
const PASSWORD = 'Relay-Pass-7731';

function swaks(args: string[]) {
  return spawnSync('swaks', ['--ehlo', 'mx.fabrikam.com', '--timeout', '15', ...args], { encoding: 'utf8', timeout: 60_000 });
}

function python(code: string) {
  return spawnSync('python3', ['-c', code], { encoding: 'utf8', timeout: 60_000 });
}

const SMTPLIB = `
import smtplib, ssl, sys, time
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
`;

describe('Receive connectors of the seed, live', () => {
  const dir = scratchDir('inbound');
  const data = join(dir.path, 'EDGE01');
  let service: RunningService;

  before(async () => {
    const s = await gatehouse(['setup', '--role', 'EdgeTransport', '--name', 'EDGE01', '--fqdn', 'edge01.contoso.net', '--data', data]);
    assert.equal(s.code, 0, s.stderr);
    const configure = [
      'New-AcceptedDomain Contoso -DomainName contoso.com',
      `Set-ReceiveConnector "Default internal Receive connector Edge01" -Name "From Internet" -Bindings ${EXTERNAL}:25 -TarpitInterval 00:00:00`,
      `New-ReceiveConnector -Name "From Internal Org" -Usage Internal -AuthMechanism TLS,BasicAuth,BasicAuthRequireTLS,ExchangeServer -Bindings ${INTERNAL}:25 -RemoteIPRanges 127.168.5.10,127.168.5.20 -AuthTarpitInterval 00:00:01`,
      `New-LocalUser -Name mbxrelay -Password (ConvertTo-SecureString "${PASSWORD}" -AsPlainText -Force)`,
      'Add-LocalGroupMember -Group "Exchange Servers" -Member mbxrelay',
      `New-LocalUser -Name outsider -Password (ConvertTo-SecureString "${PASSWORD}" -AsPlainText -Force)`,
    ].join('\n');
    const c = await gatehouse(['shell', '--data', data], { input: configure + '\n' });
    assert.equal(c.code, 0, c.stderr);
    service = await startService(data);
  });

  after(async () => {
    if (service) assert.equal(await service.stop(), 0, 'SIGTERM ends the service cleanly');
    dir.remove();
  });

  it('names every bound address in the readiness line', () => {
    const ready = service.lines.find((l) => l.event === 'service.ready')!;
    assert.deepEqual(ready.listening, [`${EXTERNAL}:25 (EDGE01\\From Internet)`, `${INTERNAL}:25 (EDGE01\\From Internal Org)`]);
  });

  it('accepts Internet mail for an accepted domain on the external binding (swaks)', () => {
    const r = swaks(['--server', `${EXTERNAL}:25`, '--from', 'alice@fabrikam.com', '--to', 'bob@contoso.com', '--header', 'Subject: from the Internet', '--body', 'Hello Bob']);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /<- {2}220 edge01\.contoso\.net Gatehouse ESMTP ready/);
    assert.match(r.stdout, /<- {2}250 2\.6\.0 <[^>]+> \[InternalId=\d+, Hostname=edge01\.contoso\.net\] Queued mail for delivery/);
  });

  it('refuses to relay to a foreign domain there (swaks)', () => {
    const r = swaks(['--server', `${EXTERNAL}:25`, '--from', 'alice@fabrikam.com', '--to', 'carol@woodgrove.com']);
    assert.equal(r.status, 24, r.stdout + r.stderr);
    assert.match(r.stdout, /<\*\* 550 5\.7\.1 Unable to relay/);
  });

  it('closes the internal connector to an address outside its RemoteIPRanges', () => {
    const r = swaks(['--server', `${INTERNAL}:25`, '--local-interface', '127.0.0.9', '--from', 'x@fabrikam.com', '--to', 'bob@contoso.com']);
    assert.notEqual(r.status, 0);
    assert.doesNotMatch(r.stdout, /<- {2}220/);
  });

  it('offers AUTH only after STARTTLS, then relays anywhere for a member of Exchange Servers (smtplib)', () => {
    const r = python(
      SMTPLIB +
        `
s = smtplib.SMTP('${INTERNAL}', 25, local_hostname='mbxserver01.contoso.com', source_address=('127.168.5.10', 0), timeout=20)
s.ehlo(); print('before-tls-auth', s.has_extn('auth'))
try:
    s.login('mbxrelay', '${PASSWORD}')
except smtplib.SMTPException as e:
    print('login-before-tls', type(e).__name__)
s.starttls(context=ctx); s.ehlo()
print('after-tls-auth', s.esmtp_features.get('auth'))
s.login('mbxrelay', '${PASSWORD}')
print('refused', s.sendmail('bob@contoso.com', ['carol@woodgrove.com'], 'Subject: outbound\\r\\n\\r\\nrelay me\\r\\n'))
s.quit()
`,
    );
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /before-tls-auth False/);
    assert.match(r.stdout, /login-before-tls SMTPNotSupportedError/);
    assert.match(r.stdout, /after-tls-auth +LOGIN PLAIN/);
    assert.match(r.stdout, /refused \{\}/);
  });

  it('gives an authenticated account outside Exchange Servers no right to submit here', () => {
    const r = python(
      SMTPLIB +
        `
s = smtplib.SMTP('${INTERNAL}', 25, source_address=('127.168.5.20', 0), timeout=20)
s.starttls(context=ctx); s.login('outsider', '${PASSWORD}')
try:
    s.sendmail('bob@contoso.com', ['carol@woodgrove.com'], 'Subject: x\\r\\n\\r\\nx\\r\\n')
except smtplib.SMTPSenderRefused as e:
    print('sender-refused', e.smtp_code, e.smtp_error.decode())
`,
    );
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /sender-refused 550 5\.7\.1 Client does not have permissions to submit to this server/);
  });

  it('refuses bad passwords after the tarpit delay and disconnects after MaxLogonFailures', () => {
    const r = python(
      SMTPLIB +
        `
s = smtplib.SMTP('${INTERNAL}', 25, source_address=('127.168.5.10', 0), timeout=20)
s.starttls(context=ctx); s.ehlo()
for i in range(3):
    t = time.monotonic()
    code, msg = s.docmd('AUTH', 'PLAIN ' + __import__('base64').b64encode(b'\\0mbxrelay\\0wrong').decode())
    print('attempt', i, code, msg.decode(), round(time.monotonic() - t, 1))
try:
    print('after', s.noop())
except smtplib.SMTPServerDisconnected:
    print('disconnected')
`,
    );
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const attempts = [...r.stdout.matchAll(/attempt (\d) (\d+) (.*) ([\d.]+)\n/g)];
    assert.equal(attempts.length, 3, r.stdout);
    for (const a of attempts) {
      assert.equal(a[2], '535');
      assert.ok(Number(a[4]) >= 0.9, `tarpit delay missing: ${a[0]}`);
    }
    assert.match(r.stdout, /disconnected|after \(421/);
  });

  it('moves a listener within two seconds when Set-ReceiveConnector -Bindings changes, keeping other sessions', async () => {
    // An open session on the unchanged internal binding.
    const open = connect({ host: INTERNAL, port: 25, localAddress: '127.168.5.20' });
    let openData = '';
    open.setEncoding('utf8').on('data', (d: string) => {
      openData += d;
    });
    await new Promise((r) => open.once('data', r));
    const r = await gatehouse(['shell', '--data', data, '-c', `Set-ReceiveConnector "From Internet" -Bindings ${MOVED}:25`]);
    assert.equal(r.code, 0, r.stderr);
    const started = Date.now();
    await service.waitFor((l) => l.event === 'config.applied', 5000, 'config.applied');
    let moved = false;
    while (Date.now() - started < 4000 && !moved) {
      moved = swaks(['--server', `${MOVED}:25`, '--quit-after', 'BANNER']).status === 0;
      if (!moved) await new Promise((res) => setTimeout(res, 100));
    }
    assert.ok(moved, 'the new binding answers');
    assert.ok(Date.now() - started < 2500, `took ${Date.now() - started} ms`);
    assert.equal(swaks(['--server', `${EXTERNAL}:25`, '--quit-after', 'BANNER']).status, 2, 'the old binding is closed');
    open.write('NOOP\r\n');
    await new Promise((res) => setTimeout(res, 200));
    assert.match(openData, /250 2\.0\.0 OK/, 'the session on the unchanged binding survived');
    open.end();
  });

  it('wrote every accepted message and its RECEIVE event to the queue', () => {
    const db = new Database(join(data, 'queue.db'), { readonly: true });
    try {
      const messages = db.prepare('SELECT id, envelope FROM messages ORDER BY id').all() as { id: number; envelope: string }[];
      assert.equal(messages.length, 2);
      const outbound = JSON.parse(messages[1].envelope) as { authenticatedAs: string; tls: { protocol: string }; connector: string };
      assert.equal(outbound.authenticatedAs, 'EDGE01\\mbxrelay');
      assert.equal(outbound.connector, 'EDGE01\\From Internal Org');
      assert.match(outbound.tls.protocol, /^TLSv1\.[23]$/);
      const body = (db.prepare('SELECT data FROM bodies WHERE message = ?').get(messages[1].id) as { data: Buffer }).data.toString();
      assert.match(body, /^Received: from mbxserver01\.contoso\.com \(127\.168\.5\.10\) by edge01\.contoso\.net \(127\.10\.11\.2\) \(version=TLSv1\.[23] cipher=\S+\) with ESMTPSA id \S+ for <carol@woodgrove\.com>; /);
      assert.match(body, /\r\nMessage-ID: <[^>]+@edge01\.contoso\.net>\r\n/);
      const events = db.prepare("SELECT COUNT(*) AS n FROM tracking_events WHERE event_id = 'RECEIVE'").get() as { n: number };
      assert.equal(events.n, 2);
      // The same events in the daily tracking log files.
      const folder = join(data, 'Logs', 'MessageTracking');
      const text = readdirSync(folder)
        .map((f) => readFileSync(join(folder, f), 'utf8'))
        .join('');
      assert.match(text, /#Log-type: Message Tracking Log/);
      assert.equal((text.match(/,SMTP,RECEIVE,/g) ?? []).length, 2);
    } finally {
      db.close();
    }
  });
});
