// `gatehouse dovecot-auth --data DIR REPLY`: Dovecot's passdb for the mailboxes
// of a Mailbox server, as a checkpassword program (Dovecot 2.3, passdb driver
// checkpassword with userdb prefetch). Dovecot writes "user\0password\0" on
// file descriptor 3; the user (an SMTP address of the mailbox, its
// UserPrincipalName or DOMAIN\sam) is verified against the organization's
// directory with the same check as SMTP AUTH (scrypt, src/secrets), so the
// password hashes never leave Gatehouse. On success the reply program Dovecot
// named (checkpassword-reply) runs with USER (the primary SMTP address), HOME
// (the mailbox's Maildir) and the userdb fields: the uid and gid that own the
// Maildir (the service's user: Dovecot then reads mail as that user, never as
// root) and the mail location, maildir:HOME:LAYOUT=fs (folders are
// subdirectories, as Gatehouse delivers them). Exit codes as the protocol
// wants: 1 refused, 111 a temporary failure (the reason on standard error,
// which Dovecot logs). With AUTHORIZED=1 (a userdb lookup) no password is
// checked and AUTHORIZED=2 is passed on.

import { spawnSync } from 'node:child_process';
import { readSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { checkPassword, findAccount, type DirectoryScope } from '../directory/account-lookup.js';
import { RecipientDirectory } from '../directory/recipients.js';
import { openServer } from '../setup/server-folder.js';

/** The checkpassword exit codes Dovecot reads. */
export const CHECKPASSWORD_REFUSED = 1;
export const CHECKPASSWORD_TEMPORARY = 111;

/** What Dovecot is told about a mailbox user who logged on. */
export interface DovecotUser {
  /** The primary SMTP address: Dovecot's user name from then on. */
  user: string;
  /** The Maildir of the mailbox (its Inbox). */
  home: string;
  uid: number;
  gid: number;
  mail: string;
}

export type DovecotLogon = { ok: true; user: DovecotUser } | { ok: false; temporary: boolean; reason: string };

/** Reads "user\0password\0..." from fd 3 (at most 8 KB, as checkpassword programs do). */
function readCredentials(): { user: string; password: string } {
  const buf = Buffer.alloc(8192);
  let len = 0;
  const wait = new Int32Array(new SharedArrayBuffer(4));
  // Bounded: 200 reads (a descriptor that is not blocking answers EAGAIN until the data is there).
  for (let i = 0; i < 200 && len < buf.length; i++) {
    let n: number;
    try {
      n = readSync(3, buf, len, buf.length - len, null);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
      Atomics.wait(wait, 0, 0, 10);
      continue;
    }
    if (n === 0) break;
    len += n;
  }
  const [user = '', password = ''] = buf.subarray(0, len).toString('utf8').split('\0');
  return { user, password };
}

/**
 * Checks a mailbox user's logon against the server's directory (no password check when
 * `authorized`, a userdb lookup) and finds where its mail is and who owns it.
 */
export async function dovecotLogon(dataDir: string, username: string, password: string, authorized: boolean): Promise<DovecotLogon> {
  const server = openServer(dataDir);
  try {
    if (server.role !== 'Mailbox') return { ok: false, temporary: true, reason: `${server.name} is an Edge Transport server: give the --data folder of a Mailbox server` };
    const scope: DirectoryScope = { role: server.role, netbiosName: server.directory.netbiosName, dnsDomain: server.directory.dnsDomain, repo: server.repo };
    const recipients = new RecipientDirectory(server.repo);
    // The name as a mail client gives it: an address of the mailbox, or the account's own names.
    const byAddress = recipients.find(username);
    const account = byAddress?.kind === 'mailbox' && byAddress.accountGuid ? findAccount(scope, byAddress.accountGuid) : findAccount(scope, username);
    if (!authorized) {
      const checked = await checkPassword(account, password);
      if (checked !== 'ok') return { ok: false, temporary: false, reason: `${username}: ${checked === 'unknown' ? 'no such account or mailbox' : checked === 'unusable' ? 'the account is disabled or has no password' : 'wrong password'}` };
    } else if (!account) {
      return { ok: false, temporary: false, reason: `${username}: no such account or mailbox` };
    }
    const primary = recipients.addressesOfAccount(account!.guid)[0];
    const mailbox = primary ? recipients.find(primary) : null;
    if (!mailbox || mailbox.kind !== 'mailbox') return { ok: false, temporary: false, reason: `${username}: the account has no mailbox` };
    if (!mailbox.folderPath) return { ok: false, temporary: true, reason: `${mailbox.primarySmtpAddress}: its database ${mailbox.database} has no FolderPath` };
    const home = join(mailbox.folderPath, mailbox.maildirFolder);
    // The owner of the database folder (before the first delivery, of the folder that will hold it) is the
    // user the Mailbox service runs as, who writes the Maildirs.
    let owner;
    let ownerPath = mailbox.folderPath;
    for (let i = 0; i < 64; i++) {
      try {
        owner = statSync(ownerPath);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || dirname(ownerPath) === ownerPath) {
          return { ok: false, temporary: true, reason: `${mailbox.primarySmtpAddress}: ${ownerPath}, where the Maildirs of ${mailbox.database} are, cannot be read (${(err as NodeJS.ErrnoException).code}); is the mailbox on another host?` };
        }
        ownerPath = dirname(ownerPath);
      }
    }
    if (!owner) return { ok: false, temporary: true, reason: `${mailbox.primarySmtpAddress}: no folder of ${mailbox.folderPath} exists` };
    if (owner.uid === 0) {
      return {
        ok: false,
        temporary: true,
        reason: `${mailbox.primarySmtpAddress}: the Maildirs in ${mailbox.folderPath} (${ownerPath}) belong to root, and Dovecot reads no mail as root; run the Mailbox service as a user of its own (the systemd unit's User=) and chown -R that user the server folder`,
      };
    }
    return { ok: true, user: { user: mailbox.primarySmtpAddress, home, uid: owner.uid, gid: owner.gid, mail: `maildir:${home}:LAYOUT=fs` } };
  } finally {
    server.close();
  }
}

/** The command: reads fd 3, answers by running the reply program (argv[0] here) or by the exit code. */
export async function runDovecotAuth(dataDir: string, reply: string | undefined): Promise<number> {
  if (!reply) {
    process.stderr.write(
      'gatehouse dovecot-auth: Dovecot runs this as its checkpassword program and names the reply program after the options (passdb { driver = checkpassword; args = SCRIPT }, where SCRIPT runs "gatehouse dovecot-auth --data DIR \\"$@\\"")\n',
    );
    return 2;
  }
  let credentials;
  try {
    credentials = readCredentials();
  } catch (err) {
    process.stderr.write(`gatehouse dovecot-auth: cannot read the user name and password on file descriptor 3 (${(err as NodeJS.ErrnoException).code ?? String(err)}); Dovecot's checkpassword driver provides them\n`);
    return CHECKPASSWORD_TEMPORARY;
  }
  const authorized = process.env.AUTHORIZED === '1';
  let logon: DovecotLogon;
  try {
    logon = await dovecotLogon(dataDir, credentials.user, credentials.password, authorized);
  } catch (err) {
    process.stderr.write(`gatehouse dovecot-auth: ${(err as Error).message}\n`);
    return CHECKPASSWORD_TEMPORARY;
  }
  if (!logon.ok) {
    process.stderr.write(`gatehouse dovecot-auth: ${logon.reason}\n`);
    return logon.temporary ? CHECKPASSWORD_TEMPORARY : CHECKPASSWORD_REFUSED;
  }
  const u = logon.user;
  for (const [what, value] of [
    ['user', u.user],
    ['home', u.home],
  ] as const) {
    if (/[\t\n\0]/.test(value)) {
      process.stderr.write(`gatehouse dovecot-auth: the ${what} ${JSON.stringify(value)} has a tab or line break Dovecot cannot take\n`);
      return CHECKPASSWORD_TEMPORARY;
    }
  }
  // The reply program writes the fields to fd 4, which Dovecot gave this process.
  const r = spawnSync(reply, [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ignore', 4],
    env: {
      ...process.env,
      USER: u.user,
      HOME: u.home,
      userdb_uid: String(u.uid),
      userdb_gid: String(u.gid),
      userdb_mail: u.mail,
      EXTRA: 'userdb_uid userdb_gid userdb_mail',
      ...(authorized && { AUTHORIZED: '2' }),
    },
    timeout: 30_000,
  });
  if (r.error) {
    process.stderr.write(`gatehouse dovecot-auth: cannot run the reply program ${reply}: ${r.error.message}\n`);
    return CHECKPASSWORD_TEMPORARY;
  }
  return r.status ?? CHECKPASSWORD_TEMPORARY;
}
