// End to end: `gatehouse lab --org-store postgresql`. The seed's topology with
// the contoso organization in a private PostgreSQL cluster the lab starts:
// MBX01 and MBX02 share nothing but PostgreSQL and the network (as root, each
// runs as a user of its own, its folder closed to the other), the seed's
// Mailbox procedure is typed in MBX02's shell while MBX01 runs and MBX01's
// "To Edge" then carries alice's mail out, and bob's mail on MBX02 reaches
// alice's mailbox on MBX01.

import assert from 'node:assert/strict';
import { chmodSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { gatehouse, scratchDir } from '../harness/gatehouse.js';

describe('gatehouse lab --org-store postgresql', () => {
  const dir = scratchDir('lab-pg');
  after(() => dir.remove());

  it("runs the seed's topology with the Mailbox servers sharing only PostgreSQL and the network", async () => {
    chmodSync(dir.path, 0o711); // the servers' own users reach their folders below it
    const lab = join(dir.path, 'lab');
    const r = await gatehouse(['lab', '--once', '--org-store', 'postgresql', '--dir', lab, '--port-base', '33000'], { timeoutMs: 300_000 });
    assert.equal(r.code, 0, r.stdout.slice(-5000) + r.stderr);
    const out = r.stdout;
    assert.match(out, /PostgreSQL is running, PID \d+; role gatehouse owns database contoso/);
    assert.match(out, /Created the organization in postgresql:\/\/gatehouse@127\.168\.5\.40:38432\/contoso\?sslmode=disable\. Its key is .*MBX01-home\/organization\.key \(mode 0600\)/);
    assert.match(out, /Joined the organization in postgresql:\/\/gatehouse@127\.168\.5\.40:38432\/contoso/);
    assert.match(out, /==== MBX02: the seed's Mailbox server procedure, verbatim, typed in MBX02's shell while MBX01 runs\n\[PS\] mbxserver02\.contoso\.com> \$EdgeCredentials = Get-Credential/);
    assert.match(out, /\[PS\] mbxserver02\.contoso\.com> New-SendConnector -Name "To Edge"/);
    assert.match(out, /MBX01's running service applied the organization at change \d+, the last one made in MBX02's shell, \d+ ms after that shell finished/);
    assert.match(out, /Organization files beside the server folders: none \(the organization is in PostgreSQL\)/);
    if (process.getuid?.() === 0) {
      assert.match(out, /MBX01: service PID \d+ runs as uid 61001; its folder \S+MBX01 belongs to uid 61001, mode 0700; as uid 61001, reading MBX02's folder gives EACCES\./);
      assert.match(out, /MBX02: service PID \d+ runs as uid 61002; its folder \S+MBX02 belongs to uid 61002, mode 0700; as uid 61002, reading MBX01's folder gives EACCES\./);
    }
    assert.match(out, /Internet -> mailbox: kim@fabrikam\.com -> alice@contoso\.com DELIVERED/);
    assert.match(out, /Mailbox -> Internet: alice@contoso\.com -> kim@fabrikam\.com DELIVERED/);
    assert.match(out, /Mailbox -> mailbox: bob@contoso\.com \(MBX02\) -> alice@contoso\.com \(MBX01\) DELIVERED into alice's mailbox on MBX01, relayed by MBX02/);
    // alice's message left through MBX01's "To Edge", the connector made in MBX02's shell.
    assert.match(out, /SEND +SMTP +\{kim@fabrikam\.com\} To Edge/);
    assert.match(out, /Every message was delivered/);
    // MBX02's log, read from MBX01's shell across the closed folders: MBX02 answers through its endpoint.
    assert.match(out, /\[PS\] mbxserver01\.contoso\.com> Get-MessageTrackingLog -Server MBX02 [^\n]*\n\nTimestamp[^\n]*\n-[^\n]*\n[^\n]*RECEIVE SMTP +\{alice@contoso\.com\} MBX02\\Client MBX02/);
    assert.match(out, /^MBX02\\Submission +Undefined +Ready +0$/m);
    assert.match(out, /MBX01 answered for both servers: MBX02's queues and bob's mailbox came from MBX02, through its endpoint\./);
    assert.ok(!readdirSync(lab).some((f) => f.startsWith('contoso-organization')), 'no organization file');
    assert.ok(existsSync(join(lab, 'postgresql', 'pg', 'data', 'PG_VERSION')));
    assert.ok(!existsSync(join(lab, 'postgresql', 'pg', 'data', 'postmaster.pid')), 'the lab stopped its PostgreSQL');
  });
});
