// Secrets at rest, end to end on a real Edge server: a Send connector
// credential given through Get-Credential, local accounts with passwords, a
// generated and an imported (.pfx) certificate with private keys; the service
// runs, takes AUTH (LOGIN and PLAIN) inside TLS, relays a message with AUTH
// through a smart host (aiosmtpd), and writes verbose protocol logs. Then:
// - no password (plain, base64, base64 of AUTH PLAIN's "\0user\0password") and
//   no private key (PEM body, DER bytes) is in any file of the server folder
//   (databases with their -wal/-shm files, logs, protocol logs, tracking
//   logs), nor in the service's /proc/<pid>/cmdline or environ; the same
//   scanner does find them in a file written on purpose (positive control);
// - the master key is 0600 in a folder only its owner can read;
// - a copy of the databases without the key file, or with another key, cannot
//   reveal the credentials: the shell and the service say the key is missing
//   or does not match, and print no plaintext.
// The same holds for a Mailbox server, whose accounts and connectors live in the
// organization store shared by the Mailbox servers (organization.db, sealed
// with organization.key): mailbox and directory passwords, the seed's "To
// Edge" credential, AUTH on the client submission connector.
// (Sealing itself, tampering and key-file permissions are unit-tested in src/secrets.)

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { certificateSchema } from '../src/config/model/certificate.js';
import type { StoredCredential } from '../src/config/model/credential.js';
import { sendConnectorSchema } from '../src/config/model/send-connector.js';
import { createMasterKey } from '../src/secrets/master-key.js';
import Database from 'better-sqlite3';
import { openServer } from '../src/setup/server-folder.js';
import { gatehouse, scratchDir } from './harness/gatehouse.js';
import { startAiosmtpd, until, type Peer } from './harness/peers.js';
import { recordFigure } from './harness/report.js';
import { startService, type RunningService } from './harness/service.js';
import { needs } from './harness/tools.js';

const EDGE = '127.10.83.101';
const SMART_HOST = '127.168.83.60';
const SMART_HOST_PORT = 2525;
const PW = {
  smartHost: 'Smart-Host-Secret-8841',
  mbxrelay: 'Local-Relay-Secret-2290',
  outsider: 'Outsider-Secret-6617',
  pfx: 'Pfx-Import-Secret-3375',
};
const SMART_USER = 'relay@woodgrove.com';

/** A secret and the byte strings that would give it away. */
interface Needle {
  secret: string;
  form: string;
  bytes: Buffer;
}

function passwordNeedles(name: string, user: string, password: string): Needle[] {
  return [
    { secret: name, form: 'plain', bytes: Buffer.from(password) },
    { secret: name, form: 'base64', bytes: Buffer.from(Buffer.from(password).toString('base64').replace(/=+$/, '')) },
    { secret: name, form: 'base64 AUTH PLAIN', bytes: Buffer.from(Buffer.from(`\0${user}\0${password}`).toString('base64').replace(/=+$/, '')) },
    { secret: name, form: 'UTF-16LE', bytes: Buffer.from(password, 'utf16le') },
  ];
}

function keyNeedles(name: string, privateKeyPem: string): Needle[] {
  const body = privateKeyPem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  const der = Buffer.from(body, 'base64');
  return [
    { secret: name, form: 'PEM body line', bytes: Buffer.from(body.slice(64, 128)) },
    { secret: name, form: 'DER', bytes: der },
    { secret: name, form: 'DER slice', bytes: der.subarray(Math.floor(der.length / 2), Math.floor(der.length / 2) + 48) },
  ];
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : e.isFile() ? [join(dir, e.name)] : []));
}

/** Every (file, secret, form) where a needle occurs in the raw bytes. */
function scan(sources: { name: string; bytes: Buffer }[], needles: Needle[]): string[] {
  return sources.flatMap((s) => needles.filter((n) => s.bytes.includes(n.bytes)).map((n) => `${s.name}: ${n.secret} (${n.form})`));
}

const fileSources = (dir: string) => filesUnder(dir).map((f) => ({ name: f.slice(dir.length + 1), bytes: readFileSync(f) }));

describe('secrets at rest on a running Edge server', needs('aiosmtpd'), () => {
  const dir = scratchDir('secrets-at-rest');
  const data = join(dir.path, 'EDGE01');
  const material = join(dir.path, 'material');
  let service: RunningService | undefined;
  let peer: Peer & { output(): string };
  const needles: Needle[] = [];

  const shell = async (folder: string, script: string[]) => {
    const r = await gatehouse(['shell', '--data', folder], { input: script.join('\n') + '\n' });
    assert.equal(r.code, 0, `${script.join('\n')}\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  };
  const swaks = (args: string[]) => spawnSync('swaks', ['--server', `${EDGE}:25`, '--ehlo', 'mbxserver01.contoso.com', '--timeout', '15', ...args], { encoding: 'utf8', timeout: 60_000 });

  before(async () => {
    mkdirSync(material, { recursive: true });
    const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: material, stdio: 'pipe' });
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'import-key.pem', '-out', 'import-cert.pem', '-days', '30', '-subj', '/CN=mail.contoso.com');
    openssl('pkcs12', '-export', '-in', 'import-cert.pem', '-inkey', 'import-key.pem', '-out', 'mail.pfx', '-passout', `pass:${PW.pfx}`);
    // The smart host's certificate carries its address (the connector names it by IP) and is imported on the Edge: the credential goes only to it.
    openssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'peer-key.pem',
      '-out',
      'peer-cert.pem',
      '-days',
      '30',
      '-subj',
      '/CN=smarthost.woodgrove.com',
      '-addext',
      `subjectAltName=DNS:smarthost.woodgrove.com,IP:${SMART_HOST}`,
    );

    assert.equal((await gatehouse(['setup', '--role', 'EdgeTransport', '--name', 'EDGE01', '--fqdn', 'edge01.contoso.net', '--data', data])).code, 0);
    await shell(data, [
      'New-AcceptedDomain Contoso -DomainName contoso.com',
      `New-LocalUser -Name mbxrelay -Password (ConvertTo-SecureString "${PW.mbxrelay}" -AsPlainText -Force)`,
      'Add-LocalGroupMember -Group "Exchange Servers" -Member mbxrelay',
      `New-LocalUser -Name outsider -Password (ConvertTo-SecureString "${PW.outsider}" -AsPlainText -Force)`,
      '$SmartHostCredentials = Get-Credential',
      SMART_USER,
      PW.smartHost,
      `New-SendConnector -Name "To Woodgrove" -Usage Custom -AddressSpaces woodgrove.com -DNSRoutingEnabled $false -SmartHosts ${SMART_HOST} -Port ${SMART_HOST_PORT} -SmartHostAuthMechanism BasicAuthRequireTLS -AuthenticationCredential $SmartHostCredentials -ProtocolLoggingLevel Verbose`,
      `Set-ReceiveConnector "Default internal Receive connector Edge01" -Name "From Internal Org" -Bindings ${EDGE}:25 -AuthMechanism Tls,BasicAuth,BasicAuthRequireTLS -PermissionGroups ExchangeServers -ProtocolLoggingLevel Verbose -TarpitInterval 00:00:00 -AuthTarpitInterval 00:00:00`,
      'New-ExchangeCertificate -DomainName edge01.contoso.net,mail.contoso.com -Services SMTP -Force',
      `Import-ExchangeCertificate -FileName '${join(material, 'mail.pfx')}' -Password (ConvertTo-SecureString '${PW.pfx}' -AsPlainText -Force)`,
      `Import-ExchangeCertificate -FileName '${join(material, 'peer-cert.pem')}' -FriendlyName "Woodgrove smart host"`,
      'Set-TransportService EDGE01 -TransientFailureRetryInterval 00:00:01 -MessageRetryInterval 00:00:01',
    ]);

    // The private keys the server holds, read as its own code does (with the master key), to look for them elsewhere.
    const server = openServer(data);
    try {
      for (const c of server.repo.list(certificateSchema).filter((x) => x.values.PrivateKey)) {
        const pem = server.repo.openSecret(String(c.values.PrivateKey), `${c.schema.typeName}/${c.guid}/PrivateKey`);
        needles.push(...keyNeedles(`private key of ${String(c.values.Name)}`, pem));
      }
      assert.ok(server.repo.list(certificateSchema).filter((x) => x.values.PrivateKey).length >= 3, "setup's, the new and the imported certificate, with their keys");
    } finally {
      server.close();
    }
    needles.push(...keyNeedles('imported private key (import-key.pem)', readFileSync(join(material, 'import-key.pem'), 'utf8')));
    needles.push(...passwordNeedles('smart host password', SMART_USER, PW.smartHost));
    needles.push(...passwordNeedles('mbxrelay password', 'mbxrelay', PW.mbxrelay));
    needles.push(...passwordNeedles('outsider password', 'outsider', PW.outsider));
    needles.push(...passwordNeedles('.pfx password', '', PW.pfx));

    peer = await startAiosmtpd({
      dir: join(dir.path, 'peer'),
      host: SMART_HOST,
      port: SMART_HOST_PORT,
      user: SMART_USER,
      password: PW.smartHost,
      certificatePem: readFileSync(join(material, 'peer-cert.pem'), 'utf8'),
      privateKeyPem: readFileSync(join(material, 'peer-key.pem'), 'utf8'),
    });
    service = await startService(data);

    // AUTH LOGIN (base64 of the password alone) and AUTH PLAIN (base64 of "\0user\0password"), then a relay through the smart host with AUTH.
    const login = swaks(['--tls', '--auth', 'LOGIN', '--auth-user', 'mbxrelay', '--auth-password', PW.mbxrelay, '--from', 'bob@contoso.com', '--to', 'carol@woodgrove.com', '--header', 'Subject: secrets at rest']);
    assert.equal(login.status, 0, login.stdout + login.stderr);
    const plain = swaks(['--tls', '--auth', 'PLAIN', '--auth-user', 'outsider', '--auth-password', PW.outsider, '--quit-after', 'AUTH']);
    assert.equal(plain.status, 0, plain.stdout + plain.stderr);
    const wrong = swaks(['--tls', '--auth', 'PLAIN', '--auth-user', 'mbxrelay', '--auth-password', `${PW.mbxrelay}x`, '--quit-after', 'AUTH']);
    assert.equal(wrong.status, 28, wrong.stdout + wrong.stderr);
    needles.push(...passwordNeedles('a wrong password tried', 'mbxrelay', `${PW.mbxrelay}x`));
    await until(() => /MSG bob@contoso\.com \['carol@woodgrove\.com'\] tls=True auth=True/.test(peer.output()), 30_000, 'the message at the smart host, sent with AUTH inside TLS');
    await until(() => filesUnder(join(data, 'Logs')).some((f) => /SmtpSend/.test(f) && readFileSync(f, 'latin1').includes('AUTH')), 15_000, 'the send protocol log to record the AUTH exchange');
  });

  after(async () => {
    await service?.stop();
    await peer?.stop();
    dir.remove();
  });

  it('the scanner finds every needle in a file that holds them (positive control)', () => {
    const bait = join(dir.path, 'bait');
    mkdirSync(bait);
    writeFileSync(join(bait, 'leak.bin'), Buffer.concat(needles.flatMap((n) => [Buffer.from('--'), n.bytes])));
    const found = scan(fileSources(bait), needles);
    assert.equal(found.length, needles.length, found.join('\n'));
    recordFigure('secrets', { subject: 'raw-byte scanner on a file holding every secret (positive control)', finding: `${found.length}/${needles.length} needles found`, ok: found.length === needles.length });
  });

  it('the protocol logs recorded the sessions, with the AUTH exchanges masked', () => {
    const logs = filesUnder(join(data, 'Logs'))
      .map((f) => readFileSync(f, 'latin1'))
      .join('\n');
    assert.match(logs, /AUTH LOGIN/);
    assert.match(logs, /<authentication response>/);
    assert.match(logs, /235/);
  });

  it('no password or private key is in any file of the server folder while the service runs (databases, -wal/-shm, logs)', () => {
    const files = fileSources(data);
    const names = files.map((f) => f.name);
    assert.ok(names.includes('server.db') && names.some((n) => n.endsWith('-wal')), names.join(', '));
    assert.ok(names.some((n) => /SmtpReceive/.test(n)) && names.some((n) => /SmtpSend/.test(n)) && names.some((n) => /MessageTracking/.test(n)), names.join(', '));
    const found = scan(files, needles);
    recordFigure('secrets', {
      subject: `raw-byte scan of ${files.length} files in the running server's folder for ${needles.length} password and key forms`,
      finding: found.length === 0 ? 'nothing found' : found.join('; '),
      ok: found.length === 0,
    });
    assert.deepEqual(found, []);
  });

  it("no password or private key is in the service process's command line or environment", () => {
    const pid = service!.child.pid!;
    const sources = ['cmdline', 'environ'].map((f) => ({ name: `/proc/${pid}/${f}`, bytes: readFileSync(`/proc/${pid}/${f}`) }));
    assert.match(sources[0].bytes.toString('latin1'), /start\0--data\0/);
    const found = scan(sources, needles);
    recordFigure('secrets', { subject: `/proc/<pid>/cmdline and environ of the running service`, finding: found.length === 0 ? 'nothing found' : found.join('; '), ok: found.length === 0 });
    assert.deepEqual(found, []);
  });

  it('the master key is 0600, in a folder only its owner can enter; the store of secrets (server.db, -wal, -shm) is 0600 too', () => {
    const mode = (f: string) => statSync(join(data, f)).mode & 0o777;
    const key = mode('master.key');
    const folder = statSync(data).mode & 0o777;
    const store = readdirSync(data)
      .filter((f) => /^server\.db(-wal|-shm)?$/.test(f))
      .map((f) => [f, mode(f)] as const);
    // The other files (queue, logs, status file) are private too, not only behind the folder's 0700.
    const others = filesUnder(data)
      .map((f) => f.slice(data.length + 1))
      .filter((f) => f !== 'master.key' && !/^server\.db/.test(f))
      .filter((f) => (mode(f) & 0o077) !== 0);
    const ok = key === 0o600 && (folder & 0o077) === 0 && store.every(([, m]) => m === 0o600) && others.length === 0;
    recordFigure('secrets', {
      subject: 'modes of master.key, the server folder and the store of secrets',
      finding: `master.key ${key.toString(8)}, folder ${folder.toString(8)}, ${store.map(([f, m]) => `${f} ${m.toString(8)}`).join(', ')}; readable by others inside the folder: ${others.join(', ') || 'none'}`,
      ok,
    });
    assert.equal(key, 0o600);
    assert.equal(folder & 0o077, 0, `the server folder is ${folder.toString(8)}`);
    assert.ok(store.length >= 2, store.join(', '));
    for (const [f, m] of store) assert.equal(m, 0o600, `${f} is ${m.toString(8)}`);
    assert.deepEqual(others, [], 'files of the server folder that group or others can open');
  });

  describe('after the service stopped', () => {
    const copyWithoutKey = join(dir.path, 'copy-without-key');
    const copyWithOtherKey = join(dir.path, 'copy-with-other-key');

    before(async () => {
      assert.equal(await service!.stop(), 0);
      service = undefined;
      for (const copy of [copyWithoutKey, copyWithOtherKey]) {
        mkdirSync(copy, { mode: 0o700 });
        for (const f of readdirSync(data).filter((n) => /\.db(-wal|-shm)?$/.test(n))) copyFileSync(join(data, f), join(copy, f));
      }
      createMasterKey(join(copyWithOtherKey, 'master.key'));
    });

    it('still holds no secret in any file of the server folder', () => {
      const found = scan(fileSources(data), needles);
      recordFigure('secrets', { subject: "raw-byte scan of the stopped server's folder", finding: found.length === 0 ? 'nothing found' : found.join('; '), ok: found.length === 0 });
      assert.deepEqual(found, []);
    });

    it('a copy of the databases without the key file: the shell and the service name the missing key', async () => {
      assert.ok(!existsSync(join(copyWithoutKey, 'master.key')));
      const sh = await gatehouse(['shell', '--data', copyWithoutKey, '-c', 'Get-SendConnector "To Woodgrove" | Format-List Name,AuthenticationCredential']);
      assert.notEqual(sh.code, 0);
      assert.match(sh.stderr, /cannot read the master key .*master\.key: ENOENT\. Stored secrets cannot be used without it; restore it from the backup taken at setup\./);
      const start = await gatehouse(['start', '--data', copyWithoutKey], { timeoutMs: 20_000 });
      assert.notEqual(start.code, 0);
      assert.match(start.stdout + start.stderr, /cannot read the master key/);
      const found = scan(
        [
          { name: 'shell output', bytes: Buffer.from(sh.stdout + sh.stderr) },
          { name: 'start output', bytes: Buffer.from(start.stdout + start.stderr) },
        ],
        needles,
      );
      assert.deepEqual(found, []);
      recordFigure('secrets', { subject: 'a copy of the databases without master.key (shell, start)', finding: /cannot read the master key [^\n]*?ENOENT/.exec(sh.stderr)![0], ok: true });
    });

    it('a copy with another master key: every sealed credential and private key is refused as "does not match", none revealed', async () => {
      const server = openServer(copyWithOtherKey);
      const refusals: string[] = [];
      try {
        const sealed = [
          ...server.repo.list(sendConnectorSchema).flatMap((c) => {
            const cred = c.values.AuthenticationCredential as StoredCredential | null;
            return cred?.sealed ? [{ what: `credential of ${String(c.values.Name)}`, sealed: cred.sealed, purpose: `${c.schema.typeName}/${c.guid}/AuthenticationCredential` }] : [];
          }),
          ...server.repo
            .list(certificateSchema)
            .filter((c) => c.values.PrivateKey)
            .map((c) => ({ what: `private key of ${String(c.values.Name)}`, sealed: String(c.values.PrivateKey), purpose: `${c.schema.typeName}/${c.guid}/PrivateKey` })),
        ];
        assert.ok(sealed.length >= 4, `a credential and three keys: ${sealed.map((s) => s.what).join(', ')}`);
        for (const s of sealed) {
          assert.throws(
            () => server.repo.openSecret(s.sealed, s.purpose),
            (err: Error) => {
              refusals.push(err.message);
              return /a stored secret cannot be decrypted: the master key does not match the one it was sealed with/.test(err.message);
            },
            s.what,
          );
        }
      } finally {
        server.close();
      }
      // The service on that copy: STARTTLS needs the certificate's key, which it cannot open; it says why and offers no TLS.
      const running = await startService(copyWithOtherKey);
      try {
        const r = spawnSync('swaks', ['--server', `${EDGE}:25`, '--ehlo', 'probe.contoso.com', '--tls', '--quit-after', 'TLS', '--timeout', '15'], { encoding: 'utf8', timeout: 30_000 });
        assert.equal(r.status, 29, r.stdout + r.stderr);
        const error = await running.waitFor((l) => l.event === 'smtp.in.tls.certificate-error', 10_000, 'the certificate error');
        assert.match(String(error.error), /the master key does not match/);
        const found = scan([{ name: 'service log', bytes: Buffer.from(running.lines.map((l) => JSON.stringify(l)).join('\n')) }], needles);
        assert.deepEqual(found, []);
      } finally {
        await running.stop();
      }
      recordFigure('secrets', { subject: 'a copy of the databases with another master.key', finding: `${refusals.length} sealed secrets refused: ${refusals[0]}`, ok: true });
    });
  });
});

describe('secrets at rest in a Mailbox organization', () => {
  const dir = scratchDir('secrets-org');
  const mbx = join(dir.path, 'MBX01');
  const MBX = '127.168.83.110';
  const ORG_PW = { alice: 'Alice-Mailbox-Secret-5521', edgeauth: 'Directory-Secret-4410', toEdge: 'To-Edge-Secret-7731' };
  let service: RunningService | undefined;
  const needles: Needle[] = [
    ...passwordNeedles("alice's mailbox password", 'alice@contoso.com', ORG_PW.alice),
    ...passwordNeedles("edgeauth's directory password", 'edgeauth', ORG_PW.edgeauth),
    ...passwordNeedles('"To Edge" credential', 'mbxrelay', ORG_PW.toEdge),
    ...passwordNeedles('a wrong password tried', 'alice@contoso.com', `${ORG_PW.alice}x`),
  ];
  const submit = (args: string[]) => spawnSync('swaks', ['--server', `${MBX}:587`, '--ehlo', 'client.contoso.com', '--timeout', '15', '--tls', ...args], { encoding: 'utf8', timeout: 60_000 });

  before(async () => {
    assert.equal((await gatehouse(['setup', '--role', 'Mailbox', '--name', 'MBX01', '--fqdn', 'mbxserver01.contoso.com', '--data', mbx])).code, 0);
    const r = await gatehouse(['shell', '--data', mbx], {
      input:
        [
          'New-AcceptedDomain Contoso -DomainName contoso.com',
          'New-MailboxDatabase DB1 -Server MBX01',
          `New-Mailbox -Name Alice -Alias alice -UserPrincipalName alice@contoso.com -Database DB1 -Password (ConvertTo-SecureString "${ORG_PW.alice}" -AsPlainText -Force)`,
          `New-ADUser -Name EdgeAuth -SamAccountName edgeauth -AccountPassword (ConvertTo-SecureString "${ORG_PW.edgeauth}" -AsPlainText -Force) -Enabled $true`,
          '$EdgeCredentials = Get-Credential',
          'mbxrelay',
          ORG_PW.toEdge,
          'New-SendConnector -Name "To Edge" -Usage Internal -AddressSpaces * -DNSRoutingEnabled $false -SmartHosts edge01.contoso.com -SourceTransportServers mbxserver01.contoso.com -SmartHostAuthMechanism BasicAuthRequireTLS -AuthenticationCredential $EdgeCredentials',
          `Set-ReceiveConnector "Default MBX01" -Bindings ${MBX}:25`,
          `Set-ReceiveConnector "Client MBX01" -Bindings ${MBX}:587 -ProtocolLoggingLevel Verbose -AuthTarpitInterval 00:00:00 -TarpitInterval 00:00:00`,
        ].join('\n') + '\n',
    });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const server = openServer(mbx);
    try {
      for (const c of server.repo.list(certificateSchema)) {
        needles.push(...keyNeedles(`private key of ${String(c.values.Name)}`, server.repo.openSecret(String(c.values.PrivateKey), `${c.schema.typeName}/${c.guid}/PrivateKey`)));
      }
    } finally {
      server.close();
    }
    service = await startService(mbx);
    const good = submit(['--auth', 'LOGIN', '--auth-user', 'alice@contoso.com', '--auth-password', ORG_PW.alice, '--from', 'alice@contoso.com', '--to', 'alice@contoso.com', '--header', 'Subject: organization secrets']);
    assert.equal(good.status, 0, good.stdout + good.stderr);
    const wrong = submit(['--auth', 'PLAIN', '--auth-user', 'alice@contoso.com', '--auth-password', `${ORG_PW.alice}x`, '--quit-after', 'AUTH']);
    assert.equal(wrong.status, 28, wrong.stdout + wrong.stderr);
    await until(() => filesUnder(join(mbx, 'Logs')).some((f) => /SmtpReceive/.test(f) && readFileSync(f, 'latin1').includes('AUTH')), 15_000, 'the receive protocol log to record the AUTH exchange');
  });

  after(async () => {
    await service?.stop();
    dir.remove();
  });

  it('no password or private key is in the organization store, the server folder or the service process', () => {
    const sources = [...fileSources(dir.path), { name: '/proc/<pid>/cmdline', bytes: readFileSync(`/proc/${service!.child.pid}/cmdline`) }, { name: '/proc/<pid>/environ', bytes: readFileSync(`/proc/${service!.child.pid}/environ`) }];
    assert.ok(
      sources.some((s) => s.name === 'organization.db'),
      sources.map((s) => s.name).join(', '),
    );
    const control = scan([{ name: 'control', bytes: Buffer.concat(needles.map((n) => n.bytes)) }], needles);
    assert.equal(control.length, needles.length, 'the scanner finds every needle when it is there');
    const found = scan(sources, needles);
    recordFigure('secrets', {
      subject: `raw-byte scan of a running Mailbox server: ${sources.length} files and /proc entries (organization.db and its -wal/-shm, server folder, logs, Maildirs)`,
      finding: found.length === 0 ? 'nothing found' : found.join('; '),
      ok: found.length === 0,
    });
    assert.deepEqual(found, []);
  });

  it('the organization key is 0600 like the store, and a copy of the store without it, or with another key, reveals nothing', async () => {
    const mode = (f: string) => statSync(f).mode & 0o777;
    assert.equal(mode(join(dir.path, 'organization.key')), 0o600);
    assert.equal(mode(join(dir.path, 'organization.db')), 0o600);
    assert.equal(await service!.stop(), 0);
    service = undefined;
    // A backup restored elsewhere without organization.key: the server folder points at the copied store.
    const copy = join(dir.path, 'restored');
    mkdirSync(join(copy, 'MBX01'), { recursive: true, mode: 0o700 });
    copyFileSync(join(dir.path, 'organization.db'), join(copy, 'organization.db'));
    for (const f of ['server.db', 'master.key']) copyFileSync(join(mbx, f), join(copy, 'MBX01', f));
    const local = new Database(join(copy, 'MBX01', 'server.db'));
    local.prepare("UPDATE config_meta SET value = ? WHERE key = 'org_store'").run(join(copy, 'organization.db'));
    local.close();
    const sh = await gatehouse(['shell', '--data', join(copy, 'MBX01'), '-c', 'Get-SendConnector "To Edge" | Format-List Name,AuthenticationCredential']);
    assert.notEqual(sh.code, 0);
    assert.match(sh.stderr, /cannot read the master key .*organization\.key: ENOENT/);
    assert.deepEqual(scan([{ name: 'shell output', bytes: Buffer.from(sh.stdout + sh.stderr) }], needles), []);
    // With another key the sealed "To Edge" credential is refused.
    createMasterKey(join(copy, 'organization.key'));
    const server = openServer(join(copy, 'MBX01'));
    try {
      const toEdge = server.repo.list(sendConnectorSchema).find((c) => c.values.Name === 'To Edge')!;
      const cred = toEdge.values.AuthenticationCredential as StoredCredential;
      assert.throws(() => server.repo.openSecret(cred.sealed!, `${toEdge.schema.typeName}/${toEdge.guid}/AuthenticationCredential`), /the master key does not match the one it was sealed with/);
    } finally {
      server.close();
    }
    recordFigure('secrets', {
      subject: 'organization.db restored without organization.key, then with another key',
      finding: `${/cannot read the master key [^\n]*?ENOENT/.exec(sh.stderr)![0]}; with another key the "To Edge" credential is refused (does not match)`,
      ok: true,
    });
  });
});
