// "Log On To" against the running service: a Mailbox server whose DNS settings
// name a real DNS server (dnsmasq), the Edge's directory account restricted
// with -LogonWorkstations, and real SMTP clients (Python's smtplib, swaks)
// logging on to the "Default MBX01" Receive connector from chosen loopback
// addresses. The same credential is accepted from the listed computer's
// address and refused (535) from any other, with the refusal's reason in the
// log and no bad password counted; a single label gets the directory's DNS
// domain appended; an FQDN is resolved as written; an unresolvable name
// refuses; clearing the list allows every computer again.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { formatListRecords } from './harness/format-list.js';
import { gatehouse, scratchDir } from './harness/gatehouse.js';
import { startDnsmasq, type Peer } from './harness/peers.js';
import { startService, type LogLine, type RunningService } from './harness/service.js';

const MBX1 = '127.37.0.10';
const DNS = '127.37.0.53';
const DNS_PORT = 5354;
/** edge01.contoso.com, edge02.fabrikam.com, and a computer no list names. */
const EDGE01 = '127.37.0.21';
const EDGE02 = '127.37.0.22';
const OTHER = '127.37.0.30';
const PASSWORD = 'Edge-Auth-Right-4471';
const REFUSED = '535 5.7.3 Authentication unsuccessful';

/** One SMTP session from `source`: STARTTLS, AUTH PLAIN, QUIT; prints the reply to AUTH as "code text". */
const LOGIN = `
import smtplib, ssl, sys
host, port, source, user, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
s = smtplib.SMTP(host, port, source_address=(source, 0), timeout=60)
s.starttls(context=ctx); s.ehlo('edge01.contoso.com')
s.user, s.password = user, password
try:
    code, text = s.auth('PLAIN', s.auth_plain)
    print(code, text.decode())
except smtplib.SMTPAuthenticationError as e:
    print(e.smtp_code, e.smtp_error.decode())
s.quit()
`;

function login(source: string, user = 'CONTOSO\\edgeauth', password = PASSWORD): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('python3', ['-c', LOGIN, MBX1, '25', source, user, password], { timeout: 90_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`smtplib from ${source} as ${user}: ${err.message}\n${stdout}\n${stderr}`));
      else resolve(stdout.trim());
    });
  });
}

/** swaks from `source`: STARTTLS, AUTH LOGIN, then stops; resolves with its exit status and transcript. */
function swaks(source: string): Promise<{ status: number; out: string }> {
  return new Promise((resolve) => {
    execFile(
      'swaks',
      ['--server', `${MBX1}:25`, '--local-interface', source, '--ehlo', 'edge01.contoso.com', '--tls', '--auth', 'LOGIN', '--auth-user', 'CONTOSO\\edgeauth', '--auth-password', PASSWORD, '--quit-after', 'AUTH', '--timeout', '30'],
      { timeout: 90_000, encoding: 'utf8' },
      (err, stdout, stderr) => resolve({ status: err ? Number((err as { code?: number }).code ?? -1) : 0, out: stdout + stderr }),
    );
  });
}

describe('LogonWorkstations: logons from listed computers only', () => {
  const dir = scratchDir('logon-workstations');
  const mbx1 = join(dir.path, 'MBX01');
  let dns: Peer | undefined;
  let service: RunningService | undefined;

  const shell = async (script: string[]) => {
    const r = await gatehouse(['shell', '--data', mbx1], { input: script.join('\n') + '\n' });
    assert.equal(r.code, 0, `${script.join('\n')}\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  };
  /** Runs a change and waits until the service has applied it. */
  const applied = async (script: string[]) => {
    const seen = service!.lines.length;
    await shell(script);
    await service!.waitFor((l) => l.event === 'config.applied' && service!.lines.indexOf(l) >= seen, 15_000, 'config.applied');
  };
  const failure = (source: string, seen: number) => service!.waitFor((l) => l.event === 'smtp.in.auth.failed' && l.source === source && service!.lines.indexOf(l) >= seen, 10_000, `the refusal of ${source}`);
  const badLogonCount = async () => formatListRecords(await shell(['Get-ADUser edgeauth -Properties BadLogonCount | Format-List BadLogonCount']))[0].BadLogonCount;

  before(async () => {
    dns = await startDnsmasq(DNS, DNS_PORT, ['contoso.com', 'fabrikam.com'], [`--host-record=edge01.contoso.com,${EDGE01}`, `--host-record=edge02.fabrikam.com,${EDGE02}`]);
    const setup = await gatehouse(['setup', '--role', 'Mailbox', '--name', 'MBX01', '--fqdn', 'mbxserver01.contoso.com', '--data', mbx1]);
    assert.equal(setup.code, 0, setup.stdout + setup.stderr);
    await shell([
      `New-ADUser -Name EdgeAuth -SamAccountName edgeauth -AccountPassword (ConvertTo-SecureString "${PASSWORD}" -AsPlainText -Force) -Enabled $true -LogonWorkstations EDGE01`,
      'Add-ADGroupMember -Identity "Exchange Servers" -Members edgeauth',
      `Set-ReceiveConnector "Default MBX01" -Bindings ${MBX1}:25 -AuthTarpitInterval 00:00:00`,
      // Setup binds the Client connector to every address (0.0.0.0:587): it would take port 587 from
      // the other tests' servers that run meanwhile.
      `Set-ReceiveConnector "Client MBX01" -Bindings ${MBX1}:587`,
      `Set-TransportService MBX01 -InternalDNSServers ${DNS}:${DNS_PORT} -InternalDNSAdapterEnabled $false`,
    ]);
    service = await startService(mbx1);
  });

  after(async () => {
    await service?.stop();
    await dns?.stop();
    dir.remove();
  });

  it('stores the list as Active Directory shows it (Get-ADUser -Properties LogonWorkstations)', async () => {
    const user = formatListRecords(await shell(['Get-ADUser edgeauth -Properties LogonWorkstations,userWorkstations | Format-List DistinguishedName,LogonWorkstations,userWorkstations']))[0];
    assert.deepEqual(user, { DistinguishedName: 'CN=EdgeAuth,CN=Users,DC=contoso,DC=com', LogonWorkstations: 'EDGE01', userWorkstations: 'EDGE01' });
  });

  it('accepts the credential from EDGE01 (the single label with contoso.com appended) with smtplib and swaks', async () => {
    assert.match(await login(EDGE01), /^235 /);
    const s = await swaks(EDGE01);
    assert.equal(s.status, 0, s.out);
    assert.match(s.out, /<~ {2}235 2\.7\.0 /);
    const ok = await service!.waitFor((l) => l.event === 'smtp.in.auth.succeeded' && l.remote === EDGE01, 10_000, 'the logon from EDGE01');
    assert.equal(ok.user, 'CONTOSO\\edgeauth');
  });

  it('refuses the same credential from another address like any failed logon, logs why, and counts no bad password', async () => {
    const seen = service!.lines.length;
    assert.equal(await login(OTHER), REFUSED);
    const s = await swaks(OTHER);
    assert.notEqual(s.status, 0, s.out);
    assert.match(s.out, /<~\* 535 5\.7\.3 Authentication unsuccessful/);
    const line: LogLine = await failure(OTHER, seen);
    assert.equal(line.reason, `account restriction, workstation: CONTOSO\\edgeauth may log on only from EDGE01, and ${OTHER} is none of them (EDGE01 (edge01.contoso.com) -> ${EDGE01})`);
    assert.equal(line.account, 'CONTOSO\\edgeauth');
    assert.equal(line.logonWorkstations, 'EDGE01');
    assert.deepEqual(line.resolved, [`EDGE01 (edge01.contoso.com) -> ${EDGE01}`]);
    assert.equal(await badLogonCount(), '0', 'a right password from the wrong computer is not a bad password');
    // A wrong password from EDGE01 is a bad password, and says so (not the restriction).
    const wrongSeen = service!.lines.length;
    assert.equal(await login(EDGE01, 'edgeauth', 'Not-The-Password'), REFUSED);
    assert.match(String((await failure(EDGE01, wrongSeen)).reason), /^wrong password for CONTOSO\\edgeauth$/);
    assert.equal(await badLogonCount(), '1');
    assert.match(await login(EDGE01), /^235 /, 'and a right one from EDGE01 logs on (and clears the count)');
    assert.equal(await badLogonCount(), '0');
    const logged = JSON.stringify(service!.lines);
    assert.ok(!logged.includes(PASSWORD) && !logged.includes('Not-The-Password'), 'no password in the log');
  });

  it('resolves an FQDN as written, and the list follows Set-ADUser live', async () => {
    await applied(['Set-ADUser edgeauth -LogonWorkstations "EDGE01,edge02.fabrikam.com"']);
    assert.match(await login(EDGE02), /^235 /);
    assert.match(await login(EDGE01), /^235 /);
    const seen = service!.lines.length;
    assert.equal(await login(OTHER), REFUSED);
    assert.deepEqual((await failure(OTHER, seen)).resolved, [`EDGE01 (edge01.contoso.com) -> ${EDGE01}`, `edge02.fabrikam.com -> ${EDGE02}`]);
  });

  it('refuses (fail closed) when the listed name does not resolve, saying so', async () => {
    await applied(['Set-ADUser edgeauth -LogonWorkstations EDGE09']);
    const seen = service!.lines.length;
    assert.equal(await login(EDGE01), REFUSED);
    const line = await failure(EDGE01, seen);
    assert.match(
      String(line.reason),
      /^account restriction, workstation: CONTOSO\\edgeauth may log on only from EDGE09, and 127\.37\.0\.21 is none of them \(EDGE09 \(edge09\.contoso\.com\) -> did not resolve: the name does not exist \(NXDOMAIN\) \(asked 127\.37\.0\.53:5354/,
    );
    assert.match(String(line.action), /did not resolve: fix its DNS record/);
  });

  it('allows every computer again once the list is cleared', async () => {
    await applied(['Set-ADUser edgeauth -LogonWorkstations $null']);
    assert.match(await login(OTHER), /^235 /);
    assert.equal(formatListRecords(await shell(['Get-ADUser edgeauth -Properties LogonWorkstations | Format-List LogonWorkstations']))[0].LogonWorkstations, '');
    await applied(['Set-ADUser edgeauth -LogonWorkstations EDGE01']);
    assert.equal(await login(OTHER), REFUSED, 'and restricted again');
    await applied(['Set-ADUser edgeauth -LogonWorkstations ""']);
    assert.match(await login(OTHER), /^235 /, 'an empty string clears it too');
  });
});
