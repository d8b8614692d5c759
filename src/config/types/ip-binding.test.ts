import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IPBinding } from './ip-binding.js';
import { ValueError } from './value-error.js';

test('parses and displays bindings', () => {
  const a = IPBinding.parse('10.1.1.1:25');
  assert.equal(a.address.toString(), '10.1.1.1');
  assert.equal(a.port, 25);
  assert.equal(a.family, 'IPv4');
  assert.equal(a.isWildcard, false);
  assert.equal(a.toString(), '10.1.1.1:25');
  assert.equal(IPBinding.parse('10.1.1.2:25').toString(), '10.1.1.2:25');
  const any4 = IPBinding.parse('0.0.0.0:25');
  assert.equal(any4.isWildcard, true);
  assert.equal(any4.toString(), '0.0.0.0:25');
  const any6 = IPBinding.parse('[::]:25');
  assert.equal(any6.family, 'IPv6');
  assert.equal(any6.isWildcard, true);
  assert.equal(any6.toString(), '[::]:25');
  assert.equal(IPBinding.parse('[2001:DB8::1]:587').toString(), '[2001:db8::1]:587');
  assert.equal(IPBinding.parse(' 0.0.0.0:2525 ').port, 2525);
  assert.equal(IPBinding.of('0.0.0.0', 717).toString(), '0.0.0.0:717');
});

test('requires a port 1-65535 and brackets around IPv6', () => {
  assert.throws(() => IPBinding.parse('10.1.1.1'), {
    name: 'ValueError',
    message: '"10.1.1.1" is not a valid binding. A port number is required. Use address:port, for example 10.1.1.1:25, 0.0.0.0:25, [::]:25 or [2001:db8::1]:587.',
  });
  assert.throws(() => IPBinding.parse('[::]:'), /A port number is required\./);
  assert.throws(() => IPBinding.parse('[::]'), /A port number is required\./);
  assert.throws(() => IPBinding.parse('10.1.1.1:0'), /The port must be between 1 and 65535\./);
  assert.throws(() => IPBinding.parse('10.1.1.1:65536'), /The port must be between 1 and 65535\./);
  assert.throws(() => IPBinding.parse('10.1.1.1:smtp'), /The port must be between 1 and 65535\./);
  assert.throws(() => IPBinding.parse('2001:db8::1:25'), /An IPv6 address must be in brackets and followed by a port\./);
  assert.throws(() => IPBinding.parse('[10.1.1.1]:25'), /Only an IPv6 address may be written in brackets\./);
  assert.throws(() => IPBinding.parse('10.1.1.300:25'), /"10\.1\.1\.300" is not a valid IP address\./);
  assert.throws(() => IPBinding.parse('host.contoso.com:25'), ValueError);
  assert.throws(() => IPBinding.parse(25), ValueError);
  assert.throws(() => IPBinding.of('10.1.1.1', 70000), ValueError);
});

test('covers: specific address, wildcards per family, IPv4-mapped local addresses', () => {
  const specific = IPBinding.parse('10.1.1.1:25');
  assert.ok(specific.covers('10.1.1.1', 25));
  assert.ok(specific.covers('::ffff:10.1.1.1', 25));
  assert.ok(!specific.covers('10.1.1.2', 25));
  assert.ok(!specific.covers('10.1.1.1', 587));
  const any4 = IPBinding.parse('0.0.0.0:25');
  assert.ok(any4.covers('10.1.1.2', 25));
  assert.ok(any4.covers('::ffff:192.168.0.5', 25));
  assert.ok(!any4.covers('2001:db8::1', 25));
  const any6 = IPBinding.parse('[::]:25');
  assert.ok(any6.covers('2001:db8::1', 25));
  assert.ok(any6.covers('fe80::1%3', 25));
  assert.ok(!any6.covers('::ffff:10.1.1.1', 25));
  assert.ok(!any6.covers('10.1.1.1', 25));
  assert.ok(!any6.covers('garbage', 25));
});

test('overlaps and equals', () => {
  const a = IPBinding.parse('10.1.1.1:25');
  const b = IPBinding.parse('10.1.1.2:25');
  const any4 = IPBinding.parse('0.0.0.0:25');
  const any6 = IPBinding.parse('[::]:25');
  assert.ok(!a.overlaps(b));
  assert.ok(a.overlaps(any4) && any4.overlaps(a));
  assert.ok(a.overlaps(IPBinding.parse('10.1.1.1:25')));
  assert.ok(!a.overlaps(IPBinding.parse('10.1.1.1:587')));
  assert.ok(!any4.overlaps(any6));
  assert.ok(a.equals(IPBinding.parse('10.1.1.1:25')));
  assert.ok(!a.equals(b));
  for (const v of ['10.1.1.1:25', '[::]:25', '[2001:db8::1]:587', '0.0.0.0:25']) {
    const x = IPBinding.parse(v);
    assert.ok(IPBinding.parse(JSON.parse(JSON.stringify(x))).equals(x));
  }
  assert.equal(IPBinding.parse(a), a);
});
