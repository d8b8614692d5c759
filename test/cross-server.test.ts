// Cross-server cmdlets between two Mailbox servers that share nothing but
// their organization in PostgreSQL and the network: as root, each server's
// setup, shell and service run as a user of its own, its folder closed to
// the other. From MBX02's shell, Get-Queue -Server MBX01, Get-Message,
// Suspend-Message on MBX01's identities, Get-MessageTrackingLog -Server MBX01
// and Get-QueueDigest work through MBX01's management endpoint; from MBX01's
// shell, Get-MailboxStatistics and Get-MailboxDatabase -Status read bob's
// mailbox on MBX02. MBX01 records the change under the caller MBX02 acted
// for. A remote session's caller keeps its role groups on the other server;
// a forged, replayed or foreign server claim is refused (curl); a server that
// is down is an error naming it and its endpoint while the others answer.

import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { formatListRecords } from './harness/format-list.js';
import { gatehouse, scratchDir } from './harness/gatehouse.js';
import { startPostgres, type PgCluster } from './harness/postgres.js';
import { until } from './harness/peers.js';
import { startService, type RunningService } from './harness/service.js';
import { ServerTrust } from '../src/secrets/server-trust.js';

const PG_HOST = '127.43.1.40';
const PG_PORT = 5432;
const ADDRESS = { MBX01: '127.43.1.10', MBX02: '127.43.1.20' } as const;
const CLIENT = '127.43.1.5';
/** Where fabrikam.com's mail would go: nothing listens, so it waits in MBX01's queue. */
const DEAD_HOP = '127.43.1.99';
const URL = { MBX01: `https://${ADDRESS.MBX01}:8443/PowerShell/`, MBX02: `https://${ADDRESS.MBX02}:8443/PowerShell/` } as const;
const PASSWORD = 'Cross-Server-Org-5150';
const USERS = { srv: { group: 'Server Management', password: 'Srv-Cross-4417' }, recip: { group: 'Recipient Management', password: 'Recip-Cross-2291' } } as const;
/** As root, each server's own user; otherwise both run as the user running the tests. */
const AS_ROOT = process.getuid?.() === 0;
const UID = { MBX01: AS_ROOT ? 61011 : undefined, MBX02: AS_ROOT ? 61012 : undefined } as const;
type Name = keyof typeof ADDRESS;

function run(cmd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: 60_000, encoding: 'utf8' }, (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? -1) : 0, stdout, stderr }));
  });
}

describe('cross-server cmdlets between servers whose folders are closed to each other', () => {
  const dir = scratchDir('cross-server');
  const data = { MBX01: join(dir.path, 'MBX01'), MBX02: join(dir.path, 'MBX02') } as const;
  const home = { MBX01: join(dir.path, 'MBX01-home'), MBX02: join(dir.path, 'MBX02-home') } as const;
  const env = (n: Name) => ({ PGPASSFILE: join(home[n], 'pgpass'), PGPASSWORD: undefined as unknown as string, HOME: home[n] });
  const services: Partial<Record<Name, RunningService>> = {};
  let pg: PgCluster;
  let url = '';

  const shell = async (n: Name, lines: string[], ok = true) => {
    const r = await gatehouse(['shell', '--data', data[n]], { input: lines.join('\n') + '\n', env: env(n), uid: UID[n], timeoutMs: 90_000 });
    if (ok) assert.equal(r.code, 0, `${lines.join('\n')}\n${r.stdout}\n${r.stderr}`);
    return r;
  };
  const owned = (path: string, n: Name) => {
    mkdirSync(path, { recursive: true, mode: 0o700 });
    chmodSync(path, 0o700);
    if (UID[n] !== undefined) chownSync(path, UID[n]!, UID[n]!);
  };
  const ownedFile = (path: string, text: string | Buffer, n: Name) => {
    writeFileSync(path, text, { mode: 0o600 });
    if (UID[n] !== undefined) chownSync(path, UID[n]!, UID[n]!);
  };

  before(async () => {
    chmodSync(dir.path, 0o711); // each server's user reaches its own folders below it
    pg = startPostgres({ dir: dir.path, host: PG_HOST, port: PG_PORT });
    pg.createDatabase('contoso', 'gatehouse', PASSWORD);
    url = pg.url('contoso', 'gatehouse');
    for (const n of ['MBX01', 'MBX02'] as const) {
      owned(home[n], n);
      owned(data[n], n);
      ownedFile(join(home[n], 'pgpass'), `${PG_HOST}:${PG_PORT}:contoso:gatehouse:${PASSWORD}\n`, n);
    }
    const first = await gatehouse(['setup', '--role', 'Mailbox', '--name', 'MBX01', '--fqdn', 'mbx01.contoso.com', '--data', data.MBX01, '--org', url, '--org-key', join(home.MBX01, 'organization.key')], {
      env: env('MBX01'),
      uid: UID.MBX01,
      timeoutMs: 60_000,
    });
    assert.equal(first.code, 0, first.stdout + first.stderr);
    assert.match(first.stdout, /The organization's account CONTOSO\\Administrator is a member of Organization Management\. It is disabled until it has a password/);
    // The organization's key goes to MBX02 as an admin would carry it: a copy that MBX02's user owns.
    ownedFile(join(home.MBX02, 'organization.key'), readFileSync(join(home.MBX01, 'organization.key')), 'MBX02');
    const second = await gatehouse(['setup', '--role', 'Mailbox', '--name', 'MBX02', '--fqdn', 'mbx02.contoso.com', '--data', data.MBX02, '--org', url, '--org-key', join(home.MBX02, 'organization.key')], {
      env: env('MBX02'),
      uid: UID.MBX02,
      timeoutMs: 60_000,
    });
    assert.equal(second.code, 0, second.stdout + second.stderr);
    await shell('MBX01', [
      'New-AcceptedDomain Contoso -DomainName contoso.com',
      'New-AcceptedDomain Fabrikam -DomainName fabrikam.com -DomainType InternalRelay',
      `New-SendConnector -Name "To Fabrikam" -Usage Internal -AddressSpaces fabrikam.com -DNSRoutingEnabled $false -SmartHosts ${DEAD_HOP} -Port 2599 -SourceTransportServers MBX01 | Out-Null`,
      'New-MailboxDatabase DB1 -Server MBX01 | Out-Null',
      'New-MailboxDatabase DB2 -Server MBX02 | Out-Null',
      `New-Mailbox -Name Bob -Alias bob -UserPrincipalName bob@contoso.com -Database DB2 -Password (ConvertTo-SecureString 'Bob-Cross-7712' -AsPlainText -Force) | Out-Null`,
      ...(['MBX01', 'MBX02'] as const).flatMap((n) => [
        `Set-ReceiveConnector "${n}\\Default ${n}" -Bindings ${ADDRESS[n]}:2525 -PermissionGroups AnonymousUsers,ExchangeServers`,
        `Set-ReceiveConnector "${n}\\Client ${n}" -Bindings ${ADDRESS[n]}:2587`,
        `Set-PowerShellVirtualDirectory "${n}\\PowerShell (Default Web Site)" -InternalUrl ${URL[n]}`,
      ]),
      ...Object.entries(USERS).flatMap(([sam, u]) => [
        `New-ADUser -Name ${sam} -SamAccountName ${sam} -AccountPassword (ConvertTo-SecureString '${u.password}' -AsPlainText -Force) -Enabled $true`,
        `Add-RoleGroupMember "${u.group}" -Member ${sam}`,
      ]),
    ]);
    for (const n of ['MBX01', 'MBX02'] as const) {
      const s = await startService(data[n], [], env(n), UID[n]);
      services[n] = s;
      await s.waitFor((l) => l.event === 'management.endpoint.listening', 20_000, `${n}'s endpoint`);
    }
    // One message waits in MBX01's queue for fabrikam.com's smart host; one is delivered into bob's mailbox on MBX02.
    for (const [server, to, subject] of [
      ['MBX01', 'carl@fabrikam.com', 'waiting on MBX01'],
      ['MBX02', 'bob@contoso.com', 'for bob on MBX02'],
    ] as const) {
      const r = await run('swaks', ['--server', ADDRESS[server], '--port', '2525', '--local-interface', CLIENT, '--from', 'kim@woodgrove.com', '--to', to, '--header', `Subject: ${subject}`, '--body', 'cross-server test']);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /<- {2}250 2\.6\.0 .*Queued mail for delivery/);
    }
  });

  after(async () => {
    for (const s of Object.values(services)) await s?.stop();
    await pg?.stop();
    dir.remove();
  });

  it("keeps each server's folder closed to the other server's user", { skip: !AS_ROOT && 'needs root to run the servers as users of their own' }, () => {
    for (const [n, other] of [
      ['MBX01', 'MBX02'],
      ['MBX02', 'MBX01'],
    ] as const) {
      const probe = spawnSync(process.execPath, ['-e', `try { require('fs').readdirSync(${JSON.stringify(data[other])}); console.log('readable') } catch (e) { console.log(e.code) }`], {
        encoding: 'utf8',
        uid: UID[n],
        gid: UID[n],
        timeout: 30_000,
      });
      assert.equal(probe.stdout.trim(), 'EACCES', `${n}'s user reading ${other}'s folder`);
    }
  });

  it("shows, changes and searches MBX01's queues and tracking log from MBX02's shell, through MBX01's endpoint", async () => {
    let queue: Record<string, string> | undefined;
    await until(
      async () => {
        const r = await shell('MBX02', ['Get-Queue -Server MBX01 | Where-Object { $_.DeliveryType -eq "SmartHostConnectorDelivery" } | Format-List Identity,MessageCount,NextHopDomain']);
        queue = formatListRecords(r.stdout)[0];
        return queue?.MessageCount === '1';
      },
      60_000,
      "MBX01's queue for fabrikam.com's smart host, seen from MBX02",
    );
    assert.match(queue!.Identity, /^MBX01\\\d+$/);
    assert.match(queue!.NextHopDomain, new RegExp(DEAD_HOP.replace(/[.]/g, '\\.')), 'the queue of "To Fabrikam"\'s smart host');

    const r = await shell('MBX02', [
      `Get-Message -Queue ${queue!.Identity} | Format-List Identity,FromAddress,Subject,Status`,
      `$m = Get-Message -Server MBX01 -Filter "Subject -eq 'waiting on MBX01'"`,
      '$m | Suspend-Message -Confirm:$false',
      'Get-Message $m.Identity | Format-List Status',
      'Get-MessageTrackingLog -Server MBX01 -EventId RECEIVE -Sender kim@woodgrove.com | Format-List ServerHostname,Recipients,MessageSubject',
      'Get-QueueDigest -Server MBX01,MBX02 -Filter "MessageCount -gt 0" | Format-List GroupByValue,MessageCount,Details',
    ]);
    const [message, suspended, tracked, digest, ...rest] = formatListRecords(r.stdout);
    assert.equal(rest.length, 0, r.stdout);
    assert.match(message.Identity, new RegExp(`^${queue!.Identity.replace(/\\/g, '\\\\')}\\\\\\d+$`));
    assert.deepEqual([message.FromAddress, message.Subject], ['kim@woodgrove.com', 'waiting on MBX01']);
    assert.equal(suspended.Status, 'Suspended');
    assert.deepEqual(tracked, { ServerHostname: 'mbx01.contoso.com', Recipients: '{carl@fabrikam.com}', MessageSubject: 'waiting on MBX01' });
    assert.deepEqual(digest, { GroupByValue: queue!.NextHopDomain, MessageCount: '1', Details: `{${queue!.Identity}}` });

    // The stored bytes of a message are exported on its own server only.
    const exported = await shell('MBX02', [`Export-Message ${message.Identity}`], false);
    assert.match(exported.stderr, /the message ".*" is on MBX01: run Export-Message in MBX01's own shell/);

    // MBX01 ran the change, and records it under the caller MBX02 acted for.
    const caller = AS_ROOT ? 'uid 61012' : (await run('id', ['-un'])).stdout.trim();
    const audit = await shell('MBX01', ['Search-AdminAuditLog -Cmdlets Suspend-Message | Format-List Caller,Succeeded']);
    assert.deepEqual(formatListRecords(audit.stdout), [{ Caller: `${caller} (shell of MBX02)`, Succeeded: 'True' }]);
    await services.MBX01!.waitFor((l) => l.event === 'management.exec' && l.for === 'MBX02', 15_000, 'the exec line');
  });

  it("reads bob's mailbox and database on MBX02 from MBX01's shell", async () => {
    let stats: Record<string, string> | undefined;
    await until(
      async () => {
        const r = await shell('MBX01', ['Get-MailboxStatistics bob | Format-List DisplayName,ItemCount,ServerName,Database']);
        stats = formatListRecords(r.stdout)[0];
        return stats?.ItemCount === '1';
      },
      60_000,
      "bob's message, counted on MBX02",
    );
    assert.deepEqual(stats, { DisplayName: 'Bob', ItemCount: '1', ServerName: 'MBX02', Database: 'DB2' });
    const dbs = await shell('MBX01', ['Get-MailboxDatabase -Status | Sort-Object Name | Format-List Name,Server,Mounted']);
    assert.deepEqual(formatListRecords(dbs.stdout), [
      { Name: 'DB1', Server: 'MBX01', Mounted: 'True' },
      { Name: 'DB2', Server: 'MBX02', Mounted: 'True' },
    ]);
  });

  it("runs a remote session's cmdlets on the other server with the caller's own role groups", async () => {
    const connect = (user: keyof typeof USERS, script: string) =>
      gatehouse(['shell', '--connect', URL.MBX02, '--user', `CONTOSO\\${user}`, '--skip-ca-check', '--skip-cn-check', '-c', script], { input: USERS[user].password + '\n', timeoutMs: 90_000 });
    const srv = await connect('srv', 'Get-Queue -Server MBX01 | Where-Object { $_.DeliveryType -eq "SmartHostConnectorDelivery" } | Format-List Identity');
    assert.equal(srv.code, 0, srv.stderr);
    assert.match(srv.stdout, /Identity : MBX01\\\d+/);
    await services.MBX01!.waitFor((l) => l.event === 'management.exec' && l.account === 'CONTOSO\\srv' && l.for === 'MBX02', 15_000, 'srv on MBX01');
    const recip = await connect('recip', 'Get-Queue -Server MBX01');
    assert.match(recip.stderr, /The term 'Get-Queue' is not recognized/);
  });

  it('refuses a forged, replayed or foreign server claim, and a claim for a right the caller lacks runs nothing', async () => {
    const trust = ServerTrust.fromOrganizationKey(Buffer.from(readFileSync(join(home.MBX01, 'organization.key'), 'utf8').trim(), 'base64'));
    const recipGuid = formatListRecords((await shell('MBX01', ['Get-ADUser recip | Format-List ObjectGUID'])).stdout)[0].ObjectGUID;
    const post = (authorization: string, script: string) => run('curl', ['-sS', '-k', '--max-time', '30', '-w', '\n%{http_code}', '-H', `Authorization: ${authorization}`, '--data', JSON.stringify({ op: 'exec', script }), URL.MBX01]);
    const status = (r: { stdout: string }) => r.stdout.slice(r.stdout.lastIndexOf('\n') + 1);

    const claim = trust.sign('MBX02', { kind: 'account', accountGuid: recipGuid, displayName: 'CONTOSO\\recip' });
    const refused = await post(claim, 'Retry-Queue MBX01\\Unreachable');
    assert.equal(status(refused), '200', refused.stdout);
    assert.match(refused.stdout, /The term 'Retry-Queue' is not recognized/, 'Recipient Management holds no queue cmdlet on MBX01 either');
    const replayed = await post(claim, 'Get-Mailbox');
    assert.equal(status(replayed), '401');
    const foreign = await post(ServerTrust.fromOrganizationKey(Buffer.alloc(32, 7)).sign('MBX02', { kind: 'local', user: 'root' }), 'Get-Queue');
    assert.equal(status(foreign), '401');
    const notAServer = await post(trust.sign('EVIL01', { kind: 'local', user: 'root' }), 'Get-Queue');
    assert.equal(status(notAServer), '401');
    await services.MBX01!.waitFor((l) => l.event === 'management.delegation.refused' && /a replay/.test(String(l.reason)), 15_000, 'the replay refused');
    await services.MBX01!.waitFor((l) => l.event === 'management.delegation.refused' && /not signed with this organization's key/.test(String(l.reason)), 15_000, 'the foreign claim refused');
    await services.MBX01!.waitFor((l) => l.event === 'management.delegation.refused' && /EVIL01, which is not a Mailbox server of this organization/.test(String(l.reason)), 15_000, 'the unknown server refused');
  });

  it('names a server that is down and its endpoint, and still shows the others', async () => {
    await services.MBX02!.stop();
    delete services.MBX02;
    const r = await shell('MBX01', ['Get-ExchangeServer | Get-Queue | Format-List Identity'], false);
    assert.match(r.stderr, new RegExp(`The server MBX02 could not be reached at its management endpoint ${URL.MBX02.replace(/[.]/g, '\\.')}: The connection to the remote host was refused`));
    const identities = formatListRecords(r.stdout).map((x) => x.Identity);
    assert.ok(identities.includes('MBX01\\Submission') && identities.every((i) => i.startsWith('MBX01\\')), r.stdout);
  });
});
