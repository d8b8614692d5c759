// The management endpoint and its clients, against two real Mailbox servers
// (MBX01, MBX02, one organization store) started with `gatehouse start` on
// 127.42.0.1 and 127.42.0.2: a remote session from MBX02's shell to MBX01's
// endpoint (New-PSSession, Invoke-Command, Import-PSSession, Remove-PSSession),
// `gatehouse shell --connect` with each role group allowed and refused, the
// administrator audit log naming the remote caller, the endpoint following a
// new URL and a new IIS certificate live, and the refusals seen by real
// clients (curl, openssl): a wrong password, plain HTTP, an untrusted
// certificate, an expired session.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { formatListRecords } from './harness/format-list.js';
import { gatehouse, scratchDir } from './harness/gatehouse.js';
import { startDnsmasq, type Peer } from './harness/peers.js';
import { startService, type LogLine, type RunningService } from './harness/service.js';

const MBX1 = '127.42.0.1';
const MBX2 = '127.42.0.2';
const EDGE = '127.42.0.5';
const DNS = '127.42.0.53';
/** The one computer (ws01.contoso.com in dnsmasq) the restricted account may log on from. */
const WS01 = '127.42.0.77';
const DNS_PORT = 5356;
const URL1 = `https://${MBX1}:8443/PowerShell/`;
const URL2 = `https://${MBX2}:8443/PowerShell/`;
const USERS = {
  orgadmin: { group: 'Organization Management', password: 'Org-Admin-Remote-7731' },
  viewer: { group: 'View-Only Organization Management', password: 'Viewer-Remote-2290' },
  recip: { group: 'Recipient Management', password: 'Recip-Remote-5518' },
  srv: { group: 'Server Management', password: 'Server-Remote-8843' },
} as const;
type User = keyof typeof USERS;

function run(cmd: string, args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { timeout: 60_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? -1) : 0, stdout, stderr });
    });
    if (input !== undefined) child.stdin!.end(input);
  });
}

/** curl to an endpoint: the HTTP status (last line) and the body. */
async function curl(args: string[]): Promise<{ code: number; status: string; body: string; stderr: string }> {
  const r = await run('curl', ['-sS', '--max-time', '30', '-w', '\n%{http_code}', ...args]);
  const nl = r.stdout.lastIndexOf('\n');
  return { code: r.code, status: r.stdout.slice(nl + 1), body: r.stdout.slice(0, nl), stderr: r.stderr };
}

describe('remote shell: the management endpoint and its clients', () => {
  const dir = scratchDir('remote-shell');
  const mbx1 = join(dir.path, 'MBX01');
  const mbx2 = join(dir.path, 'MBX02');
  const services: RunningService[] = [];
  let svc1: RunningService;
  let dns: Peer | undefined;

  const shell = async (data: string, lines: string[], ok = true) => {
    const r = await gatehouse(['shell', '--data', data], { input: lines.join('\n') + '\n', timeoutMs: 90_000 });
    if (ok) assert.equal(r.code, 0, `${lines.join('\n')}\n${r.stdout}\n${r.stderr}`);
    return r;
  };
  /** `gatehouse shell --connect` as `user`, the password on the first line of the input. */
  const connect = (user: User, script: string, extra: string[] = ['--data', mbx1, '--skip-cn-check'], url = URL1) =>
    gatehouse(['shell', '--connect', url, '--user', `CONTOSO\\${user}`, ...extra, '-c', script], { input: USERS[user].password + '\n', timeoutMs: 90_000 });
  const auth = (user: User, password: string = USERS[user].password) => ['-k', '-u', `CONTOSO\\${user}:${password}`];

  before(async () => {
    for (const [name, data] of [
      ['MBX01', mbx1],
      ['MBX02', mbx2],
    ]) {
      const r = await gatehouse(['setup', '--role', 'Mailbox', '--name', name, '--fqdn', `${name.toLowerCase()}.contoso.com`, '--data', data]);
      assert.equal(r.code, 0, r.stderr);
    }
    await shell(mbx1, [
      `Set-ReceiveConnector "MBX01\\Default MBX01" -Bindings ${MBX1}:25`,
      `Set-ReceiveConnector "MBX01\\Client MBX01" -Bindings ${MBX1}:587`,
      `Set-ReceiveConnector "MBX02\\Default MBX02" -Bindings ${MBX2}:25`,
      `Set-ReceiveConnector "MBX02\\Client MBX02" -Bindings ${MBX2}:587`,
      `Set-PowerShellVirtualDirectory -Identity "MBX01\\PowerShell (Default Web Site)" -InternalUrl ${URL1}`,
      `Set-PowerShellVirtualDirectory "MBX02\\PowerShell (Default Web Site)" -InternalUrl ${URL2}`,
      ...Object.entries(USERS).flatMap(([sam, u]) => [
        `New-ADUser -Name ${sam} -SamAccountName ${sam} -AccountPassword (ConvertTo-SecureString '${u.password}' -AsPlainText -Force) -Enabled $true`,
        `Add-RoleGroupMember "${u.group}" -Member ${sam}`,
      ]),
    ]);
    for (const data of [mbx1, mbx2]) {
      const s = await startService(data);
      services.push(s);
      await s.waitFor((l) => l.event === 'management.endpoint.listening', 20_000, 'management.endpoint.listening');
    }
    svc1 = services[0];
  });

  after(async () => {
    for (const s of services) await s.stop();
    await dns?.stop();
    dir.remove();
  });

  it("shows each server's endpoint, and refuses a plain-HTTP URL", async () => {
    const r = await shell(mbx2, ['Get-PowerShellVirtualDirectory | Sort-Object Server | Format-List Server,InternalUrl,Identity']);
    assert.deepEqual(formatListRecords(r.stdout), [
      { Server: 'MBX01', InternalUrl: URL1, Identity: 'MBX01\\PowerShell (Default Web Site)' },
      { Server: 'MBX02', InternalUrl: URL2, Identity: 'MBX02\\PowerShell (Default Web Site)' },
    ]);
    const bad = await shell(mbx1, [`Set-PowerShellVirtualDirectory "MBX01\\PowerShell (Default Web Site)" -InternalUrl http://${MBX1}:8080/PowerShell/`], false);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /plain-HTTP URL: the management endpoint is served over HTTPS only/);
  });

  it("runs a remote session from MBX02's shell on MBX01: objects back, variables kept, imported cmdlets, then removed", async () => {
    const r = await shell(mbx2, [
      `$cred = New-Object System.Management.Automation.PSCredential 'CONTOSO\\orgadmin', (ConvertTo-SecureString '${USERS.orgadmin.password}' -AsPlainText -Force)`,
      `$s = New-PSSession -ConfigurationName Microsoft.Exchange -ConnectionUri ${URL1} -Authentication Basic -Credential $cred -SessionOption (New-PSSessionOption -SkipCNCheck)`,
      '$q = Invoke-Command -Session $s -ScriptBlock { Get-Queue }',
      '"count=" + $q[0].MessageCount',
      '"type=" + $q[0].GetType().FullName',
      '$q | Where-Object { $_.DeliveryType -eq "Unreachable" } | Format-List Identity,Status',
      'Invoke-Command $s { $kept = "from the first call" }',
      '"kept=" + (Invoke-Command $s { $kept })',
      'Import-PSSession $s -CommandName Get-Queue | Out-Null',
      'Import-PSSession $s -CommandName *-AcceptedDomain -AllowClobber | Out-Null',
      'New-AcceptedDomain -Name Fabrikam -DomainName fabrikam.com',
      'Get-PSSession | Format-List Id,ComputerName,State,ConfigurationName',
      'Remove-PSSession $s',
      '"after=" + $s.State + " sessions=" + @(Get-PSSession).Count',
    ]);
    assert.match(r.stdout, /WARNING: The server certificate's name is not checked against the host \(SkipCNCheck\)/);
    assert.match(r.stdout, /WARNING: No command proxies have been created, because all of the requested remote commands would shadow existing local commands\. Use the AllowClobber parameter/);
    assert.match(r.stdout, /^count=0$/m);
    assert.match(r.stdout, /^type=Deserialized\.Microsoft\.Exchange\.Data\.QueueViewer\.ExtensibleQueueInfo$/m);
    assert.match(r.stdout, /^kept=from the first call$/m);
    const records = formatListRecords(r.stdout).filter((x) => !('WARNING' in x));
    assert.deepEqual(records[0], { Identity: 'MBX01\\Unreachable', Status: 'Ready' }, "the queues are MBX01's");
    assert.deepEqual(records[1], { Id: '1', ComputerName: 'mbx01.contoso.com', State: 'Opened', ConfigurationName: 'Microsoft.Exchange' });
    assert.match(r.stdout, /^after=Closed sessions=0$/m);
    await svc1.waitFor((l) => l.event === 'management.session.closed' && l.reason === 'closed by the client', 15_000, 'session closed');
    // The change made through the session is in the organization, recorded under the remote account.
    const audit = await shell(mbx1, ['Get-AcceptedDomain Fabrikam | Format-List DomainName', 'Search-AdminAuditLog -Cmdlets New-AcceptedDomain | Format-List Caller,Origin,Succeeded']);
    const [domain, entry, ...more] = formatListRecords(audit.stdout);
    assert.equal(more.length, 0, `one entry, the remote one (the proxy in MBX02's shell is not recorded there): ${audit.stdout}`);
    assert.equal(domain.DomainName, 'fabrikam.com');
    assert.equal(entry.Caller, 'CONTOSO\\orgadmin');
    assert.match(entry.Origin, /^127\.\d+\.\d+\.\d+$/);
    assert.equal(entry.Succeeded, 'True');
  });

  it('gives each role group its cmdlets only: the others are not recognized, and a refused change is not made', async () => {
    const notRecognized = (name: string) => new RegExp(`The term '${name}' is not recognized as the name of a cmdlet`);
    const viewer = await connect('viewer', 'Get-AcceptedDomain | Format-List DomainName; New-AcceptedDomain -Name Woodgrove -DomainName woodgrove.com');
    assert.equal(viewer.code, 1, viewer.stderr);
    assert.match(viewer.stdout, /DomainName : fabrikam\.com/);
    assert.match(viewer.stderr, notRecognized('New-AcceptedDomain'));
    const recip = await connect('recip', `New-ADUser -Name dave -SamAccountName dave; Get-ADUser dave | Format-List SamAccountName; Get-Queue`);
    assert.match(recip.stdout, /SamAccountName : dave/);
    assert.match(recip.stderr, notRecognized('Get-Queue'));
    const srv = await connect('srv', 'Get-Queue | Format-List Identity; Get-Queue | Get-Message; Get-Queue | Suspend-Queue -WhatIf; Remove-ADUser dave -Confirm:$false');
    // Queues piped into the proxies bind as the server's cmdlets bind them: to -Queue of Get-Message (no error), to -Identity of Suspend-Queue.
    assert.doesNotMatch(srv.stderr, /wasn.t found|^Get-Message :/m);
    assert.match(srv.stdout, /What if: Running Suspend-Queue on MBX01 "MBX01\\Unreachable"\./);
    assert.match(srv.stdout, /Identity : MBX01\\Submission/);
    assert.match(srv.stderr, notRecognized('Remove-ADUser'));
    const org = await connect('orgadmin', 'Get-Queue | Format-List Identity; Get-ADUser dave | Format-List SamAccountName; Get-RoleGroupMember "Server Management" | Format-List Name');
    assert.equal(org.code, 0, org.stderr);
    assert.match(org.stdout, /Identity : MBX01\\Submission/);
    assert.match(org.stdout, /SamAccountName : dave/, 'the Server Management member could not remove dave');
    assert.match(org.stdout, /Name : srv/);
    // Even Organization Management reaches neither the server's files nor its process environment.
    const outside = await connect(
      'orgadmin',
      [`Invoke-Command (Get-PSSession) { Get-Content ${join(mbx1, 'master.key')} }`, `Invoke-Command (Get-PSSession) { Get-Queue > ${join(dir.path, 'queues.txt')} }`, 'Invoke-Command (Get-PSSession) { $env:HOME }'].join('\n'),
    );
    assert.match(outside.stderr, /The term 'Get-Content' is not recognized/);
    assert.match(outside.stderr, /This session cannot read or write files on the server \(".*queues\.txt"\): it is a remote session/);
    assert.match(outside.stderr, /\$env:HOME is not available in a remote session/);
    assert.equal(existsSync(join(dir.path, 'queues.txt')), false);
    const audit = await shell(mbx1, ['Search-AdminAuditLog -Cmdlets New-ADUser -UserIds CONTOSO\\recip | Format-List Caller,ObjectModified']);
    assert.deepEqual(formatListRecords(audit.stdout), [{ Caller: 'CONTOSO\\recip', ObjectModified: 'dave' }]);
  });

  it('refuses a wrong password with 401, plain HTTP with 400 before any credential is read, and an untrusted certificate at the client', async () => {
    const wrong = await curl([...auth('viewer', 'not-the-password'), '--data', '{"op":"open"}', URL1]);
    assert.equal(wrong.status, '401');
    assert.match(wrong.body, /Access is denied/);
    await svc1.waitFor((l) => l.event === 'management.logon.failed' && String(l.reason).includes('wrong password for CONTOSO\\viewer'), 15_000, 'logon failure');
    const none = await curl(['-k', '--data', '{"op":"open"}', URL1]);
    assert.equal(none.status, '401');
    const plain = await curl(['-u', `CONTOSO\\viewer:${USERS.viewer.password}`, '--data', '{"op":"open"}', `http://${MBX1}:8443/PowerShell/`]);
    assert.equal(plain.status, '400');
    assert.match(plain.body, /accepts HTTPS only/);
    await svc1.waitFor((l) => l.event === 'management.plain-http.refused', 15_000, 'plain HTTP refused');
    // No trust in MBX01's self-signed certificate: curl and the shell both refuse it.
    const untrustedCurl = await curl(['-u', `CONTOSO\\viewer:${USERS.viewer.password}`, '--data', '{"op":"open"}', URL1]);
    assert.equal(untrustedCurl.code, 60, untrustedCurl.stderr);
    const untrusted = await connect('viewer', 'Get-AcceptedDomain', ['--skip-cn-check']);
    assert.equal(untrusted.code, 1);
    assert.match(
      untrusted.stderr,
      /Connecting to remote server 127\.42\.0\.1 failed with the following error message : The server certificate on the destination computer \(127\.42\.0\.1:8443\) has the following errors: The SSL certificate is signed by an unknown certificate authority/,
    );
    const skipped = await connect('viewer', 'Get-AcceptedDomain | Format-List DomainName', ['--skip-ca-check', '--skip-cn-check']);
    assert.equal(skipped.code, 0, skipped.stderr);
    assert.match(skipped.stdout, /WARNING: The server certificate's issuer is not checked \(SkipCACheck\)/);
    const badPassword = await gatehouse(['shell', '--connect', URL1, '--user', 'CONTOSO\\viewer', '--skip-ca-check', '--skip-cn-check', '-c', 'Get-Queue'], { input: 'wrong\n', timeoutMs: 90_000 });
    assert.equal(badPassword.code, 1);
    assert.match(badPassword.stderr, /failed with the following error message : Access is denied/);
  });

  it('ends a session after its idle timeout, with a clear error', async () => {
    const open = await curl([...auth('srv'), '--data', '{"op":"open","idleTimeoutSeconds":1}', URL1]);
    assert.equal(open.status, '200', open.body);
    const id = (JSON.parse(open.body) as { sessionId: string }).sessionId;
    await svc1.waitFor((l: LogLine) => l.event === 'management.session.closed' && l.session === id && l.reason === 'idle timeout', 20_000, 'session expiry');
    const late = await curl([...auth('srv'), '--data', JSON.stringify({ op: 'run', sessionId: id, script: 'Get-Queue' }), URL1]);
    assert.equal(late.status, '410');
    assert.match(JSON.parse(late.body).error, new RegExp(`The session ${id} is not open on MBX01: it was closed or expired after its idle timeout\\. Open a new session`));
  });

  it('serves an Edge only once its URL is set, to its local accounts', async () => {
    const edge = join(dir.path, 'EDGE01');
    const setup = await gatehouse(['setup', '--role', 'EdgeTransport', '--name', 'EDGE01', '--fqdn', 'edge01.contoso.net', '--data', edge]);
    assert.equal(setup.code, 0, setup.stderr);
    const off = await shell(edge, ['Get-PowerShellVirtualDirectory | Format-List Server,InternalUrl']);
    assert.deepEqual(formatListRecords(off.stdout), [{ Server: 'EDGE01', InternalUrl: '' }]);
    await shell(edge, [
      `Set-ReceiveConnector "Default internal Receive connector EDGE01" -Bindings ${EDGE}:25`,
      `Set-PowerShellVirtualDirectory "PowerShell (Default Web Site)" -InternalUrl https://${EDGE}:8443/PowerShell/`,
      `New-LocalUser ops -Password (ConvertTo-SecureString '${USERS.srv.password}' -AsPlainText -Force)`,
      'Add-RoleGroupMember "Server Management" -Member ops',
    ]);
    const s = await startService(edge);
    services.push(s);
    await s.waitFor((l) => l.event === 'management.endpoint.listening', 20_000, 'Edge endpoint');
    const r = await gatehouse(['shell', '--connect', `https://${EDGE}:8443/PowerShell/`, '--user', 'EDGE01\\ops', '--data', edge, '--skip-cn-check', '-c', 'Get-Queue | Format-List Identity; New-LocalUser eve -NoPassword'], {
      input: USERS.srv.password + '\n',
      timeoutMs: 90_000,
    });
    assert.match(r.stdout, /Identity : EDGE01\\Submission/);
    assert.match(r.stderr, /The term 'New-LocalUser' is not recognized/);
  });

  it("follows a new URL (a name resolved through the server's DNS settings) and a new IIS certificate without a restart", async () => {
    dns = await startDnsmasq(DNS, DNS_PORT, ['contoso.com'], [`--host-record=mgmt01.contoso.com,${MBX1}`, `--host-record=ws01.contoso.com,${WS01}`]);
    const seen = svc1.lines.length;
    await shell(mbx2, [
      `Set-TransportService MBX01 -InternalDNSServers ${DNS}:${DNS_PORT} -InternalDNSAdapterEnabled $false`,
      'Set-PowerShellVirtualDirectory "MBX01\\PowerShell (Default Web Site)" -InternalUrl https://mgmt01.contoso.com:8444/PowerShell/',
    ]);
    const listening = await svc1.waitFor((l) => l.event === 'management.endpoint.listening' && l.url === 'https://mgmt01.contoso.com:8444/PowerShell/' && svc1.lines.indexOf(l) >= seen, 20_000, 'listening on the new URL');
    assert.deepEqual(listening.addresses, [`${MBX1}:8444`], 'bound where dnsmasq says the name is');
    const moved = await connect('viewer', 'Get-AcceptedDomain | Format-List DomainName', ['--data', mbx1, '--skip-cn-check'], `https://${MBX1}:8444/PowerShell/`);
    assert.equal(moved.code, 0, moved.stderr);
    const old = await connect('viewer', 'Get-AcceptedDomain', ['--data', mbx1, '--skip-cn-check']);
    assert.match(old.stderr, /The connection to the remote host was refused/);
    const made = await shell(mbx1, ['New-ExchangeCertificate -SubjectName "CN=mbx01.contoso.com" -DomainName mbx01.contoso.com -Services IIS -Force | Format-List Thumbprint', 'Get-ExchangeCertificate | Format-List Thumbprint,Services']);
    const [created, ...all] = formatListRecords(made.stdout);
    assert.equal(
      all
        .filter((c) => /IIS/.test(c.Services))
        .map((c) => c.Thumbprint)
        .join(),
      created.Thumbprint,
      'one certificate holds IIS',
    );
    await svc1.waitFor((l) => l.event === 'management.endpoint.certificate' && l.certificate === created.Thumbprint, 20_000, 'new certificate');
    const served = await run('openssl', ['s_client', '-connect', `${MBX1}:8444`, '-servername', 'mbx01.contoso.com'], '');
    const pem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(served.stdout)![0];
    const fp = await run('openssl', ['x509', '-noout', '-fingerprint', '-sha1'], pem);
    assert.equal(fp.stdout.trim().split('=')[1].replace(/:/g, ''), created.Thumbprint);
  });
  it('refuses a logon from a computer the account may not log on from, and locks the account out, as SMTP AUTH does', async () => {
    const seen = svc1.lines.length;
    await shell(mbx1, [
      "New-ADUser -Name locky -SamAccountName locky -AccountPassword (ConvertTo-SecureString 'Locky-Remote-6620' -AsPlainText -Force) -Enabled $true",
      'Add-RoleGroupMember "View-Only Organization Management" -Member locky',
      'Set-ADUser locky -LogonWorkstations ws01',
      'Set-ADDefaultDomainPasswordPolicy contoso.com -LockoutThreshold 2',
    ]);
    await svc1.waitFor((l) => l.event === 'config.applied' && svc1.lines.indexOf(l) >= seen, 20_000, 'config.applied');
    const url = `https://${MBX1}:8444/PowerShell/`;
    const as = (password: string, from?: string) => curl(['-k', '-u', `CONTOSO\\locky:${password}`, ...(from ? ['--interface', from] : []), '--data', '{"op":"open"}', url]);
    assert.equal((await as('Locky-Remote-6620', WS01)).status, '200', 'allowed from ws01');
    assert.equal((await as('Locky-Remote-6620')).status, '401', 'refused from another computer');
    await svc1.waitFor((l) => l.event === 'management.logon.failed' && /account restriction, workstation: CONTOSO\\locky may log on only from ws01/.test(String(l.reason)), 15_000, 'workstation refusal');
    for (let i = 0; i < 2; i++) assert.equal((await as('wrong', WS01)).status, '401');
    assert.equal((await as('Locky-Remote-6620', WS01)).status, '401', 'locked out');
    await svc1.waitFor((l) => l.event === 'management.logon.failed' && String(l.reason) === 'account CONTOSO\\locky is locked out', 15_000, 'locked out');
    const r = await shell(mbx1, ['Get-ADUser locky -Properties LockedOut | Format-List LockedOut']);
    assert.deepEqual(formatListRecords(r.stdout), [{ LockedOut: 'True' }]);
  });
});
