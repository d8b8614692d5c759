import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IPBinding, IPRange } from '../config/types/index.js';
import type { ReceiveConnectorConfig, TransportConfig } from '../roles/transport-config.js';
import { domainMatches as nameCovers } from '../tls/names.js';
import { MailFlowExplainer, type ExplainerDeps } from './mail-flow-explainer.js';

test('nameCovers: exact names, one-label wildcards, case and trailing dots', () => {
  assert.equal(nameCovers('mx.fabrikam.com', 'MX.Fabrikam.com.'), true);
  assert.equal(nameCovers('*.fabrikam.com', 'mx.fabrikam.com'), true);
  assert.equal(nameCovers('*.fabrikam.com', 'a.mx.fabrikam.com'), false);
  assert.equal(nameCovers('*.fabrikam.com', 'fabrikam.com'), false);
  assert.equal(nameCovers('wrong.example', 'mx.fabrikam.com'), false);
});

function connector(over: Partial<ReceiveConnectorConfig>): ReceiveConnectorConfig {
  return {
    name: 'C', identity: 'EDGE01\\C', enabled: true, bindings: [IPBinding.parse('10.1.1.2:25')], remoteIPRanges: [IPRange.parse('192.168.5.10')],
    fqdn: 'edge01.contoso.net', authMechanism: new Set(['Tls']), permissionGroups: ['AnonymousUsers'], requireTls: false, tlsCertificateName: null,
    ...over,
  } as ReceiveConnectorConfig;
}

function deps(receiveConnectors: ReceiveConnectorConfig[]): ExplainerDeps {
  const fail = () => { throw new Error('not reached'); };
  return {
    config: { role: 'EdgeTransport', serverName: 'EDGE01', fqdn: 'edge01.contoso.net', receiveConnectors, acceptedDomains: [], sendConnectors: [], intraOrg: [] } as unknown as TransportConfig,
    receiveCertificate: () => null, smtpCertificates: () => [], account: () => null, resolver: fail, credential: () => null, trustedCertificates: () => [], connect: fail,
  };
}

test('no connector: a disabled one is named with the command that enables it', async () => {
  const steps = await new MailFlowExplainer(deps([connector({ enabled: false })])).explain({ sender: 'a@contoso.com', recipient: 'b@fabrikam.com', clientIp: '192.168.5.10' });
  const rc = steps.find((s) => s.step === 'ReceiveConnector')!;
  assert.equal(rc.result, 'Failure');
  assert.match(rc.detail, /EDGE01\\C is disabled/);
  assert.equal(rc.fix, 'Set-ReceiveConnector "EDGE01\\C" -Enabled $true');
  assert.equal(steps.at(-1), rc, 'nothing after a refused connection');
});

test('no connector listens on the binding: says so and offers New-ReceiveConnector', async () => {
  const steps = await new MailFlowExplainer(deps([connector({})])).explain({ sender: '', recipient: 'b@fabrikam.com', clientIp: '192.168.5.10', binding: IPBinding.parse('10.1.1.9:25') });
  const rc = steps.find((s) => s.step === 'ReceiveConnector')!;
  assert.match(rc.detail, /No Receive connector of EDGE01 listens on 10\.1\.1\.9:25/);
  assert.match(rc.fix ?? '', /New-ReceiveConnector -Name <name> -Usage Custom -Bindings 10\.1\.1\.9:25 -RemoteIPRanges 192\.168\.5\.10/);
});

test('anonymous client on a connector without AnonymousUsers: no rights, and the group to add', async () => {
  const steps = await new MailFlowExplainer(deps([connector({ permissionGroups: ['ExchangeServers'] })])).explain({ sender: 'a@contoso.com', recipient: 'b@fabrikam.com', clientIp: '192.168.5.10' });
  const p = steps.find((s) => s.step === 'Permissions')!;
  assert.equal(p.result, 'Failure');
  assert.match(p.fix ?? '', /-PermissionGroups ExchangeServers,AnonymousUsers/);
});

test('a locked-out account: AUTH would fail even with the right password, and the command that unlocks it', async () => {
  const d = deps([connector({ authMechanism: new Set(['BasicAuth']), permissionGroups: ['ExchangeServers'] })]);
  d.account = () => ({ displayName: 'EDGE01\\mbxrelay', enabled: true, exchangeServer: true, accountGuid: 'g', lockedOut: true });
  const steps = await new MailFlowExplainer(d).explain({ sender: 'a@contoso.com', recipient: 'b@fabrikam.com', clientIp: '192.168.5.10', account: 'mbxrelay' });
  const auth = steps.find((s) => s.step === 'Authentication')!;
  assert.equal(auth.result, 'Failure');
  assert.match(auth.detail, /EDGE01\\mbxrelay is locked out/);
  assert.match(auth.fix ?? '', /net user mbxrelay \/active:yes/);
});
