// ARC sealing (RFC 8617) of mail that came in from the Internet and leaves for
// the Internet again, on a running Edge. A message from the Internet (signed by
// python3-dkim; one of them already ARC-sealed by an outside list server with
// dkimpy's arc_sign) comes in for alice@contoso.com: the Edge's DMARC agent
// stamps its Authentication-Results and delivers it to the "Mailbox server" (an
// smtp-sink behind "To Internal Org"). The copy is then sent back through the
// Edge's internal connector from the Mailbox server's address, as after the
// expansion of a distribution group with an external member, to bob@example.net
// (MX by dnsmasq, an smtp-sink "Internet" behind it). dkimpy's arc_verify (the
// library behind arcverify) checks the chain at the Internet MX with the keys
// served by dnsmasq: i=1 cv=none for a message without a chain, i=2 cv=pass
// after the list server's set, cv=fail when the Edge found that chain broken;
// the ARC-Authentication-Results copies the Edge's own Authentication-Results.
// The internal connector (ExternalAuthoritative) keeps that field. Mail from
// inside carries no Edge result: DKIM only, no ARC set. With a default
// accepted domain that has no DkimSigningConfig, nothing is sealed.

import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { configApplied } from './harness/config-applied.js';
import { gatehouse, ROOT, scratchDir } from './harness/gatehouse.js';
import { startDnsmasq, startSink, until, type Peer, type SinkMessage } from './harness/peers.js';
import { startService, type RunningService } from './harness/service.js';
import { needs } from './harness/tools.js';

const run = promisify(execFile);
const EDGE = '127.55.0.1';
const EDGE_INTERNAL = '127.55.0.2';
const PORT = 2555;
const DNS = '127.55.0.53';
const DNS_PORT = 5371;
/** A server on the Internet that sends to contoso.com. */
const CLIENT = '127.55.1.5';
/** The Mailbox server: the Edge's "To Internal Org" smart host, and the client of its "From Internal Org" connector. */
const MAILBOX = '127.55.30.1';
/** example.net's MX. */
const MX = '127.55.40.1';
const FQDN = 'edge01.contoso.net';
const VERIFY = join(ROOT, 'test', 'scripts', 'arc-verify.py');
const ARC_SIGN = join(ROOT, 'test', 'scripts', 'arc-sign.py');

type Sink = Peer & { messages(): SinkMessage[] };
interface ArcVerdict {
  cv: string | null;
  comment: string;
  sets: { instance: number; ams_valid: boolean; as_valid: boolean; cv: string; domain: string; selector: string }[];
}

describe('ARC sealing of mail from the Internet that is forwarded to the Internet', needs('dkimpy'), () => {
  const dir = scratchDir('arc-sealing');
  const edge = join(dir.path, 'EDGE01');
  let service: RunningService;
  let dns: Peer | undefined;
  let mailbox: Sink | undefined;
  let internet: Sink | undefined;
  let counter = 0;

  const shell = async (lines: string[]) => {
    const r = await gatehouse(['shell', '--data', edge, '-c', lines.join('\n')], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, `${lines.join('\n')}\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  };
  const applied = async (lines: string[]) => {
    await shell(lines);
    await configApplied(service, edge, 20_000);
  };
  /** An RSA key for dkimpy (PKCS#1 PEM file) and its DKIM TXT value. */
  const rsaKey = (name: string) => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const file = join(dir.path, `${name}.pem`);
    writeFileSync(file, privateKey.export({ type: 'pkcs1', format: 'pem' }));
    return { file, txt: `v=DKIM1; k=rsa; p=${publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}` };
  };
  let fabrikamKey: { file: string; txt: string };
  let listsKey: { file: string; txt: string };

  /** A message from news@fabrikam.example to alice@contoso.com, DKIM-signed by dkimpy (CRLF). */
  const fromInternet = (subject: string) => {
    const msg = [
      `From: <news@fabrikam.example>`,
      'To: <alice@contoso.com>',
      `Subject: ${subject}`,
      'Date: Mon, 07 Dec 2026 10:00:00 +0000',
      `Message-ID: <${++counter}.arc@fabrikam.example>`,
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'Hello from outside.',
      '',
    ].join('\r\n');
    const r = spawnSync('dkimsign', ['fab', 'fabrikam.example', fabrikamKey.file], { input: msg, encoding: 'latin1', timeout: 30_000 });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  };
  /** Sends from the Internet (CLIENT) to the Edge's "From Internet" connector. */
  const sendFromInternet = async (sender: string, msg: string) => {
    const file = join(dir.path, `in-${++counter}.eml`);
    writeFileSync(file, msg, 'latin1');
    const py = [
      'import smtplib, sys',
      `s = smtplib.SMTP("${EDGE}", ${PORT}, source_address=("${CLIENT}", 0), timeout=60)`,
      's.ehlo("mail.fabrikam.example")',
      's.sendmail(sys.argv[1], ["alice@contoso.com"], open(sys.argv[2], "rb").read())',
      's.quit()',
    ].join('\n');
    await run('python3', ['-c', py, sender, file], { timeout: 90_000 });
  };
  /** Sends from the Mailbox server through the Edge's internal connector. */
  const sendFromMailbox = (o: { from: string; to: string; message: string; name: string }) => {
    const file = join(dir.path, `${o.name}.eml`);
    writeFileSync(file, o.message, 'latin1');
    const r = spawnSync('swaks', ['--server', `${EDGE_INTERNAL}:${PORT}`, '--local-interface', MAILBOX, '--from', o.from, '--to', o.to, '--data', file, '--timeout', '30'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stdout + r.stderr);
  };
  /** The message as the next hop got it (smtp-sink's own X- lines dropped, CRLF line ends). */
  const delivered = async (sink: Sink, subject: string, to?: string) => {
    const find = () =>
      sink
        .messages()
        .filter((m) => !to || m.rcptTo.includes(to))
        .map((m) => m.text.replace(/\r?\n/g, '\r\n'))
        .find((t) => t.includes(`\r\nSubject: ${subject}\r\n`));
    await until(() => find() !== undefined, 30_000, `"${subject}" at the next hop`).catch((err: Error) => {
      throw new Error(
        `${err.message}; the service's log:\n${service.lines
          .filter((l) => /^(delivery|routing|queue|smtp|agent)/.test(String(l.event)))
          .map((l) => JSON.stringify(l))
          .join('\n')}`,
      );
    });
    const lines = find()!.split('\r\n');
    let i = 0;
    while (/^X-(Client-Addr|Client-Proto|Helo-Args|Mail-Args|Rcpt-Args):/i.test(lines[i])) i++;
    return lines.slice(i).join('\r\n');
  };
  const verify = (message: string, name: string): ArcVerdict => {
    const file = join(dir.path, `${name}.received.eml`);
    writeFileSync(file, message, 'latin1');
    const r = spawnSync('/usr/bin/python3', [VERIFY, DNS, String(DNS_PORT), file], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as ArcVerdict;
  };
  /** Every field of this name, unfolded, top first. */
  const fields = (text: string, name: string) => {
    const header = text.slice(0, text.indexOf('\r\n\r\n') + 2);
    return [...header.matchAll(new RegExp(`^${name}:((?:.*)(?:\\r\\n[ \\t].*)*)`, 'gim'))].map((m) => m[1].replace(/\r\n[ \t]+/g, ' ').trim());
  };
  /** Comes in from the Internet, reaches the Mailbox server, and goes back out to bob@example.net. */
  const forward = async (subject: string, msg: string) => {
    await sendFromInternet('bounce@fabrikam.example', msg);
    const atMailbox = await delivered(mailbox!, subject);
    sendFromMailbox({ from: 'bounce@fabrikam.example', to: 'bob@example.net', message: atMailbox, name: subject.replace(/\W+/g, '-') });
    return { atMailbox, out: await delivered(internet!, subject, 'bob@example.net') };
  };

  before(async () => {
    fabrikamKey = rsaKey('fabrikam');
    listsKey = rsaKey('lists');
    mailbox = await startSink(MAILBOX, join(dir.path, 'mailbox'));
    internet = await startSink(MX, join(dir.path, 'internet'));
    const setup = await gatehouse(['setup', '--role', 'EdgeTransport', '--name', 'EDGE01', '--fqdn', FQDN, '--data', edge]);
    assert.equal(setup.code, 0, setup.stderr);
    await shell([
      'New-AcceptedDomain Contoso -DomainName contoso.com | Out-Null',
      'New-AcceptedDomain Tailspin -DomainName tailspintoys.com | Out-Null',
      `Set-ReceiveConnector "Default internal Receive connector EDGE01" -Name "From Internet" -Bindings ${EDGE}:${PORT} -TarpitInterval 00:00:00`,
      `New-ReceiveConnector -Name "From Internal Org" -Usage Internal -Bindings ${EDGE_INTERNAL}:${PORT} -RemoteIPRanges ${MAILBOX} -PermissionGroups AnonymousUsers,ExchangeServers -AuthMechanism ExternalAuthoritative | Out-Null`,
      `New-SendConnector -Name "To Internal Org" -Usage Internal -AddressSpaces contoso.com -DNSRoutingEnabled $false -SmartHosts ${MAILBOX} | Out-Null`,
      'New-SendConnector -Name "To Internet" -Usage Internet -AddressSpaces * -DNSRoutingEnabled $true | Out-Null',
      `Set-TransportService EDGE01 -ExternalDNSServers ${DNS}:${DNS_PORT} -ExternalDNSAdapterEnabled $false -InternalDNSServers ${DNS}:${DNS_PORT} -InternalDNSAdapterEnabled $false -TransientFailureRetryInterval 00:00:01 -MessageRetryInterval 00:00:01`,
      'New-DkimSigningConfig -DomainName contoso.com -KeySize 2048 -Enabled $true | Out-Null',
    ]);
    const contoso = (await shell(['(Get-DkimSigningConfig contoso.com).Selector1PublicKey'])).trim();
    dns = await startDnsmasq(
      DNS,
      DNS_PORT,
      ['example', 'example.net', 'contoso.com'],
      [
        '--mx-host=example.net,mx.example.net,10',
        `--host-record=mx.example.net,${MX}`,
        `--txt-record=selector1._domainkey.contoso.com,${(contoso.match(/.{1,255}/g) ?? []).join(',')}`,
        `--txt-record=fab._domainkey.fabrikam.example,${fabrikamKey.txt}`,
        `--txt-record=lists._domainkey.lists.example,${listsKey.txt}`,
        `--txt-record=fabrikam.example,v=spf1 ip4:${CLIENT} -all`,
        '--txt-record=_dmarc.fabrikam.example,v=DMARC1; p=none',
        `--txt-record=lists.example,v=spf1 ip4:${CLIENT} -all`,
      ],
    );
    service = await startService(edge);
  });

  after(async () => {
    await service?.stop();
    await dns?.stop();
    await mailbox?.stop();
    await internet?.stop();
    dir.remove();
  });

  it("seals i=1 cv=none with the default domain's key, copying the Edge's Authentication-Results; dkimpy's arc_verify passes", async () => {
    const { atMailbox, out } = await forward('forwarded plain', fromInternet('forwarded plain'));
    // The Edge's own verdict, kept through the Mailbox server and the internal connector.
    const ar = fields(atMailbox, 'Authentication-Results');
    assert.equal(ar.length, 1, ar.join('\n'));
    assert.match(ar[0], /^edge01\.contoso\.net; spf=pass .*; dkim=pass header\.i=@fabrikam\.example .*; dmarc=pass .*header\.from=fabrikam\.example.*; arc=none$/);
    assert.deepEqual(fields(out, 'Authentication-Results'), ar);
    const v = verify(out, 'forwarded-plain');
    assert.equal(v.cv, 'pass', JSON.stringify(v));
    assert.deepEqual(
      v.sets.map((s) => ({ i: s.instance, ams: s.ams_valid, as: s.as_valid, cv: s.cv, d: s.domain, s: s.selector })),
      [{ i: 1, ams: true, as: true, cv: 'none', d: 'contoso.com', s: 'selector1' }],
    );
    assert.deepEqual(fields(out, 'ARC-Authentication-Results'), [`i=1; ${ar[0]}`]);
    // The set is the first thing the Edge sent (only the Internet MX's own Received is above it), the seal on top.
    const names = out
      .split('\r\n')
      .filter((l) => /^[A-Za-z-]+:/.test(l))
      .map((l) => l.slice(0, l.indexOf(':')));
    const first = names.indexOf('ARC-Seal');
    assert.deepEqual(names.slice(first, first + 3), ['ARC-Seal', 'ARC-Message-Signature', 'ARC-Authentication-Results'], names.join(','));
    assert.ok(
      names.slice(0, first).every((n) => n === 'Received'),
      names.join(','),
    );
    // From fabrikam.example: no DKIM signature of the organization.
    assert.deepEqual(
      fields(out, 'DKIM-Signature').map((s) => /d=([^;\s]+)/.exec(s)?.[1]),
      ['fabrikam.example'],
    );
    const sealed = await service.waitFor((l) => l.event === 'delivery.arc.sealed', 10_000, 'delivery.arc.sealed');
    assert.deepEqual([sealed.domain, sealed.selector, sealed.instance, sealed.cv], ['contoso.com', 'selector1', 1, 'none']);
  });

  it("adds i=2 cv=pass after an outside list server's set that the Edge verified; dkimpy's arc_verify passes", async () => {
    // The list server's set, made by dkimpy over its own Authentication-Results.
    const listed = `Authentication-Results: lists.example; spf=pass smtp.mailfrom=news@fabrikam.example\r\n${fromInternet('forwarded sealed')}`;
    const r = spawnSync('/usr/bin/python3', [ARC_SIGN, listsKey.file, 'lists.example', 'lists', 'lists.example'], { input: Buffer.from(listed, 'latin1'), timeout: 30_000 });
    assert.equal(r.status, 0, String(r.stderr));
    const { atMailbox, out } = await forward('forwarded sealed', r.stdout.toString('latin1'));
    assert.match(
      fields(atMailbox, 'Authentication-Results').find((a) => a.startsWith(FQDN))!,
      /arc=pass/,
    );
    const v = verify(out, 'forwarded-sealed');
    assert.equal(v.cv, 'pass', JSON.stringify(v));
    assert.deepEqual(
      v.sets.map((s) => [s.instance, s.ams_valid, s.as_valid, s.cv, s.domain]),
      [
        [2, true, true, 'pass', 'contoso.com'],
        [1, true, true, 'none', 'lists.example'],
      ],
    );
    const aar = fields(out, 'ARC-Authentication-Results');
    assert.equal(aar.length, 2);
    assert.match(aar[0], /^i=2; edge01\.contoso\.net; .*arc=pass/);
    assert.match(aar[1], /^i=1; lists\.example; /);
  });

  it('seals cv=fail over a chain the Edge found broken (the body changed after the list server sealed it)', async () => {
    const listed = `Authentication-Results: lists.example; spf=pass smtp.mailfrom=news@fabrikam.example\r\n${fromInternet('forwarded broken')}`;
    const r = spawnSync('/usr/bin/python3', [ARC_SIGN, listsKey.file, 'lists.example', 'lists', 'lists.example'], { input: Buffer.from(listed, 'latin1'), timeout: 30_000 });
    assert.equal(r.status, 0, String(r.stderr));
    const { atMailbox, out } = await forward('forwarded broken', `${r.stdout.toString('latin1')}A footer added on the way.\r\n`);
    assert.match(
      fields(atMailbox, 'Authentication-Results').find((a) => a.startsWith(FQDN))!,
      /arc=fail/,
    );
    const v = verify(out, 'forwarded-broken');
    // dkimpy: the newest seal reports the failure, so the chain ends there; the set itself is intact.
    assert.equal(v.cv, null, JSON.stringify(v));
    assert.match(v.comment, /ARC-Seal\[2\] reported failure/);
    assert.deepEqual([v.sets[0].instance, v.sets[0].ams_valid, v.sets[0].cv, v.sets[0].domain], [2, true, 'fail', 'contoso.com']);
    assert.match(fields(out, 'ARC-Authentication-Results')[0], /^i=2; edge01\.contoso\.net; .*arc=fail/);
  });

  it('mail from inside (no Authentication-Results of the Edge) is DKIM-signed only', async () => {
    const msg = ['From: <alice@contoso.com>', 'To: <bob@example.net>', 'Subject: from inside', 'Date: Mon, 07 Dec 2026 10:00:00 +0000', 'Message-ID: <inside@contoso.com>', '', 'Hi', ''].join('\r\n');
    sendFromMailbox({ from: 'alice@contoso.com', to: 'bob@example.net', message: msg, name: 'from-inside' });
    const out = await delivered(internet!, 'from inside');
    assert.deepEqual(
      fields(out, 'DKIM-Signature').map((s) => /d=([^;\s]+)/.exec(s)?.[1]),
      ['contoso.com'],
    );
    assert.deepEqual([...fields(out, 'ARC-Seal'), ...fields(out, 'ARC-Message-Signature'), ...fields(out, 'ARC-Authentication-Results')], []);
    assert.equal(verify(out, 'from-inside').cv, 'none');
  });

  it('a default accepted domain without a DkimSigningConfig seals nothing, and says so', async () => {
    await applied(['Set-AcceptedDomain Tailspin -MakeDefault $true']);
    const { atMailbox, out } = await forward('no sealing key', fromInternet('no sealing key'));
    assert.equal(fields(atMailbox, 'Authentication-Results').length, 1, atMailbox.slice(0, 3000));
    assert.deepEqual(fields(out, 'ARC-Seal'), []);
    assert.equal(fields(out, 'Authentication-Results').length, 1);
    const line = await service.waitFor((l) => l.event === 'delivery.arc.no-key', 10_000, 'delivery.arc.no-key');
    assert.equal(line.domain, 'tailspintoys.com');
    assert.match(String(line.action), /New-DkimSigningConfig -DomainName tailspintoys\.com/);
  });
});
