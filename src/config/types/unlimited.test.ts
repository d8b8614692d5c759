import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Unlimited } from './unlimited.js';
import { ByteQuantifiedSize } from './byte-quantified-size.js';
import { parseInt32, parseIntInRange } from './int32.js';
import { ValueError } from './value-error.js';

const size = (v: unknown) => Unlimited.parse(v, ByteQuantifiedSize.parse);
const count = (v: unknown) => Unlimited.parse(v, parseInt32);

test('the word unlimited in any casing', () => {
  for (const w of ['unlimited', 'Unlimited', 'UNLIMITED', ' unlimited ']) {
    const u = size(w);
    assert.equal(u.isUnlimited, true);
    assert.equal(u.toString(), 'Unlimited');
    assert.equal(u.valueOrUndefined, undefined);
    assert.throws(() => u.value, ValueError);
  }
});

test('bounded values go through the inner parser', () => {
  const u = size(26214400);
  assert.equal(u.isUnlimited, false);
  assert.equal(u.value.bytes, 26214400);
  assert.equal(u.toString(), '25 MB (26,214,400 bytes)');
  const c = count(5000);
  assert.equal(c.value, 5000);
  assert.equal(c.toString(), '5000');
  assert.equal(count('20').value, 20);
});

test('inner errors propagate', () => {
  assert.throws(() => size('lots'), /The value "lots" is not a valid ByteQuantifiedSize/);
  assert.throws(() => count('abc'), {
    message: 'Cannot convert value "abc" to type "System.Int32". Error: "Input string was not in a correct format."',
  });
  assert.throws(() => Unlimited.parse(0, (v) => parseIntInRange(v, 1, 10000, 'MaxInboundConnectionPerSource')), { message: 'The value 0 is not valid for MaxInboundConnectionPerSource. Valid values are between 1 and 10000.' });
});

test('round-trips through toJSON', () => {
  for (const u of [size('unlimited'), size('36MB')]) assert.ok(size(JSON.parse(JSON.stringify(u))).equals(u));
  for (const u of [count('unlimited'), count(5000)]) assert.ok(count(JSON.parse(JSON.stringify(u))).equals(u));
  assert.equal(JSON.stringify(size('unlimited')), '"unlimited"');
  assert.equal(JSON.stringify(size('36MB')), '37748736');
  assert.equal(JSON.stringify(count(600)), '600');
});

test('existing instances, of/unlimited constructors, equals and compareTo', () => {
  const a = size('10MB');
  assert.ok(size(a).equals(a));
  assert.ok(Unlimited.of(5).equals(count(5)));
  assert.ok(Unlimited.unlimited<number>().equals(count('unlimited')));
  assert.ok(!count(5).equals(count('unlimited')));
  assert.ok(!count(5).equals(count(6)));
  const cmp = (x: number, y: number) => x - y;
  assert.ok(count('unlimited').compareTo(count(5), cmp) > 0);
  assert.ok(count(5).compareTo(count('unlimited'), cmp) < 0);
  assert.equal(count('unlimited').compareTo(count('unlimited'), cmp), 0);
  assert.ok(count(4).compareTo(count(5), cmp) < 0);
  assert.equal(Unlimited.isUnlimitedWord('Unlimited'), true);
  assert.equal(Unlimited.isUnlimitedWord('unlimitedx'), false);
});

test('Int32 parsing as PowerShell converts', () => {
  assert.equal(parseInt32(' 42 '), 42);
  assert.equal(parseInt32('-7'), -7);
  assert.equal(parseInt32('0x10'), 16);
  assert.equal(parseInt32(2.5), 2);
  assert.equal(parseInt32(3.5), 4);
  assert.equal(parseInt32(2147483647), 2147483647);
  assert.throws(() => parseInt32('3000000000'), {
    message: 'Cannot convert value "3000000000" to type "System.Int32". Error: "Value was either too large or too small for an Int32."',
  });
  assert.throws(() => parseInt32('1.5'), ValueError);
  assert.throws(() => parseInt32(''), ValueError);
  assert.throws(() => parseInt32(null), ValueError);
  assert.equal(parseIntInRange('30', 1, 500, 'MaxHopCount'), 30);
  assert.throws(() => parseIntInRange(501, 1, 500, 'MaxHopCount'), {
    message: 'The value 501 is not valid for MaxHopCount. Valid values are between 1 and 500.',
  });
});
