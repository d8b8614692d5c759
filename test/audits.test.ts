// Audits with real tools against the seed's Edge and a Mailbox server with its
// default connectors, each a real `gatehouse start`:
// - nmap's smtp-open-relay and smtp-commands against every connector: the
//   Internet-facing ones are no open relay, and the script does find a relay
//   where one is configured (an ExternalAuthoritative connector: the positive
//   control);
// - testssl over STARTTLS against each TLS connector (nmap's ssl-enum-ciphers
//   for the one that only accepts the Mailbox servers' addresses): no SSLv2/3,
//   TLS 1.0 or 1.1, no NULL/aNULL/EXPORT/LOW/3DES/RC4, forward secrecy, an RSA
//   key of at least 2048 bits; Set-TransportService -TlsMinimumVersion Tls13 is
//   honoured, Tls11 refused;
// - swaks dialogs for each AuthMechanism value: what EHLO offers before and
//   after STARTTLS, AUTH before TLS refused where BasicAuthRequireTLS, good and
//   bad credentials;
// - the seed's "To Internal Org" (BasicAuthRequireTLS) never sends AUTH to a
//   smart host that offers AUTH but no STARTTLS (aiosmtpd, recording every
//   command), and the queue's LastError says why.
// Every finding is recorded for the report (recordFigure('audits', ...)).

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gatehouse, scratchDir } from './harness/gatehouse.js';
import { Peer, startDnsmasq, until } from './harness/peers.js';
import { recordFigure } from './harness/report.js';
import { seedCommands } from './harness/seed.js';
import { startService, type RunningService } from './harness/service.js';
import { needs } from './harness/tools.js';

const EDGE_EXT = '127.10.83.1';
const EDGE_INT = '127.10.83.2';
const AUDIT_NONE = '127.10.83.11';
const AUDIT_BASIC = '127.10.83.12';
const AUDIT_EXTERNAL = '127.10.83.13';
const TRUSTED_NETWORK = '127.10.83.250';
const DNS = '127.10.83.53';
const DNS_PORT = 5383;
const MBX1 = '127.168.83.10';
const MBX2 = '127.168.83.20';
/** Where mbxserver01/02.contoso.com point for the Edge: a smart host offering AUTH without STARTTLS. */
const PLAIN_SMART_HOST = '127.168.83.30';
const PW = { edgeauth: 'Edge-Auth-Audit-5521', mbxrelay: 'Mbx-Relay-Audit-7730', alice: 'Alice-Audit-Pass-1' };
const RELAY_ARGS = 'smtp-open-relay.domain=woodgrove.com,smtp-open-relay.from=probe,smtp-open-relay.to=victim';
const NOT_A_RELAY = "Server doesn't seem to be an open relay, all tests failed";

const mapSeed = (l: string) =>
  l
    .replace(/\b10\.1\.1\.1\b/g, EDGE_EXT)
    .replace(/\b10\.1\.1\.2\b/g, EDGE_INT)
    .replace(/\b192\.168\.5\.10\b/g, MBX1)
    .replace(/\b192\.168\.5\.20\b/g, MBX2);

function run(command: string, args: string[], timeoutMs = 60_000) {
  const r = spawnSync(command, args, { encoding: 'utf8', timeout: timeoutMs });
  return { status: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

/** The asynchronous run, for the audits that take tens of seconds and may run side by side. */
function runAsync(command: string, args: string[], timeoutMs: number): Promise<{ status: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, out });
    });
  });
}

function swaks(server: string, args: string[]) {
  return run('swaks', ['--server', server, '--ehlo', 'client.fabrikam.com', '--timeout', '15', ...args], 60_000);
}

/** nmap's SMTP scripts against port 25/587 of an address (from `source` when the connector only admits it). */
function nmapSmtp(address: string, port: number, source?: string) {
  const from = source ? ['-e', 'lo', '-S', source] : [];
  const r = run('nmap', ['-n', '-Pn', '-p', String(port), ...from, '--script', 'smtp-open-relay,smtp-commands', '--script-args', RELAY_ARGS, address], 120_000);
  const relay = /smtp-open-relay: (.*)/.exec(r.out)?.[1].trim() ?? '';
  const commands = /smtp-commands: (.*)/.exec(r.out)?.[1].trim() ?? '';
  return { relay, commands, keywords: commands.split(/,\s*/).slice(1), out: r.out };
}

interface TestsslFinding {
  id: string;
  severity: string;
  finding: string;
}

/** testssl over STARTTLS: protocols (-p), cipher categories (-s), forward secrecy (-f), server defaults/key (-S). */
async function testssl(target: string, dir: string, flags: string[]): Promise<Map<string, TestsslFinding>> {
  const file = join(dir, `testssl-${target.replace(/[^0-9]/g, '_')}-${flags.join('')}.json`);
  rmSync(file, { force: true });
  const r = await runAsync('testssl', ['--quiet', '--color', '0', '--nodns', 'none', '--warnings', 'off', '--starttls', 'smtp', ...flags, '--jsonfile', file, target], 150_000);
  let findings: TestsslFinding[];
  try {
    findings = JSON.parse(readFileSync(file, 'utf8')) as TestsslFinding[];
  } catch {
    throw new Error(`testssl wrote no JSON for ${target}:\n${r.out}`);
  }
  return new Map(findings.map((f) => [f.id, f]));
}

/** aiosmtpd without TLS, offering AUTH in plaintext, printing every MAIL and AUTH command it gets. */
const PLAIN_AUTH_PEER = `
import sys, signal
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult
class Recording(SMTP):
    async def smtp_AUTH(self, arg):
        print("CMD AUTH", (arg or "").split(" ")[0], flush=True)
        return await super().smtp_AUTH(arg)
    async def smtp_MAIL(self, arg):
        print("CMD MAIL", arg, flush=True)
        return await super().smtp_MAIL(arg)
class RecordingController(Controller):
    def factory(self):
        return Recording(self.handler, **self.SMTP_kwargs)
class Handler:
    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        print("CMD EHLO", hostname, flush=True)
        session.host_name = hostname
        return responses
    async def handle_DATA(self, server, session, envelope):
        print("MSG", envelope.mail_from, flush=True)
        return "250 2.0.0 Ok: stored"
c = RecordingController(Handler(), hostname=sys.argv[1], port=int(sys.argv[2]), auth_require_tls=False,
                        authenticator=lambda *a: AuthResult(success=True), server_hostname="plain.mbx.test")
c.start()
print("READY", flush=True)
signal.sigwait({signal.SIGTERM, signal.SIGINT})
c.stop()
`;

async function startPlainAuthPeer(dir: string, host: string, port: number): Promise<Peer & { output(): string }> {
  writeFileSync(join(dir, 'plain-auth-peer.py'), PLAIN_AUTH_PEER);
  const child = spawn('/usr/bin/python3', [join(dir, 'plain-auth-peer.py'), host, String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', () => undefined);
  const peer = new Peer(child, `plain-auth peer ${host}:${port}`) as Peer & { output(): string };
  peer.output = () => out;
  await until(() => out.includes('READY') || child.exitCode !== null, 10_000, 'the plain-auth peer');
  if (child.exitCode !== null) throw new Error(`the plain-auth peer exited with ${child.exitCode}`);
  return peer;
}

describe("audits of the seed's Edge and a Mailbox server with real tools", () => {
  const dir = scratchDir('audits');
  const edge = join(dir.path, 'EDGE01');
  const mbx = join(dir.path, 'MBX01');
  const peers: Peer[] = [];
  const services: RunningService[] = [];
  let edgeService: RunningService;
  let mbxService: RunningService;

  const shell = async (data: string, script: string[]) => {
    const r = await gatehouse(['shell', '--data', data], { input: script.join('\n') + '\n' });
    assert.equal(r.code, 0, `${script.join('\n')}\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  };
  /** Runs shell commands on a running server and waits until its service applied the change. */
  const reconfigure = async (service: RunningService, data: string, script: string[]) => {
    const applied = service.lines.filter((l) => l.event === 'config.applied').length;
    await shell(data, script);
    await until(() => service.lines.filter((l) => l.event === 'config.applied').length > applied, 15_000, 'the service to apply the change');
  };

  before(async () => {
    peers.push(await startDnsmasq(DNS, DNS_PORT, ['contoso.com'], [`--host-record=mbxserver01.contoso.com,${PLAIN_SMART_HOST}`, `--host-record=mbxserver02.contoso.com,${PLAIN_SMART_HOST}`]));
    const dnsSettings = (server: string) =>
      `Set-TransportService ${server} -InternalDNSServers ${DNS}:${DNS_PORT} -InternalDNSAdapterEnabled $false -ExternalDNSServers ${DNS}:${DNS_PORT} -ExternalDNSAdapterEnabled $false -TransientFailureRetryInterval 00:00:01 -OutboundConnectionFailureRetryInterval 00:00:02 -MessageRetryInterval 00:00:01`;
    const seed = seedCommands();

    assert.equal((await gatehouse(['setup', '--role', 'EdgeTransport', '--name', 'EDGE01', '--fqdn', 'edge01.contoso.net', '--data', edge])).code, 0);
    await shell(
      edge,
      [
        'New-AcceptedDomain Contoso -DomainName contoso.com',
        `New-LocalUser -Name mbxrelay -Password (ConvertTo-SecureString "${PW.mbxrelay}" -AsPlainText -Force)`,
        'Add-LocalGroupMember -Group "Exchange Servers" -Member mbxrelay',
        dnsSettings('EDGE01'),
        ...seed.edge.filter((l) => !l.startsWith('Get-')).map(mapSeed),
        // No tarpit, so that nmap's 16 relay probes take seconds, not minutes.
        'Set-ReceiveConnector "From Internet" -TarpitInterval 00:00:00',
        'Set-ReceiveConnector "From Internal Org" -TarpitInterval 00:00:00 -AuthTarpitInterval 00:00:00',
        // One connector per remaining AuthMechanism value.
        `New-ReceiveConnector -Name "Audit None" -Usage Custom -AuthMechanism None -PermissionGroups AnonymousUsers -Bindings ${AUDIT_NONE}:25 -RemoteIPRanges 0.0.0.0-255.255.255.255 -TarpitInterval 00:00:00`,
        `New-ReceiveConnector -Name "Audit BasicAuth" -Usage Custom -AuthMechanism Tls,BasicAuth -PermissionGroups AnonymousUsers,ExchangeServers -Bindings ${AUDIT_BASIC}:25 -RemoteIPRanges 0.0.0.0-255.255.255.255 -TarpitInterval 00:00:00 -AuthTarpitInterval 00:00:00`,
        `New-ReceiveConnector -Name "Audit External" -Usage Custom -AuthMechanism ExternalAuthoritative -PermissionGroups ExchangeServers -Bindings ${AUDIT_EXTERNAL}:25 -RemoteIPRanges ${TRUSTED_NETWORK} -TarpitInterval 00:00:00`,
      ].flatMap((l) => (l.endsWith('Get-Credential') ? [l, 'CONTOSO\\edgeauth', PW.edgeauth] : [l])),
    );

    assert.equal((await gatehouse(['setup', '--role', 'Mailbox', '--name', 'MBX01', '--fqdn', 'mbxserver01.contoso.com', '--data', mbx])).code, 0);
    await shell(mbx, [
      'New-AcceptedDomain Contoso -DomainName contoso.com',
      'New-MailboxDatabase DB1 -Server MBX01',
      `New-Mailbox -Name Alice -Alias alice -UserPrincipalName alice@contoso.com -Database DB1 -Password (ConvertTo-SecureString "${PW.alice}" -AsPlainText -Force)`,
      `Set-ReceiveConnector "Default MBX01" -Bindings ${MBX1}:25 -TarpitInterval 00:00:00`,
      `Set-ReceiveConnector "Client MBX01" -Bindings ${MBX1}:587 -TarpitInterval 00:00:00`,
      dnsSettings('MBX01'),
    ]);
    edgeService = await startService(edge);
    services.push(edgeService);
    mbxService = await startService(mbx);
    services.push(mbxService);
  });

  after(async () => {
    for (const s of services) await s.stop();
    for (const p of peers) await p.stop();
    dir.remove();
  });

  describe('nmap smtp-open-relay and smtp-commands', () => {
    it('with the default MaxProtocolErrors, the probe on "From Internet" is cut short by 421 (its malformed addresses are protocol errors)', () => {
      const r = nmapSmtp(EDGE_EXT, 25);
      // The 421 may reach nmap as the reply or as the closed connection.
      const ok = /421 4\.7\.0 Too many errors|connection closed/.test(r.relay) || r.relay === NOT_A_RELAY;
      recordFigure('audits', { subject: `nmap smtp-open-relay on From Internet ${EDGE_EXT}:25 (default MaxProtocolErrors 5)`, finding: r.relay, ok });
      assert.ok(ok, r.out);
      assert.doesNotMatch(r.relay, /is an open relay/);
    });

    it('no connector is an open relay for an anonymous client, every one of the 16 probes made', async () => {
      // Let the probe run to its verdict: the 501 replies to its source-routed and quoted forms would otherwise end the session.
      await reconfigure(edgeService, edge, ['Get-ReceiveConnector | Set-ReceiveConnector -MaxProtocolErrors unlimited']);
      await reconfigure(mbxService, mbx, ['Get-ReceiveConnector -Server MBX01 | Set-ReceiveConnector -MaxProtocolErrors unlimited']);
      const targets: { name: string; address: string; port: number; source?: string; internetFacing: boolean }[] = [
        { name: 'From Internet', address: EDGE_EXT, port: 25, internetFacing: true },
        { name: 'From Internal Org', address: EDGE_INT, port: 25, source: MBX1, internetFacing: false },
        { name: 'Audit None', address: AUDIT_NONE, port: 25, internetFacing: true },
        { name: 'Audit BasicAuth', address: AUDIT_BASIC, port: 25, internetFacing: true },
        { name: 'Default MBX01', address: MBX1, port: 25, internetFacing: false },
        { name: 'Client MBX01', address: MBX1, port: 587, internetFacing: false },
      ];
      const failures: string[] = [];
      for (const t of targets) {
        const r = nmapSmtp(t.address, t.port, t.source);
        const ok = t.internetFacing ? r.relay === NOT_A_RELAY : r.relay === NOT_A_RELAY || r.relay === "Server isn't an open relay, authentication needed";
        recordFigure('audits', { subject: `nmap smtp-open-relay on ${t.name} ${t.address}:${t.port}`, finding: r.relay || 'no verdict', ok });
        if (!ok) failures.push(`${t.name}: ${r.out}`);
      }
      assert.deepEqual(failures, []);
    });

    it('finds the relay that is configured: an ExternalAuthoritative connector, from its trusted network (positive control)', () => {
      const r = nmapSmtp(AUDIT_EXTERNAL, 25, TRUSTED_NETWORK);
      const ok = /^Server is an open relay \(\d+\/16 tests\)/.test(r.relay);
      recordFigure('audits', { subject: `nmap smtp-open-relay on Audit External ${AUDIT_EXTERNAL}:25 from ${TRUSTED_NETWORK} (positive control)`, finding: r.relay, ok });
      assert.ok(ok, r.out);
    });

    it('shows STARTTLS and no AUTH before TLS in the EHLO keywords (smtp-commands)', () => {
      const expect: { name: string; address: string; port: number; source?: string; startTls: boolean; auth: boolean }[] = [
        { name: 'From Internet', address: EDGE_EXT, port: 25, startTls: true, auth: false },
        { name: 'From Internal Org', address: EDGE_INT, port: 25, source: MBX1, startTls: true, auth: false },
        { name: 'Audit None', address: AUDIT_NONE, port: 25, startTls: false, auth: false },
        { name: 'Audit BasicAuth', address: AUDIT_BASIC, port: 25, startTls: true, auth: true },
        { name: 'Default MBX01', address: MBX1, port: 25, startTls: true, auth: false },
        { name: 'Client MBX01', address: MBX1, port: 587, startTls: true, auth: false },
      ];
      const failures: string[] = [];
      for (const t of expect) {
        const r = nmapSmtp(t.address, t.port, t.source);
        const startTls = r.keywords.includes('STARTTLS');
        const auth = r.keywords.some((k) => /^AUTH\b/.test(k));
        const ok = startTls === t.startTls && auth === t.auth && r.keywords.length > 0;
        recordFigure('audits', { subject: `nmap smtp-commands on ${t.name} ${t.address}:${t.port}`, finding: r.commands, ok });
        if (!ok) failures.push(`${t.name}: expected STARTTLS ${t.startTls}, AUTH ${t.auth}: ${r.commands}`);
      }
      assert.deepEqual(failures, []);
      assert.ok(!nmapSmtp(EDGE_EXT, 25).keywords.some((k) => /NTLM|GSSAPI|X-EXPS/.test(k)), 'no Integrated or ExchangeServer (X-EXPS) mechanism is advertised');
    });
  });

  describe('TLS over STARTTLS', () => {
    const weakCategories = ['cipherlist_NULL', 'cipherlist_aNULL', 'cipherlist_EXPORT', 'cipherlist_LOW', 'cipherlist_3DES_IDEA'];

    it('testssl: TLS 1.2 and 1.3 only, no weak cipher category, forward secrecy, an RSA key of 2048 bits or more', async () => {
      const targets = [
        { name: 'From Internet', target: `${EDGE_EXT}:25`, flags: ['-p', '-s', '-f', '-S'] },
        { name: 'Default MBX01', target: `${MBX1}:25`, flags: ['-p', '-s', '-f', '-S'] },
        // The same certificate as Default MBX01's (the server's FQDN): its key is checked there.
        { name: 'Client MBX01', target: `${MBX1}:587`, flags: ['-p', '-s', '-f'] },
      ];
      const results = await Promise.all(targets.map((t) => testssl(t.target, dir.path, t.flags)));
      const failures: string[] = [];
      targets.forEach((t, i) => {
        const f = results[i];
        const finding = (id: string) => f.get(id)?.finding ?? 'missing';
        const checks: [string, boolean][] = [
          ...['SSLv2', 'SSLv3', 'TLS1', 'TLS1_1'].map((id): [string, boolean] => [`${id} ${finding(id)}`, finding(id).startsWith('not offered')]),
          ...['TLS1_2', 'TLS1_3'].map((id): [string, boolean] => [`${id} ${finding(id)}`, finding(id).startsWith('offered')]),
          ...weakCategories.map((id): [string, boolean] => [`${id} ${finding(id)}`, finding(id) === 'not offered']),
          [`PFS ${finding('PFS')}`, finding('PFS') === 'offered'],
        ];
        if (t.flags.includes('-S')) checks.push([`cert_keySize ${finding('cert_keySize')}`, Number(/^RSA (\d+) bits/.exec(finding('cert_keySize'))?.[1] ?? 0) >= 2048 || /^EC /.test(finding('cert_keySize'))]);
        // Anything testssl itself rates HIGH or CRITICAL, but for the self-signed test certificate's trust findings.
        for (const x of f.values()) {
          if ((x.severity === 'HIGH' || x.severity === 'CRITICAL') && !x.id.startsWith('cert_')) checks.push([`${x.severity} ${x.id}: ${x.finding}`, false]);
        }
        for (const [what, ok] of checks) {
          recordFigure('audits', { subject: `testssl --starttls smtp on ${t.name} ${t.target}: ${what.split(' ')[0]}`, finding: what, ok });
          if (!ok) failures.push(`${t.name}: ${what}`);
        }
        // Recorded, not failed: CBC suites in TLS 1.2 ("AVERAGE", severity LOW), part of Node's default list.
        if (f.get('cipherlist_AVERAGE')?.finding.startsWith('offered')) {
          recordFigure('audits', { subject: `testssl --starttls smtp on ${t.name} ${t.target}: cipherlist_AVERAGE`, finding: `${f.get('cipherlist_AVERAGE')!.severity} CBC suites offered in TLS 1.2`, ok: true });
        }
      });
      assert.deepEqual(failures, []);
    });

    it('nmap ssl-enum-ciphers on "From Internal Org" (only the Mailbox servers\' addresses get in): TLSv1.2/1.3 only, least strength A', () => {
      const r = run('nmap', ['-n', '-Pn', '-p', '25', '-e', 'lo', '-S', MBX1, '--script', 'ssl-enum-ciphers,ssl-cert', EDGE_INT], 60_000);
      const protocols = [...r.out.matchAll(/^\|\s{3}(\S+):\s*$/gm)].map((m) => m[1]);
      const least = /least strength: (\S+)/.exec(r.out)?.[1] ?? '';
      const bits = Number(/Public Key bits: (\d+)/.exec(r.out)?.[1] ?? 0);
      const ok = protocols.join(',') === 'TLSv1.2,TLSv1.3' && least === 'A' && bits >= 2048;
      recordFigure('audits', { subject: `nmap ssl-enum-ciphers on From Internal Org ${EDGE_INT}:25`, finding: `${protocols.join(', ')}; least strength ${least}; RSA ${bits} bits`, ok });
      assert.ok(ok, r.out);
    });

    it('Set-TransportService -TlsMinimumVersion refuses TLS 1.1 and older with the reason', async () => {
      for (const value of ['Tls11', 'Tls10', 'Ssl3']) {
        const r = await gatehouse(['shell', '--data', edge, '-c', `Set-TransportService EDGE01 -TlsMinimumVersion ${value}`]);
        assert.notEqual(r.code, 0);
        assert.match(r.stderr, /is not allowed for TlsMinimumVersion: SSL 3\.0, TLS 1\.0 and TLS 1\.1 are broken and deprecated \(RFC 8996\)\. Specify Tls12 or Tls13\./);
      }
      const shown = await shell(edge, ['Get-TransportService EDGE01 | Format-List TlsMinimumVersion']);
      assert.match(shown, /TlsMinimumVersion : Tls12/);
      recordFigure('audits', { subject: 'Set-TransportService -TlsMinimumVersion Tls11', finding: 'refused: SSL 3.0, TLS 1.0 and TLS 1.1 are broken and deprecated (RFC 8996)', ok: true });
    });

    it('Set-TransportService -TlsMinimumVersion Tls13 is honoured: testssl sees TLS 1.2 no longer offered, TLS 1.3 offered', async () => {
      await reconfigure(edgeService, edge, ['Set-TransportService EDGE01 -TlsMinimumVersion Tls13']);
      const f = await testssl(`${EDGE_EXT}:25`, dir.path, ['-p']);
      const tls12 = f.get('TLS1_2')?.finding ?? 'missing';
      const tls13 = f.get('TLS1_3')?.finding ?? 'missing';
      const ok = tls12.startsWith('not offered') && tls13.startsWith('offered');
      recordFigure('audits', { subject: `testssl -p on From Internet ${EDGE_EXT}:25 with TlsMinimumVersion Tls13`, finding: `TLS1_2 ${tls12}; TLS1_3 ${tls13}`, ok });
      assert.ok(ok, `TLS1_2 ${tls12}; TLS1_3 ${tls13}`);
      const s = run('openssl', ['s_client', '-starttls', 'smtp', '-connect', `${EDGE_EXT}:25`, '-tls1_2', '-brief'], 20_000);
      assert.notEqual(s.status, 0, s.out);
      await reconfigure(edgeService, edge, ['Set-TransportService EDGE01 -TlsMinimumVersion Tls12']);
      const back = run('openssl', ['s_client', '-starttls', 'smtp', '-connect', `${EDGE_EXT}:25`, '-tls1_2', '-brief'], 20_000);
      assert.match(back.out, /Protocol version: TLSv1\.2/);
    });
  });

  describe('swaks dialogs for each AuthMechanism', () => {
    const figure = (subject: string, finding: string, ok: boolean) => recordFigure('audits', { subject: `swaks ${subject}`, finding, ok });
    const sent = (out: string, pattern: RegExp) => out.split('\n').filter((l) => pattern.test(l));

    it('None: EHLO offers neither STARTTLS nor AUTH; swaks --tls and --auth fail', () => {
      const ehlo = swaks(`${AUDIT_NONE}:25`, ['--quit-after', 'EHLO']);
      assert.equal(ehlo.status, 0, ehlo.out);
      assert.doesNotMatch(ehlo.out, /<- {2}250[- ]STARTTLS/);
      assert.doesNotMatch(ehlo.out, /<- {2}250[- ]AUTH/);
      const tls = swaks(`${AUDIT_NONE}:25`, ['--tls', '--quit-after', 'TLS']);
      assert.equal(tls.status, 29, tls.out);
      const auth = swaks(`${AUDIT_NONE}:25`, ['--auth', 'PLAIN', '--auth-user', 'mbxrelay', '--auth-password', PW.mbxrelay, '--quit-after', 'AUTH']);
      assert.equal(auth.status, 28, auth.out);
      assert.match(auth.out, /Host did not advertise authentication/);
      figure(`None ${AUDIT_NONE}:25`, 'EHLO without STARTTLS or AUTH; --tls rc 29, --auth rc 28', true);
    });

    it('Tls, ExchangeServer ("From Internet"): STARTTLS offered, no AUTH before or after TLS, no X-EXPS', () => {
      const r = swaks(`${EDGE_EXT}:25`, ['--tls', '--quit-after', 'HELO']);
      assert.equal(r.status, 0, r.out);
      assert.match(r.out, /<- {2}250[- ]STARTTLS/);
      assert.doesNotMatch(r.out, /<[-~] {1,2}250[- ](AUTH|X-EXPS)/);
      assert.match(r.out, /=== TLS started with cipher TLSv1\.[23]/);
      assert.match(r.out, /<~ {2}250[- ]/);
      const auth = swaks(`${EDGE_EXT}:25`, ['--tls', '--auth', 'PLAIN', '--auth-user', 'mbxrelay', '--auth-password', PW.mbxrelay, '--quit-after', 'AUTH']);
      assert.equal(auth.status, 28, auth.out);
      figure(`Tls,ExchangeServer From Internet ${EDGE_EXT}:25`, 'STARTTLS offered; no AUTH before or after TLS', true);
    });

    it('BasicAuthRequireTLS ("From Internal Org"): no AUTH before TLS, AUTH before TLS gets 530 5.7.0, LOGIN PLAIN after it', () => {
      const before = swaks(`${EDGE_INT}:25`, ['--local-interface', MBX1, '--quit-after', 'EHLO']);
      assert.equal(before.status, 0, before.out);
      assert.doesNotMatch(before.out, /250[- ]AUTH/);
      // swaks will not send AUTH that was not advertised: smtplib sends it anyway.
      const forced = run(
        'python3',
        [
          '-c',
          `
import smtplib, base64
s = smtplib.SMTP('${EDGE_INT}', 25, local_hostname='mbxserver01.contoso.com', source_address=('${MBX1}', 0), timeout=20)
s.ehlo()
code, msg = s.docmd('AUTH', 'PLAIN ' + base64.b64encode(b'\\0mbxrelay\\0${PW.mbxrelay}').decode())
print('auth-before-tls', code, msg.decode())
s.quit()`,
        ],
        30_000,
      );
      assert.match(forced.out, /auth-before-tls 530 5\.7\.0 Must issue a STARTTLS command first/);
      const afterTls = swaks(`${EDGE_INT}:25`, ['--local-interface', MBX1, '--tls', '--quit-after', 'HELO']);
      assert.match(afterTls.out, /<~ {2}250[- ]AUTH LOGIN PLAIN/);
      figure(`BasicAuthRequireTLS From Internal Org ${EDGE_INT}:25: AUTH before TLS`, /auth-before-tls (.*)/.exec(forced.out)![1].trim(), true);
    });

    it('BasicAuthRequireTLS: good credentials after TLS get 235 and relay; a wrong password gets 535 5.7.3', () => {
      const good = swaks(`${EDGE_INT}:25`, [
        '--local-interface',
        MBX1,
        '--tls',
        '--auth',
        'PLAIN',
        '--auth-user',
        'mbxrelay',
        '--auth-password',
        PW.mbxrelay,
        '--from',
        'bob@contoso.com',
        '--to',
        'carol@woodgrove.com',
        '--quit-after',
        'RCPT',
      ]);
      assert.equal(good.status, 0, good.out);
      assert.match(good.out, /<~ {2}235 2\.7\.0 Authentication successful/);
      const bad = swaks(`${EDGE_INT}:25`, ['--local-interface', MBX1, '--tls', '--auth', 'LOGIN', '--auth-user', 'mbxrelay', '--auth-password', 'not-the-password', '--quit-after', 'AUTH']);
      assert.equal(bad.status, 28, bad.out);
      const refusal = sent(bad.out, /<~\* {1,2}535/)[0] ?? '';
      assert.match(refusal, /535 5\.7\.3 Authentication unsuccessful/);
      figure(`BasicAuthRequireTLS From Internal Org ${EDGE_INT}:25: good credentials after TLS`, '235 2.7.0 Authentication successful; relay accepted', true);
      figure(`BasicAuthRequireTLS From Internal Org ${EDGE_INT}:25: wrong password`, refusal.replace(/^<~\*\s+/, ''), true);
    });

    it('BasicAuth without BasicAuthRequireTLS: AUTH is offered in plaintext, as configured, and works', () => {
      const r = swaks(`${AUDIT_BASIC}:25`, ['--auth', 'LOGIN', '--auth-user', 'mbxrelay', '--auth-password', PW.mbxrelay, '--quit-after', 'AUTH']);
      assert.equal(r.status, 0, r.out);
      assert.match(r.out, /<- {2}250[- ]AUTH LOGIN PLAIN/);
      assert.match(r.out, /<- {2}235 2\.7\.0 Authentication successful/);
      figure(`BasicAuth Audit BasicAuth ${AUDIT_BASIC}:25`, 'AUTH LOGIN PLAIN offered before TLS (the admin left out BasicAuthRequireTLS); 235', true);
    });

    it('Client MBX01 (Tls, BasicAuth, BasicAuthRequireTLS): no AUTH before TLS; a mailbox user logs in after it', () => {
      const plain = swaks(`${MBX1}:587`, ['--quit-after', 'EHLO']);
      assert.doesNotMatch(plain.out, /250[- ]AUTH/);
      const r = swaks(`${MBX1}:587`, ['--tls', '--auth', 'PLAIN', '--auth-user', 'alice@contoso.com', '--auth-password', PW.alice, '--quit-after', 'AUTH']);
      assert.equal(r.status, 0, r.out);
      assert.match(r.out, /<~ {2}235 /);
      const bad = swaks(`${MBX1}:587`, ['--tls', '--auth', 'PLAIN', '--auth-user', 'alice@contoso.com', '--auth-password', 'wrong', '--quit-after', 'AUTH']);
      assert.equal(bad.status, 28, bad.out);
      assert.match(bad.out, /<~\* {1,2}535 5\.7\.3 Authentication unsuccessful/);
      figure(`Tls,BasicAuth,BasicAuthRequireTLS Client MBX01 ${MBX1}:587`, 'no AUTH before TLS; 235 after TLS; 535 5.7.3 for a wrong password', true);
    });

    it('ExternalAuthoritative: no STARTTLS, no AUTH, and the trusted network may relay (externally secured)', () => {
      const r = swaks(`${AUDIT_EXTERNAL}:25`, ['--local-interface', TRUSTED_NETWORK, '--from', 'app@contoso.com', '--to', 'carol@woodgrove.com', '--quit-after', 'RCPT']);
      assert.equal(r.status, 0, r.out);
      assert.doesNotMatch(r.out, /250[- ](STARTTLS|AUTH)/);
      figure(`ExternalAuthoritative Audit External ${AUDIT_EXTERNAL}:25`, 'no STARTTLS or AUTH; relay granted to the trusted network', true);
    });

    it('Integrated: refused by the shell with the reason (Gatehouse offers no NTLM/Kerberos)', async () => {
      const r = await gatehouse(['shell', '--data', edge, '-c', `New-ReceiveConnector -Name "Audit Integrated" -Usage Custom -AuthMechanism Tls,Integrated -Bindings ${AUDIT_NONE}:2525 -RemoteIPRanges 0.0.0.0-255.255.255.255`]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /Integrated \(NTLM\/Kerberos\) authentication is not available in Gatehouse/);
      figure('Integrated (New-ReceiveConnector)', 'refused: Integrated (NTLM/Kerberos) authentication is not available', true);
    });
  });

  describe('our client never sends credentials without TLS', needs('aiosmtpd'), () => {
    it('"To Internal Org" (BasicAuthRequireTLS) sends no AUTH and no mail to a smart host offering AUTH without STARTTLS; LastError says why', async () => {
      const peer = await startPlainAuthPeer(dir.path, PLAIN_SMART_HOST, 25);
      peers.push(peer);
      const r = swaks(`${EDGE_EXT}:25`, ['--from', 'sender@fabrikam.com', '--to', 'alice@contoso.com', '--header', 'Subject: audit no auth without tls']);
      assert.equal(r.status, 0, r.out);
      await until(() => /CMD EHLO/.test(peer.output()), 30_000, 'the Edge to reach the smart host');
      let lastError = '';
      await until(
        async () => {
          const q = await gatehouse(['shell', '--data', edge, '-c', 'Get-Queue | Where-Object { $_.LastError } | Format-List Identity,NextHopDomain,LastError']);
          lastError = /LastError\s+: (.*)/.exec(q.stdout)?.[1] ?? '';
          return /STARTTLS/.test(lastError);
        },
        30_000,
        "the queue's LastError",
      );
      assert.doesNotMatch(peer.output(), /CMD AUTH/);
      assert.doesNotMatch(peer.output(), /CMD MAIL/);
      assert.match(lastError, /451 5\.7\.3 STARTTLS is required to send mail/);
      recordFigure('audits', { subject: `"To Internal Org" (BasicAuthRequireTLS) to a smart host offering AUTH without STARTTLS (${PLAIN_SMART_HOST}:25)`, finding: `no AUTH sent; LastError ${lastError}`, ok: true });
    });
  });
});
