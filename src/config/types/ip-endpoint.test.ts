import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IPEndpoint } from './ip-endpoint.js';
import { IPAddressValue } from './index.js';
import { ValueError } from './value-error.js';

test('address with optional port', () => {
  assert.equal(IPEndpoint.parse('10.0.0.53').toString(), '10.0.0.53');
  assert.equal(IPEndpoint.parse('10.0.0.53').port, undefined);
  assert.equal(IPEndpoint.parse('10.0.0.53:5353').port, 5353);
  assert.equal(IPEndpoint.parse('10.0.0.53:5353').toString(), '10.0.0.53:5353');
  assert.equal(IPEndpoint.parse('2001:DB8::53').toString(), '2001:db8::53');
  assert.equal(IPEndpoint.parse('[2001:db8::53]:53').toString(), '[2001:db8::53]:53');
  assert.equal(IPEndpoint.parse('[2001:db8::53]').toString(), '2001:db8::53');
  assert.throws(() => IPEndpoint.parse('10.0.0.53:0'), /The port must be between 1 and 65535\./);
  assert.throws(() => IPEndpoint.parse('dns.contoso.com:53'), /"dns\.contoso\.com" is not a valid IP address\./);
  for (const bad of ['', 'abc', '10.0.0.300', null]) assert.throws(() => IPEndpoint.parse(bad), ValueError, String(bad));
  for (const v of ['10.0.0.53', '10.0.0.53:5353', '[2001:db8::53]:53']) {
    const e = IPEndpoint.parse(v);
    assert.ok(IPEndpoint.parse(JSON.parse(JSON.stringify(e))).equals(e));
  }
});

test('IPAddressValue parsers', () => {
  assert.equal(IPAddressValue.parse('0.0.0.0').toString(), '0.0.0.0');
  assert.equal(IPAddressValue.parseWithPort('10.0.0.1:53').toString(), '10.0.0.1:53');
});
