// Recipient validation on an Edge without EdgeSync: with
// RecipientValidationEnabled the Edge asks the inside (here Python's aiosmtpd,
// requiring STARTTLS and AUTH, named through dnsmasq) whether a recipient of
// an authoritative domain exists, with MAIL FROM:<>, RCPT TO and RSET, and
// refuses the unknown ones at RCPT TO with Exchange's 550 5.1.10. Answers are
// kept for their lifetimes; an inside that cannot answer (a 4xx, or no inside
// at all) gets the client a 451, never a refusal; swaks and smtplib are the
// clients, and a whole message still reaches the inside.

import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { formatListRecords } from './harness/format-list.js';
import { gatehouse, scratchDir } from './harness/gatehouse.js';
import { startAiosmtpd, startDnsmasq, until, type Peer } from './harness/peers.js';
import { startService, type RunningService } from './harness/service.js';
import { readAgentLog } from './harness/agent-log.js';
import { configApplied } from './harness/config-applied.js';
import { needs } from './harness/tools.js';

const EDGE = '127.45.0.1';
const DNS = '127.45.0.53';
const DNS_PORT = 5362;
const CLIENT = '127.45.1.5';
/** The Mailbox server inside (aiosmtpd), as the smart host mbx01.contoso.com. */
const INSIDE = '127.45.20.10';
const INSIDE_PORT = 2526;
const USER = 'CONTOSO\\edgeauth';
const PASSWORD = 'Validate-Pa55!';

/** Runs a program without blocking the event loop (the peers' output is read meanwhile). */
function run(program: string, args: string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(program, args, { encoding: 'utf8', timeout: timeoutMs }, (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr }));
  });
}

describe('recipient validation: the Edge asks the inside whether a recipient exists', needs('aiosmtpd'), () => {
  const dir = scratchDir('recipient-validation');
  const edge = join(dir.path, 'EDGE01');
  const material = join(dir.path, 'material');
  let service: RunningService;
  let dns: Peer | undefined;
  let inside: (Peer & { output(): string }) | undefined;

  const shell = async (lines: string[], input?: string) => {
    const r = await gatehouse(['shell', '--data', edge, ...(input === undefined ? ['-c', lines.join('\n')] : [])], { timeoutMs: 60_000, ...(input !== undefined && { input }) });
    assert.equal(r.code, 0, `${lines.join('\n')}\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  };
  /** Runs a change, then waits until the service has applied it. */
  const applied = async (line: string) => {
    await shell([line]);
    await configApplied(service, edge, 20_000);
  };
  /** A swaks session up to RCPT TO for each recipient; its transcript. */
  const rcpt = async (...to: string[]) => {
    const r = await run('swaks', ['--server', `${EDGE}:2525`, '--local-interface', CLIENT, '--from', 'kim@fabrikam.com', '--to', to.join(','), '--quit-after', 'RCPT', '--timeout', '60'], 90_000);
    return r.stdout + r.stderr;
  };
  const probes = (address: string) => (inside?.output() ?? '').split('\n').filter((l) => l.startsWith('RCPT ') && l.includes(` ${address} `));
  let markers = 0;
  /**
   * The inside prints its lines in order: once a probe for a fresh address is printed, every
   * earlier probe is too. Counting probes after this is exact (validation must be on).
   */
  const settled = async () => {
    const marker = `marker${++markers}@contoso.com`;
    await rcpt(marker);
    await until(() => probes(marker).length > 0, 10_000, `the probe for ${marker}`);
  };
  const agentLog = () => readAgentLog(edge);
  const startInside = async () => {
    inside = await startAiosmtpd({
      dir: join(dir.path, 'inside'),
      host: INSIDE,
      port: INSIDE_PORT,
      user: USER,
      password: PASSWORD,
      certificatePem: readFileSync(join(material, 'mbx-cert.pem'), 'utf8'),
      privateKeyPem: readFileSync(join(material, 'mbx-key.pem'), 'utf8'),
      mailboxes: { accept: ['alice@contoso.com', 'bob@contoso.com', 'postmaster@contoso.com', 'alice@branch.contoso.com'], defer: ['busy@contoso.com'] },
    });
  };

  before(async () => {
    mkdirSync(material, { recursive: true });
    // The Mailbox server's certificate carries its name, and the Edge trusts it (imported): the credential goes only to it.
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'mbx-key.pem', '-out', 'mbx-cert.pem', '-days', '30', '-subj', '/CN=mbx01.contoso.com', '-addext', 'subjectAltName=DNS:mbx01.contoso.com'], {
      cwd: material,
      stdio: 'pipe',
    });
    dns = await startDnsmasq(DNS, DNS_PORT, ['contoso.com'], [`--host-record=mbx01.contoso.com,${INSIDE}`, '--mx-host=branch.contoso.com,mbx01.contoso.com,10']);
    await startInside();
    const setup = await gatehouse(['setup', '--role', 'EdgeTransport', '--name', 'EDGE01', '--fqdn', 'edge01.contoso.net', '--data', edge]);
    assert.equal(setup.code, 0, setup.stderr);
    const script = [
      'New-AcceptedDomain Contoso -DomainName contoso.com',
      'New-AcceptedDomain Partner -DomainName partner.contoso.com -DomainType InternalRelay',
      // An authoritative domain whose mail goes to its MX (a DNS-routed connector, no credential).
      'New-AcceptedDomain Branch -DomainName branch.contoso.com',
      `New-SendConnector -Name "To Branch" -Usage Custom -AddressSpaces branch.contoso.com -DNSRoutingEnabled $true -Port ${INSIDE_PORT}`,
      `Set-ReceiveConnector "Default internal Receive connector EDGE01" -Name "From Internet" -Bindings ${EDGE}:2525 -TarpitInterval 00:00:00`,
      `Set-TransportService EDGE01 -InternalDNSServers ${DNS}:${DNS_PORT} -InternalDNSAdapterEnabled $false -ExternalDNSServers ${DNS}:${DNS_PORT} -ExternalDNSAdapterEnabled $false`,
      `Import-ExchangeCertificate -FileName '${join(material, 'mbx-cert.pem')}' -FriendlyName "MBX01"`,
      '$MailboxCredentials = Get-Credential',
      USER,
      PASSWORD,
      `New-SendConnector -Name "To Internal Org" -Usage Internal -AddressSpaces contoso.com,partner.contoso.com -DNSRoutingEnabled $false -SmartHosts mbx01.contoso.com -Port ${INSIDE_PORT} -SmartHostAuthMechanism BasicAuthRequireTLS -AuthenticationCredential $MailboxCredentials`,
    ];
    await shell(script, script.join('\n') + '\n');
    service = await startService(edge);
  });

  after(async () => {
    await service?.stop();
    await dns?.stop();
    await inside?.stop();
    dir.remove();
  });

  it('RecipientValidationEnabled is off by default; Get-RecipientFilterConfig shows it and the cache lifetimes', async () => {
    const [c] = formatListRecords(await shell(['Get-RecipientFilterConfig | Format-List RecipientValidationEnabled,RecipientValidationPositiveCacheLifetime,RecipientValidationNegativeCacheLifetime']));
    assert.deepEqual(c, { RecipientValidationEnabled: 'False', RecipientValidationPositiveCacheLifetime: '1.00:00:00', RecipientValidationNegativeCacheLifetime: '00:10:00' });
    assert.match(await rcpt('nobody@contoso.com'), /<- +250 2\.1\.5/, 'off: the Edge takes any recipient of its domains');
    const bad = await gatehouse(['shell', '--data', edge, '-c', 'Set-RecipientFilterConfig -RecipientValidationNegativeCacheLifetime 8.00:00:00']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /The value 8\.00:00:00 is not valid for RecipientValidationNegativeCacheLifetime\. Valid values are between 00:00:00 and 7\.00:00:00\./);
  });

  it('an unknown recipient gets 550 5.1.10 at RCPT TO, a known one 250; the probe authenticates inside TLS, sends no message, and its answer is kept', async () => {
    await applied('Set-RecipientFilterConfig -RecipientValidationEnabled $true');
    const t = await rcpt('nobody@contoso.com', 'alice@contoso.com');
    assert.match(t, /RCPT TO:<nobody@contoso\.com>\n<\*\* +550 5\.1\.10 RESOLVER\.ADR\.RecipientNotFound; Recipient not found by SMTP address lookup/);
    assert.match(t, /RCPT TO:<alice@contoso\.com>\n<- +250 2\.1\.5/);
    await settled();
    // One probe: none while validation was off (the first test), one now, with the blank sender, after AUTH.
    assert.deepEqual(probes('nobody@contoso.com'), ['RCPT <> nobody@contoso.com auth=True'], inside!.output());
    assert.match(inside!.output(), /^RSET$/m, 'each probe ends with RSET');

    // Asked again: the answers come from the cache.
    assert.match(await rcpt('nobody@contoso.com'), /<\*\* +550 5\.1\.10 /);
    assert.match(await rcpt('ALICE@contoso.com'), /<- +250 2\.1\.5/);
    await settled();
    assert.equal(probes('nobody@contoso.com').length, 1);
    assert.equal(probes('alice@contoso.com').length, 1);
    await until(
      () =>
        /Recipient Filter Agent,OnRcptCommand,RejectCommand,550 5\.1\.10 RESOLVER\.ADR\.RecipientNotFound; Recipient not found by SMTP address lookup,RecipientDoesNotExist,cached answer: 550 5\.1\.1 <nobody@contoso\.com>: Recipient address rejected: User unknown/.test(
          agentLog(),
        ),
      10_000,
      'the agent log line of the cached refusal',
    );
    assert.match(agentLog(), /,RecipientDoesNotExist,the inside answered: 550 5\.1\.1 <nobody@contoso\.com>/);
    const logged = formatListRecords(await shell(['Get-AgentLog -StartDate (Get-Date).AddHours(-1) | Where-Object { $_.Agent -eq "Recipient Filter Agent" } | Format-List Recipient,Action,Reason']));
    assert.ok(
      logged.some((l) => l.Recipient === 'nobody@contoso.com' && l.Action === 'RejectCommand' && l.Reason === 'RecipientDoesNotExist'),
      JSON.stringify(logged),
    );

    // A whole message (Python's smtplib) with a known and an unknown recipient: the unknown one is refused, the message reaches the known one.
    const py = await run(
      '/usr/bin/python3',
      [
        '-c',
        [
          'import smtplib, sys',
          `s = smtplib.SMTP("${EDGE}", 2525, source_address=("${CLIENT}", 0), timeout=60)`,
          'refused = s.sendmail("kim@fabrikam.com", ["bob@contoso.com", "ghost@contoso.com"], "From: kim@fabrikam.com\\r\\nTo: bob@contoso.com\\r\\nSubject: validated\\r\\n\\r\\nhello\\r\\n")',
          'print("REFUSED", refused)',
          's.quit()',
        ].join('\n'),
      ],
      90_000,
    );
    assert.equal(py.code, 0, py.stdout + py.stderr);
    assert.match(py.stdout, /REFUSED \{'ghost@contoso\.com': \(550, b'5\.1\.10 RESOLVER\.ADR\.RecipientNotFound; Recipient not found by SMTP address lookup'\)\}/);
    await until(() => /^MSG kim@fabrikam\.com \['bob@contoso\.com'\] tls=True auth=True$/m.test(inside!.output()), 30_000, 'the message at the inside, to bob only');
    assert.equal(inside!.output().match(/^MSG /gm)?.length, 1, `no probe left a message behind: ${inside!.output()}`);
  });

  it('a domain routed by MX: the probe goes to the host its MX record names, as its mail would', async () => {
    assert.match(await rcpt('alice@branch.contoso.com'), /<- +250 2\.1\.5/);
    assert.match(await rcpt('ghost@branch.contoso.com'), /<\*\* +550 5\.1\.10 RESOLVER\.ADR\.RecipientNotFound/);
    await settled();
    assert.deepEqual(probes('ghost@branch.contoso.com'), ['RCPT <> ghost@branch.contoso.com auth=False'], 'through "To Branch", which has no credential');
  });

  it('a recipient of another kind of domain is not asked about; a 4xx from the inside gets the client 451 4.4.3, and is asked again', async () => {
    assert.match(await rcpt('anyone@partner.contoso.com'), /<- +250 2\.1\.5/, 'an internal relay domain is not validated');
    const busy = await rcpt('busy@contoso.com');
    assert.match(busy, /<\*\* +451 4\.4\.3 Recipient validation is unavailable: the internal mail servers could not be asked; try again later/);
    assert.match(await rcpt('busy@contoso.com'), /<\*\* +451 4\.4\.3 /);
    await settled();
    assert.equal(probes('anyone@partner.contoso.com').length, 0);
    assert.equal(probes('busy@contoso.com').length, 2, 'a temporary answer is not kept');
    await service.waitFor((l) => l.event === 'agent.recipient-validation.unavailable' && String(l.reason).includes('451 4.3.0 Directory busy'), 10_000, 'the warning that says why');
  });

  it('with the inside down, a cached answer still holds and any other recipient gets 451, never 550; the cache lifetimes apply live', async () => {
    await inside!.stop();
    assert.match(await rcpt('alice@contoso.com'), /<- +250 2\.1\.5/, 'known from the cache');
    assert.match(await rcpt('nobody@contoso.com'), /<\*\* +550 5\.1\.10 /, 'known unknown from the cache');
    const down = await rcpt('carol@contoso.com');
    assert.match(down, /<\*\* +451 4\.4\.3 Recipient validation is unavailable/);
    await service.waitFor((l) => l.event === 'agent.recipient-validation.unavailable' && l.recipient === 'carol@contoso.com' && /To Internal Org/.test(String(l.reason)), 10_000, 'the warning naming the connector');

    // Lifetimes of zero: nothing is kept, so even alice cannot be confirmed while the inside is down.
    await applied('Set-RecipientFilterConfig -RecipientValidationPositiveCacheLifetime 00:00:00 -RecipientValidationNegativeCacheLifetime 00:00:00');
    assert.match(await rcpt('alice@contoso.com'), /<\*\* +451 4\.4\.3 /);
    await startInside();
    assert.match(await rcpt('alice@contoso.com'), /<- +250 2\.1\.5/);
    assert.match(await rcpt('alice@contoso.com'), /<- +250 2\.1\.5/);
    await settled();
    assert.equal(probes('alice@contoso.com').length, 2, 'asked every time: the restarted inside saw both');
  });
});
