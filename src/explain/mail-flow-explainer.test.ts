import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AddressSpace, IPBinding, IPRange, SmartHost } from '../config/types/index.js';
import type { Resolution } from '../dns/index.js';
import type { SendConnectorConfig } from '../routing/send-connector-config.js';
import type { ReceiveConnectorConfig, TransportConfig } from '../config/transport-config.js';
import type { ConnectFailure, OutboundPolicy, TlsSessionInfo } from '../smtp/outbound/connection.js';
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
    name: 'C',
    identity: 'EDGE01\\C',
    enabled: true,
    bindings: [IPBinding.parse('10.1.1.2:25')],
    remoteIPRanges: [IPRange.parse('192.168.5.10')],
    fqdn: 'edge01.contoso.net',
    authMechanism: new Set(['Tls']),
    permissionGroups: ['AnonymousUsers'],
    requireTls: false,
    tlsCertificateName: null,
    ...over,
  } as ReceiveConnectorConfig;
}

function deps(receiveConnectors: ReceiveConnectorConfig[]): ExplainerDeps {
  const fail = () => {
    throw new Error('not reached');
  };
  return {
    config: { role: 'EdgeTransport', serverName: 'EDGE01', fqdn: 'edge01.contoso.net', receiveConnectors, acceptedDomains: [], sendConnectors: [], intraOrg: [] } as unknown as TransportConfig,
    receiveCertificate: () => null,
    smtpCertificates: () => [],
    account: () => null,
    resolver: fail,
    credential: () => null,
    trustedCertificates: () => [],
    connect: fail,
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

// ---- the credential and the peer's certificate ----

function smartHostConnector(over: Partial<SendConnectorConfig>): SendConnectorConfig {
  return {
    guid: 'g-internal',
    name: 'To Internal Org',
    enabled: true,
    usage: 'Internal',
    addressSpaces: [AddressSpace.parse('*.contoso.com')],
    dnsRoutingEnabled: false,
    smartHosts: [SmartHost.parse('mbxserver01.contoso.com')],
    smartHostAuthMechanism: 'BasicAuthRequireTLS',
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
    ...over,
  };
}

/** A session as the SMTP client reports it: self-signed (untrusted) or trusted, for these names. */
function session(authorized: boolean, names: string[], matches: boolean): TlsSessionInfo {
  return {
    protocol: 'TLSv1.3',
    cipher: 'TLS_AES_256_GCM_SHA384',
    authorized,
    ...(!authorized && { authorizationError: 'DEPTH_ZERO_SELF_SIGNED_CERT' }),
    certificate: { names, addresses: [], subject: names[0], issuer: names[0], validTo: 'Dec  1 00:00:00 2030 GMT' },
    identity: { name: 'mbxserver01.contoso.com', matches },
  };
}

async function explainSmartHost(c: SendConnectorConfig, connect: ExplainerDeps['connect']) {
  const d: ExplainerDeps = {
    ...deps([]),
    config: { role: 'EdgeTransport', serverName: 'EDGE01', fqdn: 'edge01.contoso.net', receiveConnectors: [], acceptedDomains: [], sendConnectors: [c], intraOrg: [], defaultSourceAddress: null } as unknown as TransportConfig,
    resolver: () => ({
      resolveMailDomain: () => {
        throw new Error('not reached');
      },
      resolveSmartHost: async (name: string) => ({ ok: true, hosts: [{ name, preference: 0, addresses: ['192.168.5.10'], implicit: true }] }) as Resolution,
    }),
    credential: () => ({ username: 'CONTOSO\\edgeauth', password: 'pw' }),
    connect,
  };
  return new MailFlowExplainer(d).explain({ sender: 'kim@fabrikam.com', recipient: 'alice@mbx.contoso.com' });
}

test('a smart host whose certificate is not trusted: the credential is withheld, and the fixes are the import and the explicit opt-out', async () => {
  const text =
    '454 4.7.5 The certificate presented by mbxserver01.contoso.com [192.168.5.10:25] does not chain to a trusted certificate (DEPTH_ZERO_SELF_SIGNED_CERT); the AuthenticationCredential of Send connector "To Internal Org" was not sent. Import ...';
  let seen: OutboundPolicy | undefined;
  const steps = await explainSmartHost(smartHostConnector({}), async (_t, policy) => {
    seen = policy;
    return { kind: 'transient', stage: 'tls', text, tls: session(false, ['mbx01', 'mbxserver01.contoso.com'], true) } as ConnectFailure;
  });
  assert.deepEqual(seen?.connector, { name: 'To Internal Org', requireTls: false }, 'the policy names the connector for the texts');
  const cert = steps.find((s) => s.step === 'Certificate')!;
  assert.equal(cert.result, 'Failure');
  assert.match(cert.detail, /it is not trusted here \(DEPTH_ZERO_SELF_SIGNED_CERT\); it carries mbxserver01\.contoso\.com\. The credential is not sent to it/);
  const credential = steps.find((s) => s.step === 'Credential')!;
  assert.equal(credential.result, 'Failure');
  assert.match(credential.detail, /Send connector "To Internal Org" would not send its AuthenticationCredential \(CONTOSO\\edgeauth\) to mbxserver01\.contoso\.com \[192\.168\.5\.10:25\]: its certificate is not trusted here/);
  assert.match(credential.detail, /no AUTH, ends the session with QUIT and keeps the messages queued with "454 4\.7\.5 The certificate presented by/);
  assert.match(credential.fix ?? '', /^Trust its certificate here: Import-ExchangeCertificate -FileName <its certificate, or the CA that issued it>/);
  assert.match(credential.fix ?? '', /send the credential without checking: Set-SendConnector "To Internal Org" -RequireTLS \$true -TlsAuthLevel EncryptionOnly\.$/);
  assert.equal(
    steps.some((s) => s.step === 'AUTH'),
    false,
    'no AUTH step: nothing was sent',
  );
});

test('a trusted certificate for another name: the credential is withheld, the fixes name the certificate and the SmartHosts', async () => {
  const steps = await explainSmartHost(
    smartHostConnector({ requireTls: true, tlsAuthLevel: 'CertificateValidation' }),
    async () => ({ kind: 'transient', stage: 'tls', text: '454 4.7.5 x; y', tls: session(true, ['impostor.example'], false) }) as ConnectFailure,
  );
  const credential = steps.find((s) => s.step === 'Credential')!;
  assert.equal(credential.result, 'Failure');
  assert.match(credential.detail, /its certificate does not carry the name mbxserver01\.contoso\.com \(it names impostor\.example\)/);
  assert.match(credential.fix ?? '', /^Have mbxserver01\.contoso\.com present a certificate for mbxserver01\.contoso\.com \(New-ExchangeCertificate -DomainName mbxserver01\.contoso\.com -Services SMTP there\)/);
  assert.match(credential.fix ?? '', /CertificateValidation checks the chain at the handshake; with a credential the name is checked too/);
  assert.match(credential.fix ?? '', /Set-SendConnector "To Internal Org" -TlsAuthLevel EncryptionOnly\.$/, 'RequireTLS is already $true');
  assert.equal(steps.find((s) => s.step === 'Certificate')!.result, 'Failure');
});

test('TlsAuthLevel EncryptionOnly: the credential goes to an unproven peer, named as a Warning with the way back', async () => {
  const steps = await explainSmartHost(smartHostConnector({ requireTls: true, tlsAuthLevel: 'EncryptionOnly' }), async () => ({
    extensions: new Map([['AUTH', 'LOGIN PLAIN']]),
    tls: session(false, ['impostor.example'], false),
    close: async () => undefined,
  }));
  const credential = steps.find((s) => s.step === 'Credential')!;
  assert.equal(credential.result, 'Warning');
  assert.match(
    credential.detail,
    /sends its AuthenticationCredential \(CONTOSO\\edgeauth\) to mbxserver01\.contoso\.com \[192\.168\.5\.10:25\] although its certificate is not trusted here .*, and its certificate does not carry the name mbxserver01\.contoso\.com .*TlsAuthLevel EncryptionOnly sends it without checking/,
  );
  assert.match(credential.fix ?? '', /Set-SendConnector "To Internal Org" -TlsAuthLevel \$null\.$/);
  assert.equal(steps.find((s) => s.step === 'AUTH')!.result, 'Success');
});

test('a proven peer: Certificate and Credential succeed, then AUTH', async () => {
  const steps = await explainSmartHost(smartHostConnector({}), async () => ({
    extensions: new Map([['AUTH', 'LOGIN PLAIN']]),
    tls: session(true, ['mbxserver01.contoso.com'], true),
    close: async () => undefined,
  }));
  assert.deepEqual(
    ['Certificate', 'Credential', 'AUTH'].map((n) => steps.find((s) => s.step === n)?.result),
    ['Success', 'Success', 'Success'],
    JSON.stringify(steps),
  );
  assert.match(steps.find((s) => s.step === 'Credential')!.detail, /proved its identity \(a trusted certificate carrying mbxserver01\.contoso\.com\)/);
});

test("between Mailbox servers there is no Send connector to change: the fix is the peer's certificate only", async () => {
  const relay = smartHostConnector({ guid: 'intraorg:mbx02', name: 'MBX02', requireTls: true, smartHosts: [SmartHost.parse('mbxserver01.contoso.com')] });
  const steps = await explainSmartHost(relay, async (_t, policy) => {
    assert.equal(policy.connector, undefined);
    return { kind: 'transient', stage: 'tls', text: '454 4.7.5 x; y', tls: session(true, ['mbx02'], false) } as ConnectFailure;
  });
  const credential = steps.find((s) => s.step === 'Credential')!;
  assert.match(credential.detail, /^The relay to Mailbox server MBX02 would not send its server account \(CONTOSO\\edgeauth\)/);
  assert.equal(credential.fix, 'Have mbxserver01.contoso.com present a certificate for mbxserver01.contoso.com (New-ExchangeCertificate -DomainName mbxserver01.contoso.com -Services SMTP there).');
});

test('SmartHostAuthMechanism BasicAuth to a smart host without STARTTLS: the credential travels in clear, named as a Warning', async () => {
  const steps = await explainSmartHost(smartHostConnector({ smartHostAuthMechanism: 'BasicAuth' }), async () => ({
    extensions: new Map([['AUTH', 'LOGIN PLAIN']]),
    tls: null,
    close: async () => undefined,
  }));
  const credential = steps.find((s) => s.step === 'Credential')!;
  assert.equal(credential.result, 'Warning');
  assert.match(credential.detail, /sends its AuthenticationCredential \(CONTOSO\\edgeauth\) to mbxserver01\.contoso\.com \[192\.168\.5\.10:25\] without TLS \(SmartHostAuthMechanism BasicAuth\)/);
  assert.equal(credential.fix, 'Set-SendConnector "To Internal Org" -SmartHostAuthMechanism BasicAuthRequireTLS (the smart host must then offer STARTTLS).');
});
