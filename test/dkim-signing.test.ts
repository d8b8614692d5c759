// DKIM signing of outbound mail against a running Edge: mail from the
// organization leaving for the Internet (an MX found through dnsmasq, a
// Postfix smtp-sink behind it) is signed for the From domain's enabled
// DkimSigningConfig, and dkimpy (Debian's python3-dkim, the library behind
// dkimverify) verifies every signature against the TXT records that
// Get-DkimSigningConfig lists, served by dnsmasq: RSA and Ed25519, From
// oversigned, relaxed/relaxed; a domain without a configuration, a disabled
// one and a connector that is not to the Internet leave mail unsigned;
// Rotate-DkimSigningConfig moves signing to selector2 while mail signed with
// selector1 still verifies; and the private keys are sealed in the store.

import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openServer } from '../src/setup/server-folder.js';
import { dkimSigningConfigSchema } from '../src/config/model/dkim-signing-config.js';
import { configApplied } from './harness/config-applied.js';
import { formatListRecords } from './harness/format-list.js';
import { gatehouse, ROOT, scratchDir } from './harness/gatehouse.js';
import { startDnsmasq, startSink, until, type Peer, type SinkMessage } from './harness/peers.js';
import { startService, type RunningService } from './harness/service.js';
import { needs } from './harness/tools.js';

const EDGE = '127.48.0.1';
const EDGE_INTERNAL = '127.48.0.2';
const PORT = 2528;
const MAILBOX = '127.48.20.10';
const DNS = '127.48.0.53';
const DNS_PORT = 5363;
/** example.net's MX. */
const MX = '127.48.40.1';
/** partner.test's smart host (a Custom connector: not the Internet). */
const PARTNER = '127.48.41.1';
const VERIFY = join(ROOT, 'test', 'scripts', 'dkim-verify.py');
const ZONES = ['example.net', 'contoso.com', 'fabrikam.com', 'tailspintoys.com', 'northwindtraders.com', 'partner.test'];

type Sink = Peer & { messages(): SinkMessage[] };

describe('DKIM signing of outbound mail', needs('dkimpy'), () => {
  const dir = scratchDir('dkim');
  const edge = join(dir.path, 'EDGE01');
  let service: RunningService;
  let dns: Peer | undefined;
  let internet: Sink | undefined;
  let partner: Sink | undefined;
  /** Selector TXT records served now: name -> value. */
  const txt = new Map<string, string>();

  const shell = async (lines: string[]) => {
    const r = await gatehouse(['shell', '--data', edge, '-c', lines.join('\n')], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, `${lines.join('\n')}\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  };
  const applied = async (lines: string[]) => {
    await shell(lines);
    await configApplied(service, edge, 20_000);
  };
  /** dnsmasq with example.net's MX and the selectors' TXT records (each value cut in strings of 255). */
  const serveDns = async () => {
    await dns?.stop();
    const records = [...txt].map(([name, value]) => `--txt-record=${name},${(value.match(/.{1,255}/g) ?? []).join(',')}`);
    dns = await startDnsmasq(DNS, DNS_PORT, ZONES, ['--mx-host=example.net,mx.example.net,10', `--host-record=mx.example.net,${MX}`, ...records]);
  };
  /** The public key record value a selector has, as Get-DkimSigningConfig shows it. */
  const publicKey = async (domain: string, selector: 1 | 2) => (await shell([`(Get-DkimSigningConfig ${domain}).Selector${selector}PublicKey`])).trim();
  const send = (o: { from: string; to: string; subject: string }) => {
    const file = join(dir.path, `${o.subject.replace(/\W+/g, '-')}.eml`);
    writeFileSync(
      file,
      [
        `From: "Sender" <${o.from}>`,
        `To: <${o.to}>`,
        `Subject: ${o.subject}`,
        'Date: Mon, 07 Dec 2026 10:00:00 +0000',
        `Message-ID: <${o.subject.replace(/\W+/g, '-')}@test>`,
        'MIME-Version: 1.0',
        'Content-Type: text/plain; charset=utf-8',
        '',
        'Hello,   with  spaces   ',
        '',
        '.leading dot',
        'end',
        '',
      ].join('\r\n'),
    );
    const r = spawnSync('swaks', ['--server', `${EDGE_INTERNAL}:${PORT}`, '--local-interface', MAILBOX, '--from', o.from, '--to', o.to, '--data', file, '--timeout', '30'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stdout + r.stderr);
  };
  /** The message as the next hop got it (smtp-sink's own X- lines dropped, CRLF line ends). */
  const delivered = async (sink: Sink, subject: string) => {
    const find = () =>
      sink
        .messages()
        .map((m) => m.text.replace(/\r?\n/g, '\r\n'))
        .find((t) => t.includes(`\r\nSubject: ${subject}\r\n`));
    await until(() => find() !== undefined, 30_000, `"${subject}" at the next hop`).catch((err: Error) => {
      throw new Error(
        `${err.message}; the service's delivery log:\n${service.lines
          .filter((l) => /^(delivery|routing|queue|smtp)/.test(String(l.event)))
          .map((l) => JSON.stringify(l))
          .join('\n')}`,
      );
    });
    const text = find()!;
    const lines = text.split('\r\n');
    let i = 0;
    while (/^X-(Client-Addr|Client-Proto|Helo-Args|Mail-Args|Rcpt-Args):/i.test(lines[i])) i++;
    return lines.slice(i).join('\r\n');
  };
  /** dkimpy's verdict on each signature of a message. */
  const verify = (message: string, name: string) => {
    const file = join(dir.path, `${name}.received.eml`);
    writeFileSync(file, message, 'latin1');
    const r = spawnSync('/usr/bin/python3', [VERIFY, DNS, String(DNS_PORT), file], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.trim().split('\n');
  };

  before(async () => {
    internet = await startSink(MX, join(dir.path, 'internet'));
    partner = await startSink(PARTNER, join(dir.path, 'partner'));
    const setup = await gatehouse(['setup', '--role', 'EdgeTransport', '--name', 'EDGE01', '--fqdn', 'edge01.contoso.net', '--data', edge]);
    assert.equal(setup.code, 0, setup.stderr);
    await shell([
      'New-AcceptedDomain Contoso -DomainName contoso.com | Out-Null',
      `Set-ReceiveConnector "Default internal Receive connector EDGE01" -Name "From Internet" -Bindings ${EDGE}:${PORT}`,
      `New-ReceiveConnector -Name "From Internal Org" -Usage Internal -Bindings ${EDGE_INTERNAL}:${PORT} -RemoteIPRanges ${MAILBOX} -PermissionGroups AnonymousUsers,ExchangeServers -AuthMechanism ExternalAuthoritative | Out-Null`,
      'New-SendConnector -Name "To Internet" -Usage Internet -AddressSpaces * -DNSRoutingEnabled $true | Out-Null',
      `New-SendConnector -Name "To Partner" -Usage Custom -AddressSpaces partner.test -DNSRoutingEnabled $false -SmartHosts ${PARTNER} | Out-Null`,
      `Set-TransportService EDGE01 -ExternalDNSServers ${DNS}:${DNS_PORT} -ExternalDNSAdapterEnabled $false -InternalDNSServers ${DNS}:${DNS_PORT} -InternalDNSAdapterEnabled $false -TransientFailureRetryInterval 00:00:01 -MessageRetryInterval 00:00:01`,
      'New-DkimSigningConfig -DomainName contoso.com -KeySize 2048 -Enabled $true | Out-Null',
      'New-DkimSigningConfig -DomainName fabrikam.com -KeyType Ed25519 -Enabled $true | Out-Null',
      'New-DkimSigningConfig -DomainName tailspintoys.com -KeySize 1024 -Enabled $false | Out-Null',
    ]);
    for (const d of ['contoso.com', 'fabrikam.com', 'tailspintoys.com']) txt.set(`selector1._domainkey.${d}`, await publicKey(d, 1));
    await serveDns();
    service = await startService(edge);
  });

  after(async () => {
    await service?.stop();
    await dns?.stop();
    await internet?.stop();
    await partner?.stop();
    dir.remove();
  });

  it('Get-DkimSigningConfig lists each domain with the TXT records to publish', async () => {
    const all = formatListRecords(await shell(['Get-DkimSigningConfig | Format-List Domain,Enabled,Status,KeyType,Selector1KeySize,SelectorAfterRotateOnDate']));
    assert.deepEqual(all, [
      { Domain: 'contoso.com', Enabled: 'True', Status: 'Valid', KeyType: 'RSA', Selector1KeySize: '2048', SelectorAfterRotateOnDate: 'selector1' },
      { Domain: 'fabrikam.com', Enabled: 'True', Status: 'Valid', KeyType: 'Ed25519', Selector1KeySize: '256', SelectorAfterRotateOnDate: 'selector1' },
      { Domain: 'tailspintoys.com', Enabled: 'False', Status: 'Disabled', KeyType: 'RSA', Selector1KeySize: '1024', SelectorAfterRotateOnDate: 'selector1' },
    ]);
    const record = (await shell(['(Get-DkimSigningConfig contoso.com).Selector1TxtRecord'])).trim();
    const value = txt.get('selector1._domainkey.contoso.com')!;
    assert.match(value, /^v=DKIM1; k=rsa; p=[A-Za-z0-9+/=]{300,}$/);
    assert.equal(record, `selector1._domainkey.contoso.com. IN TXT ${(value.match(/.{1,255}/g) ?? []).map((s) => `"${s}"`).join(' ')}`);
    assert.match(txt.get('selector1._domainkey.fabrikam.com')!, /^v=DKIM1; k=ed25519; p=[A-Za-z0-9+/]{43}=$/);
    assert.equal((await shell(['(Get-DkimSigningConfig contoso.com).Selector2TxtRecord -eq $null'])).trim(), 'True');
  });

  it('keeps the private keys sealed in the store', () => {
    const server = openServer(edge);
    let pems: string[];
    try {
      pems = server.repo.list(dkimSigningConfigSchema).map((o) => {
        const sealed = String(o.values.Selector1PrivateKey);
        assert.match(sealed, /^v1:/);
        const pem = server.repo.openSecret(sealed, `DkimSigningConfig/${o.guid}/Selector1PrivateKey`);
        // The key opened is the one whose public half is published.
        const spki = createPublicKey(createPrivateKey(pem)).export({ type: 'spki', format: 'der' });
        const published = txt.get(`selector1._domainkey.${String(o.values.Domain)}`)!;
        const p = /p=(\S+)$/.exec(published)![1];
        assert.ok(spki.toString('base64') === p || spki.subarray(spki.length - 32).toString('base64') === p, `${String(o.values.Domain)}: the sealed key is not the published one`);
        return pem;
      });
    } finally {
      server.close();
    }
    const files = ['server.db', 'server.db-wal'].map((f) => join(edge, f)).filter(existsSync);
    const stored = Buffer.concat(files.map((f) => readFileSync(f))).toString('latin1');
    for (const pem of pems) {
      const der = createPrivateKey(pem).export({ type: 'pkcs8', format: 'der' });
      const body = pem.replace(/-----[^-]+-----|\s/g, '');
      assert.ok(!stored.includes(body.slice(0, 40)) && !stored.includes(body.slice(-40)), 'the PEM of a private key is in the store file');
      assert.ok(!Buffer.concat(files.map((f) => readFileSync(f))).includes(der.subarray(der.length - 32)), 'the key bytes are in the store file');
    }
  });

  it('signs mail from enabled domains leaving for the Internet (RSA and Ed25519), verified by dkimpy', async () => {
    send({ from: 'alice@contoso.com', to: 'bob@example.net', subject: 'contoso rsa' });
    send({ from: 'erin@fabrikam.com', to: 'bob@example.net', subject: 'fabrikam ed25519' });
    const rsa = await delivered(internet!, 'contoso rsa');
    const [r] = verify(rsa, 'contoso-rsa');
    assert.match(r, /^pass d=contoso\.com s=selector1 a=rsa-sha256 c=relaxed\/relaxed h=/);
    const h = r
      .replace(/^.* h=/, '')
      .toLowerCase()
      .split(':');
    assert.equal(h.filter((x) => x === 'from').length, 2, `From is oversigned: ${r}`);
    for (const name of ['to', 'subject', 'date', 'message-id', 'content-type', 'mime-version']) assert.ok(h.includes(name), `${name} is signed: ${r}`);
    assert.ok(!h.includes('received') && !h.includes('return-path'), `Received and Return-Path are not signed: ${r}`);
    // On top of what the Edge sent (smtp-sink adds its own Received above it), so above the Edge's Received.
    assert.ok(rsa.indexOf('\r\nDKIM-Signature: ') < rsa.indexOf('by edge01.contoso.net'), `the signature is the first field the Edge sent: ${rsa.slice(0, 600)}`);
    const ed = await delivered(internet!, 'fabrikam ed25519');
    assert.deepEqual(
      verify(ed, 'fabrikam-ed25519').map((l) => l.replace(/ h=.*/, '')),
      ['pass d=fabrikam.com s=selector1 a=ed25519-sha256 c=relaxed/relaxed'],
    );
    // A second From added on the way breaks the signature (From is oversigned).
    const forged = rsa.replace('\r\nSubject: contoso rsa\r\n', '\r\nSubject: contoso rsa\r\nFrom: mallory@contoso.com\r\n');
    assert.match(verify(forged, 'contoso-forged')[0], /^fail d=contoso\.com/);
  });

  it('leaves unsigned: a domain without a configuration, a disabled one, and mail over a connector that is not to the Internet', async () => {
    send({ from: 'nick@northwindtraders.com', to: 'bob@example.net', subject: 'not configured' });
    send({ from: 'tim@tailspintoys.com', to: 'bob@example.net', subject: 'disabled' });
    send({ from: 'alice@contoso.com', to: 'pat@partner.test', subject: 'to the partner' });
    assert.deepEqual(verify(await delivered(internet!, 'not configured'), 'not-configured'), ['none']);
    assert.deepEqual(verify(await delivered(internet!, 'disabled'), 'disabled'), ['none']);
    const p = await delivered(partner!, 'to the partner');
    assert.doesNotMatch(p, /^DKIM-Signature:/im);
  });

  it('Rotate-DkimSigningConfig signs with selector2 while mail signed with selector1 still verifies; Set -Enabled $false stops signing', async () => {
    const before = await delivered(internet!, 'contoso rsa');
    await applied(['Rotate-DkimSigningConfig -Identity contoso.com -KeySize 1024']);
    const listed = formatListRecords(await shell(['Get-DkimSigningConfig contoso.com | Format-List SelectorBeforeRotateOnDate,SelectorAfterRotateOnDate,Selector2KeySize,KeyType']));
    assert.deepEqual(listed, [{ SelectorBeforeRotateOnDate: 'selector1', SelectorAfterRotateOnDate: 'selector2', Selector2KeySize: '1024', KeyType: 'RSA' }]);
    // Both records are listed: the new one, and the old one until RetiredSelectorPublishUntil.
    assert.match((await shell(['(Get-DkimSigningConfig contoso.com).Selector1TxtRecord'])).trim(), /^selector1\._domainkey\.contoso\.com\. IN TXT "v=DKIM1; k=rsa; p=/);
    assert.match((await shell(['(Get-DkimSigningConfig contoso.com).Selector2TxtRecord'])).trim(), /^selector2\._domainkey\.contoso\.com\. IN TXT "v=DKIM1; k=rsa; p=/);
    const [dates] = formatListRecords(await shell(['Get-DkimSigningConfig contoso.com | Format-List RotateOnDate,RetiredSelectorPublishUntil']));
    assert.equal(new Date(dates.RetiredSelectorPublishUntil).getTime() - new Date(dates.RotateOnDate).getTime(), 7 * 86_400_000);
    txt.set('selector2._domainkey.contoso.com', await publicKey('contoso.com', 2));
    await serveDns();
    send({ from: 'alice@contoso.com', to: 'bob@example.net', subject: 'after rotation' });
    assert.deepEqual(
      verify(await delivered(internet!, 'after rotation'), 'after-rotation').map((l) => l.replace(/ h=.*/, '')),
      ['pass d=contoso.com s=selector2 a=rsa-sha256 c=relaxed/relaxed'],
    );
    assert.match(verify(before, 'before-rotation')[0], /^pass d=contoso\.com s=selector1 /);
    // A second rotation would replace selector1's key, still needed for mail signed before the first.
    const again = await gatehouse(['shell', '--data', edge, '-c', 'Rotate-DkimSigningConfig contoso.com'], { timeoutMs: 60_000 });
    assert.match(again.stdout + again.stderr, /selector1 still holds the key .* must stay published until/);
    await applied(['Set-DkimSigningConfig -Identity contoso.com -Enabled $false']);
    send({ from: 'alice@contoso.com', to: 'bob@example.net', subject: 'contoso disabled' });
    assert.deepEqual(verify(await delivered(internet!, 'contoso disabled'), 'contoso-disabled'), ['none']);
  });
});
