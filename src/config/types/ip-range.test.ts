import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IPRange } from './ip-range.js';
import { IPAddress } from './ip-address.js';
import { ValueError } from './value-error.js';

const show = (v: string) => IPRange.parse(v).toString();

test('single addresses', () => {
  const r = IPRange.parse('192.168.5.10');
  assert.equal(r.form, 'single');
  assert.equal(r.family, 'IPv4');
  assert.equal(r.first, r.last);
  assert.equal(r.toString(), '192.168.5.10');
  assert.equal(r.size(), 1n);
  const z = IPRange.parse('fe80::39bd:88f7:6969:d223%11');
  assert.equal(z.toString(), 'fe80::39bd:88f7:6969:d223%11');
  assert.ok(z.contains('fe80::39bd:88f7:6969:d223'));
  assert.ok(z.contains('fe80::39bd:88f7:6969:d223%4'));
  assert.equal(show('::ffff:1.2.3.4'), '::ffff:1.2.3.4');
  assert.equal(show('0.0.0.0'), '0.0.0.0');
});

test('ranges a-b', () => {
  const r = IPRange.parse('192.168.1.1-192.168.1.254');
  assert.equal(r.form, 'range');
  assert.equal(r.toString(), '192.168.1.1-192.168.1.254');
  assert.equal(r.size(), 254n);
  assert.equal(show(' 10.0.0.1 - 10.0.0.9 '), '10.0.0.1-10.0.0.9');
  assert.equal(show('10.0.0.1-10.0.0.1'), '10.0.0.1-10.0.0.1');
  assert.equal(show('2001:DB8::2AA:FF:C0A8:640A-2001:DB8::2AA:FF:C0A8:6414'), '2001:db8::2aa:ff:c0a8:640a-2001:db8::2aa:ff:c0a8:6414');
  assert.throws(() => IPRange.parse('10.0.0.9-10.0.0.1'), /The first address of a range must not be greater than the last\./);
  assert.throws(() => IPRange.parse('10.0.0.1-::1'), /Both ends of a range must be of the same IP version\./);
  assert.throws(() => IPRange.parse('10.0.0.1-10.0.0.2-10.0.0.3'), ValueError);
});

test('CIDR, normalized to the network address', () => {
  const r = IPRange.parse('192.168.1.1/24');
  assert.equal(r.form, 'cidr');
  assert.equal(r.prefixLength, 24);
  assert.equal(r.toString(), '192.168.1.0/24');
  assert.equal(r.firstAddress.toString(), '192.168.1.0');
  assert.equal(r.lastAddress.toString(), '192.168.1.255');
  assert.equal(r.size(), 256n);
  assert.equal(show('2001:0DB8::CD3/60'), '2001:db8::/60');
  assert.equal(show('2001:db8::/32'), '2001:db8::/32');
  assert.equal(show('10.1.1.1/32'), '10.1.1.1/32');
  assert.equal(show('0.0.0.0/0'), '0.0.0.0/0');
  assert.equal(IPRange.parse('::/0').size(), 1n << 128n);
  assert.throws(() => IPRange.parse('1.2.3.4/33'), /The prefix length must be between 0 and 32 for IPv4\./);
  assert.throws(() => IPRange.parse('::/129'), /between 0 and 128 for IPv6/);
  assert.throws(() => IPRange.parse('1.2.3.4/'), ValueError);
  assert.throws(() => IPRange.parse('1.2.3.4/x'), ValueError);
  assert.equal(IPRange.cidr('10.9.8.7', 8).toString(), '10.0.0.0/8');
});

test('address(mask) form becomes CIDR', () => {
  assert.equal(show('192.168.8.2(255.255.255.0)'), '192.168.8.0/24');
  assert.equal(show('2001:DB8::2AA:FF:C0A8:640A(FFFF:FFFF:FFFF:FFFF::)'), '2001:db8::/64');
  assert.throws(() => IPRange.parse('1.2.3.4(255.0.255.0)'), /The mask 255\.0\.255\.0 is not a contiguous subnet mask\./);
  assert.throws(() => IPRange.parse('1.2.3.4(ffff::)'), /same IP version/);
});

test('invalid input names the value and shows the accepted forms', () => {
  assert.throws(() => IPRange.parse('10.1.1.300'), {
    name: 'ValueError',
    message: '"10.1.1.300" is not a valid IP address, IP range or CIDR notation. Examples: 192.168.1.1, 192.168.1.1-192.168.1.254, 192.168.1.0/24, 2001:db8::/32.',
  });
  for (const bad of ['', 'abc', '10.0.0.0/8/8', '10.0.0.1%3', null, 7]) assert.throws(() => IPRange.parse(bad), ValueError, String(bad));
});

test('defaults for all addresses', () => {
  assert.equal(IPRange.ALL_IPV4.toString(), '0.0.0.0-255.255.255.255');
  assert.equal(IPRange.ALL_IPV6.toString(), '::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff');
  assert.ok(IPRange.parse('0.0.0.0-255.255.255.255').equals(IPRange.ALL_IPV4));
  assert.ok(IPRange.parse('::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff').equals(IPRange.ALL_IPV6));
  assert.equal(IPRange.ALL_IPV4.size(), 1n << 32n);
});

test('contains: IPv4-mapped clients match IPv4 ranges, never IPv6 ranges', () => {
  const loop = IPRange.parse('127.0.0.0/8');
  assert.ok(loop.contains('127.0.0.1'));
  assert.ok(loop.contains('::ffff:127.0.0.1'));
  assert.ok(!loop.contains('128.0.0.1'));
  assert.ok(!IPRange.ALL_IPV6.contains('::ffff:127.0.0.1'));
  assert.ok(IPRange.ALL_IPV6.contains('2001:db8::1'));
  assert.ok(!IPRange.ALL_IPV4.contains('2001:db8::1'));
  assert.ok(IPRange.ALL_IPV4.contains(IPAddress.parse('10.1.1.1')));
  assert.ok(!IPRange.ALL_IPV4.contains('not an address'));
  assert.ok(IPRange.parse('192.168.1.1-192.168.1.254').contains('192.168.1.254'));
  assert.ok(!IPRange.parse('192.168.1.1-192.168.1.254').contains('192.168.1.255'));
});

test('nesting and overlaps (receive connector rules)', () => {
  const x = IPRange.ALL_IPV4;
  const a = IPRange.parse('192.168.1.0-192.168.1.255');
  const b = IPRange.parse('192.168.1.75');
  const c = IPRange.parse('192.168.1.128-192.168.2.10');
  assert.ok(b.nestedIn(a) && a.nestedIn(x) && b.nestedIn(x));
  assert.ok(!a.nestedIn(b));
  assert.ok(a.nestedIn(a));
  assert.ok(a.overlaps(b) && b.overlaps(a));
  assert.ok(!a.partiallyOverlaps(b));
  assert.ok(a.partiallyOverlaps(c) && c.partiallyOverlaps(a));
  assert.ok(!c.partiallyOverlaps(x));
  assert.ok(!IPRange.parse('10.0.0.0/8').overlaps(IPRange.parse('11.0.0.0/8')));
  assert.ok(!IPRange.ALL_IPV4.overlaps(IPRange.ALL_IPV6));
  // most specific = smallest
  assert.ok(b.size() < a.size() && a.size() < x.size());
});

test('equals compares addresses, not the written form; toJSON round-trips', () => {
  assert.ok(IPRange.parse('192.168.1.0/24').equals(IPRange.parse('192.168.1.0-192.168.1.255')));
  assert.ok(!IPRange.parse('192.168.1.0/24').equals(IPRange.parse('192.168.1.0/25')));
  for (const v of ['192.168.5.10', 'fe80::39bd:88f7:6969:d223%11', '192.168.1.1-192.168.1.254', '192.168.1.0/24', '2001:db8::/32']) {
    const r = IPRange.parse(v);
    const back = IPRange.parse(JSON.parse(JSON.stringify(r)));
    assert.ok(back.equals(r));
    assert.equal(back.toString(), r.toString());
    assert.equal(back.form, r.form);
  }
  const r = IPRange.parse('10.0.0.0/8');
  assert.equal(IPRange.parse(r), r);
  assert.equal(IPRange.parse(IPAddress.parse('10.0.0.1')).toString(), '10.0.0.1');
});
