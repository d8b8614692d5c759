// Online password guessing against the running services, with Python's
// smtplib as the client, each attempt its own session: on two Mailbox servers
// sharing an organization, Set-ADDefaultDomainPasswordPolicy -LockoutThreshold 3
// applies live; three wrong passwords lock the account (Get-ADUser shows
// LockedOut True), then its right password, and an unknown name, get the very
// same 535 on both servers; Unlock-ADAccount lets it in again; a lockout
// survives a restart of the service. On an Edge the same with `net accounts`
// and `net user NAME /active:yes`. The growing delay per source is read from
// the log lines (the delay each failure was given), never timed.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { formatListRecords } from './harness/format-list.js';
import { gatehouse, scratchDir } from './harness/gatehouse.js';
import { recordFinding } from './harness/report.js';
import { until } from './harness/peers.js';
import { startService, type LogLine, type RunningService } from './harness/service.js';

const EDGE = '127.10.90.1';
const MBX1 = '127.168.90.10';
const MBX2 = '127.168.90.20';
/** Client source addresses: each attempt from its own unless the test says otherwise. */
const client = (n: number) => `127.10.90.${n}`;
const PW = { carol: 'Carol-Right-5521', mbxrelay: 'Relay-Right-7730' };

/** One SMTP session: STARTTLS, AUTH PLAIN once, QUIT; prints the reply to AUTH as "code text". */
const LOGIN = `
import smtplib, ssl, sys
host, port, source, user, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
s = smtplib.SMTP(host, port, source_address=(source, 0), timeout=60)
s.starttls(context=ctx); s.ehlo('client.example')
s.user, s.password = user, password
try:
    code, text = s.auth('PLAIN', s.auth_plain)
    print(code, text.decode())
except smtplib.SMTPAuthenticationError as e:
    print(e.smtp_code, e.smtp_error.decode())
s.quit()
`;

function login(host: string, port: number, source: string, user: string, password: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('python3', ['-c', LOGIN, host, String(port), source, user, password], { timeout: 90_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`smtplib from ${source} as ${user}: ${err.message}\n${stdout}\n${stderr}`));
      else resolve(stdout.trim());
    });
  });
}

const REFUSED = '535 5.7.3 Authentication unsuccessful';

async function shell(data: string, script: string): Promise<string> {
  const r = await gatehouse(['shell', '--data', data, '-c', script]);
  assert.equal(r.code, 0, `${script}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** Runs a configuration change and waits until each service has applied it (its config.applied line). */
async function applied(services: RunningService[], change: () => Promise<unknown>): Promise<void> {
  const seen = services.map((s) => s.lines.length);
  await change();
  await Promise.all(services.map((s, i) => s.waitFor((l) => l.event === 'config.applied' && s.lines.indexOf(l) >= seen[i], 15_000, 'config.applied')));
}

const failures = (s: RunningService, pred: (l: LogLine) => boolean = () => true) => s.lines.filter((l) => l.event === 'smtp.in.auth.failed' && pred(l));

describe('account lockout and growing delays', () => {
  const dir = scratchDir('lockout');
  const mbx1 = join(dir.path, 'MBX01');
  const mbx2 = join(dir.path, 'MBX02');
  const edge = join(dir.path, 'EDGE01');
  const running = new Set<RunningService>();
  const start = async (data: string) => {
    const s = await startService(data);
    running.add(s);
    return s;
  };
  const stop = async (s: RunningService) => {
    await s.stop();
    running.delete(s);
  };
  let m1: RunningService;
  let m2: RunningService;
  let e1: RunningService;

  before(async () => {
    for (const [role, name, fqdn, data] of [
      ['Mailbox', 'MBX01', 'mbx01.contoso.com', mbx1],
      ['Mailbox', 'MBX02', 'mbx02.contoso.com', mbx2],
      ['EdgeTransport', 'EDGE01', 'edge01.contoso.net', edge],
    ]) {
      const r = await gatehouse(['setup', '--role', role, '--name', name, '--fqdn', fqdn, '--data', data]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
    }
    const quick = '-AuthTarpitInterval 00:00:00 -TarpitInterval 00:00:00';
    await shell(
      mbx1,
      [
        `New-ADUser -Name Carol -SamAccountName carol -UserPrincipalName carol@contoso.com -AccountPassword (ConvertTo-SecureString "${PW.carol}" -AsPlainText -Force) -Enabled $true`,
        `Set-ReceiveConnector "Default MBX01" -Bindings ${MBX1}:25`,
        `Set-ReceiveConnector "Client MBX01" -Bindings ${MBX1}:587 -ProtocolLoggingLevel Verbose ${quick}`,
        `Set-ReceiveConnector "Default MBX02" -Bindings ${MBX2}:25`,
        `Set-ReceiveConnector "Client MBX02" -Bindings ${MBX2}:587 ${quick}`,
      ].join('\n'),
    );
    await shell(
      edge,
      [
        `New-LocalUser -Name mbxrelay -Password (ConvertTo-SecureString "${PW.mbxrelay}" -AsPlainText -Force)`,
        'Add-LocalGroupMember -Group "Exchange Servers" -Member mbxrelay',
        `Set-ReceiveConnector "Default internal Receive connector EDGE01" -Name "From Internal Org" -Bindings ${EDGE}:25 -AuthMechanism Tls,BasicAuth,BasicAuthRequireTLS -PermissionGroups ExchangeServers ${quick}`,
      ].join('\n'),
    );
    m1 = await start(mbx1);
    m2 = await start(mbx2);
    e1 = await start(edge);
  });

  after(async () => {
    for (const s of running) await s.stop();
    dir.remove();
  });

  it('Mailbox: the domain policy applies live, the account locks after three wrong passwords from three sessions, and the lockout is shared', async () => {
    const shown = formatListRecords(await shell(mbx1, 'Get-ADDefaultDomainPasswordPolicy'))[0];
    assert.deepEqual([shown.LockoutThreshold, shown.LockoutDuration, shown.LockoutObservationWindow], ['0', '00:30:00', '00:30:00'], 'the documented defaults');
    await applied([m1, m2], () => shell(mbx1, 'Set-ADDefaultDomainPasswordPolicy contoso.com -LockoutThreshold 3'));

    for (const [i, source] of [client(11), client(12), client(13)].entries()) {
      assert.equal(await login(MBX1, 587, source, 'carol', `wrong-guess-${i}`), REFUSED);
    }
    const user = formatListRecords(await shell(mbx1, 'Get-ADUser carol -Properties LockedOut,BadLogonCount,LastBadPasswordAttempt,lockoutTime'))[0];
    assert.equal(user.LockedOut, 'True', `after three 535s: ${JSON.stringify(user)}\nMBX01: ${m1.describe(30)}\nMBX02: ${m2.describe(10)}`);
    assert.equal(user.BadLogonCount, '3');
    assert.notEqual(user.LastBadPasswordAttempt, '');
    assert.ok(BigInt(user.lockoutTime) > 0n, `lockoutTime ${user.lockoutTime}`);
    const lockout = await m1.waitFor((l) => l.event === 'auth.account.locked-out', 5000, 'the lockout line');
    assert.equal(lockout.account, 'CONTOSO\\carol');
    assert.equal(lockout.source, client(13));
    assert.equal(lockout.badLogonCount, 3);
    assert.match(String(lockout.action), /Unlock-ADAccount carol/);

    // The right password now fails, on this server and on the other one; an unknown name fails alike.
    const right = await login(MBX1, 587, client(14), 'carol', PW.carol);
    const elsewhere = await login(MBX2, 587, client(15), 'carol@contoso.com', PW.carol);
    const unknown = await login(MBX1, 587, client(16), 'nobody', 'whatever');
    recordFinding({
      finding: 9,
      title: "guessing carol's password from three addresses (LockoutThreshold 3)",
      attack: 'three smtplib sessions, one wrong password each, then the right one from a fourth address, on MBX01 and MBX02',
      reply: `wrong: 535 ×3; right password after the lockout: ${right}; on MBX02: ${elsewhere}; unknown account: ${unknown}`,
      outcome: `Get-ADUser carol: LockedOut ${user.LockedOut}, BadLogonCount ${user.BadLogonCount}; the same reply for a locked and an unknown account`,
      ok: user.LockedOut === 'True' && [right, elsewhere, unknown].every((x) => x === REFUSED),
    });
    assert.deepEqual([right, elsewhere, unknown], [REFUSED, REFUSED, REFUSED]);
    assert.match(String(failures(m1, (l) => l.source === client(14))[0]?.reason), /account CONTOSO\\carol is locked out/);
    assert.match(String(failures(m2, (l) => l.source === client(15))[0]?.reason), /locked out/);
    assert.match(String(failures(m1, (l) => l.source === client(16))[0]?.reason), /unknown account nobody/);
    // The right password was the fourth failure for carol on MBX01: it waited like any fourth failure.
    assert.equal(failures(m1, (l) => l.source === client(14))[0]?.delayMs, 4000);
    assert.equal(user.BadLogonCount, formatListRecords(await shell(mbx1, 'Get-ADUser carol -Properties BadLogonCount'))[0].BadLogonCount, 'a locked account counts no more');

    // The Receive protocol log keeps its line; no password anywhere in the logs.
    const protocolDir = join(mbx1, 'Logs', 'ProtocolLog', 'SmtpReceive');
    const readProtocolLog = () =>
      existsSync(protocolDir)
        ? readdirSync(protocolDir)
            .map((f) => readFileSync(join(protocolDir, f), 'utf8'))
            .join('')
        : '';
    await until(() => /Inbound AUTH failed: account CONTOSO\\carol is locked out/.test(readProtocolLog()), 10_000, 'the protocol log line');
    const protocolLog = readProtocolLog();
    const everything = protocolLog + JSON.stringify(m1.lines) + JSON.stringify(m2.lines);
    for (const secret of [PW.carol, 'wrong-guess-0', 'wrong-guess-2', 'whatever']) assert.ok(!everything.includes(secret), `${secret} was logged`);
  });

  it('Mailbox: Unlock-ADAccount lets the account in again', async () => {
    await shell(mbx1, 'Unlock-ADAccount CONTOSO\\carol');
    const user = formatListRecords(await shell(mbx1, 'Get-ADUser carol -Properties *'))[0];
    assert.equal(user.LockedOut, 'False');
    assert.equal(user.BadLogonCount, '0');
    assert.match(await login(MBX1, 587, client(17), 'carol', PW.carol), /^235 /);
    assert.match(await login(MBX2, 587, client(18), 'carol', PW.carol), /^235 /);
  });

  it('Mailbox: a lockout survives a restart of the service', async () => {
    for (const n of [21, 22, 23]) assert.equal(await login(MBX1, 587, client(n), 'carol', `again-${n}`), REFUSED);
    await stop(m1);
    m1 = await start(mbx1);
    const user = formatListRecords(await shell(mbx1, 'Get-ADUser -Filter "SamAccountName -eq \'carol\'" -Properties LockedOut,BadLogonCount'))[0];
    assert.equal(user.LockedOut, 'True');
    assert.equal(user.BadLogonCount, '3');
    assert.equal(await login(MBX1, 587, client(24), 'carol', PW.carol), REFUSED);
    assert.match(String(failures(m1, (l) => l.source === client(24))[0]?.reason), /locked out/);
    await shell(mbx1, 'Unlock-ADAccount carol');
    assert.match(await login(MBX1, 587, client(25), 'carol', PW.carol), /^235 /);
  });

  it('Mailbox: one source guessing is delayed longer at each failure (the delay is in the log line)', async () => {
    const source = client(30);
    for (const name of ['guess1', 'guess2', 'carol']) assert.equal(await login(MBX1, 587, source, name, 'not-it'), REFUSED);
    const delays = failures(m1, (l) => l.source === source).map((l) => l.delayMs);
    assert.deepEqual(delays, [0, 1000, 2000], 'no wait for the first failure, then 1 s doubling (AuthTarpitInterval is 0 here)');
    assert.deepEqual(
      failures(m1, (l) => l.source === source).map((l) => l.sourceFailures),
      [1, 2, 3],
    );
  });

  it('Edge: net accounts sets the local policy live; net user shows and clears a lockout that survives a restart', async () => {
    const policy = await shell(edge, 'net accounts');
    assert.match(policy, /^Lockout threshold:\s+Never$/m);
    await applied([e1], () => shell(edge, 'net accounts /lockoutthreshold:3 /lockoutduration:0 /lockoutwindow:30'));
    assert.match(await shell(edge, 'net accounts'), /^Lockout threshold:\s+3\nLockout duration \(minutes\):\s+Never\nLockout observation window \(minutes\):\s+30$/m);

    for (const n of [41, 42, 43]) assert.equal(await login(EDGE, 25, client(n), 'mbxrelay', `edge-wrong-${n}`), REFUSED);
    assert.match(await shell(edge, 'net user mbxrelay'), /^Account active {15}Locked$/m);
    const lockout = await e1.waitFor((l) => l.event === 'auth.account.locked-out', 5000, 'the lockout line');
    assert.equal(lockout.account, 'EDGE01\\mbxrelay');
    assert.equal(lockout.lockedUntil, 'an administrator unlocks it');
    assert.match(String(lockout.action), /net user mbxrelay \/active:yes/);

    assert.equal(await login(EDGE, 25, client(44), 'EDGE01\\mbxrelay', PW.mbxrelay), REFUSED);
    assert.equal(await login(EDGE, 25, client(45), 'administrator', 'x'), REFUSED);

    await stop(e1);
    e1 = await start(edge);
    assert.match(await shell(edge, 'net user mbxrelay'), /^Account active {15}Locked$/m);
    assert.equal(await login(EDGE, 25, client(46), 'mbxrelay', PW.mbxrelay), REFUSED);
    assert.match(String(failures(e1, (l) => l.source === client(46))[0]?.reason), /account EDGE01\\mbxrelay is locked out/);

    assert.match(await shell(edge, 'net user mbxrelay /active:yes'), /The command completed successfully\./);
    assert.match(await shell(edge, 'net user mbxrelay'), /^Account active {15}Yes$/m);
    assert.match(await login(EDGE, 25, client(47), 'mbxrelay', PW.mbxrelay), /^235 /);
  });

  it('Edge: the directory commands say what to use instead; unimplemented switches are refused', async () => {
    for (const [command, hint] of [
      ['Unlock-ADAccount mbxrelay', /net user NAME \/active:yes/],
      ['Set-ADDefaultDomainPasswordPolicy edge01 -LockoutThreshold 3', /net accounts \/lockoutthreshold/],
      ['Get-ADUser mbxrelay -Properties LockedOut', /net user NAME/],
    ] as const) {
      const r = await gatehouse(['shell', '--data', edge, '-c', command]);
      assert.equal(r.code, 1, command);
      assert.match(r.stderr, hint);
    }
    for (const command of ['net accounts /minpwlen:8', 'net user mbxrelay NewPass1 ', 'net localgroup', 'net accounts /lockoutduration:10 /lockoutwindow:30']) {
      const r = await gatehouse(['shell', '--data', edge, '-c', command]);
      assert.equal(r.code, 1, command);
      assert.match(r.stderr, /Gatehouse's net runs: net accounts/);
      assert.ok(!r.stderr.includes('NewPass1'), 'a password typed after the name is not echoed');
    }
    const mbx = await gatehouse(['shell', '--data', mbx1, '-c', 'Set-ADDefaultDomainPasswordPolicy contoso.com -MinPasswordLength 12']);
    assert.equal(mbx.code, 1);
    assert.match(mbx.stderr, /does not implement -MinPasswordLength/);
    assert.match(formatListRecords(await shell(mbx1, 'Get-ADDefaultDomainPasswordPolicy'))[0].LockoutThreshold, /^3$/, 'nothing was changed');
  });
});
