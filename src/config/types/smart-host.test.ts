import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SmartHost } from './smart-host.js';
import { IPAddress } from './ip-address.js';
import { ValueError } from './value-error.js';

test('host names', () => {
  const h = SmartHost.parse('mbxserver01.contoso.com');
  assert.equal(h.isIpAddress, false);
  assert.equal(h.hostName, 'mbxserver01.contoso.com');
  assert.equal(h.toString(), 'mbxserver01.contoso.com');
  assert.equal(SmartHost.parse('Relay.Contoso.com').toString(), 'Relay.Contoso.com');
  assert.equal(SmartHost.parse('mbx01').toString(), 'mbx01');
  assert.ok(SmartHost.parse('RELAY.contoso.com').equals(SmartHost.parse('relay.CONTOSO.com')));
});

test('IP literals, bracketed or not, displayed without brackets', () => {
  const ip = SmartHost.parse('10.1.1.1');
  assert.equal(ip.isIpAddress, true);
  assert.equal(ip.address?.toString(), '10.1.1.1');
  assert.equal(ip.toString(), '10.1.1.1');
  assert.equal(SmartHost.parse('[10.1.1.1]').toString(), '10.1.1.1');
  assert.equal(SmartHost.parse('2001:DB8::25').toString(), '2001:db8::25');
  assert.equal(SmartHost.parse('[2001:db8::25]').toString(), '2001:db8::25');
  assert.ok(SmartHost.parse('[10.1.1.1]').equals(SmartHost.parse('10.1.1.1')));
  assert.ok(!SmartHost.parse('10.1.1.1').equals(SmartHost.parse('relay.contoso.com')));
  assert.equal(SmartHost.parse(IPAddress.parse('10.1.1.2')).toString(), '10.1.1.2');
});

test('the special value --', () => {
  const h = SmartHost.parse('--');
  assert.equal(h.isAllMailboxServers, true);
  assert.equal(h.isIpAddress, false);
  assert.equal(h.toString(), '--');
  assert.equal(SmartHost.parse('relay.contoso.com').isAllMailboxServers, false);
});

test('host:port is refused with an explanation', () => {
  const msg = '"relay.contoso.com:587" is not a valid smart host. A port cannot be given with a smart host; set the port for the connector with -Port. Use a host name or an IP address, for example relay.contoso.com or 10.1.1.1.';
  assert.throws(() => SmartHost.parse('relay.contoso.com:587'), { name: 'ValueError', message: msg });
  assert.throws(() => SmartHost.parse('10.1.1.1:25'), /A port cannot be given with a smart host/);
  assert.throws(() => SmartHost.parse('[10.1.1.1]:25'), /A port cannot be given with a smart host/);
  assert.throws(() => SmartHost.parse('[2001:db8::25]:587'), /A port cannot be given with a smart host/);
});

test('other invalid values', () => {
  assert.throws(() => SmartHost.parse('10.1.1.300'), /It is not a valid IPv4 address/);
  assert.throws(() => SmartHost.parse('[relay.contoso.com]'), /Only an IP address may be written in brackets/);
  assert.throws(() => SmartHost.parse('fe80::1%11'), /A zone index is not allowed/);
  for (const bad of ['', 'relay..contoso.com', 'relay contoso.com', '_relay', null, 25]) {
    assert.throws(() => SmartHost.parse(bad), ValueError, String(bad));
  }
});

test('round-trips through toJSON', () => {
  for (const v of ['mbxserver01.contoso.com', '10.1.1.1', '2001:db8::25', '--']) {
    const h = SmartHost.parse(v);
    const back = SmartHost.parse(JSON.parse(JSON.stringify(h)));
    assert.ok(back.equals(h), v);
    assert.equal(back.toString(), h.toString());
  }
  const h = SmartHost.parse('edge01.contoso.com');
  assert.equal(SmartHost.parse(h), h);
});
