// `gatehouse setup` as an admin runs it: the server folder, its key and
// certificate, the role's default Receive connectors, and a refusal to
// overwrite an existing server.

import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { gatehouse, scratchDir } from './harness/gatehouse.js';

describe('gatehouse setup', () => {
  const dir = scratchDir('setup');
  after(() => dir.remove());
  const edge = join(dir.path, 'EDGE01');

  it('creates an Edge Transport server with its default Receive connector', async () => {
    const r = await gatehouse(['setup', '--role', 'EdgeTransport', '--name', 'EDGE01', '--fqdn', 'edge01.contoso.net', '--data', edge]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Set up Edge Transport server EDGE01 \(edge01\.contoso\.net\)/);
    assert.equal(statSync(join(edge, 'master.key')).mode & 0o777, 0o600);
    assert.equal(readFileSync(join(edge, 'master.key'), 'utf8').trim().length, 44);

    const rc = await gatehouse(['shell', '--data', edge, '-c', 'Get-ReceiveConnector | Format-List Identity,Bindings,RemoteIPRanges,AuthMechanism,PermissionGroups,Fqdn,ConnectionTimeout,ConnectionInactivityTimeout,MessageRateLimit']);
    assert.equal(rc.code, 0, rc.stderr);
    assert.match(rc.stdout, /Identity\s+: EDGE01\\Default internal Receive connector EDGE01/);
    assert.match(rc.stdout, /Bindings\s+: \{0\.0\.0\.0:25\}/);
    assert.match(rc.stdout, /RemoteIPRanges\s+: \{0\.0\.0\.0-255\.255\.255\.255\}/);
    assert.match(rc.stdout, /AuthMechanism\s+: Tls, ExchangeServer/);
    assert.match(rc.stdout, /PermissionGroups\s+: AnonymousUsers, ExchangeServers, Partners/);
    assert.match(rc.stdout, /Fqdn\s+: edge01\.contoso\.net/);
    assert.match(rc.stdout, /ConnectionTimeout\s+: 00:05:00/);
    assert.match(rc.stdout, /ConnectionInactivityTimeout\s+: 00:01:00/);
    assert.match(rc.stdout, /MessageRateLimit\s+: 600/);

    const thumbprint = /Certificate ([0-9A-F]{40}) /.exec(r.stdout)?.[1];
    assert.ok(thumbprint, r.stdout);
    const cert = await gatehouse(['shell', '--data', edge, '-c', 'Get-ExchangeCertificate -DomainName edge01.contoso.net | Format-List Thumbprint,Subject,CertificateDomains,Services,Status,PublicKeySize,HasPrivateKey']);
    assert.equal(cert.code, 0, cert.stderr);
    assert.match(cert.stdout, new RegExp(`Thumbprint\\s+: ${thumbprint}`));
    assert.match(cert.stdout, /CertificateDomains : \{edge01, edge01\.contoso\.net\}/);
    assert.match(cert.stdout, /Status\s+: Valid/);
    assert.match(cert.stdout, /PublicKeySize\s+: 2048/);
    assert.match(cert.stdout, /HasPrivateKey\s+: True/);
    const srv = await gatehouse(['shell', '--data', edge, '-c', 'Get-ExchangeServer | Format-List Name,Fqdn,ServerRole; Get-LocalGroup "Exchange Servers" | Format-List Name']);
    assert.equal(srv.code, 0, srv.stderr);
    assert.match(srv.stdout, /ServerRole : Edge/);
    assert.match(srv.stdout, /Name : Exchange Servers/);
  });

  it('refuses to set up over an existing server and leaves it untouched', async () => {
    const key = readFileSync(join(edge, 'master.key'));
    const r = await gatehouse(['setup', '--role', 'EdgeTransport', '--name', 'EDGE02', '--fqdn', 'edge02.contoso.net', '--data', edge]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /already holds a Gatehouse server; setup does not overwrite it/);
    assert.deepEqual(readFileSync(join(edge, 'master.key')), key);
  });

  it('creates Mailbox servers that share one organization store', async () => {
    for (const [name, fqdn] of [
      ['MBX01', 'mbxserver01.contoso.com'],
      ['MBX02', 'mbxserver02.contoso.com'],
    ]) {
      const r = await gatehouse(['setup', '--role', 'Mailbox', '--name', name, '--fqdn', fqdn, '--data', join(dir.path, name)]);
      assert.equal(r.code, 0, r.stderr);
    }
    assert.equal(statSync(join(dir.path, 'organization.key')).mode & 0o777, 0o600);
    const r = await gatehouse(['shell', '--data', join(dir.path, 'MBX02'), '-c', 'Get-ReceiveConnector | Format-Table Identity,Bindings -AutoSize; Get-ExchangeServer | Format-Table Name,ServerRole -AutoSize']);
    assert.equal(r.code, 0, r.stderr);
    for (const id of ['MBX01\\Default MBX01', 'MBX01\\Client MBX01', 'MBX02\\Default MBX02', 'MBX02\\Client MBX02']) assert.ok(r.stdout.includes(id), `${id} missing:\n${r.stdout}`);
    assert.match(r.stdout, /\{0\.0\.0\.0:587, \[::\]:587\}/);
    assert.match(r.stdout, /MBX01\s+Mailbox/);
  });

  it('refuses a second Mailbox server with a name already in the organization', async () => {
    const r = await gatehouse(['setup', '--role', 'Mailbox', '--name', 'MBX01', '--fqdn', 'other.contoso.com', '--data', join(dir.path, 'MBX01b')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /already registered/);
  });

  it('explains bad arguments', async () => {
    const r = await gatehouse(['setup', '--role', 'Gateway', '--name', 'X', '--fqdn', 'x.contoso.com', '--data', join(dir.path, 'X')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--role must be EdgeTransport or Mailbox/);
  });
});
