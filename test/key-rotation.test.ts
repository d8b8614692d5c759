// `gatehouse rotate-key` on an Edge (its own store) and on a Mailbox server
// whose organization is in PostgreSQL: every sealed secret opens with the new
// key and no longer with the old one, the new key has replaced the server's
// copy, and a further server must bring the new key to join.

import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { SecretBox } from '../src/secrets/secret-box.js';
import { loadMasterKey } from '../src/secrets/master-key.js';
import { gatehouse, scratchDir } from './harness/gatehouse.js';
import { startPostgres, type PgCluster } from './harness/postgres.js';

const PG_HOST = '127.35.4.1';
const PG_PORT = 5432;
const PASSWORD = 'Rotate-Pw-8812';

describe('gatehouse rotate-key', () => {
  const dir = scratchDir('rotate-key');
  const edge = join(dir.path, 'EDGE01');
  let pg: PgCluster;
  const env = { PGPASSWORD: PASSWORD };

  before(() => {
    pg = startPostgres({ dir: dir.path, host: PG_HOST, port: PG_PORT });
    pg.createDatabase('contoso', 'gatehouse', PASSWORD);
  });
  after(async () => {
    await pg.stop();
    dir.remove();
  });

  it("seals an Edge's credentials and private keys again under a new master key", async () => {
    assert.equal((await gatehouse(['setup', '--role', 'EdgeTransport', '--name', 'EDGE01', '--fqdn', 'edge01.contoso.net', '--data', edge])).code, 0);
    const sh = await gatehouse(['shell', '--data', edge], {
      input:
        [
          '$c = Get-Credential',
          'CONTOSO\\edgeauth',
          'Edge-Auth-Pw-1',
          'New-SendConnector -Name "To Internal Org" -Usage Internal -AddressSpaces *.contoso.com -DNSRoutingEnabled $false -SmartHosts mbx.contoso.com -SmartHostAuthMechanism BasicAuthRequireTLS -AuthenticationCredential $c | Out-Null',
        ].join('\n') + '\n',
    });
    assert.equal(sh.code, 0, sh.stderr);
    const oldKey = loadMasterKey(join(edge, 'master.key'));
    const sealedBefore = () => {
      const db = new Database(join(edge, 'server.db'), { readonly: true });
      try {
        return (db.prepare('SELECT type, guid, data FROM config_objects').all() as Array<{ type: string; guid: string; data: string }>).flatMap((r) =>
          Object.entries(JSON.parse(r.data) as Record<string, unknown>).flatMap(
            ([prop, v]) =>
              JSON.stringify(v)
                .match(/v1:[A-Za-z0-9+/=]+/g)
                ?.map((s) => ({ purpose: `${r.type}/${r.guid}/${prop}`, sealed: s })) ?? [],
          ),
        );
      } finally {
        db.close();
      }
    };
    const before = sealedBefore();
    assert.ok(before.length >= 2, 'a credential and a private key are sealed');
    const r = await gatehouse(['rotate-key', '--data', edge, '--new-key', join(dir.path, 'edge-new.key')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`Sealed ${before.length} secret\\(s\\) of \\d+ object\\(s\\) in .*server\\.db again under the new key\\.`));
    assert.equal(statSync(join(dir.path, 'edge-new.key')).mode & 0o777, 0o600);
    assert.equal(readFileSync(join(edge, 'master.key'), 'utf8'), readFileSync(join(dir.path, 'edge-new.key'), 'utf8'));
    const newBox = new SecretBox(loadMasterKey(join(edge, 'master.key')));
    const oldBox = new SecretBox(oldKey);
    const after = sealedBefore();
    assert.equal(after.length, before.length);
    for (const s of after) {
      assert.ok(newBox.open(s.sealed, s.purpose).length > 0);
      assert.throws(() => oldBox.open(s.sealed, s.purpose), /master key does not match/);
    }
    const credential = after.find((s) => s.purpose.startsWith('SendConnector/'))!;
    assert.equal(newBox.openText(credential.sealed, credential.purpose), 'Edge-Auth-Pw-1');
    const again = await gatehouse(['rotate-key', '--data', edge, '--new-key', join(dir.path, 'edge-new.key')]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /edge-new\.key exists; name a new file for the new key/);
  });

  it('rotates an organization in PostgreSQL: a further server must then bring the new key', async () => {
    const mbx1 = join(dir.path, 'MBX01');
    const url = pg.url('contoso', 'gatehouse', 'sslmode=disable');
    assert.equal((await gatehouse(['setup', '--role', 'Mailbox', '--name', 'MBX01', '--fqdn', 'mbx01.contoso.com', '--data', mbx1, '--org', url], { env })).code, 0);
    const oldKey = join(dir.path, 'organization.key');
    const r = await gatehouse(['rotate-key', '--data', mbx1, '--new-key', join(dir.path, 'org-new.key')], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Copy the new key to every other Mailbox server of the organization as DIR\/organization\.key/);
    const stale = await gatehouse(['setup', '--role', 'Mailbox', '--name', 'MBX02', '--fqdn', 'mbx02.contoso.com', '--data', join(dir.path, 'MBX02'), '--org', url, '--org-key', oldKey], { env });
    assert.equal(stale.code, 1);
    assert.match(stale.stderr, /does not open the organization's secrets/);
    const fresh = await gatehouse(['setup', '--role', 'Mailbox', '--name', 'MBX02', '--fqdn', 'mbx02.contoso.com', '--data', join(dir.path, 'MBX02'), '--org', url, '--org-key', join(dir.path, 'org-new.key')], { env });
    assert.equal(fresh.code, 0, fresh.stderr);
  });
});
