// sslmode in the organization store's URL means what it means to libpq: a
// PostgreSQL that takes TCP logons over TLS only (hostssl) is reached with
// require (encrypted, certificate not checked) and verify-full with the
// certificate's CA named by sslrootcert; disable is refused by the server,
// and verify-full without a trusted CA refuses the server's certificate.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gatehouse, scratchDir } from './harness/gatehouse.js';
import { selfSigned } from './harness/openssl-certificates.js';
import { startPostgres, type PgCluster } from './harness/postgres.js';

const PG_HOST = '127.35.3.1';
const PG_PORT = 5432;
const PASSWORD = 'Tls-Org-Pw-5512';

describe('the organization store on PostgreSQL over TLS (sslmode)', () => {
  const dir = scratchDir('org-pg-tls');
  const env = { PGPASSWORD: PASSWORD };
  const caFile = join(dir.path, 'pg-ca.pem');
  let pg: PgCluster;

  before(() => {
    const pair = selfSigned(PG_HOST, [PG_HOST]);
    writeFileSync(caFile, pair.certificatePem);
    pg = startPostgres({ dir: dir.path, host: PG_HOST, port: PG_PORT, tls: pair });
    pg.createDatabase('contoso', 'gatehouse', PASSWORD);
  });

  after(async () => {
    await pg.stop();
    dir.remove();
  });

  const setup = (name: string, params: string, extra: string[] = []) =>
    gatehouse(['setup', '--role', 'Mailbox', '--name', name, '--fqdn', `${name.toLowerCase()}.contoso.com`, '--data', join(dir.path, name), '--org', pg.url('contoso', 'gatehouse', params), ...extra], { env, timeoutMs: 60_000 });

  it('is refused by a server that takes TLS only when sslmode=disable', async () => {
    const r = await setup('MBX07', 'sslmode=disable');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no pg_hba\.conf entry for host .* no encryption/);
  });

  it('refuses an untrusted certificate with sslmode=verify-full, naming sslrootcert', async () => {
    const r = await setup('MBX07', 'sslmode=verify-full');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /the server's certificate was refused \(sslmode=verify-full\): .*Name its CA with sslrootcert=FILE in the URL/);
  });

  it('creates the organization over TLS with sslmode=verify-full and the CA named', async () => {
    const r = await setup('MBX01', `sslmode=verify-full&sslrootcert=${caFile}`);
    // The cluster takes TCP logons over TLS only (hostssl): getting in at all means TLS.
    assert.equal(r.code, 0, r.stderr);
    const sh = await gatehouse(['shell', '--data', join(dir.path, 'MBX01'), '-c', 'Get-ReceiveConnector | Measure-Object | % Count'], { env });
    assert.equal(sh.code, 0, sh.stderr);
    assert.equal(sh.stdout.trim(), '2');
  });

  it('joins with sslmode=require (encrypted, the certificate not checked)', async () => {
    const r = await setup('MBX02', 'sslmode=require', ['--org-key', join(dir.path, 'organization.key')]);
    assert.equal(r.code, 0, r.stderr);
  });

  it('refuses an sslmode libpq does not know and parameters it does not take', async () => {
    const bad = await setup('MBX08', 'sslmode=always');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /sslmode=always is not one of disable, allow, prefer, require, verify-ca, verify-full/);
    const unknown = await setup('MBX08', 'sslmode=require&target_session_attrs=any');
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /the organization store URL parameter 'target_session_attrs' is not supported/);
  });
});
