// Wrong input gets an Exchange/PowerShell-style error, a non-zero exit, and
// changes nothing: each case runs against a configured Edge server and the
// configuration is compared before and after.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gatehouse, scratchDir } from './harness/gatehouse.js';

const dir = scratchDir('errors');
const data = join(dir.path, 'EDGE01');
const SNAPSHOT = 'Get-SendConnector | Format-List *; Get-ReceiveConnector | Format-List *; Get-AcceptedDomain | Format-List *';

async function snapshot(): Promise<string> {
  const r = await gatehouse(['shell', '--data', data, '-c', SNAPSHOT]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

const cases: { name: string; command: string; error: RegExp }[] = [
  { name: 'unknown cmdlet', command: 'Get-SendConector', error: /The term 'Get-SendConector' is not recognized as the name of a cmdlet/ },
  { name: 'unknown parameter', command: 'Set-SendConnector "To Internet" -Colour Blue', error: /A parameter cannot be found that matches parameter name 'Colour'\./ },
  {
    name: 'ambiguous parameter prefix',
    command: 'Set-SendConnector "To Internet" -Sm $null',
    error: /Parameter cannot be processed because the parameter name 'Sm' is ambiguous\. Possible matches include: .*-SmartHostAuthMechanism.*-SmartHosts/,
  },
  {
    name: 'plain-text credential',
    command: 'New-SendConnector -Name "Relay" -AddressSpaces fabrikam.com -DNSRoutingEnabled $false -SmartHosts relay.fabrikam.com -SmartHostAuthMechanism BasicAuth -AuthenticationCredential "user:password"',
    error: /Cannot process argument transformation on parameter 'AuthenticationCredential'.*PSCredential/,
  },
  { name: 'DNS routing off without smart hosts', command: 'New-SendConnector -Name "Relay" -AddressSpaces fabrikam.com -DNSRoutingEnabled $false', error: /When DNSRoutingEnabled is \$false, you must specify at least one smart host/ },
  {
    name: 'BasicAuthRequireTLS without BasicAuth',
    command: 'New-ReceiveConnector -Name "Partners" -Usage Partner -Bindings 127.10.1.3:25 -RemoteIPRanges 127.0.0.9 -AuthMechanism Tls,BasicAuthRequireTLS',
    error: /BasicAuthRequireTLS requires BasicAuth and Tls/,
  },
  {
    name: 'same binding and remote ranges twice',
    command: 'New-ReceiveConnector -Name "Twin" -Usage Internal -Bindings 127.10.1.2:25 -RemoteIPRanges 127.168.5.10,127.168.5.20',
    error: /conflict with the settings on Receive connector "From Internal Org"/,
  },
  {
    name: 'partially overlapping remote ranges',
    command: 'New-ReceiveConnector -Name "Overlap" -Usage Partner -Bindings 127.10.1.3:25 -RemoteIPRanges 127.20.0.128-127.20.1.5',
    error: /partially overlaps the range 127\.20\.0\.0\/24 of Receive connector "Partners"/,
  },
  { name: 'invalid IP range', command: 'Set-ReceiveConnector "From Internal Org" -RemoteIPRanges 192.168.5.300', error: /Cannot process argument transformation on parameter 'RemoteIPRanges'.*192\.168\.5\.300/ },
  { name: 'duplicate name', command: 'New-SendConnector -Name "to internet" -AddressSpaces * -Usage Internet', error: /already exists/ },
  { name: 'missing Identity', command: 'Set-ReceiveConnector -Name "Renamed"', error: /Cannot process command because of one or more missing mandatory parameters: Identity\./ },
  { name: 'object not found', command: 'Set-SendConnector "No Such Connector" -Enabled $false', error: /couldn't be found on 'edge01\.contoso\.net'/ },
  { name: 'out-of-range value', command: 'Set-SendConnector "To Internet" -Port 70000', error: /Port/ },
  { name: 'SourceTransportServers on Edge', command: 'Set-SendConnector "To Internet" -SourceTransportServers mbxserver01.contoso.com', error: /not valid on an Edge Transport server/ },
  { name: 'parameter Gatehouse refuses instead of ignoring', command: 'Set-SendConnector "To Internet" -FrontendProxyEnabled $true', error: /no Front End Transport service/ },
  { name: 'two usages', command: 'New-SendConnector -Name "X" -AddressSpaces * -Internet -Usage Partner', error: /Parameter set cannot be resolved/ },
  {
    name: 'removal with no answer to the confirmation',
    command: 'Remove-SendConnector "To Internet"',
    error: /Confirmation needed for: Removing Send connector "To Internet"\. Nothing was changed: the input ended before the answer\. .*-Confirm:\$false/,
  },
];

describe('shell errors change nothing', () => {
  let before_: string;
  before(async () => {
    const r = await gatehouse(['setup', '--role', 'EdgeTransport', '--name', 'EDGE01', '--fqdn', 'edge01.contoso.net', '--data', data]);
    assert.equal(r.code, 0, r.stderr);
    const configure = [
      'New-AcceptedDomain -Name Contoso -DomainName contoso.com',
      'New-SendConnector -Name "To Internet" -AddressSpaces * -Usage Internet -DNSRoutingEnabled $true',
      'Set-ReceiveConnector "Default internal Receive connector EDGE01" -Name "From Internet" -Bindings 127.10.1.1:25',
      'New-ReceiveConnector -Name "From Internal Org" -Usage Internal -AuthMechanism TLS,BasicAuth,BasicAuthRequireTLS,ExchangeServer -Bindings 127.10.1.2:25 -RemoteIPRanges 127.168.5.10,127.168.5.20',
      'New-ReceiveConnector -Name "Partners" -Usage Partner -Bindings 127.10.1.3:25 -RemoteIPRanges 127.20.0.0/24',
    ].join('\n');
    const c = await gatehouse(['shell', '--data', data], { input: configure + '\n' });
    assert.equal(c.code, 0, c.stderr);
    before_ = await snapshot();
  });
  after(() => dir.remove());

  for (const c of cases) {
    it(c.name, async () => {
      const r = await gatehouse(['shell', '--data', data, '-c', c.command]);
      assert.equal(r.code, 1, `exit code for: ${c.command}\n${r.stdout}${r.stderr}`);
      assert.match(r.stderr, c.error);
      assert.equal(await snapshot(), before_, 'the configuration changed');
    });
  }

  it('WhatIf reports and changes nothing', async () => {
    const r = await gatehouse(['shell', '--data', data, '-c', 'Remove-SendConnector "To Internet" -WhatIf']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /What if: .*To Internet/);
    assert.equal(await snapshot(), before_);
  });
});
