import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IPAddress } from './ip-address.js';
import { ValueError } from './value-error.js';

const show = (v: string) => IPAddress.parse(v).toString();

test('IPv4: strict dotted decimal', () => {
  const a = IPAddress.parse('192.168.5.10');
  assert.equal(a.family, 'IPv4');
  assert.equal(a.value, 0xc0a8050an);
  assert.equal(a.toString(), '192.168.5.10');
  assert.equal(show('0.0.0.0'), '0.0.0.0');
  assert.equal(show(' 255.255.255.255 '), '255.255.255.255');
  for (const bad of ['10.1.1.300', '1.2.3', '010.1.1.1', '10.1.1.01', '0x0a.1.1.1', '1.2.3.4.5', '1.2.3.', '', 'a.b.c.d']) {
    assert.equal(IPAddress.tryParse(bad), null, bad);
  }
});

test('IPv6: text forms, display per RFC 5952', () => {
  assert.equal(show('2001:0DB8:0000:0000:0000:0000:0000:0001'), '2001:db8::1');
  assert.equal(show('2001:DB8::2AA:FF:C0A8:640A'), '2001:db8::2aa:ff:c0a8:640a');
  assert.equal(show('::'), '::');
  assert.equal(show('::1'), '::1');
  assert.equal(show('1:0:0:2:0:0:0:3'), '1:0:0:2::3');
  assert.equal(show('2001:db8:0:1:1:1:1:1'), '2001:db8:0:1:1:1:1:1');
  assert.equal(show('FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF'), 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff');
  assert.equal(show('::ffff:1.2.3.4'), '::ffff:1.2.3.4');
  assert.equal(show('::ffff:0102:0304'), '::ffff:1.2.3.4');
  assert.equal(IPAddress.parse('::1.2.3.4').value, 0x01020304n); // IPv4-compatible keeps its meaning
  assert.equal(show('fe80::39bd:88f7:6969:d223%11'), 'fe80::39bd:88f7:6969:d223%11');
  assert.equal(IPAddress.parse('fe80::1%11').zoneId, '11');
  for (const bad of ['1:2:3:4:5:6:7:8:9', '1::2::3', 'gggg::1', '::ffff:1.2.3.400', 'fe80::1%', 'fe80::1%a b', '[::1]']) {
    assert.equal(IPAddress.tryParse(bad), null, bad);
  }
});

test('errors, mapping and equality', () => {
  assert.throws(() => IPAddress.parse('10.1.1.300'), {
    name: 'ValueError',
    message: '"10.1.1.300" is not a valid IP address. Examples: 192.168.1.1, 2001:db8::1.',
  });
  assert.throws(() => IPAddress.parse(42), ValueError);
  const mapped = IPAddress.parse('::ffff:127.0.0.1');
  assert.equal(mapped.isIPv4Mapped, true);
  assert.equal(mapped.normalized().toString(), '127.0.0.1');
  assert.equal(mapped.normalized().family, 'IPv4');
  assert.ok(mapped.sameAddress('127.0.0.1'));
  assert.ok(IPAddress.parse('fe80::1%11').sameAddress('fe80::1'));
  assert.ok(!IPAddress.parse('fe80::1%11').equals(IPAddress.parse('fe80::1')));
  assert.ok(IPAddress.parse('2001:DB8::1').equals(IPAddress.parse('2001:db8:0::1')));
  assert.ok(IPAddress.ANY_IPV4.isUnspecified && IPAddress.ANY_IPV6.isUnspecified);
  assert.equal(IPAddress.fromValue('IPv4', 0x0a010101n).toString(), '10.1.1.1');
  assert.throws(() => IPAddress.fromValue('IPv4', 1n << 32n), ValueError);
  const a = IPAddress.parse('fe80::1%11');
  assert.ok(IPAddress.parse(JSON.parse(JSON.stringify(a))).equals(a));
  assert.equal(IPAddress.parse(a), a);
});
