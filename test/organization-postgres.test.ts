// Two Mailbox servers whose organization lives in PostgreSQL (a private
// cluster on loopback, stopped by its PID): setup creates and joins it with
// the organization's key, shells on either server change it, the running
// services follow within moments through LISTEN/NOTIFY, concurrent writers on
// both servers are serialised, and mail keeps flowing while PostgreSQL is
// down, with nothing lost. The password never lands in a file, a log, the
// database or a process's arguments.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gatehouse, scratchDir } from './harness/gatehouse.js';
import { startPostgres, type PgCluster } from './harness/postgres.js';
import { startDnsmasq, until, type Peer } from './harness/peers.js';
import { startService, type RunningService } from './harness/service.js';
import { createMasterKey } from '../src/secrets/master-key.js';
import { PG_SCHEMA_VERSION } from '../src/store/postgres/schema.js';

const PG_HOST = '127.35.1.1';
const PG_PORT = 5432;
const MBX1 = '127.35.1.10';
const MBX2 = '127.35.1.20';
const DNS = '127.35.1.53';
const DNS_PORT = 5353;
const PASSWORD = 'Pg-Org-Secret-7731';
const PW = { alice: 'Alice-Pass-61', bob: 'Bob-Pass-62' };

function maildirFiles(dir: string): string[] {
  return ['new', 'cur'].flatMap((sub) => (existsSync(join(dir, sub)) ? readdirSync(join(dir, sub)).map((f) => readFileSync(join(dir, sub, f), 'latin1')) : []));
}

/** Every file under a folder, as bytes. */
function filesUnder(dir: string): Array<[string, Buffer]> {
  const out: Array<[string, Buffer]> = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) out.push(...filesUnder(p));
    else if (st.isFile()) out.push([p, readFileSync(p)]);
  }
  return out;
}

describe('the organization store on PostgreSQL', () => {
  const dir = scratchDir('org-pg');
  const mbx1 = join(dir.path, 'MBX01');
  const mbx2 = join(dir.path, 'MBX02');
  const pgpass = join(dir.path, 'pgpass');
  const env = { PGPASSFILE: pgpass, PGPASSWORD: undefined as unknown as string };
  let pg: PgCluster;
  let url = '';
  const services: RunningService[] = [];
  let aliceMaildir = '';
  let dns: Peer | undefined;

  const shell = async (data: string, script: string[], expectOk = true) => {
    const r = await gatehouse(['shell', '--data', data], { input: script.join('\n') + '\n', env, timeoutMs: 60_000 });
    if (expectOk) assert.equal(r.code, 0, `${script.join('\n')}\n${r.stdout}\n${r.stderr}`);
    return r;
  };

  before(async () => {
    dns = await startDnsmasq(DNS, DNS_PORT, ['contoso.com'], [`--host-record=mbxserver01.contoso.com,${MBX1}`, `--host-record=mbxserver02.contoso.com,${MBX2}`]);
    pg = startPostgres({ dir: dir.path, host: PG_HOST, port: PG_PORT });
    pg.createDatabase('contoso', 'gatehouse', PASSWORD);
    url = pg.url('contoso', 'gatehouse');
    writeFileSync(pgpass, `${PG_HOST}:${PG_PORT}:contoso:gatehouse:${PASSWORD}\n`, { mode: 0o600 });
  });

  after(async () => {
    for (const s of services) await s.stop();
    await pg.stop();
    await dns?.stop();
    dir.remove();
  });

  it('refuses a URL that carries the password, before it goes anywhere', async () => {
    const r = await gatehouse(['setup', '--role', 'Mailbox', '--name', 'MBX09', '--fqdn', 'mbx09.contoso.com', '--data', join(dir.path, 'MBX09'), '--org', `postgresql://gatehouse:${PASSWORD}@${PG_HOST}:${PG_PORT}/contoso`], { env });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /carries a password; remove it from the URL .* PGPASSWORD, ~\/\.pgpass or PGPASSFILE/);
    assert.ok(!existsSync(join(dir.path, 'MBX09', 'server.db')));
  });

  it('says which store and what to do when no password is found', async () => {
    const r = await gatehouse(['setup', '--role', 'Mailbox', '--name', 'MBX09', '--fqdn', 'mbx09.contoso.com', '--data', join(dir.path, 'MBX09'), '--org', url], {
      env: { PGPASSFILE: join(dir.path, 'no-such-pgpass'), PGPASSWORD: undefined as unknown as string },
    });
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      new RegExp(`the organization store ${url.replace(/[.?]/g, '\\$&')} \\(${PG_HOST}:${PG_PORT}\\) asks for a password and none was given: set PGPASSWORD, add a line to ~/\\.pgpass \\(or the file PGPASSFILE names\\)`),
    );
  });

  it('creates the organization on the first server and writes its key for the others', async () => {
    const r = await gatehouse(['setup', '--role', 'Mailbox', '--name', 'MBX01', '--fqdn', 'mbxserver01.contoso.com', '--data', mbx1, '--org', url], { env });
    assert.equal(r.code, 0, r.stderr);
    const keyFile = join(dir.path, 'organization.key');
    assert.match(r.stdout, new RegExp(`Created the organization in ${url.replace(/[.?]/g, '\\$&')}\\. Its key is ${keyFile.replace(/[.]/g, '\\.')} \\(mode 0600\\)`));
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    assert.equal(readFileSync(join(mbx1, 'organization.key'), 'utf8'), readFileSync(keyFile, 'utf8'));
    assert.ok(!readdirSync(dir.path).some((f) => f.endsWith('.db')), 'no organization file: the organization is in PostgreSQL');
    assert.equal(pg.sql("SELECT value FROM config_meta WHERE key = 'schema_version'", 'contoso').trim(), String(PG_SCHEMA_VERSION));
  });

  it('refuses a further server without the key, or with a key that does not open the organization, leaving its folder empty', async () => {
    const none = await gatehouse(['setup', '--role', 'Mailbox', '--name', 'MBX02', '--fqdn', 'mbxserver02.contoso.com', '--data', mbx2, '--org', url], { env });
    assert.equal(none.code, 1);
    assert.match(none.stderr, /exists already: give its key with --org-key FILE/);
    const wrong = join(dir.path, 'wrong.key');
    createMasterKey(wrong);
    const bad = await gatehouse(['setup', '--role', 'Mailbox', '--name', 'MBX02', '--fqdn', 'mbxserver02.contoso.com', '--data', mbx2, '--org', url, '--org-key', wrong], { env });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /the key .*wrong\.key does not open the organization's secrets in .*: it is not the key the organization was created with/);
    assert.ok(!existsSync(mbx2) || readdirSync(mbx2).length === 0, 'nothing written for a refused server');
  });

  it('joins the second server with the copied key', async () => {
    const r = await gatehouse(['setup', '--role', 'Mailbox', '--name', 'MBX02', '--fqdn', 'mbxserver02.contoso.com', '--data', mbx2, '--org', url, '--org-key', join(dir.path, 'organization.key')], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Joined the organization in/);
    const servers = await shell(mbx2, ['Get-ExchangeServer | Sort-Object Name | Format-Table Name,ServerRole -HideTableHeaders']);
    assert.match(servers.stdout, /MBX01\s+Mailbox\s*\nMBX02\s+Mailbox/);
  });

  it("serialises two shells on two servers creating the same name: one succeeds, the other gets Exchange's duplicate error", async () => {
    for (let round = 0; round < 4; round++) {
      const name = `Race ${round}`;
      const cmd = `New-SendConnector -Name "${name}" -Usage Internet -AddressSpaces "race${round}.example" -DNSRoutingEnabled $true | Out-Null`;
      const [a, b] = await Promise.all([gatehouse(['shell', '--data', mbx1, '-c', cmd], { env, timeoutMs: 60_000 }), gatehouse(['shell', '--data', mbx2, '-c', cmd], { env, timeoutMs: 60_000 })]);
      assert.deepEqual([a.code, b.code].sort(), [0, 1], `${a.stderr}\n${b.stderr}`);
      const loser = a.code === 1 ? a : b;
      assert.match(loser.stderr, new RegExp(`The Send connector "${name}" already exists on 'mbxserver0[12]\\.contoso\\.com'\\. Choose another name\\.`));
    }
    const count = await shell(mbx1, ['(Get-SendConnector | Where-Object { $_.Name -like "Race *" }).Count']);
    assert.equal(count.stdout.trim(), '4');
  });

  it('sets up mail on both servers: a mailbox on MBX01, a user on MBX02', async () => {
    await shell(mbx1, [
      'New-AcceptedDomain Contoso -DomainName contoso.com',
      'New-MailboxDatabase DB1 -Server MBX01',
      'New-MailboxDatabase DB2 -Server MBX02',
      `New-Mailbox -Name Alice -Alias alice -UserPrincipalName alice@contoso.com -Database DB1 -Password (ConvertTo-SecureString "${PW.alice}" -AsPlainText -Force)`,
      `Set-ReceiveConnector "Default MBX01" -Bindings ${MBX1}:25 -TarpitInterval 00:00:00`,
      `Set-ReceiveConnector "Client MBX01" -Bindings ${MBX1}:587`,
      `Set-ReceiveConnector "MBX02\\Default MBX02" -Bindings ${MBX2}:25 -TarpitInterval 00:00:00`,
      `Set-ReceiveConnector "MBX02\\Client MBX02" -Bindings ${MBX2}:587`,
      ...['MBX01', 'MBX02'].map(
        (s) =>
          `Set-TransportService ${s} -InternalDNSServers ${DNS}:${DNS_PORT} -InternalDNSAdapterEnabled $false -ExternalDNSServers ${DNS}:${DNS_PORT} -ExternalDNSAdapterEnabled $false -TransientFailureRetryInterval 00:00:01 -MessageRetryInterval 00:00:01 -OutboundConnectionFailureRetryInterval 00:00:02`,
      ),
    ]);
    // bob is created in MBX02's shell: both shells write the same organization.
    await shell(mbx2, [`New-Mailbox -Name Bob -Alias bob -UserPrincipalName bob@contoso.com -Database DB2 -Password (ConvertTo-SecureString "${PW.bob}" -AsPlainText -Force)`]);
    const value = async (expr: string) => (await shell(mbx2, [expr])).stdout.trim();
    aliceMaildir = join(await value('(Get-MailboxDatabase DB1).FolderPath'), await value('(Get-Mailbox alice).Guid'));
    assert.ok(aliceMaildir.startsWith(mbx1), aliceMaildir);
    services.push(await startService(mbx1, [], env), await startService(mbx2, [], env));
    for (const s of services) assert.ok(!s.child.spawnargs.join(' ').includes(PASSWORD));
  });

  it("brings a change made in MBX02's shell to MBX01's running service (LISTEN/NOTIFY)", async (t) => {
    const [service1] = services;
    const applied = service1.lines.filter((l) => l.event === 'config.applied').length;
    const started = Date.now();
    await shell(mbx2, [`New-ReceiveConnector -Name "Partner relay" -Server MBX01 -Bindings ${MBX1}:2526 -RemoteIPRanges 127.0.0.0/8 -Usage Custom -PermissionGroups AnonymousUsers`]);
    const shellDone = Date.now();
    const line = await service1.waitFor(
      (l) => l.event === 'config.applied' && service1.lines.filter((x) => x.event === 'config.applied').indexOf(l) >= applied && (l.listening as string[]).some((x) => x.includes(':2526')),
      30_000,
      'MBX01 listening on the new connector',
    );
    t.diagnostic(`applied on MBX01 ${Date.parse(String(line.ts)) - shellDone} ms after MBX02's shell exited`);
    assert.ok(Date.parse(String(line.ts)) >= started);
    const banner = spawnSync('swaks', ['--server', `${MBX1}:2526`, '--quit-after', 'CONNECT', '--timeout', '10'], { encoding: 'utf8', timeout: 20_000 });
    assert.match(banner.stdout, /<-\s+220 /, banner.stdout + banner.stderr);
  });

  const submit = (subject: string) =>
    spawnSync(
      'python3',
      [
        '-c',
        `
import smtplib, ssl
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
s = smtplib.SMTP('${MBX2}', 587, local_hostname='bobs-laptop', timeout=20)
s.starttls(context=ctx); s.login('bob@contoso.com', '${PW.bob}')
print('refused', s.sendmail('bob@contoso.com', ['alice@contoso.com'], 'From: bob@contoso.com\\r\\nTo: alice@contoso.com\\r\\nSubject: ${subject}\\r\\n\\r\\nhello alice\\r\\n'))
s.quit()`,
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );

  it("relays a user's mail through MBX02 into the mailbox created on MBX01", async () => {
    const r = submit('relayed through MBX02');
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /refused \{\}/);
    await until(() => maildirFiles(aliceMaildir).some((m) => m.includes('Subject: relayed through MBX02')), 30_000, "the message in alice's Maildir on MBX01");
  });

  it('keeps mail flowing while PostgreSQL is stopped, tells the shell which store is down, and loses nothing', async () => {
    const subjects: string[] = [];
    const send = (i: number) => {
      const subject = `outage ${i}`;
      const r = submit(subject);
      assert.equal(r.status, 0, `message ${i}: ${r.stdout}${r.stderr}`);
      assert.match(r.stdout, /refused \{\}/);
      subjects.push(subject);
    };
    for (let i = 0; i < 5; i++) send(i);
    await pg.stop();
    for (const s of services) await s.waitFor((l) => l.event === 'organization.store.unreachable', 30_000, 'the outage logged');
    for (let i = 5; i < 15; i++) send(i);
    const down = await gatehouse(['shell', '--data', mbx2, '-c', 'Get-SendConnector'], { env, timeoutMs: 60_000 });
    assert.equal(down.code, 1);
    assert.match(down.stderr, new RegExp(`the organization store ${url.replace(/[.?]/g, '\\$&')} \\(${PG_HOST}:${PG_PORT}\\) refused the connection: is PostgreSQL running`));
    await until(() => subjects.every((s) => maildirFiles(aliceMaildir).some((m) => m.includes(`Subject: ${s}\r\n`))), 60_000, 'every message sent during the outage delivered');
    pg.start();
    for (let i = 15; i < 20; i++) send(i);
    for (const s of services) await s.waitFor((l) => l.event === 'organization.store.reconnected', 60_000, 'reconnected');
    for (const s of services) assert.equal(s.lines.filter((l) => l.event === 'organization.store.unreachable').length, 1, 'the outage is logged once');
    await until(() => subjects.every((s) => maildirFiles(aliceMaildir).some((m) => m.includes(`Subject: ${s}\r\n`))), 60_000, 'all 20 messages delivered');
    for (const s of subjects) assert.equal(maildirFiles(aliceMaildir).filter((m) => m.includes(`Subject: ${s}\r\n`)).length, 1, `${s} delivered once`);
    // After the outage, a change reaches the service again.
    await shell(mbx2, ['Set-ReceiveConnector "MBX01\\Partner relay" -Bindings 127.35.1.10:2527']);
    await services[0].waitFor((l) => l.event === 'config.applied' && (l.listening as string[]).some((x) => x.includes(':2527')), 30_000, 'the change after the outage applied');
  });

  it('refuses an organization at a newer schema version, naming both versions', async () => {
    pg.sql("UPDATE config_meta SET value = '9' WHERE key = 'schema_version'", 'contoso');
    try {
      const r = await gatehouse(['shell', '--data', mbx1, '-c', 'Get-SendConnector'], { env });
      assert.equal(r.code, 1);
      assert.match(r.stderr, new RegExp(`the organization store at postgresql:\\S+ is schema version 9; this Gatehouse reads up to version ${PG_SCHEMA_VERSION}: upgrade Gatehouse`));
    } finally {
      pg.sql(`UPDATE config_meta SET value = '${PG_SCHEMA_VERSION}' WHERE key = 'schema_version'`, 'contoso');
    }
  });

  it("keeps the password out of the database, the server folders, the logs and every process's arguments", () => {
    const dump = pg.sql("SELECT string_agg(data, ' ') FROM config_objects", 'contoso') + pg.sql("SELECT string_agg(key || value, ' ') FROM config_meta", 'contoso');
    assert.ok(!dump.includes(PASSWORD));
    for (const folder of [mbx1, mbx2]) {
      for (const [path, bytes] of filesUnder(folder)) assert.ok(!bytes.includes(Buffer.from(PASSWORD)), `${path} holds the password`);
    }
    for (const s of services) {
      assert.ok(!s.lines.some((l) => JSON.stringify(l).includes(PASSWORD)), 'a log line holds the password');
      assert.ok(!readFileSync(`/proc/${s.child.pid}/cmdline`, 'utf8').includes(PASSWORD));
      assert.ok(!readFileSync(`/proc/${s.child.pid}/environ`, 'utf8').includes(PASSWORD), 'the password file is named, not its content');
    }
  });
});
