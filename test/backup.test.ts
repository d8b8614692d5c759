// `gatehouse backup` of a running Edge under load, and `gatehouse restore`:
// swaks sessions keep sending small and large (spooled) messages, held in the
// queue by a Send connector whose smart host is a closed port; the backup is
// taken while they run, and while another session is in the middle of a
// large message (its spool file named by no queue row yet). The server is stopped, the backup restored into a new
// folder: every message that got its 250 before the backup started is in the
// restored queue (Get-Message) with its whole body, the folder is private
// (0700, files 0600) and the restored server starts. A damaged, cut or
// foreign file, and a non-empty folder, are refused with nothing restored.
// A Mailbox server's SQLite organization store, its key and its Maildir come
// back to a new organization file (never over an existing one) that the
// restored server names; an organization in PostgreSQL is named, not copied.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { SqliteQueueStore } from '../src/queue/sqlite-queue-store.js';
import { formatListRecords } from './harness/format-list.js';
import { gatehouse, scratchDir } from './harness/gatehouse.js';
import { startService, type RunningService } from './harness/service.js';
import { SmtpDialog } from './harness/smtp-dialog.js';

const EDGE = '127.30.1.1';
const CLOSED = '127.30.1.2';
const CLIENT = '127.30.1.3';
const SENDERS = 4;
const PER_SENDER = 40;

/** A body whose first and last lines name the message (so a shifted, cut or foreign body shows). */
function bodyFor(tag: string, large: boolean): string {
  const lines = [`first line of ${tag}`];
  const count = large ? 4000 : 20;
  for (let i = 0; i < count; i++) lines.push(`${tag} line ${i} ${'abcdefghij'.repeat(4)}`);
  lines.push(`last line of ${tag}`);
  return lines.join('\r\n') + '\r\n';
}

/** One message with swaks; resolves true when the server said 250 to it (swaks exit 0). */
function swaks(tag: string, bodyFile: string): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(
      'swaks',
      ['--server', `${EDGE}:25`, '--local-interface', CLIENT, '--ehlo', 'load.fabrikam.com', '--from', `${tag}@fabrikam.com`, '--to', 'bob@contoso.com', '--header', `Subject: ${tag}`, '--body', `@${bodyFile}`, '--timeout', '30'],
      { stdio: 'ignore' },
    );
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', () => {
      clearTimeout(timer);
      resolve(false);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve(code === 0);
    });
  });
}

/** Polls a lasting condition, at most 60 s. */
async function waitUntil(condition: () => boolean): Promise<boolean> {
  for (let i = 0; i < 1200; i++) {
    if (condition()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return condition();
}

/** Every path under `root` with its mode. */
function modes(root: string): { path: string; folder: boolean; mode: number }[] {
  const out: { path: string; folder: boolean; mode: number }[] = [];
  const walk = (p: string) => {
    const st = lstatSync(p);
    out.push({ path: p, folder: st.isDirectory(), mode: st.mode & 0o777 });
    if (st.isDirectory()) for (const n of readdirSync(p)) walk(join(p, n));
  };
  walk(root);
  return out;
}

describe('gatehouse backup and restore', () => {
  const dir = scratchDir('backup');
  const data = join(dir.path, 'EDGE01');
  const restored = join(dir.path, 'restored', 'EDGE01');
  const backupFile = join(dir.path, 'edge01.ghbackup');
  let service: RunningService | null = null;

  before(async () => {
    assert.equal((await gatehouse(['setup', '--role', 'EdgeTransport', '--name', 'EDGE01', '--fqdn', 'edge01.contoso.net', '--data', data])).code, 0);
    const r = await gatehouse([
      'shell',
      '--data',
      data,
      '-c',
      [
        'New-AcceptedDomain Contoso -DomainName contoso.com -DomainType InternalRelay',
        `Set-ReceiveConnector "Default internal Receive connector EDGE01" -Bindings ${EDGE}:25 -TarpitInterval 00:00:00 -MessageRateLimit unlimited -MaxInboundConnectionPerSource unlimited`,
        // Nothing listens there: every message stays in the queue.
        `New-SendConnector "Held" -Usage Internal -AddressSpaces * -DNSRoutingEnabled $false -SmartHosts "[${CLOSED}]" -Port 2599`,
      ].join('; '),
    ]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
  });

  after(async () => {
    if (service) await service.stop();
    dir.remove();
  });

  it('copies a server under load so that every message acknowledged before the backup is restored with its body', async () => {
    service = await startService(data);
    // A session in the middle of a large message while the backup runs: its body is being written
    // to a spool file that no queue row names yet; it is finished (and acknowledged) afterwards.
    const inFlight = await SmtpDialog.open(EDGE, 25, CLIENT);
    assert.equal((await inFlight.reply())?.code, 220);
    assert.equal((await inFlight.command('EHLO inflight.fabrikam.com'))?.code, 250);
    assert.equal((await inFlight.command('MAIL FROM:<inflight@fabrikam.com>'))?.code, 250);
    assert.equal((await inFlight.command('RCPT TO:<bob@contoso.com>'))?.code, 250);
    assert.equal((await inFlight.command('DATA'))?.code, 354);
    inFlight.write(`Subject: in flight during the backup\r\n\r\n${bodyFor('inflight', true)}`);
    const spool = join(data, 'spool');
    const spoolStarted = await waitUntil(() => existsSync(spool) && readdirSync(spool).length > 0);
    assert.ok(spoolStarted, 'the in-flight message is being written to the spool');

    const acknowledged: string[] = [];
    const beforeBackup = new Set<string>();
    let backupStarted = false;
    let stop = false;
    const sender = async (s: number) => {
      for (let i = 0; i < PER_SENDER && !stop; i++) {
        const tag = `s${s}m${i}`;
        const file = join(dir.path, `${tag}.txt`);
        writeFileSync(file, bodyFor(tag, i % 3 === 0));
        if (await swaks(tag, file)) {
          acknowledged.push(tag);
          if (!backupStarted) beforeBackup.add(tag);
        }
      }
    };
    const senders = Array.from({ length: SENDERS }, (_, s) => sender(s));

    // The backup starts once mail is flowing, and runs while the senders go on.
    assert.ok(await waitUntil(() => acknowledged.length >= 12), `the load did not start: ${acknowledged.length} messages acknowledged`);
    backupStarted = true;
    const b = await gatehouse(['backup', '--data', data, '--to', backupFile], { timeoutMs: 120_000 });
    const finished = await inFlight.command('.');
    inFlight.close();
    stop = true;
    await Promise.all(senders);
    assert.equal(b.code, 0, b.stdout + b.stderr);
    assert.equal(finished?.code, 250, 'the in-flight message is acknowledged after the backup');
    assert.match(b.stdout, /Backed up Edge Transport server EDGE01 .* \(\d+ octets, mode 0600\)/);
    assert.equal(statSync(backupFile).mode & 0o777, 0o600);
    const spooled = Number(/(\d+) of them with a body in the spool/.exec(b.stdout)?.[1]);
    assert.ok(spooled >= 1, `large messages were spooled and copied: ${b.stdout}`);

    assert.equal(await service.stop(), 0);
    service = null;

    const r = await gatehouse(['restore', '--from', backupFile, '--data', restored]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /Restored Edge Transport server EDGE01/);

    // The folder is private: what `gatehouse start` requires.
    const exposed = modes(restored).filter((e) => e.mode !== (e.folder ? 0o700 : 0o600));
    assert.deepEqual(exposed, [], 'every restored folder is 0700 and every file 0600');
    assert.equal(statSync(join(restored, 'master.key')).mode & 0o777, 0o600);
    assert.ok(!existsSync(join(restored, 'service.json')), "the running service's status file is not restored");

    // The admin's view: every message acknowledged before the backup is in the restored queue.
    const shown = await gatehouse(['shell', '--data', restored, '-c', 'Get-Message -ResultSize Unlimited | Format-List Subject,Status']);
    assert.equal(shown.code, 0, shown.stderr);
    const subjects = new Set(formatListRecords(shown.stdout).map((rec) => rec.Subject));
    for (const tag of beforeBackup) assert.ok(subjects.has(tag), `${tag} got 250 before the backup started but Get-Message on the restored server does not show it`);
    assert.ok(!subjects.has('in flight during the backup'), 'a message committed after the backup is not in it');

    // With its whole body (the large ones from the restored spool).
    const queue = new SqliteQueueStore(join(restored, 'queue.db'));
    try {
      const bySubject = new Map(queue.pending(10_000).map((m) => [m.envelope.subject, m.internalId]));
      for (const tag of beforeBackup) {
        const stored = queue.body(bySubject.get(tag)!)?.toString('latin1') ?? '';
        // The body after the header, exactly as sent (swaks ends it with empty lines of its own).
        const sent = bodyFor(tag, Number(tag.split('m')[1]) % 3 === 0);
        const body = stored.slice(stored.indexOf('\r\n\r\n') + 4).replace(/(\r\n)+$/, '');
        assert.ok(body === sent.replace(/\r\n$/, ''), `the restored body of ${tag} is not what was sent (${body.length} octets restored, ${sent.length} sent)`);
      }
      // The restored spool holds exactly the files the restored queue names.
      const named = (queue.db.prepare('SELECT file FROM bodies WHERE file IS NOT NULL').all() as { file: string }[]).map((x) => x.file).sort();
      assert.deepEqual(readdirSync(join(restored, 'spool')).sort(), named);
      assert.ok(named.length >= 1);
    } finally {
      queue.close();
    }

    // The server points at its new folder, and starts from it.
    const server = await gatehouse(['shell', '--data', restored, '-c', 'Get-ExchangeServer EDGE01 | Format-List DataPath']);
    assert.equal(formatListRecords(server.stdout)[0]?.DataPath, restored);
    service = await startService(restored);
    assert.equal(await service.stop(), 0);
    service = null;
  });

  it('refuses a missing, foreign, cut or altered backup file, and a folder that is not empty, restoring nothing', async () => {
    const target = join(dir.path, 'refused', 'EDGE01');
    const missing = await gatehouse(['restore', '--from', join(dir.path, 'none.ghbackup'), '--data', target]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /none\.ghbackup does not exist/);

    const foreign = join(dir.path, 'foreign.txt');
    writeFileSync(foreign, 'hello\n');
    const notBackup = await gatehouse(['restore', '--from', foreign, '--data', target]);
    assert.equal(notBackup.code, 1);
    assert.match(notBackup.stderr, /foreign\.txt is not a Gatehouse backup/);

    const whole = readFileSync(backupFile);
    const cut = join(dir.path, 'cut.ghbackup');
    writeFileSync(cut, whole.subarray(0, Math.floor(whole.length / 2)));
    const cutShort = await gatehouse(['restore', '--from', cut, '--data', target]);
    assert.equal(cutShort.code, 1);
    assert.match(cutShort.stderr, /cut\.ghbackup is damaged: .*cut short.*Nothing was restored/);

    const altered = Buffer.from(whole);
    altered[Math.floor(altered.length * 0.7)] ^= 0x20;
    const flipped = join(dir.path, 'altered.ghbackup');
    writeFileSync(flipped, altered);
    const bad = await gatehouse(['restore', '--from', flipped, '--data', target]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /altered\.ghbackup is damaged: /);
    assert.ok(!existsSync(target), 'nothing was restored');
    assert.deepEqual(
      readdirSync(join(dir.path, 'refused')).filter((n) => n.includes('restoring')),
      [],
      'no staging folder is left behind',
    );

    const full = await gatehouse(['restore', '--from', backupFile, '--data', restored]);
    assert.equal(full.code, 1);
    assert.match(full.stderr, /is not empty; restore does not overwrite a folder.*--force/);
    const forced = await gatehouse(['restore', '--from', backupFile, '--data', restored, '--force']);
    assert.equal(forced.code, 0, forced.stderr);
  });
});

describe('gatehouse backup and restore of a Mailbox server', () => {
  const MBX = '127.30.1.10';
  const dir = scratchDir('backup-mbx');
  const data = join(dir.path, 'MBX01');
  const backupFile = join(dir.path, 'mbx01.ghbackup');
  let service: RunningService | null = null;

  before(async () => {
    assert.equal((await gatehouse(['setup', '--role', 'Mailbox', '--name', 'MBX01', '--fqdn', 'mbx01.contoso.com', '--data', data])).code, 0);
    const r = await gatehouse([
      'shell',
      '--data',
      data,
      '-c',
      [
        'New-AcceptedDomain Contoso -DomainName contoso.com',
        'New-MailboxDatabase DB1 -Server MBX01',
        'New-Mailbox -Name Alice -Alias alice -UserPrincipalName alice@contoso.com -Database DB1 -Password (ConvertTo-SecureString "Alice-Backup-Pass-1" -AsPlainText -Force)',
        `Set-ReceiveConnector "Default MBX01" -Bindings ${MBX}:25 -PermissionGroups AnonymousUsers,ExchangeServers -TarpitInterval 00:00:00`,
        `Set-ReceiveConnector "Client MBX01" -Bindings ${MBX}:587`,
      ].join('; '),
    ]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
  });

  after(async () => {
    if (service) await service.stop();
    dir.remove();
  });

  it('takes the SQLite organization store, its key and the Maildir, and restores them to a new organization file the server then names', async () => {
    service = await startService(data);
    const file = join(dir.path, 'note.txt');
    writeFileSync(file, bodyFor('mbx-note', false));
    assert.ok(
      await new Promise<boolean>((resolve) => {
        const child = spawn('swaks', ['--server', `${MBX}:25`, '--local-interface', '127.30.1.11', '--from', 'carol@fabrikam.com', '--to', 'alice@contoso.com', '--header', 'Subject: into the maildir', '--body', `@${file}`], {
          stdio: 'ignore',
        });
        child.on('exit', (code) => resolve(code === 0));
      }),
      'swaks got its 250',
    );
    /** The files in alice's new/ (none while delivery has not created her Maildir yet). */
    const maildir = (root: string) => {
      const db = join(root, 'Mailbox', 'DB1');
      try {
        return readdirSync(db).flatMap((box) => readdirSync(join(db, box, 'new')).map((n) => join(db, box, 'new', n)));
      } catch {
        return [];
      }
    };
    await waitUntil(() => maildir(data).length > 0);
    assert.equal(maildir(data).length, 1, "the message reached alice's Maildir");

    const b = await gatehouse(['backup', '--data', data, '--to', backupFile]);
    assert.equal(b.code, 0, b.stderr);
    assert.match(b.stdout, new RegExp(`Organization store: ${join(dir.path, 'organization.db')} and its key`));
    assert.equal(await service.stop(), 0);
    service = null;

    // Beside the original folder the organization store exists: restore does not overwrite it.
    const sameParent = join(dir.path, 'MBX01-again');
    const refused = await gatehouse(['restore', '--from', backupFile, '--data', sameParent]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /organization\.db exists: other Mailbox servers may be using that organization store.*--org FILE/);
    assert.ok(!existsSync(sameParent));

    const site = join(dir.path, 'site2');
    const restored = join(site, 'MBX01');
    const r = await gatehouse(['restore', '--from', backupFile, '--data', restored]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const org = join(site, 'organization.db');
    for (const f of [org, join(site, 'organization.key')]) assert.equal(statSync(f).mode & 0o777, 0o600, f);
    assert.deepEqual(
      modes(restored).filter((e) => e.mode !== (e.folder ? 0o700 : 0o600)),
      [],
    );

    // The restored server works from the restored organization store, and its mailbox database follows the folder.
    const shown = await gatehouse(['shell', '--data', restored, '-c', 'Get-Mailbox alice | Format-List PrimarySmtpAddress; Get-MailboxDatabase DB1 | Format-List FolderPath']);
    assert.equal(shown.code, 0, shown.stderr);
    const records = formatListRecords(shown.stdout);
    assert.equal(records[0]?.PrimarySmtpAddress, 'alice@contoso.com');
    assert.equal(records[1]?.FolderPath, join(restored, 'Mailbox', 'DB1'));
    const copied = maildir(restored);
    assert.equal(copied.length, 1);
    assert.equal(readFileSync(copied[0]).toString('latin1'), readFileSync(maildir(data)[0]).toString('latin1'));
    const meta = new Database(join(restored, 'server.db'), { readonly: true });
    try {
      assert.equal((meta.prepare("SELECT value FROM config_meta WHERE key = 'org_store'").get() as { value: string }).value, org);
    } finally {
      meta.close();
    }
    service = await startService(restored);
    assert.equal(await service.stop(), 0);
    service = null;
  });

  it('names an organization in PostgreSQL without copying it or showing its password', async () => {
    // The server store names a PostgreSQL organization: backup copies the server's own stores only.
    const pgServer = join(dir.path, 'pg', 'MBX01');
    const copy = await gatehouse(['restore', '--from', backupFile, '--data', pgServer, '--org', join(dir.path, 'pg', 'org.db')]);
    assert.equal(copy.code, 0, copy.stderr);
    const url = 'postgresql://gatehouse:Pg-Secret-9@127.30.1.20:5432/contoso';
    const db = new Database(join(pgServer, 'server.db'));
    db.prepare("UPDATE config_meta SET value = ? WHERE key = 'org_store'").run(url);
    db.close();
    const pgBackup = join(dir.path, 'pg.ghbackup');
    const b = await gatehouse(['backup', '--data', pgServer, '--to', pgBackup]);
    assert.equal(b.code, 0, b.stderr);
    assert.match(b.stdout, /lives in PostgreSQL \(postgresql:\/\/gatehouse:\*\*\*@127\.30\.1\.20:5432\/contoso\); it is NOT in this file\. Back it up with pg_dump/);
    assert.doesNotMatch(b.stdout + b.stderr, /Pg-Secret-9/);
    const paths = readFileSync(pgBackup)
      .toString('latin1')
      .split('\n')
      .filter((l) => l.startsWith('{"kind":'))
      .map((l) => (JSON.parse(l) as { path?: string }).path);
    assert.ok(paths.includes('server/server.db') && paths.includes('server/master.key'));
    assert.deepEqual(
      paths.filter((p) => p?.startsWith('organization/')),
      [],
    );

    const back = await gatehouse(['restore', '--from', pgBackup, '--data', join(dir.path, 'pg2', 'MBX01')]);
    assert.equal(back.code, 0, back.stderr);
    assert.match(back.stdout, /in PostgreSQL and was not in this backup/);
    const org = await gatehouse(['restore', '--from', pgBackup, '--data', join(dir.path, 'pg3', 'MBX01'), '--org', join(dir.path, 'pg3', 'org.db')]);
    assert.equal(org.code, 1);
    assert.match(org.stderr, /--org places a Mailbox server's SQLite organization store; this backup of MBX01 holds none \(its organization is in PostgreSQL\)/);
  });
});
