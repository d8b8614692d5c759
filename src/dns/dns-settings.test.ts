import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IPEndpoint } from '../config/types/ip-endpoint.js';
import { dnsSettingsFromTransport, hostsFilePath, nodeServerText } from './dns-settings.js';
import { NodeDnsLookup } from './dns-lookup.js';

const values = (over: Partial<Parameters<typeof dnsSettingsFromTransport>[0]> = {}) => ({
  ExternalDNSServers: [] as unknown[],
  ExternalDNSAdapterEnabled: true,
  InternalDNSServers: [] as unknown[],
  InternalDNSAdapterEnabled: true,
  ...over,
});

test('adapter enabled or an empty list: the system resolver', () => {
  assert.deepEqual(dnsSettingsFromTransport(values(), 'external'), { servers: [] });
  assert.deepEqual(dnsSettingsFromTransport(values({ ExternalDNSAdapterEnabled: false }), 'external'), { servers: [] });
  const listed = values({ ExternalDNSServers: [IPEndpoint.parse('10.0.0.53')], InternalDNSServers: [IPEndpoint.parse('10.1.0.53')] });
  assert.deepEqual(dnsSettingsFromTransport(listed, 'external'), { servers: [] }, 'list ignored while the adapter is enabled');
  assert.deepEqual(dnsSettingsFromTransport(listed, 'internal'), { servers: [] });
});

test('IPEndpoint lists, port 53 by default, external and internal kept apart', () => {
  const v = values({
    ExternalDNSAdapterEnabled: false,
    ExternalDNSServers: [IPEndpoint.parse('10.0.0.53'), IPEndpoint.parse('10.0.0.54:5353'), IPEndpoint.parse('[2001:db8::53]:5300'), IPEndpoint.parse('2001:db8::54')],
    InternalDNSAdapterEnabled: false,
    InternalDNSServers: [IPEndpoint.parse('192.168.1.1')],
  });
  assert.deepEqual(dnsSettingsFromTransport(v, 'external').servers, [
    { address: '10.0.0.53', port: 53 },
    { address: '10.0.0.54', port: 5353 },
    { address: '2001:db8::53', port: 5300 },
    { address: '2001:db8::54', port: 53 },
  ]);
  assert.deepEqual(dnsSettingsFromTransport(v, 'internal').servers, [{ address: '192.168.1.1', port: 53 }]);
});

test('stored text forms are accepted too; a zone index is dropped', () => {
  const v = values({ InternalDNSAdapterEnabled: false, InternalDNSServers: ['10.0.0.1', '10.0.0.2:5353', '[::1]:5354', '::2', IPEndpoint.parse('fe80::1%11')] });
  assert.deepEqual(dnsSettingsFromTransport(v, 'internal').servers, [
    { address: '10.0.0.1', port: 53 },
    { address: '10.0.0.2', port: 5353 },
    { address: '::1', port: 5354 },
    { address: '::2', port: 53 },
    { address: 'fe80::1', port: 53 },
  ]);
  assert.throws(() => dnsSettingsFromTransport(values({ InternalDNSAdapterEnabled: false, InternalDNSServers: ['dns.example'] }), 'internal'));
  assert.throws(() => dnsSettingsFromTransport(values({ InternalDNSAdapterEnabled: false, InternalDNSServers: ['10.0.0.1:0'] }), 'internal'));
});

test('Node server text and what Node makes of it', () => {
  assert.equal(nodeServerText({ address: '127.0.0.53', port: 5353 }), '127.0.0.53:5353');
  assert.equal(nodeServerText({ address: '::1', port: 53 }), '[::1]:53');
  const lookup = new NodeDnsLookup({
    servers: [
      { address: '127.0.0.53', port: 5353 },
      { address: '127.0.0.54', port: 53 },
      { address: '::1', port: 5300 },
    ],
  });
  // Node prints the default port without it.
  assert.deepEqual(lookup.servers(), ['127.0.0.53:5353', '127.0.0.54', '[::1]:5300']);
});

test('hosts file: /etc/hosts unless set; null turns it off', () => {
  assert.equal(hostsFilePath({ servers: [] }), '/etc/hosts');
  assert.equal(hostsFilePath({ servers: [], hostsFile: null }), null);
  assert.equal(hostsFilePath({ servers: [], hostsFile: '/tmp/h' }), '/tmp/h');
});
