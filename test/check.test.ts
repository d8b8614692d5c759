// `gatehouse check`: real server folders, each with one thing wrong, give the
// finding (exit 1) with a fix; the fix, run as printed in a shell, clears it
// (exit 0). A clean server is clean, online and --offline. DNS servers are
// probed over UDP on loopback only; --offline sends nothing.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BIN, gatehouse, scratchDir } from './harness/gatehouse.js';

const DNS_DOWN = '127.39.3.1';

interface Finding {
  area: string;
  problem: string;
  fix: string;
}

describe('gatehouse check', () => {
  const dir = scratchDir('check');
  const binDir = join(dir.path, 'bin');
  let n = 0;

  /** A fresh Edge server folder, configured by `script` (piped to the shell, so Get-Credential reads the next lines). */
  const edge = async (script: string[] = []): Promise<string> => {
    const data = join(dir.path, `EDGE${++n}`);
    const s = await gatehouse(['setup', '--role', 'EdgeTransport', '--name', 'EDGE01', '--fqdn', 'edge01.contoso.net', '--data', data]);
    assert.equal(s.code, 0, s.stderr);
    if (script.length > 0) {
      const r = await gatehouse(['shell', '--data', data], { input: script.join('\n') + '\n' });
      assert.equal(r.code, 0, r.stdout + r.stderr);
    }
    return data;
  };

  const check = async (data: string, extra: string[] = []): Promise<{ code: number | null; findings: Finding[]; text: string }> => {
    const json = await gatehouse(['check', '--data', data, '--json', ...extra]);
    const doc = JSON.parse(json.stdout) as { findings: Finding[]; clean: boolean };
    assert.equal(doc.clean, doc.findings.length === 0);
    const text = await gatehouse(['check', '--data', data, ...extra]);
    assert.equal(text.code, json.code, 'text and JSON agree');
    return { code: json.code, findings: doc.findings, text: text.stdout };
  };

  /** Runs a finding's fix as printed, with `gatehouse` on the PATH. */
  const runFix = (f: Finding) => {
    const r = spawnSync('sh', ['-c', f.fix], { encoding: 'utf8', env: { ...process.env, PATH: `${binDir}:${process.env.PATH}` }, timeout: 60_000 });
    assert.equal(r.status, 0, `${f.fix}\n${r.stdout}${r.stderr}`);
  };

  const only = (findings: Finding[], area: string): Finding => {
    assert.equal(findings.length, 1, JSON.stringify(findings, null, 2));
    assert.equal(findings[0].area, area);
    return findings[0];
  };

  before(() => {
    mkdirSync(binDir);
    symlinkSync(BIN, join(binDir, 'gatehouse'));
  });

  after(() => dir.remove());

  it('finds nothing on a fresh server (exit 0), online and offline', async () => {
    const data = await edge();
    for (const extra of [[], ['--offline']]) {
      const r = await check(data, extra);
      assert.equal(r.code, 0, r.text);
      assert.deepEqual(r.findings, []);
      assert.match(r.text, /^EDGE01 \(EdgeTransport, edge01\.contoso\.net\): no findings/m);
    }
  });

  it('finds a folder group or others can read, and chmod fixes it', async () => {
    const data = await edge();
    chmodSync(data, 0o755);
    chmodSync(join(data, 'server.db'), 0o644);
    const r = await check(data, ['--offline']);
    assert.equal(r.code, 1);
    const f = only(r.findings, 'files');
    assert.match(f.problem, /^the server folder: \d+ paths are readable or writable by group or others, e\.g\. \S+EDGE\d+ \(folder 0755\), \S+server\.db \(file 0644\)/);
    assert.equal(f.fix, `chmod -R go-rwx ${data}`);
    assert.match(r.text, /^  fix: chmod -R go-rwx /m);
    runFix(f);
    assert.equal((await check(data, ['--offline'])).code, 0);
  });

  it('finds a connector whose Fqdn no certificate carries', async () => {
    const data = await edge(['Set-ReceiveConnector "Default internal Receive connector EDGE01" -Fqdn mail.contoso.com']);
    const r = await check(data, ['--offline']);
    const f = only(r.findings, 'certificates');
    assert.match(f.problem, /EDGE01\\Default internal Receive connector EDGE01 offers STARTTLS but no certificate enabled for SMTP carries its Fqdn mail\.contoso\.com/);
    runFix(f);
    assert.equal((await check(data, ['--offline'])).code, 0);
  });

  /** A certificate for edge01.contoso.net valid between two dates, made by Python's cryptography package, imported and enabled for SMTP. */
  const withCertificate = async (notBefore: string, notAfter: string): Promise<string> => {
    const pem = join(dir.path, `cert${++n}.pem`);
    const py = [
      'import datetime, sys',
      'from cryptography import x509',
      'from cryptography.x509.oid import NameOID, ExtendedKeyUsageOID',
      'from cryptography.hazmat.primitives import hashes, serialization',
      'from cryptography.hazmat.primitives.asymmetric import rsa',
      'key = rsa.generate_private_key(public_exponent=65537, key_size=2048)',
      'name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "edge01.contoso.net")])',
      'cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key()).serial_number(x509.random_serial_number())',
      '  .not_valid_before(datetime.datetime.fromisoformat(sys.argv[1])).not_valid_after(datetime.datetime.fromisoformat(sys.argv[2]))',
      '  .add_extension(x509.SubjectAlternativeName([x509.DNSName("edge01.contoso.net")]), critical=False)',
      '  .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)',
      '  .sign(key, hashes.SHA256()))',
      'sys.stdout.write(cert.public_bytes(serialization.Encoding.PEM).decode() + key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode())',
    ].join('\n');
    const r = spawnSync('python3', ['-c', py, notBefore, notAfter], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 0, r.stderr);
    writeFileSync(pem, r.stdout, { mode: 0o600 });
    // The server's own certificate is removed once the imported one can take its place for its FQDN.
    return edge(['$own = (Get-ExchangeCertificate).Thumbprint', `$c = Import-ExchangeCertificate -FileName "${pem}"`, 'Enable-ExchangeCertificate $c.Thumbprint -Services SMTP -Force', 'Remove-ExchangeCertificate $own -Confirm:$false']);
  };

  const isoDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 19);

  it('finds a certificate that expires within 30 days', async () => {
    // One expiry for the certificate and the expected text: computed twice, a run across midnight UTC saw two dates.
    const notAfter = isoDays(10);
    const data = await withCertificate(isoDays(-300), notAfter);
    const r = await check(data, ['--offline']);
    const f = only(r.findings, 'certificates');
    assert.match(f.problem, new RegExp(`\\(CN=edge01\\.contoso\\.net\\), enabled for SMTP, expires on ${notAfter.slice(0, 10)}, within 30 days`));
    runFix(f);
    const again = await check(data, ['--offline']);
    assert.equal(again.code, 0, again.text);
  });

  it('finds an expired certificate, and the connector left without one', async () => {
    // Enabled while still valid (Enable-ExchangeCertificate refuses an expired one), then left to expire.
    const notAfter = Date.now() + 30_000;
    const data = await withCertificate(isoDays(-400), new Date(notAfter).toISOString().slice(0, 19));
    assert.ok(Date.now() < notAfter, 'the certificate was enabled before it expired');
    await new Promise((resolve) => setTimeout(resolve, notAfter + 1000 - Date.now()));
    const r = await check(data, ['--offline']);
    assert.equal(r.code, 1);
    assert.equal(r.findings.length, 2, JSON.stringify(r.findings, null, 2));
    assert.match(r.findings[0].problem, /offers STARTTLS but the certificate for edge01\.contoso\.net \(\w+\) expired on /);
    assert.match(r.findings[1].problem, new RegExp(`enabled for SMTP, expired on ${new Date(notAfter).toISOString().slice(0, 10)}`));
    runFix(r.findings[1]);
    const again = await check(data, ['--offline']);
    assert.equal(again.code, 0, again.text);
  });

  it('finds Receive connectors whose bindings and remote ranges collide (a store written around validation)', async () => {
    const data = await edge(['New-ReceiveConnector -Name Second -Bindings 127.39.4.1:2526 -RemoteIPRanges 0.0.0.0-255.255.255.255 -Usage Custom']);
    // Validation refuses the collision in the shell; an older version or a hand edit can still leave one in the store.
    const py = [
      'import json, sqlite3, sys',
      'db = sqlite3.connect(sys.argv[1])',
      '(data,) = db.execute("SELECT data FROM config_objects WHERE name = \'Default internal Receive connector EDGE01\'").fetchone()',
      '(second,) = db.execute("SELECT data FROM config_objects WHERE name = \'Second\'").fetchone()',
      'd, s = json.loads(data), json.loads(second)',
      's["Bindings"], s["RemoteIPRanges"] = d["Bindings"], d["RemoteIPRanges"]',
      'db.execute("UPDATE config_objects SET data = ? WHERE name = \'Second\'", (json.dumps(s),))',
      'db.commit()',
    ].join('\n');
    const e = spawnSync('python3', ['-c', py, join(data, 'server.db')], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(e.status, 0, e.stderr);
    const r = await check(data, ['--offline']);
    const f = only(r.findings, 'receive-connectors');
    assert.match(f.problem, /Receive connectors EDGE01\\Default internal Receive connector EDGE01 and EDGE01\\Second collide/);
    assert.match(f.fix, /'Set-ReceiveConnector "Second" -Bindings IP\.ADDRESS:PORT'$/);
    runFix({ ...f, fix: f.fix.replace('IP.ADDRESS:PORT', '127.39.4.1:2526') });
    assert.equal((await check(data, ['--offline'])).code, 0);
  });

  it('finds a Send connector that can never be chosen', async () => {
    const data = await edge(['New-SendConnector -Name Internet -AddressSpaces "SMTP:*;1"', 'New-SendConnector -Name Backup -AddressSpaces "SMTP:*;5"']);
    const r = await check(data, ['--offline']);
    const f = only(r.findings, 'send-connectors');
    assert.match(f.problem, /^Send connector Backup \(SMTP:\*;5\) is never chosen: Send connector Internet has the same or a more specific address space/);
    runFix(f);
    assert.equal((await check(data, ['--offline'])).code, 0);
  });

  it('finds an accepted domain with no route', async () => {
    const data = await edge(['New-AcceptedDomain Fabrikam -DomainName fabrikam.com -DomainType InternalRelay', 'New-SendConnector -Name Contoso -AddressSpaces contoso.com']);
    const r = await check(data, ['--offline']);
    const f = only(r.findings, 'accepted-domains');
    assert.match(f.problem, /accepted domain Fabrikam \(fabrikam\.com, InternalRelay\) has no route/);
    assert.match(f.fix, /New-SendConnector -Name "To fabrikam\.com" -AddressSpaces fabrikam\.com -DNSRoutingEnabled \$false -SmartHosts MAILBOX\.SERVER\.FQDN/);
    runFix({ ...f, fix: f.fix.replace('MAILBOX.SERVER.FQDN', '127.39.4.9') });
    assert.equal((await check(data, ['--offline'])).code, 0);
  });

  it('finds a smart-host credential sent without TLS', async () => {
    const data = await edge([
      '$cred = Get-Credential',
      'relayuser',
      'S3cret-pass!',
      'New-SendConnector -Name Relay -AddressSpaces * -DNSRoutingEnabled $false -SmartHosts 127.39.4.2 -SmartHostAuthMechanism BasicAuth -AuthenticationCredential $cred',
    ]);
    const r = await check(data, ['--offline']);
    const f = only(r.findings, 'send-connectors');
    assert.match(f.problem, /^Send connector Relay gives its smart-host credential \(relayuser\) with BasicAuth while TLS is not required/);
    assert.doesNotMatch(r.text, /S3cret/);
    runFix(f);
    assert.equal((await check(data, ['--offline'])).code, 0);
  });

  it('probes the DNS servers Set-TransportService names, unless --offline', async () => {
    const data = await edge([`Set-TransportService EDGE01 -ExternalDNSServers ${DNS_DOWN} -ExternalDNSAdapterEnabled $false`]);
    const r = await check(data);
    const f = only(r.findings, 'dns');
    assert.match(f.problem, new RegExp(`DNS server ${DNS_DOWN.replace(/\./g, '\\.')}:53 \\(ExternalDNSServers\\) does not answer`));
    assert.equal((await check(data, ['--offline'])).code, 0);
    runFix(f);
    assert.equal((await check(data)).code, 0);
  });

  it('finds a Mailbox server whose organization store cannot be opened', async () => {
    const data = join(dir.path, 'MBX01');
    const org = join(dir.path, 'org', 'organization.db');
    mkdirSync(join(dir.path, 'org'), { mode: 0o700 });
    const s = await gatehouse(['setup', '--role', 'Mailbox', '--name', 'MBX01', '--fqdn', 'mbx01.contoso.com', '--data', data, '--org', org]);
    assert.equal(s.code, 0, s.stderr);
    assert.equal((await check(data, ['--offline'])).code, 0);
    renameSync(org, `${org}.moved`);
    const r = await check(data, ['--offline']);
    const f = only(r.findings, 'organization-store');
    assert.match(f.problem, new RegExp(`the organization store ${org.replace(/[.\\]/g, '\\$&')} cannot be opened: .*missing`));
    assert.match(f.fix, /^gatehouse restore --from BACKUP-FILE --data .*MBX01 --force --org .*organization\.db$/);
    renameSync(`${org}.moved`, org);
    assert.equal((await check(data, ['--offline'])).code, 0);
  });
});
