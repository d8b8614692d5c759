// LogonGuard against a real store in a temp folder, with an injected clock:
// the growing delay per source and per account (unknown names included), the
// lockout at the threshold (stored, only for accounts that exist), a correct
// password refused while locked, the same outcome for unknown, wrong, disabled
// and locked, the lockout log line with its action, and no password in any log.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { adUserSchema, localUserSchema } from '../../config/model/account.js';
import type { LockoutPolicy } from '../../config/model/lockout-policy.js';
import { afterUnlock } from '../../directory/account-lockout.js';
import type { Logger, Level } from '../../observability/logger.js';
import { hashPassword } from '../../secrets/password-hash.js';
import { SqliteAccountLogonStore } from '../../store/account-logon-store.js';
import { newModelObject, Repository } from '../../store/repository.js';
import { SqliteConfigStore } from '../../store/sqlite-config-store.js';
import { LogonWorkstations } from '../../directory/logon-workstations.js';
import { extraDelayMs, LogonGuard, MAX_EXTRA_DELAY_MS, type LogonOutcome } from './logon-guard.js';

class CapturingLogger implements Logger {
  readonly lines: { level: Level; event: string; fields: Record<string, unknown> }[] = [];
  log(level: Level, event: string, fields: Record<string, unknown> = {}): void {
    this.lines.push({ level, event, fields });
  }
  child(): Logger {
    return this;
  }
}

const MIN = 60_000;
const PASSWORD = 'Right-Pass-417';

describe('LogonGuard', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-logon-guard-'));
  const store = new SqliteConfigStore(join(dir, 'organization.db'), { create: true });
  const repo = new Repository(store, null);
  const logons = new SqliteAccountLogonStore(store.db);
  after(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const hash = await hashPassword(PASSWORD);
  const carol = newModelObject(adUserSchema, '', { Name: 'Carol', SamAccountName: 'carol', UserPrincipalName: 'carol@contoso.com', Enabled: true, PasswordHash: hash, SID: 'S-1-5-21-1-2-3-1001' });
  const dave = newModelObject(adUserSchema, '', { Name: 'Dave', SamAccountName: 'dave', Enabled: false, PasswordHash: hash, SID: 'S-1-5-21-1-2-3-1002' });
  repo.insert(carol);
  repo.insert(dave);
  const scope = { role: 'Mailbox' as const, netbiosName: 'CONTOSO', dnsDomain: 'contoso.com', repo };

  let now = Date.UTC(2025, 0, 1, 12);
  let policy: LockoutPolicy = { threshold: 3, durationMs: 30 * MIN, observationWindowMs: 30 * MIN };
  const guard = () => new LogonGuard({ directory: scope, store: logons, policy: () => policy, now: () => now });
  const failed = (o: LogonOutcome) => {
    assert.equal(o.ok, false);
    return o as Extract<LogonOutcome, { ok: false }>;
  };

  it('grows the delay: none for the first failure, then 1 s doubling up to 30 s', () => {
    assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 8, 50].map(extraDelayMs), [0, 1000, 2000, 4000, 8000, 16_000, MAX_EXTRA_DELAY_MS, MAX_EXTRA_DELAY_MS, MAX_EXTRA_DELAY_MS]);
  });

  it('counts one source across accounts and one account across sources', async () => {
    policy = { ...policy, threshold: 0 };
    const g = guard();
    const log = new CapturingLogger();
    const fromOneSource = [];
    for (const name of ['nobody1', 'nobody2', 'nobody3']) fromOneSource.push(failed(await g.logon(name, 'guess', '192.0.2.10', log)).extraDelayMs);
    assert.deepEqual(fromOneSource, [0, 1000, 2000], 'the source is counted whatever name it tries');
    const forOneName = [];
    for (const source of ['192.0.2.21', '192.0.2.22', '192.0.2.23']) forOneName.push(failed(await g.logon('CONTOSO\\nobody9', 'guess', source, log)).extraDelayMs);
    assert.deepEqual(forOneName, [0, 1000, 2000], 'an unknown name is counted from every source, like an account');
    policy = { ...policy, threshold: 3 };
  });

  it('delays and answers an unknown name, a wrong password and a disabled account alike, storing state only for the account', async () => {
    const g = guard();
    const log = new CapturingLogger();
    const unknown = failed(await g.logon('ghost', 'x', '198.51.100.1', log));
    const wrong = failed(await g.logon('carol', 'x', '198.51.100.2', log));
    const disabled = failed(await g.logon('dave', PASSWORD, '198.51.100.3', log));
    assert.deepEqual([unknown.extraDelayMs, wrong.extraDelayMs, disabled.extraDelayMs], [0, 0, 0]);
    assert.match(unknown.reason, /unknown account ghost/);
    assert.match(wrong.reason, /wrong password for CONTOSO\\carol/);
    assert.match(disabled.reason, /disabled account CONTOSO\\dave/);
    assert.equal(logons.get(carol.guid)?.badPwdCount, 1);
    assert.equal(logons.get(dave.guid), undefined, "a disabled account's correct password is no bad password");
    const rows = store.db.prepare('SELECT COUNT(*) AS n FROM account_logon_state').get() as { n: number };
    assert.equal(rows.n, 1, 'no row for an unknown name');
    logons.update(carol.guid, afterUnlock);
  });

  it('locks an account at the threshold, refuses its correct password, and logs how to unlock it', async () => {
    const g = guard();
    const log = new CapturingLogger();
    for (const [i, source] of ['203.0.113.1', '203.0.113.2', '203.0.113.3'].entries()) {
      now += 1000;
      const o = failed(await g.logon('carol@contoso.com', `wrong-${i}`, source, log));
      assert.equal(o.fields.badLogonCount, i + 1);
    }
    const state = logons.get(carol.guid)!;
    assert.equal(state.lockoutTime, now);
    const lockout = log.lines.filter((l) => l.event === 'auth.account.locked-out');
    assert.equal(lockout.length, 1);
    assert.equal(lockout[0].fields.account, 'CONTOSO\\carol');
    assert.equal(lockout[0].fields.source, '203.0.113.3');
    assert.equal(lockout[0].fields.badLogonCount, 3);
    assert.match(String(lockout[0].fields.action), /Unlock-ADAccount carol/);

    now += 1000;
    const right = failed(await g.logon('carol', PASSWORD, '203.0.113.50', log));
    assert.match(right.reason, /locked out/);
    assert.equal(right.fields.lockedOut, true);
    assert.equal(right.extraDelayMs, 4000, 'the fourth failure for carol waits as long as any fourth failure');
    assert.equal(logons.get(carol.guid)!.badPwdCount, 3, 'not counted while locked');

    now += 30 * MIN;
    const back = await g.logon('carol', PASSWORD, '203.0.113.50', log);
    assert.equal(back.ok, true, 'the lockout ends after LockoutDuration');
    assert.equal(logons.get(carol.guid)!.badPwdCount, 0);
    assert.equal(logons.get(carol.guid)!.lockoutTime, null);
    for (const l of log.lines) assert.ok(!JSON.stringify(l).includes(PASSWORD) && !JSON.stringify(l).includes('wrong-'), `a password in ${JSON.stringify(l)}`);
  });

  it('follows the policy it is given at each logon', async () => {
    const g = guard();
    const log = new CapturingLogger();
    policy = { threshold: 1, durationMs: 0, observationWindowMs: MIN };
    now += MIN;
    failed(await g.logon('carol', 'nope', '203.0.113.99', log));
    now += 365 * 24 * 60 * MIN;
    assert.match(failed(await g.logon('carol', PASSWORD, '203.0.113.99', log)).reason, /locked out/, 'duration 0: locked until unlocked');
    logons.update(carol.guid, afterUnlock);
    assert.equal((await g.logon('carol', PASSWORD, '203.0.113.99', log)).ok, true);
    const lockout = log.lines.find((l) => l.event === 'auth.account.locked-out')!;
    assert.equal(lockout.fields.lockedUntil, 'an administrator unlocks it');
    policy = { threshold: 3, durationMs: 30 * MIN, observationWindowMs: 30 * MIN };
  });

  it("names net user /active:yes for an Edge's local account", async () => {
    const edgeDir = mkdtempSync(join(tmpdir(), 'gatehouse-logon-guard-edge-'));
    const edgeStore = new SqliteConfigStore(join(edgeDir, 'server.db'), { create: true });
    try {
      const edgeRepo = new Repository(edgeStore, null);
      edgeRepo.insert(newModelObject(localUserSchema, '', { Name: 'mbxrelay', Enabled: true, PasswordHash: hash, SID: 'S-1-5-21-9-9-9-1000' }));
      const g = new LogonGuard({
        directory: { role: 'EdgeTransport', netbiosName: 'EDGE01', dnsDomain: 'edge01.contoso.net', repo: edgeRepo },
        store: new SqliteAccountLogonStore(edgeStore.db),
        policy: () => ({ threshold: 1, durationMs: MIN, observationWindowMs: MIN }),
        now: () => now,
      });
      const log = new CapturingLogger();
      failed(await g.logon('EDGE01\\mbxrelay', 'nope', '192.0.2.200', log));
      assert.match(String(log.lines.find((l) => l.event === 'auth.account.locked-out')?.fields.action), /net user mbxrelay \/active:yes/);
    } finally {
      edgeStore.close();
      rmSync(edgeDir, { recursive: true, force: true });
    }
  });

  it('refuses a right password from a computer the account may not log on from, without counting a bad password', async () => {
    const erin = newModelObject(adUserSchema, '', { Name: 'Erin', SamAccountName: 'erin', Enabled: true, PasswordHash: hash, SID: 'S-1-5-21-1-2-3-1005', LogonWorkstations: 'EDGE01' });
    repo.insert(erin);
    const checked: string[] = [];
    const workstations = new LogonWorkstations({
      dnsDomain: () => 'contoso.com',
      dns: () => ({ servers: [], hostsFile: null }),
      lookup: () => ({
        resolve4: async (name) => {
          checked.push(name);
          return [{ address: '192.0.2.61', ttl: 60 }];
        },
        resolve6: async (name) => {
          throw Object.assign(new Error(`ENODATA ${name}`), { code: 'ENODATA' });
        },
      }),
    });
    const g = new LogonGuard({ directory: scope, store: logons, policy: () => policy, now: () => now, workstations });
    const log = new CapturingLogger();
    assert.equal((await g.logon('erin', PASSWORD, '192.0.2.61', log)).ok, true, 'from EDGE01');
    const elsewhere = failed(await g.logon('CONTOSO\\erin', PASSWORD, '192.0.2.62', log));
    assert.equal(elsewhere.reason, 'account restriction, workstation: CONTOSO\\erin may log on only from EDGE01, and 192.0.2.62 is none of them (EDGE01 (edge01.contoso.com) -> 192.0.2.61)');
    assert.equal(elsewhere.fields.logonWorkstations, 'EDGE01');
    assert.match(String(elsewhere.fields.action), /Set-ADUser erin -LogonWorkstations "EDGE01,<its name>"/);
    assert.equal(logons.get(erin.guid), undefined, 'a right password is no bad password (as Active Directory counts)');
    const wrong = failed(await g.logon('erin', 'not-it', '192.0.2.61', log));
    assert.match(wrong.reason, /wrong password for CONTOSO\\erin/, 'a wrong password is a bad password even from EDGE01');
    assert.equal(logons.get(erin.guid)?.badPwdCount, 1);
    assert.equal(failed(await g.logon('erin', 'not-it', '192.0.2.62', log)).reason.startsWith('wrong password'), true, 'the restriction is not revealed to a wrong password');
    assert.equal(logons.get(erin.guid)?.badPwdCount, 2);
    assert.deepEqual([...new Set(checked)], ['edge01.contoso.com'], 'resolved whatever the password (cached after the first time)');
    logons.update(erin.guid, afterUnlock);
  });

  it('logs at most 256 characters of a name the client made up', async () => {
    const o = failed(await guard().logon('x'.repeat(10_000), 'guess', '192.0.2.88', new CapturingLogger()));
    assert.ok(o.reason.length < 320, o.reason.slice(0, 50));
    assert.match(o.reason, /\(10000 characters\)$/);
  });

  it('counts a malformed exchange against the source', () => {
    const g = guard();
    assert.equal(g.malformed('192.0.2.77').extraDelayMs, 0);
    assert.equal(g.malformed('192.0.2.77').extraDelayMs, 1000);
  });
});
