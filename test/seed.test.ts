// The seed procedure, pasted verbatim (only the IP addresses mapped to
// loopback aliases) into `gatehouse shell` on fresh Edge and Mailbox servers,
// from a .ps1 file and from piped standard input, with Get-Credential
// answered on standard input. The verification commands must show the
// configured values in Exchange's Format-List layout.

import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gatehouse, mapSeedIps, scratchDir } from './harness/gatehouse.js';
import { seedCommands } from './harness/seed.js';

const seed = seedCommands();
const MAILBOX_PASSWORD = 'Mbx-Relay-Secret-42';
const EDGE_PASSWORD = 'Edge-Relay-Secret-17';

function formatListBlock(lines: [string, string][]): string {
  const width = Math.max(...lines.map(([k]) => k.length));
  return lines.map(([k, v]) => `${k.padEnd(width)} : ${v}`).join('\n');
}

describe('seed procedure on an Edge Transport server', () => {
  const dir = scratchDir('seed-edge');
  const data = join(dir.path, 'EDGE01');
  before(async () => {
    const r = await gatehouse(['setup', '--role', 'EdgeTransport', '--name', 'EDGE01', '--fqdn', 'edge01.contoso.net', '--data', data]);
    assert.equal(r.code, 0, r.stderr);
  });
  after(() => dir.remove());

  it('extracts every command of steps 1-4 and the verification from the seed', () => {
    assert.equal(seed.edge.length, 7, seed.edge.join('\n'));
    assert.ok(seed.edge.includes('$MailboxCredentials = Get-Credential'));
  });

  it('runs the Edge commands verbatim from a .ps1 file, Get-Credential reading standard input', async () => {
    const script = join(dir.path, 'edge.ps1');
    writeFileSync(script, mapSeedIps(seed.edge.join('\n')) + '\n');
    const r = await gatehouse(['shell', '--data', data, '-f', script], { input: `CONTOSO\\edgeauth\n${MAILBOX_PASSWORD}\n` });
    assert.equal(r.stderr, '');
    assert.equal(r.code, 0);

    const send = formatListBlock([
      ['Name', 'To Internet'],
      ['Usage', 'Internet'],
      ['AddressSpaces', '{SMTP:*;1}'],
      ['SourceTransportServers', '{}'],
      ['SmartHosts', '{}'],
      ['SmartHostAuthMechanism', 'None'],
    ]);
    const internal = formatListBlock([
      ['Name', 'To Internal Org'],
      ['Usage', 'Internal'],
      ['AddressSpaces', '{SMTP:*.contoso.com;1}'],
      ['SourceTransportServers', '{}'],
      ['SmartHosts', '{mbxserver01.contoso.com, mbxserver02.contoso.com}'],
      ['SmartHostAuthMechanism', 'BasicAuthRequireTLS'],
    ]);
    assert.ok(r.stdout.includes(send), `missing:\n${send}\n--- in ---\n${r.stdout}`);
    assert.ok(r.stdout.includes(internal), `missing:\n${internal}\n--- in ---\n${r.stdout}`);
    assert.ok(!/DSNRoutingEnabled/i.test(r.stdout), 'the seed misspells DNSRoutingEnabled; Format-List must drop the unknown name silently');

    const fromInternet = formatListBlock([
      ['Name', 'From Internet'],
      ['Usage', 'Internet'],
      ['AuthMechanism', 'Tls, ExchangeServer'],
      ['Bindings', '{127.10.1.1:25}'],
      ['RemoteIPRanges', '{0.0.0.0-255.255.255.255}'],
    ]);
    const fromOrg = formatListBlock([
      ['Name', 'From Internal Org'],
      ['Usage', 'Internal'],
      ['AuthMechanism', 'Tls, BasicAuth, BasicAuthRequireTLS, ExchangeServer'],
      ['Bindings', '{127.10.1.2:25}'],
      ['RemoteIPRanges', '{127.168.5.10, 127.168.5.20}'],
    ]);
    assert.ok(r.stdout.includes(fromInternet), `missing:\n${fromInternet}\n--- in ---\n${r.stdout}`);
    assert.ok(r.stdout.includes(fromOrg), `missing:\n${fromOrg}\n--- in ---\n${r.stdout}`);
  });

  it('keeps the credential encrypted: the password is nowhere in the server folder', () => {
    for (const f of readdirSync(data)) {
      const bytes = readFileSync(join(data, f));
      assert.ok(!bytes.includes(Buffer.from(MAILBOX_PASSWORD)), `${f} contains the password in plain text`);
    }
    assert.equal(statSync(join(data, 'master.key')).mode & 0o777, 0o600);
  });

  it('shows the credential as a PSCredential, never its password', async () => {
    const r = await gatehouse(['shell', '--data', data, '-c', 'Get-SendConnector "To Internal Org" | Format-List AuthenticationCredential,SmartHostsString']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /AuthenticationCredential : System\.Management\.Automation\.PSCredential/);
    assert.match(r.stdout, /SmartHostsString\s+: mbxserver01\.contoso\.com,mbxserver02\.contoso\.com/);
    assert.ok(!r.stdout.includes(MAILBOX_PASSWORD));
  });
});

describe('seed procedure piped into the shell on an Edge server', () => {
  const dir = scratchDir('seed-pipe');
  const data = join(dir.path, 'EDGE01');
  after(() => dir.remove());

  it('runs statement by statement; Get-Credential reads the next two lines', async () => {
    const setup = await gatehouse(['setup', '--role', 'EdgeTransport', '--name', 'EDGE01', '--fqdn', 'edge01.contoso.net', '--data', data]);
    assert.equal(setup.code, 0, setup.stderr);
    const lines = seed.edge.flatMap((l) => (l.endsWith('Get-Credential') ? [l, 'CONTOSO\\edgeauth', MAILBOX_PASSWORD] : [mapSeedIps(l)]));
    const r = await gatehouse(['shell', '--data', data], { input: lines.join('\n') + '\n' });
    assert.equal(r.stderr, '');
    assert.equal(r.code, 0);
    assert.match(r.stdout, /Name\s+: To Internal Org/);
    assert.match(r.stdout, /RemoteIPRanges : \{127\.168\.5\.10, 127\.168\.5\.20\}/);
    assert.ok(!r.stdout.includes(MAILBOX_PASSWORD), 'the piped password must not be echoed');
  });
});

describe('seed procedure on the Mailbox servers', () => {
  const dir = scratchDir('seed-mbx');
  after(() => dir.remove());

  it('creates "To Edge" sourced on both Mailbox servers and shows it', async () => {
    for (const [name, fqdn] of [
      ['MBX01', 'mbxserver01.contoso.com'],
      ['MBX02', 'mbxserver02.contoso.com'],
    ]) {
      const r = await gatehouse(['setup', '--role', 'Mailbox', '--name', name, '--fqdn', fqdn, '--data', join(dir.path, name)]);
      assert.equal(r.code, 0, r.stderr);
    }
    assert.equal(seed.mailbox.length, 3, seed.mailbox.join('\n'));
    const script = join(dir.path, 'mailbox.ps1');
    writeFileSync(script, seed.mailbox.join('\n') + '\n');
    const r = await gatehouse(['shell', '--data', join(dir.path, 'MBX01'), '-f', script], { input: `mbxrelay\n${EDGE_PASSWORD}\n` });
    assert.equal(r.stderr, '');
    assert.equal(r.code, 0);
    const expected = formatListBlock([
      ['Name', 'To Edge'],
      ['Usage', 'Internal'],
      ['AddressSpaces', '{SMTP:*;1}'],
      ['SmartHosts', '{edge01.contoso.com}'],
      ['SourceTransportServers', '{MBX01, MBX02}'],
      ['SmartHostAuthMechanism', 'BasicAuthRequireTLS'],
    ]);
    assert.ok(r.stdout.includes(expected), `missing:\n${expected}\n--- in ---\n${r.stdout}`);

    // The organization store is shared: MBX02 sees the same connector.
    const other = await gatehouse(['shell', '--data', join(dir.path, 'MBX02'), '-c', 'Get-SendConnector | Format-Table Identity,Enabled -AutoSize']);
    assert.equal(other.code, 0, other.stderr);
    assert.match(other.stdout, /To Edge\s+True/);
  });
});
