// Day-to-day connector and domain administration through the shell binary:
// multi-valued edits, pipelines into Set/Remove, default views, accepted
// domain defaults, help, and the transport settings.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gatehouse, scratchDir } from './harness/gatehouse.js';

const dir = scratchDir('connectors');
const data = join(dir.path, 'EDGE01');
const sh = (command: string, input?: string) => gatehouse(['shell', '--data', data, '-c', command], { input });

describe('connector administration', () => {
  before(async () => {
    const r = await gatehouse(['setup', '--role', 'EdgeTransport', '--name', 'EDGE01', '--fqdn', 'edge01.contoso.net', '--data', data]);
    assert.equal(r.code, 0, r.stderr);
  });
  after(() => dir.remove());

  it('edits multi-valued properties with @{Add=...; Remove=...}', async () => {
    const r = await sh(
      [
        'New-ReceiveConnector -Name "From Internal Org" -Usage Internal -Bindings 127.10.1.2:25 -RemoteIPRanges 127.168.5.10,127.168.5.20',
        'Set-ReceiveConnector "From Internal Org" -RemoteIPRanges @{Add="127.168.5.30","127.168.6.0/24"; Remove="127.168.5.10"}',
        'Get-ReceiveConnector "EDGE01\\From Internal Org" | Format-List RemoteIPRanges,PermissionGroups,AuthMechanism',
      ].join('; '),
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /RemoteIPRanges\s+: \{127\.168\.5\.20, 127\.168\.5\.30, 127\.168\.6\.0\/24\}/);
    assert.match(r.stdout, /PermissionGroups\s+: ExchangeServers/);
    assert.match(r.stdout, /AuthMechanism\s+: Tls, ExchangeServer/);
  });

  it('shows the default table views', async () => {
    const r = await sh('New-SendConnector "To Internet" -Internet -AddressSpaces *; Get-SendConnector; Get-ReceiveConnector');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Identity\s+AddressSpaces\s+Enabled\n-{8}\s+-{13}\s+-{7}\nTo Internet\s+\{SMTP:\*;1\}\s+True/);
    assert.match(r.stdout, /EDGE01\\Default internal Receive connector EDGE01 \{0\.0\.0\.0:25\}\s+True/);
  });

  it('applies usage defaults: Internet 25 MB, Internal unlimited', async () => {
    const r = await sh('New-SendConnector "Partners" -Usage Internal -AddressSpaces "fabrikam.com;5" -DNSRoutingEnabled $false -SmartHosts 127.0.0.25; Get-SendConnector | Format-Table Name,MaxMessageSize,AddressSpaces -AutoSize');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /To Internet\s+25 MB \(26,214,400 bytes\)/);
    assert.match(r.stdout, /Partners\s+Unlimited\s+\{SMTP:fabrikam\.com;5\}/);
  });

  it('pipes Get-SendConnector into Set-SendConnector and Remove-SendConnector', async () => {
    const r = await sh('Get-SendConnector | Set-SendConnector -Enabled $false; Get-SendConnector | Format-Table Name,Enabled -AutoSize');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /To Internet\s+False/);
    assert.match(r.stdout, /Partners\s+False/);
    const rm = await sh('Get-SendConnector Part* | Remove-SendConnector -Confirm:$false; (Get-SendConnector | Measure-Object).Count');
    assert.equal(rm.code, 0, rm.stderr);
    assert.equal(rm.stdout.trim(), '1');
  });

  it('makes the first accepted domain the default and protects it', async () => {
    const r = await sh('New-AcceptedDomain Contoso -DomainName contoso.com; New-AcceptedDomain Fabrikam -DomainName *.fabrikam.com -DomainType InternalRelay; Get-AcceptedDomain');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Contoso\s+contoso\.com\s+Authoritative\s+True/);
    assert.match(r.stdout, /Fabrikam\s+\*\.fabrikam\.com\s+InternalRelay\s+False/);
    const rm = await sh('Remove-AcceptedDomain Contoso -Confirm:$false');
    assert.equal(rm.code, 1);
    assert.match(rm.stderr, /default accepted domain and cannot be removed/);
    const swap = await sh('Set-AcceptedDomain Fabrikam -MakeDefault $true; Remove-AcceptedDomain Contoso -Confirm:$false; Get-AcceptedDomain | Format-List Name,Default,AddressBookEnabled');
    assert.equal(swap.code, 0, swap.stderr);
    assert.match(swap.stdout, /Name\s+: Fabrikam\nDefault\s+: True\nAddressBookEnabled : False/);
  });

  it('describes cmdlets from their own metadata', async () => {
    const r = await sh('Get-Help Set-ReceiveConnector -Parameter RemoteIPRanges; Get-Command -Noun ReceiveConnector | Format-Table Name -HideTableHeaders');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /-RemoteIPRanges <MultiValuedProperty>/);
    assert.match(r.stdout, /192\.168\.1\.1-192\.168\.1\.254/);
    for (const v of ['Get', 'New', 'Remove', 'Set']) assert.match(r.stdout, new RegExp(`${v}-ReceiveConnector`));
  });

  it('validates transport settings', async () => {
    const ok = await sh(
      'Set-TransportService EDGE01 -ExternalDNSServers 127.0.0.53,"[::1]:5353" -ExternalDNSAdapterEnabled $false -MessageExpirationTimeout 3.00:00:00; Get-TransportService | Format-List ExternalDNS*,MessageExpirationTimeout',
    );
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /ExternalDNSServers\s+: \{127\.0\.0\.53, \[::1\]:5353\}/);
    assert.match(ok.stdout, /MessageExpirationTimeout\s+: 3\.00:00:00/);
    const bad = await sh('Set-TransportService EDGE01 -MessageExpirationTimeout 91.00:00:00');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /MessageExpirationTimeout/);
    const limits = await sh('Set-TransportService EDGE01 -MaxOutboundConnections 10 -MaxPerDomainOutboundConnections 20');
    assert.equal(limits.code, 1);
    assert.match(limits.stderr, /must be greater than or equal to MaxPerDomainOutboundConnections/);
  });
});
