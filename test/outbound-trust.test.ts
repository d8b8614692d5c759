// Who receives a Send connector's credential, on a real Edge: the seed's "To Internal Org"
// (SmartHostAuthMechanism BasicAuthRequireTLS, $MailboxCredentials) and a smart host given as an
// IP address, each answered by an impostor that offers STARTTLS and takes any AUTH (the fault
// peer, recording every command and every credential it is given). The Edge sends the credential
// only to a certificate that chains to one it trusts (imported with Import-ExchangeCertificate)
// and carries the smart host's name (for an IP smart host, that address): an untrusted
// certificate and a trusted one for another name get STARTTLS and QUIT, never AUTH, and the
// recipients wait in the queue with a LastError saying what to import or set; Trace-MailFlow and
// the connectivity log say the same. Importing the peer's certificate lets the mail go with AUTH;
// `-TlsAuthLevel EncryptionOnly` sends it without checking, as the connector then says.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LabDnsServer } from '../src/lab/lab-dns.js';
import { generateSelfSignedCertificate } from '../src/tls/self-signed.js';
import { FaultPeer } from './harness/fault-peer.js';
import { formatListRecords } from './harness/format-list.js';
import { gatehouse, scratchDir } from './harness/gatehouse.js';
import { recordFinding } from './harness/report.js';
import { certificateAuthority, selfSigned, type PemPair } from './harness/openssl-certificates.js';
import { until } from './harness/peers.js';
import { startService, type RunningService } from './harness/service.js';
import { SmtpDialog } from './harness/smtp-dialog.js';

const EDGE = '127.10.91.1';
const CLIENT = '127.10.91.2';
const DNS = '127.10.91.53';
const DNS_PORT = 5391;
const MBX = '127.168.91.10'; // mbxserver01.contoso.com, "To Internal Org"'s smart host
const PARTNER = '127.168.91.20'; // "To Partner"'s smart host, written as an IP address
const USER = 'CONTOSO\\edgeauth';
const PASSWORD = 'Edge-Auth-Secret-9153';

describe("a Send connector's credential goes only to a smart host that proves its identity", () => {
  const dir = scratchDir('outbound-trust');
  const edge = join(dir.path, 'EDGE01');
  let service: RunningService | undefined;
  let dns: LabDnsServer | undefined;
  const peers = new Map<string, FaultPeer>();

  const sh = async (script: string) => {
    const r = await gatehouse(['shell', '--data', edge, '-c', script], { timeoutMs: 30_000 });
    assert.equal(r.code, 0, `${script}\n${r.stdout}\n${r.stderr}`);
    assert.equal(r.stderr, '', script);
    return r.stdout;
  };
  const queue = async (nextHop: string) => formatListRecords(await sh('Get-Queue | Format-List Identity,NextHopDomain,Status,LastError,MessageCount')).find((q) => q.NextHopDomain === nextHop);
  /** Retry-Queue on the queue towards a next hop, as an admin would after a fix. */
  const retryQueue = async (nextHop: string) => {
    const q = await queue(nextHop);
    assert.ok(q, `a queue for ${nextHop}`);
    await sh(`Retry-Queue "${q.Identity}"`);
  };
  const message = async (subject: string) => formatListRecords(await sh('Get-Message | Format-List Subject,Status,LastError,Queue')).find((m) => m.Subject === subject);
  /** until() that says what the queues and delivery's log showed when it gives up. */
  const waitFor = (check: () => Promise<boolean> | boolean, ms: number, what: string) =>
    until(check, ms, what).catch(async (err) => {
      const log = service?.lines
        .filter((l) => /^delivery/.test(l.event))
        .slice(-10)
        .map((l) => JSON.stringify(l))
        .join('\n');
      throw new Error(`${(err as Error).message}\nqueues: ${await sh('Get-Queue | Format-List NextHopDomain,Status,LastError')}\nlog:\n${log}`);
    });

  /** The impostor (or the real smart host) at an address, with this certificate. */
  const smartHost = async (address: string, certificate: PemPair): Promise<FaultPeer> => {
    await peers.get(address)?.close();
    const peer = await FaultPeer.start(address, 25, { startTls: 'offer', certificate, acceptAnyCredential: true });
    peers.set(address, peer);
    return peer;
  };
  /**
   * The peer that proved itself got the connector's credential, and nothing else. How many sessions
   * carried it is delivery's business: a Retry-Queue while the re-routed message is already being
   * sent can open a second session that logs on and then has nothing to send.
   */
  const assertSentOnlyTheCredential = (peer: FaultPeer, message?: string) => {
    assert.ok(peer.credentials.length >= 1, message ?? 'the credential was sent');
    for (const c of peer.credentials) assert.deepEqual(c, { user: USER, password: PASSWORD }, message);
  };
  /** Imports a certificate as trusted and, once the service runs, waits until it has applied the change. */
  const importCertificate = async (name: string, pem: string) => {
    const file = join(dir.path, `${name}.cer`);
    writeFileSync(file, pem);
    const seen = service?.lines.length ?? 0;
    await sh(`Import-ExchangeCertificate -FileName "${file}" -FriendlyName "${name}" | Out-Null`);
    // A configuration change routes waiting mail again: the attempts made before it is applied are not the test's.
    await service?.waitFor((l) => l.event === 'config.applied' && service!.lines.indexOf(l) >= seen, 20_000, `config.applied after importing ${name}`);
  };

  /** Submits one message from the client's address; it must get 250. */
  const submit = async (to: string, subject: string) => {
    const d = await SmtpDialog.open(EDGE, 25, CLIENT);
    try {
      assert.equal((await d.reply())?.code, 220);
      assert.equal((await d.command('EHLO client.contoso.com'))?.code, 250);
      assert.equal((await d.command('MAIL FROM:<kim@fabrikam.com>'))?.code, 250, d.transcript);
      assert.equal((await d.command(`RCPT TO:<${to}>`))?.code, 250, d.transcript);
      assert.equal((await d.command('DATA'))?.code, 354, d.transcript);
      assert.equal((await d.command(`From: <kim@fabrikam.com>\r\nTo: <${to}>\r\nSubject: ${subject}\r\n\r\nbody of ${subject}\r\n.`))?.code, 250, d.transcript);
      await d.command('QUIT');
    } finally {
      d.close();
    }
  };
  const deliveredTo = (peer: FaultPeer, subject: string) => peer.accepted.filter((m) => m.data.includes(`Subject: ${subject}\r\n`));
  /** The commands of the sessions that reached TLS: never AUTH, never MAIL, and QUIT at the end. */
  const assertWithheld = (peer: FaultPeer) => {
    assert.ok(peer.commands.includes('STARTTLS'), peer.commands.join(' | '));
    assert.deepEqual(
      peer.commands.filter((c) => /^(AUTH|MAIL|RCPT|DATA)\b/i.test(c) || c === '<auth data>'),
      [],
      'no AUTH and no transaction reached the impostor',
    );
    assert.deepEqual(peer.credentials, [], 'the impostor holds no credential');
    assert.ok(peer.commands.includes('QUIT'), 'each session ends with QUIT');
  };

  before(async () => {
    dns = new LabDnsServer({ zones: ['contoso.com'], a: { 'mbxserver01.contoso.com': MBX }, mx: {} });
    await dns.listen(DNS, DNS_PORT);
    assert.equal((await gatehouse(['setup', '--role', 'EdgeTransport', '--name', 'EDGE01', '--fqdn', 'edge01.contoso.net', '--data', edge])).code, 0);
    const script = [
      `Set-ReceiveConnector "Default internal Receive connector EDGE01" -Bindings ${EDGE}:25 -RemoteIPRanges ${CLIENT} -AuthMechanism ExternalAuthoritative -PermissionGroups ExchangeServers -TarpitInterval 00:00:00`,
      '$MailboxCredentials = Get-Credential',
      USER,
      PASSWORD,
      // The seed's command, with one smart host.
      'New-SendConnector -Name "To Internal Org" -Usage Internal -AddressSpaces *.contoso.com -DNSRoutingEnabled $false -SmartHosts mbxserver01.contoso.com -SmartHostAuthMechanism BasicAuthRequireTLS -AuthenticationCredential $MailboxCredentials',
      `New-SendConnector -Name "To Partner" -Usage Custom -AddressSpaces partner.example -DNSRoutingEnabled $false -SmartHosts ${PARTNER} -SmartHostAuthMechanism BasicAuthRequireTLS -AuthenticationCredential $MailboxCredentials`,
      `Set-TransportService EDGE01 -InternalDNSServers ${DNS}:${DNS_PORT} -InternalDNSAdapterEnabled $false -TransientFailureRetryInterval 00:00:02 -OutboundConnectionFailureRetryInterval 00:00:02 -MessageRetryInterval 00:00:02`,
    ];
    const r = await gatehouse(['shell', '--data', edge], { input: script.join('\n') + '\n' });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    service = await startService(edge);
  });

  after(async () => {
    await service?.stop();
    for (const p of peers.values()) await p.close();
    dns?.close();
    dir.remove();
  });

  it('an impostor with a certificate nobody imported: no AUTH, QUIT, the recipient waits with a LastError naming the import and the opt-out; after the import the mail goes with AUTH', async () => {
    const impostor = await generateSelfSignedCertificate({ subject: 'CN=mbxserver01.contoso.com', domains: ['mbxserver01.contoso.com'] });
    const peer = await smartHost(MBX, impostor);
    await submit('alice@contoso.com', 'untrusted peer');
    // Read between attempts (the retry interval is short here, and a message is Active while it is tried).
    let m: Record<string, string> | undefined;
    await waitFor(
      async () => {
        m = await message('untrusted peer');
        return m?.Status === 'Retry' && /454 4\.7\.5/.test(m.LastError);
      },
      30_000,
      'the message in Retry with the certificate LastError',
    );
    m = m!;
    recordFinding({
      finding: 11,
      title: 'an impostor answers for mbxserver01.contoso.com with a certificate nobody imported',
      attack: '"To Internal Org" (BasicAuthRequireTLS, the Edge\'s Exchange Servers credential) connects to it',
      reply: `Get-Message: ${m.Status}, ${m.LastError.split(';')[0]}`,
      outcome: `the impostor received ${peer.credentials.length} credential(s) and no AUTH command: ${!peer.commands.some((c) => /^AUTH/.test(c))}`,
      ok: peer.credentials.length === 0 && !peer.commands.some((c) => /^AUTH/.test(c)) && m.Status === 'Retry',
    });
    assert.equal(m.Status, 'Retry');
    assert.match(
      m.LastError,
      new RegExp(
        `^454 4\\.7\\.5 The certificate presented by mbxserver01\\.contoso\\.com \\[${MBX.replace(/\./g, '\\.')}:25\\] does not chain to a trusted certificate \\(DEPTH_ZERO_SELF_SIGNED_CERT\\); the AuthenticationCredential of Send connector "To Internal Org" was not sent\\.`,
      ),
    );
    assert.match(m.LastError, /Import-ExchangeCertificate -FileName <file>\. Or, to send the credential without checking the peer: Set-SendConnector "To Internal Org" -RequireTLS \$true -TlsAuthLevel EncryptionOnly\.$/);
    // The queue is Active while delivery tries again (the retry interval is short here): wait for it between attempts.
    let q: Record<string, string> | undefined;
    await waitFor(async () => (q = await queue('mbxserver01.contoso.com'))?.Status === 'Retry', 30_000, 'the queue in Retry between attempts');
    assert.match(q!.LastError, /454 4\.7\.5 The certificate presented by mbxserver01\.contoso\.com .* does not chain to a trusted certificate/);
    assertWithheld(peer);

    // The connectivity log records the refused session.
    const folder = join(edge, 'Logs', 'Connectivity');
    const log = readdirSync(folder)
      .filter((f) => f.startsWith('CONNECTLOG'))
      .map((f) => readFileSync(join(folder, f), 'utf8'))
      .join('');
    assert.match(log, new RegExp(`Connected to mbxserver01\\.contoso\\.com\\[${MBX.replace(/\./g, '\\.')}:25\\] but the session failed at tls: 454 4\\.7\\.5 The certificate presented by mbxserver01\\.contoso\\.com`));

    // Trace-MailFlow names the case and the commands that fix it.
    const steps = formatListRecords(await sh('Trace-MailFlow alice@contoso.com -Sender kim@fabrikam.com | Format-List Step,Result,Detail,Fix'));
    const credential = steps.find((s) => s.Step === 'Credential');
    assert.equal(credential?.Result, 'Failure', JSON.stringify(steps));
    assert.match(credential!.Detail, /Send connector "To Internal Org" would not send its AuthenticationCredential \(CONTOSO\\edgeauth\) to mbxserver01\.contoso\.com .*: its certificate is not trusted here \(DEPTH_ZERO_SELF_SIGNED_CERT\)/);
    assert.match(credential!.Fix, /Import-ExchangeCertificate -FileName/);
    assert.match(credential!.Fix, /Set-SendConnector "To Internal Org" -RequireTLS \$true -TlsAuthLevel EncryptionOnly/);
    assertWithheld(peer);

    // The admin imports the smart host's certificate: the waiting message goes, with AUTH inside TLS.
    await importCertificate('mbxserver01', impostor.certificatePem);
    await retryQueue('mbxserver01.contoso.com');
    await waitFor(() => deliveredTo(peer, 'untrusted peer').length === 1, 30_000, 'delivery after the import');
    assertSentOnlyTheCredential(peer);
    // Each session that logged on started TLS first (a session's AUTH follows its own STARTTLS).
    let since = 0;
    peer.commands.forEach((c, i) => {
      if (!/^AUTH /.test(c)) return;
      assert.ok(peer.commands.slice(since, i).includes('STARTTLS'), 'AUTH only inside TLS');
      since = i + 1;
    });
    await waitFor(async () => (await message('untrusted peer')) === undefined, 20_000, 'the queue to empty');
  });

  it('a certificate that chains to an imported CA but carries another name is refused; TlsAuthLevel EncryptionOnly then sends the credential, as the connector says', async () => {
    const ca = certificateAuthority('Contoso Test Issuing CA');
    await importCertificate('contoso-ca', ca.certificatePem);
    const peer = await smartHost(MBX, ca.issue('impostor.contoso.com', ['impostor.contoso.com']));
    await submit('bob@contoso.com', 'wrong name');
    await waitFor(async () => /does not carry the name/.test((await message('wrong name'))?.LastError ?? ''), 30_000, 'the name mismatch in LastError');
    const m = (await message('wrong name'))!;
    assert.match(
      m.LastError,
      /^454 4\.7\.5 The certificate presented by mbxserver01\.contoso\.com \[[\d.:]+\] does not carry the name mbxserver01\.contoso\.com \(it names impostor\.contoso\.com\); the AuthenticationCredential of Send connector "To Internal Org" was not sent\. Have mbxserver01\.contoso\.com present a certificate for mbxserver01\.contoso\.com/,
    );
    assert.doesNotMatch(m.LastError, /Import-ExchangeCertificate/, 'the chain is trusted: only the name is wrong');
    assertWithheld(peer);

    // TlsAuthLevel alone is refused on this connector (RequireTLS $false), with the command that works.
    const refused = await gatehouse(['shell', '--data', edge, '-c', 'Set-SendConnector "To Internal Org" -TlsAuthLevel EncryptionOnly']);
    assert.match(refused.stderr, /TlsAuthLevel can be set only when RequireTLS is \$true and IgnoreSTARTTLS is \$false\. Set them in the same command \(-RequireTLS \$true -TlsAuthLevel EncryptionOnly/);

    await sh('Set-SendConnector "To Internal Org" -RequireTLS $true -TlsAuthLevel EncryptionOnly');
    await retryQueue('mbxserver01.contoso.com');
    await waitFor(() => deliveredTo(peer, 'wrong name').length === 1, 30_000, 'delivery with EncryptionOnly');
    assertSentOnlyTheCredential(peer, 'EncryptionOnly: the credential goes without checking');

    const steps = formatListRecords(await sh('Trace-MailFlow alice@contoso.com -Sender kim@fabrikam.com | Format-List Step,Result,Detail,Fix'));
    const credential = steps.find((s) => s.Step === 'Credential');
    assert.equal(credential?.Result, 'Warning', JSON.stringify(steps));
    assert.match(credential!.Detail, /although its certificate does not carry the name mbxserver01\.contoso\.com \(it names impostor\.contoso\.com\): TlsAuthLevel EncryptionOnly sends it without checking/);
    assert.match(credential!.Fix, /Set-SendConnector "To Internal Org" -TlsAuthLevel \$null\.$/);

    await sh('Set-SendConnector "To Internal Org" -TlsAuthLevel $null -RequireTLS $false');
    await waitFor(async () => (await message('wrong name')) === undefined, 20_000, 'the queue to empty');
  });

  it("a smart host written as an IP address: the address must be in the certificate's subjectAltName", async () => {
    const byName = selfSigned(PARTNER, ['smarthost.partner.example']);
    await importCertificate('partner-by-name', byName.certificatePem);
    const peer = await smartHost(PARTNER, byName);
    await submit('ann@partner.example', 'ip smart host');
    await waitFor(async () => /does not carry the IP address/.test((await message('ip smart host'))?.LastError ?? ''), 30_000, 'the address mismatch in LastError');
    const m = (await message('ip smart host'))!;
    assert.match(
      m.LastError,
      new RegExp(
        `^454 4\\.7\\.5 The certificate presented by ${PARTNER.replace(/\./g, '\\.')} \\[${PARTNER.replace(/\./g, '\\.')}:25\\] does not carry the IP address ${PARTNER.replace(/\./g, '\\.')} \\(it names smarthost\\.partner\\.example\\)`,
      ),
      'a CN that reads like the address does not count',
    );
    assertWithheld(peer);

    const byAddress = selfSigned('smarthost.partner.example', ['smarthost.partner.example', PARTNER]);
    await importCertificate('partner-by-address', byAddress.certificatePem);
    const good = await smartHost(PARTNER, byAddress);
    await retryQueue(`[${PARTNER}]`);
    await waitFor(() => deliveredTo(good, 'ip smart host').length === 1, 30_000, 'delivery to the certificate carrying the address');
    assertSentOnlyTheCredential(good);
  });
});
