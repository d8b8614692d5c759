import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AddressSpace, IPBinding, IPRange, EnhancedTimeSpan } from './types/index.js';
import { AuthMechanismFlags, PermissionGroupFlags } from './model/enums.js';
import { validateAcceptedDomain, validateReceiveConnector, validateSendConnector } from './validate.js';

const props = (problems: { property: string }[]) => problems.map((p) => p.property);

describe('send connector rules', () => {
  const base = {
    AddressSpaces: [AddressSpace.parse('*')],
    DNSRoutingEnabled: true,
    SmartHosts: [],
    SmartHostAuthMechanism: 'None',
    AuthenticationCredential: null,
    RequireTLS: false,
    IgnoreSTARTTLS: false,
    TlsAuthLevel: null,
    TlsDomain: null,
  };
  it('accepts the seed connectors', () => {
    assert.deepEqual(validateSendConnector(base, { role: 'EdgeTransport' }), []);
    assert.deepEqual(validateSendConnector({ ...base, DNSRoutingEnabled: false, SmartHosts: ['mbx'], SmartHostAuthMechanism: 'BasicAuthRequireTLS', AuthenticationCredential: {} }, { role: 'EdgeTransport' }), []);
  });
  it('finds each documented violation', () => {
    assert.deepEqual(props(validateSendConnector({ ...base, DNSRoutingEnabled: false }, { role: 'Mailbox' })), ['SmartHosts']);
    assert.deepEqual(props(validateSendConnector({ ...base, SmartHosts: ['x'] }, { role: 'Mailbox' })), ['DNSRoutingEnabled']);
    assert.ok(props(validateSendConnector({ ...base, DNSRoutingEnabled: false, SmartHosts: ['x'], SmartHostAuthMechanism: 'BasicAuth' }, { role: 'Mailbox' })).includes('AuthenticationCredential'));
    assert.ok(props(validateSendConnector({ ...base, RequireTLS: true, IgnoreSTARTTLS: true }, { role: 'Mailbox' })).includes('IgnoreSTARTTLS'));
    assert.ok(props(validateSendConnector({ ...base, TlsAuthLevel: 'EncryptionOnly' }, { role: 'Mailbox' })).includes('TlsAuthLevel'));
    assert.ok(props(validateSendConnector({ ...base, AddressSpaces: [] }, { role: 'Mailbox' })).includes('AddressSpaces'));
    assert.ok(props(validateSendConnector({ ...base, AddressSpaces: [AddressSpace.parse('X400:c=us;a=;p=org;1')] }, { role: 'EdgeTransport' })).includes('AddressSpaces'));
    assert.ok(props(validateSendConnector({ ...base, AddressSpaces: [AddressSpace.parse('--')] }, { role: 'Mailbox' })).includes('AddressSpaces'));
  });
  it('the credential opt-out (TlsAuthLevel EncryptionOnly) on "To Internal Org" needs RequireTLS in the same command, and says so', () => {
    const internal = { ...base, DNSRoutingEnabled: false, SmartHosts: ['mbxserver01.contoso.com'], SmartHostAuthMechanism: 'BasicAuthRequireTLS', AuthenticationCredential: {} };
    const [alone] = validateSendConnector({ ...internal, TlsAuthLevel: 'EncryptionOnly' }, { role: 'EdgeTransport' });
    assert.equal(alone.property, 'TlsAuthLevel');
    assert.match(alone.message, /Set them in the same command \(-RequireTLS \$true -TlsAuthLevel EncryptionOnly; a connector with SmartHostAuthMechanism BasicAuthRequireTLS uses TLS anyway\), or clear it with -TlsAuthLevel \$null\./);
    assert.deepEqual(validateSendConnector({ ...internal, RequireTLS: true, TlsAuthLevel: 'EncryptionOnly' }, { role: 'EdgeTransport' }), []);
  });
});

describe('receive connector rules', () => {
  const rc = (bindings: string[], ranges: string[], auth = 'Tls', groups = 'AnonymousUsers') => ({
    Bindings: bindings.map((b) => IPBinding.parse(b)),
    RemoteIPRanges: ranges.map((r) => IPRange.parse(r)),
    AuthMechanism: AuthMechanismFlags.parse(auth),
    PermissionGroups: PermissionGroupFlags.parse(groups),
    ConnectionTimeout: EnhancedTimeSpan.parse('00:05:00'),
    ConnectionInactivityTimeout: EnhancedTimeSpan.parse('00:01:00'),
    RequireTLS: false,
    BinaryMimeEnabled: true,
    ChunkingEnabled: true,
  });
  const edge = { role: 'EdgeTransport' as const };
  it('checks AuthMechanism combinations', () => {
    assert.deepEqual(validateReceiveConnector(rc(['10.1.1.2:25'], ['192.168.5.10'], 'Tls,BasicAuth,BasicAuthRequireTLS,ExchangeServer', 'ExchangeServers'), [], edge), []);
    assert.deepEqual(props(validateReceiveConnector(rc(['0.0.0.0:25'], ['1.2.3.4'], 'Tls,BasicAuthRequireTLS'), [], edge)), ['AuthMechanism']);
    assert.deepEqual(props(validateReceiveConnector(rc(['0.0.0.0:25'], ['1.2.3.4'], 'None,Tls'), [], edge)), ['AuthMechanism']);
    assert.deepEqual(props(validateReceiveConnector(rc(['0.0.0.0:25'], ['1.2.3.4'], 'ExternalAuthoritative', 'AnonymousUsers'), [], edge)), ['PermissionGroups']);
    assert.deepEqual(props(validateReceiveConnector({ ...rc(['0.0.0.0:25'], ['1.2.3.4'], 'None'), RequireTLS: true }, [], edge)), ['RequireTLS']);
    assert.deepEqual(props(validateReceiveConnector(rc(['0.0.0.0:25'], ['1.2.3.4'], 'Tls', 'ExchangeUsers'), [], edge)), ['PermissionGroups']);
  });
  it('checks timeouts and chunking', () => {
    assert.deepEqual(props(validateReceiveConnector({ ...rc(['0.0.0.0:25'], ['1.2.3.4']), ConnectionInactivityTimeout: EnhancedTimeSpan.parse('00:05:00') }, [], edge)), ['ConnectionInactivityTimeout']);
    assert.deepEqual(props(validateReceiveConnector({ ...rc(['0.0.0.0:25'], ['1.2.3.4']), ChunkingEnabled: false }, [], edge)), ['BinaryMimeEnabled']);
  });
  it('applies the binding + remote range rule across connectors', () => {
    const defaultEdge = { name: 'Default', values: rc(['0.0.0.0:25'], ['0.0.0.0-255.255.255.255']) };
    // Same bindings and ranges: conflict. Nested ranges on an overlapping binding: allowed.
    assert.deepEqual(props(validateReceiveConnector(rc(['10.1.1.2:25'], ['0.0.0.0-255.255.255.255']), [defaultEdge], edge)), ['Bindings']);
    assert.deepEqual(validateReceiveConnector(rc(['10.1.1.2:25'], ['192.168.5.10', '192.168.5.20']), [defaultEdge], edge), []);
    // Partial overlap on a shared binding: refused; on another port: fine.
    const a = { name: 'A', values: rc(['0.0.0.0:25'], ['192.168.1.0/24']) };
    assert.deepEqual(props(validateReceiveConnector(rc(['0.0.0.0:25'], ['192.168.1.128-192.168.2.10']), [a], edge)), ['RemoteIPRanges']);
    assert.deepEqual(validateReceiveConnector(rc(['0.0.0.0:587'], ['192.168.1.128-192.168.2.10']), [a], edge), []);
    // Partial overlap inside one connector's own list.
    assert.deepEqual(props(validateReceiveConnector(rc(['0.0.0.0:25'], ['10.0.0.0/24', '10.0.0.128-10.0.1.5']), [], edge)), ['RemoteIPRanges']);
  });
});

describe('accepted domain rules', () => {
  it('refuses the same domain twice', () => {
    assert.deepEqual(props(validateAcceptedDomain({ DomainName: 'Contoso.com' }, [{ name: 'C', values: { DomainName: 'contoso.com' } }])), ['DomainName']);
    assert.deepEqual(validateAcceptedDomain({ DomainName: 'fabrikam.com' }, [{ name: 'C', values: { DomainName: 'contoso.com' } }]), []);
  });
});
