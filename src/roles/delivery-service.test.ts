import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { AddressSpace, SmartHost, SmtpDomainWithSubdomains } from '../config/types/index.js';
import { JsonLogger } from '../observability/logger.js';
import { DeliveryState } from '../queue/delivery-state.js';
import type { Envelope } from '../queue/queue-store.js';
import { SqliteQueueStore } from '../queue/sqlite-queue-store.js';
import type { SendConnectorConfig } from '../routing/send-connector-config.js';
import type { Resolution } from '../dns/index.js';
import type { DsnInput } from '../queue/dsn.js';
import type { ConnectFailure, ConnectionLike, OutgoingMessage, Outcome, Policy, Target } from '../smtp/outbound/fan-out.js';
import { DeliveryService, type DeliveryDeps } from './delivery-service.js';
import type { TransportConfig } from '../config/transport-config.js';

const dir = mkdtempSync(join(tmpdir(), 'gh-delivery-'));

function connector(name: string, extra: Partial<SendConnectorConfig>): SendConnectorConfig {
  return {
    guid: `g-${name}`,
    name,
    enabled: true,
    usage: 'Custom',
    addressSpaces: [AddressSpace.parse('*')],
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

function config(sendConnectors: SendConnectorConfig[]): TransportConfig {
  return {
    role: 'EdgeTransport',
    serverName: 'EDGE01',
    fqdn: 'edge01.contoso.net',
    changeCounter: 1,
    receiveConnectors: [],
    acceptedDomains: [{ name: 'Contoso', domain: SmtpDomainWithSubdomains.parse('contoso.com'), type: 'Authoritative', matchSubDomains: false }],
    receiveProtocolLog: { folder: 'x', maxFileBytes: 1, maxAgeMs: 0, maxDirectoryBytes: null },
    sendProtocolLog: { folder: 'x', maxFileBytes: 1, maxAgeMs: 0, maxDirectoryBytes: null },
    connectivityLog: { enabled: false, folder: 'x', maxFileBytes: 1, maxAgeMs: 0, maxDirectoryBytes: null },
    agentLog: { enabled: false, folder: 'x', maxFileBytes: 1, maxAgeMs: 0, maxDirectoryBytes: null },
    antispam: null,
    messageTrackingLogPath: 'x',
    sendConnectors,
    intraOrg: [],
    retry: { transientFailureRetryCount: 2, transientFailureRetryIntervalMs: 1000, outboundConnectionFailureRetryIntervalMs: 2000, messageRetryIntervalMs: 1000, messageExpirationMs: 60_000, delayNotificationMs: 30_000 },
    maxOutboundConnections: 10,
    maxPerDomainOutboundConnections: 10,
    queueMaxIdleMs: 180_000,
    poisonThreshold: 2,
    poisonDetection: true,
    maxConnectionRatePerMinute: 1200,
    dns: { ExternalDNSServers: [], ExternalDNSAdapterEnabled: true, InternalDNSServers: [], InternalDNSAdapterEnabled: true },
    postmaster: 'postmaster@edge01.contoso.net',
    postmasterSet: false,
    defaultSourceAddress: null,
    organization: { maxSendSize: null, maxReceiveSize: null, maxRecipientEnvelopeLimit: null, tlsSendDomainSecure: [], tlsReceiveDomainSecure: [], internalSmtpServers: [], copyDsnFor: [] },
    remoteDomains: [],
    hubTransport: 'Active',
    redirectTargets: [],
    trackingLog: { enabled: false, folder: 'x', subjects: true, maxFileBytes: 1, maxAgeMs: 0, maxDirectoryBytes: null },
  };
}

function envelope(sender: string, recipients: string[]): Envelope {
  return {
    sender,
    recipients: recipients.map((address) => ({ address })),
    bodyType: '7BIT',
    smtputf8: false,
    connector: 'EDGE01\\From Internet',
    principal: 'Anonymous',
    clientIp: '127.0.0.5',
    clientHelo: 'mx.fabrikam.com',
    serverIp: '127.10.1.1',
    serverFqdn: 'edge01.contoso.net',
    messageId: `<${randomId()}@fabrikam.com>`,
    subject: 'Hi',
    headerFrom: sender,
    receivedAt: new Date(clock.t),
  };
}
let counter = 0;
const randomId = () => `m${++counter}`;
const clock = { t: 1_000_000 };

class FakeWorld {
  up = new Set<string>();
  /** Connections open now, and the most that were open at once. */
  open = 0;
  mostOpen = 0;
  /** How long each send takes (ms): with a delay, the connections of one queue overlap. */
  sendDelayMs = 0;
  replies = new Map<string, Outcome['status']>();
  sent: { target: Target; message: OutgoingMessage; policy: Policy }[] = [];
  dsns: DsnInput[] = [];
  resolver = {
    resolveMailDomain: async (domain: string): Promise<Resolution> =>
      domain === 'nowhere.example'
        ? { ok: false, kind: 'permanent', enhanced: '5.4.4', text: '550 5.4.4 SMTPSEND.DNS.NonExistentDomain; nonexistent domain' }
        : {
            ok: true,
            hosts: [
              { name: `mx1.${domain}`, preference: 10, addresses: ['127.0.0.31'], implicit: false },
              { name: `mx2.${domain}`, preference: 20, addresses: ['127.0.0.32'], implicit: false },
            ],
          },
    resolveSmartHost: async (name: string): Promise<Resolution> => ({ ok: true, hosts: [{ name, preference: 0, addresses: [name === 'mbx1' ? '127.0.0.41' : '127.0.0.42'], implicit: true }] }),
  };
  /** Hosts that fail the REQUIRETLS checks (require-tls.ts) of a requireTlsMessages connection. */
  requireTlsRefused = new Set<string>();
  connect = async (target: Target, policy: Policy): Promise<ConnectionLike | ConnectFailure> => {
    if (!this.up.has(target.address)) return { kind: 'transient', text: `441 4.4.1 Failed to connect to ${target.address}`, stage: 'connect' };
    if (policy.requireTlsMessages && this.requireTlsRefused.has(target.address)) return { kind: 'permanent', text: `550 5.7.30 REQUIRETLS support required: ${target.host} does not offer REQUIRETLS`, stage: 'tls' };
    let n = 0;
    this.open++;
    this.mostOpen = Math.max(this.mostOpen, this.open);
    return {
      get usable() {
        return n < policy.maxMessagesPerConnection;
      },
      send: async (message) => {
        n++;
        if (this.sendDelayMs) await new Promise((r) => setTimeout(r, this.sendDelayMs));
        this.sent.push({ target, message, policy });
        return message.recipients.map((r) => {
          const status = this.replies.get(r.address) ?? 'delivered';
          return { address: r.address, status, reply: status === 'delivered' ? '250 2.1.5 Ok' : status === 'permanent' ? '550 5.1.1 <x>: User unknown' : '451 4.3.0 Try later' };
        });
      },
      close: async () => {
        this.open--;
      },
    };
  };
}

function setup(connectors: SendConnectorConfig[], overrides: Partial<TransportConfig> = {}) {
  const store = new SqliteQueueStore(join(dir, `q${++counter}.db`));
  const state = new DeliveryState(store.db);
  const world = new FakeWorld();
  const deps: DeliveryDeps = {
    store,
    state,
    config: () => ({ ...config(connectors), ...overrides }),
    resolver: () => world.resolver,
    connect: world.connect,
    credential: () => ({ username: 'CONTOSO\\edgeauth', password: 'pw' }),
    trustedCertificates: () => [],
    buildDsn: (r) => {
      world.dsns.push(r);
      return Buffer.from(`Subject: DSN ${r.kind}\r\n\r\n${r.recipients.map((x) => `${x.address} ${x.status}`).join('\n')}\r\n`);
    },
    log: new JsonLogger(() => undefined),
    now: () => clock.t,
  };
  const service = new DeliveryService(deps);
  const run = async (n = 3) => {
    for (let i = 0; i < n; i++) {
      await service.tick();
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  return { store, state, world, service, deps, run };
}

describe('DeliveryService', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('delivers by MX, failing over to the second preference, with the right policy', async () => {
    const { store, state, world, run } = setup([connector('To Internet', {})]);
    world.up.add('127.0.0.32');
    await store.accept(envelope('alice@contoso.com', ['bob@fabrikam.com']), Buffer.from('Subject: Hi\r\n\r\nx\r\n'));
    await run();
    assert.equal(world.sent.length, 1);
    assert.equal(world.sent[0].target.host, 'mx2.fabrikam.com');
    assert.equal(world.sent[0].policy.tls, 'opportunistic');
    assert.equal(world.sent[0].policy.tlsDomain, 'fabrikam.com');
    assert.equal(state.queues()[0].waiting, 0);
    assert.equal(store.trackingEvents().filter((e) => e.eventId === 'SEND').length, 1);
  });

  it('opens at most MaxPerDomainOutboundConnections connections for a queue, however much waits', async () => {
    const { store, state, world, run } = setup([connector('To Internet', {})], { maxOutboundConnections: 1000 });
    world.up.add('127.0.0.31');
    world.sendDelayMs = 5;
    for (let i = 0; i < 90; i++) await store.accept(envelope('alice@contoso.com', [`r${i}@fabrikam.com`]), Buffer.from(`Subject: ${i}\r\n\r\nx\r\n`));
    await run(1);
    for (let i = 0; i < 200 && world.sent.length < 90; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(world.sent.length, 90);
    assert.ok(world.mostOpen > 1, 'a long queue is sent over several connections');
    assert.ok(world.mostOpen <= 10, `MaxPerDomainOutboundConnections is 10, but ${world.mostOpen} connections were open at once`);
    await run(1);
    assert.equal(state.queues()[0].waiting, 0);
  });

  it('uses the smart hosts with Basic auth over TLS, retries when they are down, and delivers when one comes back', async () => {
    const toOrg = connector('To Internal Org', {
      addressSpaces: [AddressSpace.parse('*.contoso.com')],
      dnsRoutingEnabled: false,
      smartHosts: [SmartHost.parse('mbx1'), SmartHost.parse('mbx2')],
      smartHostAuthMechanism: 'BasicAuthRequireTLS',
    });
    const { store, state, world, run } = setup([toOrg]);
    await store.accept(envelope('alice@fabrikam.com', ['bob@contoso.com']), Buffer.from('Subject: in\r\n\r\nx\r\n'));
    await run();
    const q = state.queues().find((x) => x.deliveryType === 'SmartHostConnectorDelivery')!;
    assert.equal(q.status, 'Retry');
    assert.match(q.lastError!, /441 4\.4\.1/);
    assert.equal(q.nextHopDomain, 'mbx1,mbx2');
    world.up.add('127.0.0.42');
    clock.t += 1500;
    await run();
    assert.equal(world.sent.length, 1);
    assert.deepEqual(world.sent[0].policy.auth, { username: 'CONTOSO\\edgeauth', password: 'pw', mechanism: 'BasicAuthRequireTLS' });
    assert.equal(world.sent[0].policy.tls, 'required');
    assert.equal(state.queues().find((x) => x.key === q.key)!.status, 'Ready');
  });

  it('fails a 5xx recipient at once with an NDR to the sender, retries a 4xx one, and never reports to the null sender', async () => {
    const { store, world, run } = setup([connector('To Internet', {})]);
    world.up.add('127.0.0.31');
    world.replies.set('gone@fabrikam.com', 'permanent');
    world.replies.set('later@fabrikam.com', 'transient');
    await store.accept(envelope('alice@contoso.com', ['gone@fabrikam.com', 'later@fabrikam.com', 'ok@fabrikam.com']), Buffer.from('Subject: Hi\r\n\r\nx\r\n'));
    await store.accept(envelope('', ['gone@fabrikam.com']), Buffer.from('Subject: bounce\r\n\r\nx\r\n'));
    await run();
    assert.equal(world.dsns.length, 1);
    assert.equal(world.dsns[0].kind, 'failure');
    assert.equal(world.dsns[0].to, 'alice@contoso.com');
    assert.deepEqual(
      world.dsns[0].recipients.map((r) => [r.address, r.status, r.diagnostic]),
      [['gone@fabrikam.com', '5.1.1', '550 5.1.1 <x>: User unknown']],
    );
    // The NDR is itself a queued message, routed and delivered like any other, from the null sender.
    await run();
    const ndr = world.sent.find((s) => s.message.sender === '' && s.message.recipients[0].address === 'alice@contoso.com');
    assert.ok(ndr, 'the NDR was delivered');
    assert.equal(world.dsns.filter((d) => d.to === '').length, 0, 'no notification for the bounce sent from <>');
    assert.match(ndr.message.body.toString(), /Subject: DSN failure/);
    assert.equal(world.sent.filter((s) => s.message.recipients.some((r) => r.address === 'later@fabrikam.com')).length, 1, 'the 4xx recipient waits for MessageRetryInterval');
    clock.t += 1200;
    await run();
    assert.equal(world.sent.filter((s) => s.message.recipients.some((r) => r.address === 'later@fabrikam.com')).length, 2, 'and is tried again after it');
  });

  it('fails a nonexistent domain at once, and expires what waits too long with a delay notice first', async () => {
    const { store, world, run, state } = setup([connector('To Internet', {})]);
    await store.accept(envelope('alice@contoso.com', ['x@nowhere.example']), Buffer.from('Subject: a\r\n\r\nx\r\n'));
    await store.accept(envelope('alice@contoso.com', ['y@down.example']), Buffer.from('Subject: b\r\n\r\nx\r\n'));
    await run();
    assert.deepEqual(
      world.dsns.map((d) => [d.kind, d.recipients[0].status]),
      [['failure', '5.4.4']],
    );
    clock.t += 31_000;
    await run();
    assert.deepEqual(
      world.dsns.map((d) => d.kind),
      ['failure', 'delay'],
    );
    clock.t += 30_000;
    await run();
    assert.deepEqual(
      world.dsns.map((d) => d.kind),
      ['failure', 'delay', 'failure'],
    );
    assert.equal(world.dsns[2].recipients[0].status, '5.4.7');
    assert.match(world.dsns[2].recipients[0].diagnostic!, /4\.4\.7 QUEUE\.Expired/);
    const waiting = state.waiting(10).map((r) => state.message(r.message)!.envelope.sender);
    assert.ok(waiting.length > 0 && waiting.every((sender) => sender === ''), 'only notifications (from the null sender) are still waiting');
  });

  it('moves a message whose delivery crashed the service PoisonThreshold times to the Poison queue', async () => {
    const { store, state, world, service, deps } = setup([connector('To Internet', {})]);
    world.up.add('127.0.0.31');
    const { internalId } = await store.accept(envelope('alice@contoso.com', ['bob@fabrikam.com']), Buffer.from('Subject: Hi\r\n\r\nx\r\n'));
    state.markInFlight(internalId); // the process died while handing it over ...
    service.start();
    await service.stop();
    assert.equal(
      state.queues().find((q) => q.key === 'Poison'),
      undefined,
      'one crash is not enough',
    );
    state.markInFlight(internalId); // ... and again
    const again = new DeliveryService(deps);
    again.start();
    const poison = state.queues().find((q) => q.key === 'Poison');
    assert.ok(poison && poison.status === 'Suspended' && poison.messageCount === 1);
    for (let i = 0; i < 3; i++) await again.tick();
    await again.stop();
    assert.equal(world.sent.length, 0, 'a poison message is not delivered');
    // A message that is not poison is delivered by the same running service.
    await store.accept(envelope('alice@contoso.com', ['carol@fabrikam.com']), Buffer.from('Subject: Hi\r\n\r\nx\r\n'));
    const third = new DeliveryService(deps);
    for (let i = 0; i < 3; i++) {
      await third.tick();
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.deepEqual(
      world.sent.map((x) => x.message.recipients[0].address),
      ['carol@fabrikam.com'],
    );
    assert.equal(store.trackingEvents().filter((e) => e.eventId === 'POISONMESSAGE').length, 1);
  });

  it('keeps Unreachable recipients until a connector appears', async () => {
    const connectors: SendConnectorConfig[] = [];
    const { store, state, world, service, run } = setup(connectors);
    world.up.add('127.0.0.31');
    await store.accept(envelope('alice@contoso.com', ['bob@fabrikam.com']), Buffer.from('Subject: Hi\r\n\r\nx\r\n'));
    await run();
    assert.equal(state.queues().find((q) => q.deliveryType === 'Unreachable')?.waiting, 1);
    connectors.push(connector('To Internet', {}));
    service.configurationChanged();
    await run();
    assert.equal(world.sent.length, 1);
  });

  describe('REQUIRETLS (RFC 8689)', () => {
    const requiring = (to: string) => ({ ...envelope('alice@contoso.com', [to]), requireTls: true, ret: 'FULL' as const });

    it('goes over a connection of its own with the REQUIRETLS checks, to the first host that passes them; other mail is not affected', async () => {
      const { store, state, world, run } = setup([connector('To Internet', {})]);
      world.up.add('127.0.0.31').add('127.0.0.32');
      world.requireTlsRefused.add('127.0.0.31');
      await store.accept(requiring('bob@fabrikam.com'), Buffer.from('Subject: secret\r\n\r\nx\r\n'));
      await store.accept(envelope('alice@contoso.com', ['kim@fabrikam.com']), Buffer.from('Subject: plain\r\n\r\nx\r\n'));
      await run();
      const secret = world.sent.find((x) => x.message.recipients[0].address === 'bob@fabrikam.com')!;
      assert.equal(secret.target.host, 'mx2.fabrikam.com');
      assert.equal(secret.policy.requireTlsMessages, true);
      assert.equal(secret.policy.tls, 'required');
      assert.equal(secret.message.requireTls, true);
      const plain = world.sent.find((x) => x.message.recipients[0].address === 'kim@fabrikam.com')!;
      assert.equal(plain.target.host, 'mx1.fabrikam.com');
      assert.equal(plain.policy.requireTlsMessages, undefined);
      assert.equal(plain.message.requireTls, undefined);
      assert.equal(state.queues()[0].waiting, 0);
      assert.equal(world.dsns.length, 0);
    });

    it('fails for good when every host refuses, with an NDR that returns the header only', async () => {
      const { store, state, world, run } = setup([connector('To Internet', {})]);
      world.up.add('127.0.0.31').add('127.0.0.32');
      world.requireTlsRefused.add('127.0.0.31').add('127.0.0.32');
      await store.accept(requiring('bob@fabrikam.com'), Buffer.from('Subject: secret\r\n\r\nx\r\n'));
      await run();
      assert.deepEqual(
        world.sent.filter((x) => x.message.recipients[0].address === 'bob@fabrikam.com'),
        [],
        'nothing went to fabrikam.com',
      );
      assert.equal(state.queues().find((q) => q.nextHopDomain === 'fabrikam.com')!.waiting, 0);
      assert.equal(world.dsns.length, 1);
      assert.equal(world.dsns[0].recipients[0].status, '5.7.30');
      assert.match(world.dsns[0].recipients[0].diagnostic!, /REQUIRETLS support required/);
      assert.equal(world.dsns[0].original.ret, 'HDRS', 'RFC 8689 §5: as if RET=HDRS, whatever the sender asked');
      assert.equal(store.trackingEvents().filter((e) => e.eventId === 'FAIL').length, 1);
    });

    it('waits and is retried while a host could not be reached at all', async () => {
      const { store, state, world, run } = setup([connector('To Internet', {})]);
      world.up.add('127.0.0.31');
      world.requireTlsRefused.add('127.0.0.31');
      await store.accept(requiring('bob@fabrikam.com'), Buffer.from('Subject: secret\r\n\r\nx\r\n'));
      await run();
      assert.equal(world.sent.length, 0);
      assert.equal(world.dsns.length, 0);
      assert.equal(state.queues()[0].waiting, 1);
    });
  });
});
