// Maildir delivery read back through a real IMAP server (Dovecot): the same
// bytes come back with Return-Path and Delivered-To added, statistics match,
// two processes delivering into one Maildir at once lose nothing, and
// filesystem failures surface as MaildirDeliveryError.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deliverToMaildir, maildirStatistics, MaildirDeliveryError, type MaildirDelivery } from '../src/mailbox/index.js';
import { startDovecot, type Dovecot } from './harness/dovecot.js';

const ADDRESS = '127.0.0.1';
const MAILBOX_INDEX = fileURLToPath(new URL('../src/mailbox/index.js', import.meta.url));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, ADDRESS, () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

// Lists every message of a folder over IMAP as [{ uid, body (base64) }], oldest UID first.
const IMAP_READER = `
import imaplib, json, sys, base64
host, port, user, pw, folder = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
m = imaplib.IMAP4(host, port, timeout=30)
m.login(user, pw)
typ, _ = m.select(folder)
assert typ == 'OK', typ
typ, data = m.uid('FETCH', '1:*', '(UID BODY.PEEK[])')
assert typ == 'OK', typ
out = []
for item in data:
    if isinstance(item, tuple):
        uid = int(item[0].split(b'UID ')[1].split()[0])
        out.append({'uid': uid, 'body': base64.b64encode(item[1]).decode()})
m.logout()
print(json.dumps(sorted(out, key=lambda x: x['uid'])))
`;

function readFolder(server: Dovecot, port: number, user: string, folder: string): Buffer[] {
  const r = spawnSync('python3', ['-c', IMAP_READER, ADDRESS, String(port), user, 'Secret1', folder], {
    encoding: 'utf8',
    timeout: 60_000,
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.status !== 0) {
    const log = existsSync(server.logPath) ? readFileSync(server.logPath, 'utf8').split('\n').slice(-15).join('\n') : '(no log)';
    assert.fail(`imaplib reader failed: ${r.stderr}\nDovecot log:\n${log}`);
  }
  return (JSON.parse(r.stdout) as { body: string }[]).map((m) => Buffer.from(m.body, 'base64'));
}

const crlf = (s: string) => s.replace(/\r?\n/g, '\r\n');

/** Delivers `count` messages from a separate Node process; resolves with the delivered files. */
function deliverFromChild(root: string, folder: string, tag: string, count: number): Promise<string[]> {
  const script = `
    import { deliverToMaildir } from ${JSON.stringify(MAILBOX_INDEX)};
    const [root, folder, tag, count] = process.argv.slice(1);
    const jobs = [];
    for (let i = 0; i < Number(count); i++) {
      const msg = Buffer.from('Subject: ' + tag + '-' + i + '\\r\\nMessage-ID: <' + tag + '-' + i + '@test>\\r\\n\\r\\nbody ' + tag + ' ' + i + '\\r\\n');
      jobs.push(deliverToMaildir(root, folder, msg, { returnPath: tag + '@fabrikam.com', deliveredTo: 'bob@contoso.com' }));
    }
    const done = await Promise.all(jobs);
    process.stdout.write(JSON.stringify(done.map((d) => d.file)));
  `;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, root, folder, tag, String(count)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      out += c;
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      err += c;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(JSON.parse(out) as string[]);
      else reject(new Error(`delivering child exited ${code}: ${err}`));
    });
  });
}

describe('Maildir delivery read through Dovecot IMAP', () => {
  let dir = '';
  let mailRoot = '';
  let dovecot: Dovecot | undefined;
  let port = 0;
  const alice: { sent: Buffer; delivered: MaildirDelivery; folder: string; returnPath: string }[] = [];
  let bobFiles: string[] = [];

  const samples: { name: string; bytes: Buffer; folder: string; returnPath: string }[] = [
    { name: 'plain', folder: 'alice', returnPath: 'sender@fabrikam.com', bytes: Buffer.from(crlf('From: sender@fabrikam.com\nTo: alice@contoso.com\nSubject: plain\nMessage-ID: <plain@test>\n\nHello Alice.\n.leading dot line\n')) },
    {
      name: '8bit',
      folder: 'alice',
      returnPath: 'müller@fabrikam.com',
      bytes: Buffer.concat([
        Buffer.from(crlf('From: =?utf-8?q?M=C3=BCller?= <mueller@fabrikam.com>\nSubject: 8bit\nMessage-ID: <8bit@test>\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n'), 'latin1'),
        Buffer.from('Grüße aus Köln – 日本語 – ', 'utf8'),
        Buffer.from([0x80, 0xa0, 0xe9, 0xff, 0x0d, 0x0a]),
        Buffer.from('Ende.\r\n'),
      ]),
    },
    {
      name: 'large',
      folder: 'alice',
      returnPath: 'big@fabrikam.com',
      bytes: Buffer.from(crlf('Subject: large\nMessage-ID: <large@test>\n\n') + Array.from({ length: 80_000 }, (_, i) => `line ${String(i).padStart(6, '0')} ${'abcdefghij'.repeat(6)}\r\n`).join('')),
    },
    { name: 'null sender', folder: 'alice', returnPath: '', bytes: Buffer.from(crlf('From: MAILER-DAEMON@contoso.com\nSubject: bounce\nMessage-ID: <bounce@test>\n\nUndeliverable.\n')) },
    { name: 'LF only', folder: 'alice', returnPath: 'unix@fabrikam.com', bytes: Buffer.from('Subject: lf only\nMessage-ID: <lf@test>\n\nunix line endings\n') },
    { name: 'archive', folder: join('alice', 'Archive'), returnPath: 'arch@fabrikam.com', bytes: Buffer.from(crlf('Subject: archived\nMessage-ID: <archive@test>\n\nfiled away\n')) },
  ];

  before(async () => {
    dir = mkdtempSync('/tmp/gh-maildir-');
    mailRoot = join(dir, 'mail');
    for (const s of samples) {
      const delivered = await deliverToMaildir(mailRoot, s.folder, s.bytes, { returnPath: s.returnPath, deliveredTo: 'alice@contoso.com' });
      alice.push({ sent: s.bytes, delivered, folder: s.folder, returnPath: s.returnPath });
    }
    const [a, b] = await Promise.all([deliverFromChild(mailRoot, 'bob', 'p1', 60), deliverFromChild(mailRoot, 'bob', 'p2', 60)]);
    bobFiles = [...a, ...b];
    port = await freePort();
    dovecot = await startDovecot({
      address: ADDRESS,
      port,
      dir: join(dir, 'dovecot'),
      shareFrom: dir,
      users: [
        { name: 'alice', password: 'Secret1', maildir: join(mailRoot, 'alice') },
        { name: 'bob', password: 'Secret1', maildir: join(mailRoot, 'bob') },
      ],
    });
  });

  after(async () => {
    await dovecot?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('statistics count new/ and sum the file sizes', () => {
    const inbox = alice.filter((m) => m.folder === 'alice');
    const s = maildirStatistics(mailRoot, 'alice');
    assert.equal(s.itemCount, inbox.length);
    assert.equal(
      s.totalItemSize,
      inbox.reduce((n, m) => n + statSync(m.delivered.file).size, 0),
    );
    assert.equal(
      s.totalItemSize,
      inbox.reduce((n, m) => n + m.delivered.size, 0),
    );
    assert.ok(s.lastDeliveryTime && Date.now() - s.lastDeliveryTime.getTime() < 120_000);
    assert.equal(maildirStatistics(mailRoot, join('alice', 'Archive')).itemCount, 1);
  });

  test('every message comes back over IMAP byte for byte, with Return-Path and Delivered-To added', () => {
    for (const [folder, imapFolder] of [
      ['alice', 'INBOX'],
      [join('alice', 'Archive'), 'Archive'],
    ] as const) {
      const sent = alice.filter((m) => m.folder === folder);
      const got = readFolder(dovecot!, port, 'alice', imapFolder);
      assert.equal(got.length, sent.length, `${imapFolder}: message count`);
      for (const m of sent) {
        const id = /Message-ID: (<[^>]+>)/.exec(m.sent.toString('latin1'))![1]!;
        const back = got.find((g) => g.toString('latin1').includes(`Message-ID: ${id}`));
        assert.ok(back, `${id} not found over IMAP`);
        const prefix = `Return-Path: <${m.returnPath}>\r\nDelivered-To: alice@contoso.com\r\n`;
        assert.equal(back.subarray(0, Buffer.byteLength(prefix)).toString('utf8'), prefix);
        const rest = back.subarray(Buffer.byteLength(prefix));
        // IMAP always sends CRLF; a message stored with bare LF comes back with CRLF.
        const expected = m.sent.includes('\r\n') ? m.sent : Buffer.from(crlf(m.sent.toString('latin1')), 'latin1');
        assert.equal(rest.length, expected.length, `${id}: length`);
        assert.ok(rest.equals(expected), `${id}: bytes differ`);
      }
    }
  });

  test('statistics still match after the IMAP server moved messages to cur/', () => {
    const inbox = alice.filter((m) => m.folder === 'alice');
    const cur = readdirSync(join(mailRoot, 'alice', 'cur'));
    assert.equal(cur.length, inbox.length, 'Dovecot moved the seen messages to cur/');
    const s = maildirStatistics(mailRoot, 'alice');
    assert.equal(s.itemCount, inbox.length);
    assert.equal(
      s.totalItemSize,
      inbox.reduce((n, m) => n + m.delivered.size, 0),
    );
  });

  test('two processes delivering into one Maildir at once: unique names, nothing lost', () => {
    assert.equal(bobFiles.length, 120);
    assert.equal(new Set(bobFiles).size, 120);
    const pids = new Set(bobFiles.map((f) => /P(\d+)Q/.exec(f)![1]));
    assert.equal(pids.size, 2, 'names carry each process id');
    assert.deepEqual(readdirSync(join(mailRoot, 'bob', 'tmp')), []);
    const got = readFolder(dovecot!, port, 'bob', 'INBOX').map((b) => b.toString('latin1'));
    assert.equal(got.length, 120);
    for (const tag of ['p1', 'p2']) {
      for (let i = 0; i < 60; i++) {
        assert.ok(
          got.some((g) => g.includes(`Message-ID: <${tag}-${i}@test>\r\n`) && g.endsWith(`body ${tag} ${i}\r\n`)),
          `${tag}-${i} missing`,
        );
      }
    }
    assert.equal(maildirStatistics(mailRoot, 'bob').itemCount, 120);
  });
});

describe('Maildir delivery failures', () => {
  const envelope = { returnPath: 's@fabrikam.com', deliveredTo: 'alice@contoso.com' };

  test('a file where the folder should be: transient MaildirDeliveryError, nothing written', async (t) => {
    const root = mkdtempSync('/tmp/gh-maildir-blocked-');
    t.after(() => rmSync(root, { recursive: true, force: true }));
    writeFileSync(join(root, 'alice'), 'in the way');
    await assert.rejects(deliverToMaildir(root, 'alice', Buffer.from('Subject: x\r\n\r\nx\r\n'), envelope), (e: unknown) => {
      assert.ok(e instanceof MaildirDeliveryError, String(e));
      assert.equal(e.transient, true);
      assert.match(e.message, /alice/);
      return true;
    });
    // A file in place of new/ inside an existing Maildir.
    mkdirSync(join(root, 'bob', 'tmp'), { recursive: true });
    mkdirSync(join(root, 'bob', 'cur'));
    writeFileSync(join(root, 'bob', 'new'), 'in the way');
    await assert.rejects(deliverToMaildir(root, 'bob', Buffer.from('Subject: x\r\n\r\nx\r\n'), envelope), (e: unknown) => e instanceof MaildirDeliveryError && e.transient);
    assert.deepEqual(readdirSync(join(root, 'bob', 'tmp')), []);
  });

  test('disk full (ENOSPC) and read-only volume (EROFS): transient errors, no partial files', async (t) => {
    if (process.getuid?.() !== 0) return t.skip('needs root to mount a small tmpfs');
    const base = mkdtempSync('/tmp/gh-maildir-fs-');
    const full = join(base, 'full');
    const ro = join(base, 'ro');
    mkdirSync(full);
    mkdirSync(ro);
    const mounted: string[] = [];
    t.after(() => {
      for (const m of mounted) spawnSync('umount', [m], { timeout: 10_000 });
      rmSync(base, { recursive: true, force: true });
    });
    for (const [path, opts] of [
      [full, 'size=256k,mode=0700'],
      [ro, 'size=64k,ro'],
    ] as const) {
      const r = spawnSync('mount', ['-t', 'tmpfs', '-o', opts, 'tmpfs', path], { timeout: 10_000 });
      if (r.status !== 0) return t.skip('cannot mount tmpfs here');
      mounted.push(path);
    }
    await deliverToMaildir(full, 'alice', Buffer.from('Subject: fits\r\n\r\nsmall\r\n'), envelope);
    const big = Buffer.alloc(1024 * 1024, 0x61);
    await assert.rejects(deliverToMaildir(full, 'alice', big, envelope), (e: unknown) => {
      assert.ok(e instanceof MaildirDeliveryError, String(e));
      assert.equal(e.code, 'ENOSPC');
      assert.equal(e.transient, true);
      assert.match(e.message, /no space left/);
      return true;
    });
    assert.deepEqual(readdirSync(join(full, 'alice', 'tmp')), [], 'the partial file was removed from tmp/');
    assert.equal(readdirSync(join(full, 'alice', 'new')).length, 1, 'only the complete message is in new/');
    await assert.rejects(deliverToMaildir(ro, 'alice', Buffer.from('Subject: x\r\n\r\nx\r\n'), envelope), (e: unknown) => e instanceof MaildirDeliveryError && e.code === 'EROFS' && e.transient);
  });
});
