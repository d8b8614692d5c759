// `gatehouse dovecot-auth` spoken to as Dovecot does (checkpassword: the user
// name and password on file descriptor 3, the reply program as argument, its
// answer on file descriptor 4), with Dovecot's own checkpassword-reply: a
// mailbox user logs on with the Gatehouse mailbox password, by address,
// UserPrincipalName or DOMAIN\sam; a wrong password or an unknown user is
// refused (exit 1); Maildirs that belong to root are refused with the reason
// (exit 111); a userdb lookup (AUTHORIZED=1) needs no password.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, chownSync, lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BIN, gatehouse, scratchDir } from './harness/gatehouse.js';
import { needs } from './harness/tools.js';

const REPLY = '/usr/lib/dovecot/checkpassword-reply';
const MAIL_UID = 61000;
const PASSWORD = 'Alice-Mailbox-Pass-1';

/** Runs the program as Dovecot would; resolves with its exit code, standard error and what the reply program wrote to fd 4. */
function checkpassword(data: string, user: string, password: string, env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stderr: string; reply: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'dovecot-auth', '--data', data, REPLY], {
      stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'],
      // Dovecot names its own uid (checkpassword-reply checks that it runs as that uid).
      env: { ...process.env, ORIG_UID: String(process.getuid?.() ?? 0), ...env },
    });
    let stderr = '';
    let reply = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    (child.stdio[4] as NodeJS.ReadableStream).setEncoding('utf8').on('data', (d: string) => (reply += d));
    (child.stdio[3] as NodeJS.WritableStream).end(`${user}\0${password}\0`);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, reply });
    });
  });
}

function chownTree(path: string, uid: number): void {
  chownSync(path, uid, uid);
  if (lstatSync(path).isDirectory()) for (const f of readdirSync(path)) chownTree(join(path, f), uid);
}

describe("gatehouse dovecot-auth (Dovecot's checkpassword)", needs('checkpassword-reply'), () => {
  const dir = scratchDir('dovecot-auth');
  const data = join(dir.path, 'MBX01');
  let folder = '';
  let maildir = '';

  before(async () => {
    assert.equal((await gatehouse(['setup', '--role', 'Mailbox', '--name', 'MBX01', '--fqdn', 'mbxserver01.contoso.com', '--data', data])).code, 0);
    const r = await gatehouse([
      'shell',
      '--data',
      data,
      '-c',
      [
        'New-AcceptedDomain Contoso -DomainName contoso.com',
        'New-MailboxDatabase DB1 -Server MBX01',
        `New-Mailbox -Name Alice -Alias alice -UserPrincipalName alice@contoso.com -Database DB1 -Password (ConvertTo-SecureString "${PASSWORD}" -AsPlainText -Force)`,
        'Set-Mailbox alice -EmailAddresses @{add="a.smith@contoso.com"}',
        'New-ADUser -Name Nomail -SamAccountName nomail -AccountPassword (ConvertTo-SecureString "Other-Pass-2" -AsPlainText -Force) -Enabled $true',
        '(Get-MailboxDatabase DB1).FolderPath',
        '(Get-Mailbox alice).Guid',
      ].join('; '),
    ]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const lines = r.stdout.trim().split('\n');
    folder = lines[lines.length - 2].trim();
    maildir = join(folder, lines[lines.length - 1].trim());
  });
  after(() => dir.remove());

  it('refuses a wrong password and an unknown user (exit 1), saying why on standard error', async () => {
    const wrong = await checkpassword(data, 'alice@contoso.com', 'not-her-password');
    assert.equal(wrong.code, 1);
    assert.equal(wrong.reply, '');
    assert.match(wrong.stderr, /alice@contoso\.com: wrong password/);
    assert.doesNotMatch(wrong.stderr, /not-her-password|scrypt/);
    const unknown = await checkpassword(data, 'mallory@contoso.com', PASSWORD);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /mallory@contoso\.com: no such account or mailbox/);
  });

  it('refuses Maildirs that belong to root (exit 111: Dovecot reads no mail as root), naming the fix', { skip: process.getuid?.() !== 0 && 'needs root' }, async () => {
    const r = await checkpassword(data, 'alice@contoso.com', PASSWORD);
    assert.equal(r.code, 111);
    assert.match(r.stderr, /the Maildirs in .* belong to root, and Dovecot reads no mail as root; run the Mailbox service as a user of its own/);
    assert.equal(r.reply, '');
  });

  it('logs a mailbox user on by address, UserPrincipalName or DOMAIN\\sam, and tells Dovecot the Maildir and its owner', { skip: process.getuid?.() !== 0 && 'needs root (chown)' }, async () => {
    chmodSync(dir.path, 0o711);
    chownTree(data, MAIL_UID); // as the service would be run: by a user of its own
    for (const name of ['alice@contoso.com', 'A.Smith@contoso.com', 'CONTOSO\\alice']) {
      const r = await checkpassword(data, name, PASSWORD);
      assert.equal(r.code, 0, `${name}: ${r.stderr}`);
      const fields = Object.fromEntries(
        r.reply
          .split('\t')
          .filter(Boolean)
          .map((f) => [f.slice(0, f.indexOf('=')), f.slice(f.indexOf('=') + 1)]),
      );
      assert.deepEqual(
        fields,
        {
          user: 'alice@contoso.com',
          userdb_home: maildir,
          userdb_uid: String(MAIL_UID),
          userdb_gid: String(MAIL_UID),
          userdb_mail: `maildir:${maildir}:LAYOUT=fs`,
        },
        name,
      );
    }
    const userdb = await checkpassword(data, 'alice@contoso.com', '', { AUTHORIZED: '1' });
    assert.equal(userdb.code, 2, `a userdb lookup answers AUTHORIZED=2: ${userdb.stderr}`);
    assert.match(userdb.reply, /^user=alice@contoso\.com\t/);
    const noMailbox = await checkpassword(data, 'CONTOSO\\nomail', 'Other-Pass-2');
    assert.equal(noMailbox.code, 1);
    assert.match(noMailbox.stderr, /CONTOSO\\nomail: the account has no mailbox/);
  });
});
