// `net accounts` and `net user` on an Edge Transport server: how a Windows
// workgroup server's administrator shows and sets the local account lockout
// policy and sees or clears an account's lockout. An Edge is not in the
// directory, so these stand where Get-/Set-ADDefaultDomainPasswordPolicy and
// Unlock-ADAccount stand on Mailbox servers. Exactly these forms run:
//
//   net accounts [/lockoutthreshold:N] [/lockoutduration:MINUTES] [/lockoutwindow:MINUTES]
//   net user [NAME [/active[:yes|no]]]
//
// Every other subcommand or switch is refused with what to use instead (the
// password switches would be accepted and ignored otherwise: Gatehouse has no
// password length or age policy). Output is net.exe's text.

import { EnhancedTimeSpan } from '../config/types/index.js';
import { localGroupSchema, localUserSchema } from '../config/model/account.js';
import { MAX_LOCKOUT_MINUTES } from '../config/model/lockout-policy.js';
import { isLockedOut } from '../directory/account-lockout.js';
import { formatDateDisplay } from '../shell/conversion.js';
import type { CommandSpec } from '../shell/command.js';
import { CmdletError } from '../shell/values.js';
import type { ModelObject } from '../store/repository.js';
import { members } from './account-support.js';
import { currentLockoutPolicy, lockoutPolicyObject, logonStateOf, saveLockoutPolicy, unlock } from './lockout-support.js';
import { findLocalUser } from './local-accounts.js';
import { updateObject } from './object-commands.js';
import type { ServerContext } from './server-context.js';

const DONE = 'The command completed successfully.';
const SUPPORTED = "Gatehouse's net runs: net accounts [/lockoutthreshold:N] [/lockoutduration:MINUTES] [/lockoutwindow:MINUTES], net user, net user NAME, net user NAME /active:yes|no.";

function refuse(message: string): CmdletError {
  return new CmdletError(`${message} ${SUPPORTED}`, { category: 'InvalidArgument', reason: 'ArgumentException' });
}

/** A switch /name or /name:value. */
function parseSwitch(word: string): { name: string; value: string | null } | null {
  const m = /^\/([A-Za-z]+)(?::(.*))?$/.exec(word);
  return m ? { name: m[1].toLowerCase(), value: m[2] ?? null } : null;
}

function minutes(ms: number): string {
  return String(Math.round(ms / 60_000));
}

function line(label: string, value: string, width: number): string {
  return label.padEnd(width) + value;
}

function wholeNumber(sw: string, value: string | null, min: number, max: number): number {
  if (value === null || !/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw refuse(
      `/${sw} needs a whole number from ${min} to ${max}${sw === 'lockoutthreshold' ? ' (0 = accounts never lock)' : sw === 'lockoutduration' ? ' minutes (0 = locked until an administrator unlocks the account)' : ' minutes'}: /${sw}:${value ?? ''} is not one.`,
    );
  }
  return Number(value);
}

function accounts(ctx: ServerContext, switches: string[]): string[] {
  const policy = lockoutPolicyObject(ctx);
  const values = { ...policy.values };
  for (const word of switches) {
    const sw = parseSwitch(word);
    if (!sw) throw refuse(`net accounts takes switches such as /lockoutthreshold:5; "${word}" is not one.`);
    switch (sw.name) {
      case 'lockoutthreshold':
        values.LockoutThreshold = wholeNumber(sw.name, sw.value, 0, 999);
        break;
      case 'lockoutduration':
        values.LockoutDuration = EnhancedTimeSpan.fromMinutes(wholeNumber(sw.name, sw.value, 0, MAX_LOCKOUT_MINUTES));
        break;
      case 'lockoutwindow':
        values.LockoutObservationWindow = EnhancedTimeSpan.fromMinutes(wholeNumber(sw.name, sw.value, 1, MAX_LOCKOUT_MINUTES));
        break;
      case 'forcelogoff':
      case 'minpwlen':
      case 'maxpwage':
      case 'minpwage':
      case 'uniquepw':
        throw refuse(`net accounts /${sw.name} is not implemented: Gatehouse keeps local account passwords only to check SMTP AUTH and has no password length, age or history policy, nor logon hours.`);
      case 'domain':
      case 'sync':
        throw refuse(`net accounts /${sw.name} is not implemented: an Edge Transport server is not part of a domain.`);
      default:
        throw refuse(`net accounts has no switch /${sw.name}.`);
    }
  }
  if (switches.length > 0) {
    const duration = (values.LockoutDuration as EnhancedTimeSpan).milliseconds;
    const window = (values.LockoutObservationWindow as EnhancedTimeSpan).milliseconds;
    if (duration !== 0 && duration < window) {
      throw refuse(
        `The lockout duration (${minutes(duration)} minutes) must be at least the lockout observation window (${minutes(window)} minutes), or 0 to keep accounts locked until an administrator unlocks them: set both, e.g. net accounts /lockoutduration:${minutes(window)} /lockoutwindow:${minutes(window)}.`,
      );
    }
    saveLockoutPolicy(ctx, policy, values, 'LockoutDuration');
    return [DONE];
  }
  const p = currentLockoutPolicy(ctx);
  return [
    line('Lockout threshold:', p.threshold === 0 ? 'Never' : String(p.threshold), 54),
    line('Lockout duration (minutes):', p.durationMs === 0 ? 'Never' : minutes(p.durationMs), 54),
    line('Lockout observation window (minutes):', minutes(p.observationWindowMs), 54),
    DONE,
  ];
}

function groupsOf(ctx: ServerContext, user: ModelObject): string[] {
  return ctx.repo
    .list(localGroupSchema)
    .filter((g) => members(g).includes(user.guid))
    .map((g) => `*${String(g.values.Name)}`);
}

function showUser(ctx: ServerContext, user: ModelObject): string[] {
  const locked = isLockedOut(logonStateOf(ctx, user), currentLockoutPolicy(ctx), Date.now());
  const set = user.values.PasswordLastSet;
  const passwordSet = set instanceof Date ? set : set ? new Date(String(set)) : null;
  const groups = groupsOf(ctx, user);
  const groupLines =
    groups.length === 0
      ? ['*None']
      : groups
          .reduce<string[]>((rows, g, i) => {
            if (i % 2 === 0) rows.push(g.padEnd(25));
            else rows[rows.length - 1] += g;
            return rows;
          }, [])
          .map((r) => r.trimEnd());
  return [
    line('User name', String(user.values.Name), 29),
    line('Full Name', String(user.values.FullName ?? ''), 29).trimEnd(),
    line('Comment', String(user.values.Description ?? ''), 29).trimEnd(),
    line('Account active', locked ? 'Locked' : user.values.Enabled === true ? 'Yes' : 'No', 29),
    line('Password last set', passwordSet ? formatDateDisplay(passwordSet) : 'Never', 29),
    '',
    ...groupLines.map((g, i) => line(i === 0 ? 'Local Group Memberships' : '', g, 29)),
    line('Global Group memberships', '*None', 29),
    DONE,
  ];
}

function listUsers(ctx: ServerContext): string[] {
  const names = ctx.repo.list(localUserSchema).map((u) => String(u.values.Name));
  const rows: string[] = [];
  for (let i = 0; i < names.length; i += 3)
    rows.push(
      names
        .slice(i, i + 3)
        .map((n) => n.padEnd(25))
        .join('')
        .trimEnd(),
    );
  return ['', `User accounts for \\\\${ctx.name}`, '', '-'.repeat(79), ...rows, DONE, ''];
}

function user(ctx: ServerContext, args: string[]): string[] {
  if (args.length === 0) return listUsers(ctx);
  const [name, ...switches] = args;
  if (parseSwitch(name)) throw refuse(`net user ${name} is not implemented.`);
  const account = findLocalUser(ctx, name);
  if (switches.length === 0) return showUser(ctx, account);
  if (switches.length > 1 || !parseSwitch(switches[0])) {
    // What follows the name may be a password: it is not repeated back.
    throw refuse(`net user NAME PASSWORD (or more than one switch) is not implemented; to set a password: Set-LocalUser ${name} -Password (Read-Host -AsSecureString).`);
  }
  const sw = parseSwitch(switches[0])!;
  if (sw.name !== 'active') {
    const instead = sw.name === 'add' ? 'New-LocalUser' : sw.name === 'delete' ? 'Remove-LocalUser' : sw.name === 'comment' || sw.name === 'fullname' ? 'Set-LocalUser -Description/-FullName' : null;
    throw refuse(`net user /${sw.name} is not implemented${instead ? `: use ${instead}` : ''}.`);
  }
  const value = (sw.value ?? 'yes').toLowerCase();
  if (value !== 'yes' && value !== 'no') throw refuse(`net user ${name} /active takes yes or no, not "${sw.value}".`);
  ctx.repo.transaction(() => {
    if (value === 'yes') unlock(ctx, account);
    const enabled = value === 'yes';
    if (account.values.Enabled !== enabled) {
      account.values.Enabled = enabled;
      updateObject(ctx, account);
    }
  });
  return [DONE];
}

export function netCommands(ctx: ServerContext): CommandSpec[] {
  return [
    {
      name: 'net',
      synopsis: "net accounts and net user: an Edge server's local account lockout policy, and an account's lockout (net user NAME /active:yes clears it).",
      description: `${SUPPORTED} The lockout policy applies to SMTP AUTH with the local accounts: after LockoutThreshold bad passwords within the observation window the account is locked for the lockout duration (0 = until "net user NAME /active:yes").`,
      parameters: [{ name: 'Arguments', typeName: 'String[]', position: 0, valueFromRemainingArguments: true, description: 'accounts [switches] or user [NAME [/active:yes|no]].', convert: (v) => (Array.isArray(v) ? v : [v]).map(String) }],
      examples: [
        { code: 'net accounts /lockoutthreshold:5 /lockoutduration:30 /lockoutwindow:30', remarks: 'Five bad passwords within 30 minutes lock a local account for 30 minutes.' },
        { code: 'net user mbxrelay\nnet user mbxrelay /active:yes', remarks: '"Account active  Locked" says the account is locked out; /active:yes unlocks it.' },
      ],
      invoke: (args) => {
        if (ctx.role !== 'EdgeTransport') {
          throw new CmdletError(
            `net manages the local accounts of an Edge Transport server. ${ctx.name} is a Mailbox server: its accounts are in the organization directory. Use Get-ADDefaultDomainPasswordPolicy / Set-ADDefaultDomainPasswordPolicy for the lockout policy, Get-ADUser NAME -Properties LockedOut to see a lockout and Unlock-ADAccount NAME to clear it.`,
            { category: 'InvalidOperation', reason: 'InvalidOperationException' },
          );
        }
        const words = (args.get('Arguments') as string[] | undefined) ?? [];
        const [sub, ...rest] = words;
        switch ((sub ?? '').toLowerCase()) {
          case 'accounts':
            return accounts(ctx, rest);
          case 'user':
          case 'users':
            return user(ctx, rest);
          case '':
            throw refuse('net needs a subcommand.');
          default:
            throw refuse(`net ${sub} is not implemented.`);
        }
      },
    },
  ];
}
