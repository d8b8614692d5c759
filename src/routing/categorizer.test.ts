import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AddressSpace, SmartHost, SmtpDomainWithSubdomains } from '../config/types/index.js';
import type { AcceptedDomainRule } from '../config/transport-config.js';
import { routeRecipient, type RoutingInput } from './categorizer.js';
import type { SendConnectorConfig } from './send-connector-config.js';

function connector(name: string, spaces: string[], extra: Partial<SendConnectorConfig> = {}): SendConnectorConfig {
  return {
    guid: `g-${name}`,
    name,
    enabled: true,
    usage: 'Custom',
    addressSpaces: spaces.map((s) => AddressSpace.parse(s)),
    dnsRoutingEnabled: true,
    smartHosts: [],
    smartHostAuthMechanism: 'None',
    credential: null,
    credentialPurpose: '',
    port: 25,
    maxMessageSize: null,
    fqdn: null,
    forceHelo: false,
    requireTls: false,
    ignoreStartTls: false,
    tlsAuthLevel: null,
    tlsDomain: null,
    tlsCertificateName: null,
    useExternalDnsServers: false,
    sourceIpAddress: null,
    connectionInactivityTimeoutMs: 600_000,
    maxMessagesPerConnection: 20,
    sourceTransportServers: [],
    errorPolicies: ['Default'],
    protocolLogging: false,
    ...extra,
  };
}
const domain = (name: string, d: string, type: AcceptedDomainRule['type'] = 'Authoritative'): AcceptedDomainRule => ({ name, domain: SmtpDomainWithSubdomains.parse(d), type, matchSubDomains: false });

describe('routeRecipient on the seed Edge', () => {
  const edge: RoutingInput = {
    role: 'EdgeTransport',
    serverName: 'EDGE01',
    acceptedDomains: [domain('Contoso', 'contoso.com')],
    sendConnectors: [
      connector('To Internet', ['*'], { maxMessageSize: 25 * 1024 * 1024 }),
      connector('To Internal Org', ['*.contoso.com'], { dnsRoutingEnabled: false, smartHosts: [SmartHost.parse('mbxserver01.contoso.com'), SmartHost.parse('mbxserver02.contoso.com')] }),
    ],
  };
  it("sends the organization's domain to the Mailbox servers and the rest by MX", () => {
    assert.deepEqual(routeRecipient('contoso.com', 1000, edge), {
      kind: 'queue',
      deliveryType: 'SmartHostConnectorDelivery',
      nextHopDomain: 'mbxserver01.contoso.com,mbxserver02.contoso.com',
      connector: 'g-To Internal Org',
      key: 'smarthost:g-To Internal Org',
    });
    assert.equal((routeRecipient('Sales.Contoso.com', 1000, edge) as { connector: string }).connector, 'g-To Internal Org');
    assert.deepEqual(routeRecipient('Fabrikam.com', 1000, edge), { kind: 'queue', deliveryType: 'DnsConnectorDelivery', nextHopDomain: 'fabrikam.com', connector: 'g-To Internet', key: 'dns:g-To Internet:fabrikam.com' });
  });
  it('fails a message too big for every matching connector, and leaves unmatched recipients Unreachable', () => {
    assert.equal(routeRecipient('fabrikam.com', 30 * 1024 * 1024, edge).kind, 'fail');
    assert.equal((routeRecipient('fabrikam.com', 30 * 1024 * 1024, { ...edge, sendConnectors: [edge.sendConnectors[0]] }) as { enhanced: string }).enhanced, '5.3.4');
    assert.equal((routeRecipient('fabrikam.com', 1, { ...edge, sendConnectors: [edge.sendConnectors[1]] }) as { deliveryType: string }).deliveryType, 'Unreachable');
    assert.equal((routeRecipient('fabrikam.com', 1, { ...edge, sendConnectors: [{ ...edge.sendConnectors[0], enabled: false }] }) as { deliveryType: string }).deliveryType, 'Unreachable');
  });
});

describe('routeRecipient ranking', () => {
  it('prefers the most specific space, then the lowest cost, then the lowest name', () => {
    const input = (cs: SendConnectorConfig[]): RoutingInput => ({ role: 'EdgeTransport', serverName: 'E', acceptedDomains: [], sendConnectors: cs });
    const pick = (cs: SendConnectorConfig[], d: string) => (routeRecipient(d, 1, input(cs)) as { connector: string }).connector;
    const all = connector('All', ['*']);
    const parent = connector('Parent', ['*.contoso.com']);
    const exact = connector('Exact', ['marketing.contoso.com']);
    assert.equal(pick([all, parent, exact], 'marketing.contoso.com'), 'g-Exact');
    assert.equal(pick([all, parent], 'marketing.contoso.com'), 'g-Parent');
    assert.equal(pick([connector('B', ['fabrikam.com;1']), connector('A', ['fabrikam.com;5'])], 'fabrikam.com'), 'g-B');
    assert.equal(pick([connector('B', ['fabrikam.com']), connector('A', ['fabrikam.com'])], 'fabrikam.com'), 'g-A');
  });
  it('on a Mailbox server: authoritative domains go to mailboxes, connectors must be sourced here', () => {
    const toEdge = connector('To Edge', ['*'], { dnsRoutingEnabled: false, smartHosts: [SmartHost.parse('edge01.contoso.com')], sourceTransportServers: ['MBX01', 'MBX02'] });
    const mbx: RoutingInput = { role: 'Mailbox', serverName: 'MBX01', acceptedDomains: [domain('Contoso', 'contoso.com')], sendConnectors: [toEdge] };
    assert.equal((routeRecipient('contoso.com', 1, mbx) as { deliveryType: string }).deliveryType, 'SmtpDeliveryToMailbox');
    assert.equal((routeRecipient('fabrikam.com', 1, mbx) as { connector: string }).connector, 'g-To Edge');
    assert.equal((routeRecipient('fabrikam.com', 1, { ...mbx, serverName: 'MBX03' }) as { deliveryType: string }).deliveryType, 'Unreachable');
    // A third server with an intra-organization connector to MBX02 hands the mail to a source server.
    const toMbx02 = connector('MBX02', [], { guid: 'intraorg:mbx02', dnsRoutingEnabled: false, smartHosts: [SmartHost.parse('mbxserver02.contoso.com')] });
    assert.deepEqual(routeRecipient('fabrikam.com', 1, { ...mbx, serverName: 'MBX03', intraOrg: [toMbx02] }), {
      kind: 'queue',
      deliveryType: 'SmtpRelayToConnectorSourceServers',
      nextHopDomain: 'To Edge',
      connector: 'intraorg:mbx02',
      key: 'sourceservers:g-To Edge',
    });
  });
  it('"--" covers authoritative and internal relay domains only', () => {
    const org = connector('EdgeSync', ['--'], { dnsRoutingEnabled: false, smartHosts: [SmartHost.parse('mbx')] });
    const input: RoutingInput = { role: 'EdgeTransport', serverName: 'E', acceptedDomains: [domain('C', 'contoso.com'), domain('R', 'relay.com', 'InternalRelay'), domain('X', 'ext.com', 'ExternalRelay')], sendConnectors: [org] };
    assert.equal(routeRecipient('contoso.com', 1, input).kind, 'queue');
    assert.equal((routeRecipient('relay.com', 1, input) as { connector: string }).connector, 'g-EdgeSync');
    assert.equal((routeRecipient('ext.com', 1, input) as { deliveryType: string }).deliveryType, 'Unreachable');
  });
});

describe('routeRecipient for organization recipients', () => {
  const base: RoutingInput = {
    role: 'Mailbox',
    serverName: 'MBX01',
    acceptedDomains: [domain('Contoso', 'contoso.com'), domain('Shared', 'shared.com', 'InternalRelay')],
    sendConnectors: [connector('To Edge', ['*'], { sourceTransportServers: ['MBX01'] })],
  };
  const mailbox = (extra: object = {}) => ({ kind: 'mailbox' as const, database: 'DB1', server: 'MBX01', maxReceiveSize: null, forwardingSmtpAddress: null, requireSenderAuthentication: false, ...extra });
  it('forwards instead of delivering, or in addition with DeliverToMailboxAndForward', () => {
    const fwd = routeRecipient('contoso.com', 1, { ...base, recipient: () => mailbox({ forwardingSmtpAddress: 'x@fabrikam.com' }) }, 'a@contoso.com');
    assert.deepEqual(fwd, { kind: 'redirect', address: 'x@fabrikam.com' });
    const both = routeRecipient('contoso.com', 1, { ...base, recipient: () => mailbox({ forwardingSmtpAddress: 'x@fabrikam.com', deliverToMailboxAndForward: true }) }, 'a@contoso.com');
    assert.equal(both.kind, 'redirect');
    assert.equal((both as { keep?: { deliveryType: string } }).keep?.deliveryType, 'SmtpDeliveryToMailbox');
  });
  it('refuses unknown recipients of authoritative domains, passes internal-relay ones to connectors, and guards restricted recipients', () => {
    assert.equal((routeRecipient('contoso.com', 1, { ...base, recipient: () => null }, 'x@contoso.com') as { enhanced: string }).enhanced, '5.1.1');
    assert.equal((routeRecipient('shared.com', 1, { ...base, recipient: () => null }, 'x@shared.com') as { connector: string }).connector, 'g-To Edge');
    const restricted = { ...base, recipient: () => mailbox({ requireSenderAuthentication: true }) };
    assert.equal((routeRecipient('contoso.com', 1, { ...restricted, anonymousSender: true }, 'a@contoso.com') as { enhanced: string }).enhanced, '5.7.1');
    assert.equal(routeRecipient('contoso.com', 1, { ...restricted, anonymousSender: false }, 'a@contoso.com').kind, 'queue');
    assert.equal((routeRecipient('contoso.com', 100, { ...base, recipient: () => mailbox({ maxReceiveSize: 10 }) }, 'a@contoso.com') as { enhanced: string }).enhanced, '5.2.3');
    assert.deepEqual(routeRecipient('contoso.com', 1, { ...base, recipient: () => ({ kind: 'group' as const, members: ['a@contoso.com'], requireSenderAuthentication: false }) }, 'g@contoso.com'), {
      kind: 'expand',
      addresses: ['a@contoso.com'],
    });
  });
});
