// The transport service snapshot takes the TransportService and TransportConfig
// defaults from the schemas: a server without a stored TransportService object
// runs on the same settings as one whose object holds the defaults, and those
// are Exchange's.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { SecretBox } from '../secrets/secret-box.js';
import { newModelObject, Repository } from '../store/repository.js';
import { SqliteConfigStore } from '../store/sqlite-config-store.js';
import { transportServiceSchema } from './model/transport-service.js';
import { serverSchema, type ServerRoleName } from './model/server.js';
import { defaultValues } from './schema.js';
import { loadTransportConfig, type TransportConfig } from './transport-config.js';

const MB = 1024 * 1024;
const DAY = 86_400_000;

/** The settings the snapshot derives from the TransportService object. */
function fromTransportService(c: TransportConfig) {
  return {
    receiveProtocolLog: c.receiveProtocolLog,
    sendProtocolLog: c.sendProtocolLog,
    messageTrackingLogPath: c.messageTrackingLogPath,
    retry: c.retry,
    maxOutboundConnections: c.maxOutboundConnections,
    maxPerDomainOutboundConnections: c.maxPerDomainOutboundConnections,
    queueMaxIdleMs: c.queueMaxIdleMs,
    poisonThreshold: c.poisonThreshold,
    poisonDetection: c.poisonDetection,
    maxConnectionRatePerMinute: c.maxConnectionRatePerMinute,
    dns: c.dns,
    postmaster: c.postmaster,
    postmasterSet: c.postmasterSet,
    tlsMinimumVersion: c.tlsMinimumVersion,
    agentLog: c.agentLog,
    connectivityLog: c.connectivityLog,
    trackingLog: c.trackingLog,
    intraOrg: c.intraOrg,
  };
}

describe('loadTransportConfig defaults', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-transport-config-'));
  const stores: SqliteConfigStore[] = [];
  after(() => {
    for (const s of stores) s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function repository(file: string): Repository {
    const store = new SqliteConfigStore(join(dir, file), { create: true });
    stores.push(store);
    return new Repository(store, new SecretBox(Buffer.alloc(32, 7)));
  }

  for (const [role, name, fqdn] of [
    ['EdgeTransport', 'EDGE01', 'edge01.contoso.net'],
    ['Mailbox', 'MBX01', 'mbx01.contoso.com'],
  ] as [ServerRoleName, string, string][]) {
    it(`${role}: no TransportService object means the schema's defaults, which are Exchange's`, () => {
      const bare = loadTransportConfig(repository(`${name}-bare.db`), role, name, fqdn);
      const repo = repository(`${name}-stored.db`);
      repo.insert(newModelObject(transportServiceSchema, name, { ...defaultValues(transportServiceSchema, { role, serverName: name, serverFqdn: fqdn }), Name: name }));
      const stored = loadTransportConfig(repo, role, name, fqdn);
      assert.deepEqual(fromTransportService(bare), fromTransportService(stored));

      const edge = role === 'EdgeTransport';
      assert.deepEqual(bare.retry, {
        transientFailureRetryCount: 6,
        transientFailureRetryIntervalMs: edge ? 600_000 : 300_000,
        outboundConnectionFailureRetryIntervalMs: edge ? 1_800_000 : 600_000,
        messageRetryIntervalMs: 900_000,
        messageExpirationMs: 2 * DAY,
        delayNotificationMs: 4 * 3_600_000,
      });
      assert.deepEqual(bare.receiveProtocolLog, { folder: 'Logs/ProtocolLog/SmtpReceive', maxFileBytes: 10 * MB, maxAgeMs: 30 * DAY, maxDirectoryBytes: 250 * MB });
      assert.deepEqual(bare.sendProtocolLog, { folder: 'Logs/ProtocolLog/SmtpSend', maxFileBytes: 10 * MB, maxAgeMs: 30 * DAY, maxDirectoryBytes: 250 * MB });
      assert.deepEqual(bare.agentLog, { enabled: true, folder: 'Logs/AgentLog', maxFileBytes: 10 * MB, maxAgeMs: 7 * DAY, maxDirectoryBytes: 250 * MB });
      assert.deepEqual(bare.connectivityLog, { enabled: true, folder: 'Logs/Connectivity', maxFileBytes: 10 * MB, maxAgeMs: 30 * DAY, maxDirectoryBytes: 1000 * MB });
      assert.deepEqual(bare.trackingLog, { enabled: true, folder: 'Logs/MessageTracking', subjects: true, maxFileBytes: 10 * MB, maxAgeMs: 30 * DAY, maxDirectoryBytes: 1000 * MB });
      assert.equal(bare.messageTrackingLogPath, 'Logs/MessageTracking');
      assert.equal(bare.maxOutboundConnections, 1000);
      assert.equal(bare.maxPerDomainOutboundConnections, 20);
      assert.equal(bare.queueMaxIdleMs, 180_000);
      assert.equal(bare.poisonThreshold, 2);
      assert.equal(bare.poisonDetection, true);
      assert.equal(bare.maxConnectionRatePerMinute, 1200);
      assert.equal(bare.tlsMinimumVersion, 'TLSv1.2');
      assert.deepEqual(bare.dns, { ExternalDNSServers: [], ExternalDNSAdapterEnabled: true, InternalDNSServers: [], InternalDNSAdapterEnabled: true });
      assert.equal(bare.postmaster, `postmaster@${fqdn}`);
      assert.equal(bare.postmasterSet, false);
      // Set-TransportConfig's organization-wide settings, with no object stored.
      assert.deepEqual(
        { ...bare.organization, internalSmtpServers: bare.organization.internalSmtpServers.map(String) },
        {
          maxSendSize: 10 * MB,
          maxReceiveSize: 10 * MB,
          maxRecipientEnvelopeLimit: 500,
          tlsSendDomainSecure: [],
          tlsReceiveDomainSecure: [],
          internalSmtpServers: [],
          copyDsnFor: ['5.4.8', '5.4.6', '5.4.4', '5.2.4', '5.2.0', '5.1.4'],
          externalPostmaster: null,
          internalDelayDsn: true,
          externalDelayDsn: true,
          internalDsnMaxAttach: 10 * MB,
          externalDsnMaxAttach: 10 * MB,
        },
      );
    });
  }

  it('Mailbox: the implicit connectors to the other Mailbox servers have the Send connector defaults', () => {
    const repo = repository('intraorg.db');
    for (const [name, fqdn] of [
      ['MBX01', 'mbx01.contoso.com'],
      ['MBX02', 'mbx02.contoso.com'],
    ])
      repo.insert(newModelObject(serverSchema, '', { Name: name, Fqdn: fqdn, ServerRole: 'Mailbox' }));
    const config = loadTransportConfig(repo, 'Mailbox', 'MBX01', 'mbx01.contoso.com');
    assert.deepEqual(
      config.intraOrg.map((c) => [c.name, c.port, c.connectionInactivityTimeoutMs, c.maxMessagesPerConnection, c.requireTls]),
      [['MBX02', 25, 600_000, 20, true]],
    );
  });
});
