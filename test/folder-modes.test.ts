// Server folders are private to the service's user, end to end with the
// built binary run under the common umask 022:
// - setup into an existing 0755 folder leaves it 0700 with every file 0600
//   (an Edge, and a Mailbox server with its organization store and key);
// - after the services ran and accepted mail (swaks), every file they made is
//   0600 and every folder 0700: the stores with their -wal/-shm, the queue,
//   the logs (tracking, protocol, connectivity), the status file, the Maildir;
// - `gatehouse start` refuses a folder, a file in it, a log folder kept
//   elsewhere or the organization store that group or others can read, with
//   a JSON service.start.failed line naming the path and the command that
//   fixes it (exit 1); that command, run as printed, lets the service start;
// - a search bit alone (0711, as a Maildir reader running as another user
//   needs) is not a refusal.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gatehouse, scratchDir } from './harness/gatehouse.js';
import { recordFinding } from './harness/report.js';
import { until } from './harness/peers.js';
import { startService, type LogLine, type RunningService } from './harness/service.js';

const EDGE = '127.10.92.1';
const DOWN = '127.10.92.9';
const MBX = '127.168.92.10';

interface Entry {
  path: string;
  folder: boolean;
  mode: number;
}

function walk(root: string): Entry[] {
  const st = statSync(root);
  const here: Entry = { path: root, folder: st.isDirectory(), mode: st.mode & 0o7777 };
  if (!here.folder) return [here];
  return [
    here,
    ...readdirSync(root)
      .sort()
      .flatMap((name) => walk(join(root, name))),
  ];
}

/** Paths whose mode is not 0700 (folders) or 0600 (files). */
function notPrivate(entries: Entry[]): string[] {
  return entries.filter((e) => e.mode !== (e.folder ? 0o700 : 0o600)).map((e) => `${e.path} ${e.mode.toString(8)}`);
}

/** `gatehouse start` that is expected to refuse: its exit code and its JSON lines. */
async function refusedStart(data: string): Promise<{ code: number | null; lines: LogLine[]; stderr: string }> {
  const r = await gatehouse(['start', '--data', data], { timeoutMs: 20_000 });
  const lines = r.stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as LogLine);
  return { code: r.code, lines, stderr: r.stderr };
}

function runFix(command: string): void {
  const r = spawnSync('sh', ['-c', command], { encoding: 'utf8', timeout: 10_000 });
  assert.equal(r.status, 0, `${command}: ${r.stderr}`);
}

const swaks = (server: string, to: string, subject: string) =>
  spawnSync('swaks', ['--server', server, '--ehlo', 'mail.fabrikam.com', '--from', 'sender@fabrikam.com', '--to', to, '--header', `Subject: ${subject}`, '--timeout', '15'], { encoding: 'utf8', timeout: 30_000 });

describe('server folders are private to the service user', () => {
  const dir = scratchDir('folder-modes');
  const edge = join(dir.path, 'EDGE01');
  const mbx = join(dir.path, 'MBX01');
  const org = join(dir.path, 'organization.db');
  const outsideLogs = join(dir.path, 'edge-tracking');
  let edgeService: RunningService | undefined;
  let mbxService: RunningService | undefined;
  let aliceMaildir = '';

  const shell = async (data: string, script: string[]) => {
    const r = await gatehouse(['shell', '--data', data], { input: script.join('\n') + '\n' });
    assert.equal(r.code, 0, `${script.join('\n')}\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  };

  before(() => {
    // What a login shell usually has: files 0644, folders 0755 unless the program says otherwise.
    process.umask(0o022);
    chmodSync(dir.path, 0o755);
  });

  after(async () => {
    await edgeService?.stop();
    await mbxService?.stop();
    dir.remove();
  });

  it('setup into an existing 0755 folder makes it 0700 and every file in it 0600', async () => {
    mkdirSync(edge, { mode: 0o755 });
    mkdirSync(mbx, { mode: 0o755 });
    assert.equal(statSync(edge).mode & 0o777, 0o755);
    const e = await gatehouse(['setup', '--role', 'EdgeTransport', '--name', 'EDGE01', '--fqdn', 'edge01.contoso.net', '--data', edge]);
    assert.equal(e.code, 0, e.stderr);
    assert.match(e.stdout, /is private to the user who ran setup \(0700, files 0600\)/);
    const m = await gatehouse(['setup', '--role', 'Mailbox', '--name', 'MBX01', '--fqdn', 'mbxserver01.contoso.com', '--data', mbx]);
    assert.equal(m.code, 0, m.stderr);
    for (const data of [edge, mbx]) {
      const entries = walk(data);
      assert.ok(entries.some((x) => x.path.endsWith('server.db')) && entries.some((x) => x.path.endsWith('master.key')), entries.map((x) => x.path).join(', '));
      const open = notPrivate(entries);
      recordFinding({
        finding: 10,
        title: `setup into an existing 0755 folder (${data === edge ? 'Edge' : 'Mailbox'})`,
        attack: 'mkdir -m 0755 DIR; gatehouse setup --data DIR',
        reply: `setup: exit ${data === edge ? e.code : m.code}`,
        outcome: `folder 0${(statSync(data).mode & 0o777).toString(8)}; ${entries.length} entries, ${open.length} readable by group or others`,
        ok: open.length === 0 && (statSync(data).mode & 0o777) === 0o700,
      });
      assert.deepEqual(open, []);
    }
    for (const f of [org, join(dir.path, 'organization.key')]) assert.equal(statSync(f).mode & 0o777, 0o600, f);
  });

  it('what the running services write is 0600 in 0700 folders: stores with -wal/-shm, queue, logs, status file, Maildir', async () => {
    await shell(edge, [
      `Set-ReceiveConnector "Default internal Receive connector EDGE01" -Bindings ${EDGE}:25 -RemoteIPRanges 127.0.0.0/8 -ProtocolLoggingLevel Verbose -TarpitInterval 00:00:00`,
      'New-AcceptedDomain Contoso -DomainName contoso.com',
      `New-SendConnector "To Contoso" -AddressSpaces contoso.com -DNSRoutingEnabled $false -SmartHosts ${DOWN} -ProtocolLoggingLevel Verbose`,
      'Set-TransportService EDGE01 -OutboundConnectionFailureRetryInterval 00:10:00',
    ]);
    await shell(mbx, [
      'New-AcceptedDomain Contoso -DomainName contoso.com',
      'New-MailboxDatabase DB1 -Server MBX01',
      'New-Mailbox -Name Alice -Alias alice -UserPrincipalName alice@contoso.com -Database DB1 -Password (ConvertTo-SecureString "Alice-Folder-Pass-1" -AsPlainText -Force)',
      `Set-ReceiveConnector "Default MBX01" -Bindings ${MBX}:25 -PermissionGroups AnonymousUsers,ExchangeServers -TarpitInterval 00:00:00`,
      `Set-ReceiveConnector "Client MBX01" -Bindings ${MBX}:587`,
    ]);
    const value = async (expr: string) => (await gatehouse(['shell', '--data', mbx, '-c', expr])).stdout.trim();
    aliceMaildir = join(await value('(Get-MailboxDatabase DB1).FolderPath'), await value('(Get-Mailbox alice).Guid'));
    assert.ok(aliceMaildir.startsWith(mbx), aliceMaildir);

    edgeService = await startService(edge);
    mbxService = await startService(mbx);
    const toEdge = swaks(`${EDGE}:25`, 'bob@contoso.com', 'queued on the edge');
    assert.equal(toEdge.status, 0, toEdge.stdout + toEdge.stderr);
    const toMbx = swaks(`${MBX}:25`, 'alice@contoso.com', 'into the maildir');
    assert.equal(toMbx.status, 0, toMbx.stdout + toMbx.stderr);

    const files = (root: string) =>
      walk(root)
        .filter((x) => !x.folder)
        .map((x) => x.path.slice(root.length + 1));
    // The Edge tried its smart host (connectivity log) and tracked the message.
    await until(() => files(edge).some((f) => f.startsWith('Logs/Connectivity/CONNECTLOG')), 30_000, "the Edge's connectivity log");
    await until(() => existsSync(join(aliceMaildir, 'new')) && readdirSync(join(aliceMaildir, 'new')).length === 1, 30_000, "the message in alice's Maildir");

    const edgeFiles = files(edge);
    for (const expected of ['queue.db', 'queue.db-wal', 'queue.db-shm', 'server.db-wal', 'server.db-shm', 'service.json']) assert.ok(edgeFiles.includes(expected), `${expected} missing: ${edgeFiles.join(', ')}`);
    for (const prefix of ['Logs/MessageTracking/MSGTRK', 'Logs/ProtocolLog/SmtpReceive/RECV'])
      assert.ok(
        edgeFiles.some((f) => f.startsWith(prefix)),
        `${prefix}* missing: ${edgeFiles.join(', ')}`,
      );
    const mbxFiles = files(mbx);
    assert.ok(
      mbxFiles.some((f) => /^Mailbox\/DB1\/[^/]+\/new\//.test(f)),
      mbxFiles.join(', '),
    );
    for (const expected of ['queue.db-wal', 'queue.db-shm']) assert.ok(mbxFiles.includes(expected), `${expected} missing: ${mbxFiles.join(', ')}`);
    assert.deepEqual(notPrivate(walk(edge)), []);
    assert.deepEqual(notPrivate(walk(mbx)), []);
    const orgFiles = readdirSync(dir.path).filter((f) => f.startsWith('organization.'));
    assert.ok(orgFiles.includes('organization.db-wal'), orgFiles.join(', '));
    for (const f of orgFiles) assert.equal(statSync(join(dir.path, f)).mode & 0o777, 0o600, f);

    await edgeService.stop();
    edgeService = undefined;
    await mbxService.stop();
    mbxService = undefined;
  });

  /** Opens `path` to group and others, checks start refuses naming it and the fix, runs the fix, and starts. */
  async function refusesUntilFixed(data: string, exposed: string, mode: number, action: RegExp): Promise<void> {
    chmodSync(exposed, mode);
    const r = await refusedStart(data);
    assert.equal(r.code, 1, JSON.stringify(r));
    const failed = r.lines.find((l) => l.event === 'service.start.failed');
    assert.ok(failed, JSON.stringify(r.lines));
    assert.equal(failed.level, 'error');
    assert.equal(failed.path, exposed);
    assert.equal(failed.mode, `0${mode.toString(8)}`);
    assert.match(String(failed.action), action);
    assert.ok(String(failed.error).includes(exposed), String(failed.error));
    assert.ok(String(failed.error).includes(`Fix it with: ${String(failed.action)}`), String(failed.error));
    assert.ok(!r.lines.some((l) => l.event === 'service.ready'), 'nothing started');
    const what = exposed === data ? 'the server folder' : exposed.startsWith(`${data}/`) ? exposed.slice(data.length + 1) : basename(exposed);
    recordFinding({
      finding: 10,
      title: `start with ${what} at 0${mode.toString(8)}`,
      attack: `chmod 0${mode.toString(8)} ${exposed}; gatehouse start`,
      reply: `exit ${r.code}: ${String(failed.error).split('. ')[0]}`,
      outcome: `refused; the fix named: ${String(failed.action)}`,
      ok: r.code === 1,
    });
    runFix(String(failed.action));
    const service = await startService(data);
    await service.stop();
  }

  it('start refuses a file of the server folder that others can read, naming it and chmod -R go-rwx; after the fix it starts', async () => {
    await refusesUntilFixed(edge, join(edge, 'queue.db'), 0o644, new RegExp(`^chmod -R go-rwx ${edge.replace(/[.]/g, '\\.')}$`));
    assert.deepEqual(notPrivate(walk(edge)), []);
  });

  it('start refuses the server folder itself at 0755, and a log folder inside it', async () => {
    await refusesUntilFixed(edge, edge, 0o755, /^chmod -R go-rwx /);
    await refusesUntilFixed(edge, join(edge, 'Logs', 'MessageTracking'), 0o755, /^chmod -R go-rwx /);
  });

  it('start refuses a Maildir message and the organization store that others can read', async () => {
    const message = join(aliceMaildir, 'new', readdirSync(join(aliceMaildir, 'new'))[0]!);
    await refusesUntilFixed(mbx, message, 0o644, new RegExp(`^chmod -R go-rwx ${mbx.replace(/[.]/g, '\\.')}$`));
    await refusesUntilFixed(mbx, org, 0o644, new RegExp(`^chmod go-rwx ${org.replace(/[.]/g, '\\.')}\\* ${org.replace(/\.db$/, '.key').replace(/[.]/g, '\\.')}$`));
  });

  it('start refuses a log folder that Set-TransportService put outside the server folder', async () => {
    mkdirSync(outsideLogs, { mode: 0o700 });
    await shell(edge, [`Set-TransportService EDGE01 -MessageTrackingLogPath ${outsideLogs}`]);
    await refusesUntilFixed(edge, outsideLogs, 0o755, new RegExp(`^chmod -R go-rwx ${outsideLogs.replace(/[.]/g, '\\.')}$`));
  });

  it('a search bit alone (0711, for a Maildir reader running as another user) is not a refusal', async () => {
    chmodSync(mbx, 0o711);
    const service = await startService(mbx);
    await service.stop();
    chmodSync(mbx, 0o700);
  });
});
