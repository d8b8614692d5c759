import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ByteQuantifiedSize } from './byte-quantified-size.js';
import { ValueError } from './value-error.js';

const display = (v: unknown) => ByteQuantifiedSize.parse(v).toString();

test('parses the numbers the shell hands over for bare literals', () => {
  assert.equal(ByteQuantifiedSize.parse(26214400).bytes, 26214400);
  assert.equal(display(26214400), '25 MB (26,214,400 bytes)');
  assert.equal(ByteQuantifiedSize.parse(0).bytes, 0);
  assert.equal(ByteQuantifiedSize.parse(1126.4).bytes, 1126); // 1.1KB typed bare
  assert.equal(ByteQuantifiedSize.parse(10n).bytes, 10);
});

test('parses strings with units, case-insensitive, optional space, decimals', () => {
  assert.equal(ByteQuantifiedSize.parse('10 MB').bytes, 10485760);
  assert.equal(ByteQuantifiedSize.parse('10MB').bytes, 10485760);
  assert.equal(ByteQuantifiedSize.parse('10mb').bytes, 10485760);
  assert.equal(ByteQuantifiedSize.parse(' 36 Mb ').bytes, 37748736);
  assert.equal(ByteQuantifiedSize.parse('1.5MB').bytes, 1572864);
  assert.equal(ByteQuantifiedSize.parse('.5KB').bytes, 512);
  assert.equal(ByteQuantifiedSize.parse('64KB').bytes, 65536);
  assert.equal(ByteQuantifiedSize.parse('2GB').bytes, 2147483648);
  assert.equal(ByteQuantifiedSize.parse('1TB').bytes, 1099511627776);
  assert.equal(ByteQuantifiedSize.parse('100B').bytes, 100);
  assert.equal(ByteQuantifiedSize.parse('65536').bytes, 65536);
  assert.equal(ByteQuantifiedSize.parse('1.1KB').bytes, 1126);
});

test('accepts the display form (as remoting hands it over)', () => {
  assert.equal(ByteQuantifiedSize.parse('25 MB (26,214,400 bytes)').bytes, 26214400);
  assert.equal(ByteQuantifiedSize.parse('152.1 MB (159,449,088 bytes)').bytes, 159449088);
  assert.equal(ByteQuantifiedSize.parse('0 B (0 bytes)').bytes, 0);
});

test('displays like Exchange', () => {
  assert.equal(display('25MB'), '25 MB (26,214,400 bytes)');
  assert.equal(display(0), '0 B (0 bytes)');
  assert.equal(display('36MB'), '36 MB (37,748,736 bytes)');
  assert.equal(display('10MB'), '10 MB (10,485,760 bytes)');
  assert.equal(display('1.5MB'), '1.5 MB (1,572,864 bytes)');
  assert.equal(display('64KB'), '64 KB (65,536 bytes)');
  assert.equal(display('256KB'), '256 KB (262,144 bytes)');
  assert.equal(display(159449088), '152.1 MB (159,449,088 bytes)');
  assert.equal(display(2146435072), '1.999 GB (2,146,435,072 bytes)');
  assert.equal(display(262144000), '250 MB (262,144,000 bytes)');
  assert.equal(display(1000), '1000 B (1,000 bytes)');
  assert.equal(display(1), '1 B (1 bytes)');
  assert.equal(display('1TB'), '1 TB (1,099,511,627,776 bytes)');
  assert.equal(ByteQuantifiedSize.parse('36MB').toShortString(), '36 MB');
});

test('round-trips through toJSON', () => {
  for (const v of ['0', '1.5MB', '25MB', '64KB', 2146435072, '1TB', '3 B']) {
    const a = ByteQuantifiedSize.parse(v);
    const json = JSON.parse(JSON.stringify(a));
    assert.equal(typeof json, 'number');
    assert.ok(ByteQuantifiedSize.parse(json).equals(a));
    assert.ok(ByteQuantifiedSize.parse(a.toString()).equals(a));
  }
});

test('returns an existing instance unchanged; equals and compareTo', () => {
  const a = ByteQuantifiedSize.parse('25MB');
  assert.equal(ByteQuantifiedSize.parse(a), a);
  assert.ok(a.equals(ByteQuantifiedSize.parse(26214400)));
  assert.ok(!a.equals(ByteQuantifiedSize.parse('36MB')));
  assert.ok(!a.equals(26214400));
  assert.ok(a.compareTo(ByteQuantifiedSize.parse('36MB')) < 0);
  assert.equal(a.in('KB'), 25600);
});

test('fromBytes, fromUnits and roundedUpToKilobytes', () => {
  assert.equal(ByteQuantifiedSize.fromBytes(65536).toString(), '64 KB (65,536 bytes)');
  assert.equal(ByteQuantifiedSize.fromUnits(36, 'MB').bytes, 37748736);
  assert.equal(ByteQuantifiedSize.fromBytes(1000).roundedUpToKilobytes().bytes, 1024);
  assert.equal(ByteQuantifiedSize.fromBytes(2048).roundedUpToKilobytes().bytes, 2048);
  assert.throws(() => ByteQuantifiedSize.fromBytes(-1), ValueError);
  assert.throws(() => ByteQuantifiedSize.fromBytes(1.5), ValueError);
  assert.equal(ByteQuantifiedSize.zero.bytes, 0);
});

test('refuses bad values with a message naming the value and the accepted syntax', () => {
  assert.throws(() => ByteQuantifiedSize.parse('abc'), {
    name: 'ValueError',
    message: 'The value "abc" is not a valid ByteQuantifiedSize. Use a number with an optional unit: B, KB, MB, GB, TB (for example 25MB or "10 MB"); a number without a unit is a count of bytes.',
  });
  for (const bad of ['', '-1', '10 XB', '10 M B', 'MB', '1,000', '10MB10', '1e3']) {
    assert.throws(() => ByteQuantifiedSize.parse(bad), ValueError, bad);
  }
  for (const bad of [-1, NaN, Infinity, null, undefined, true, {}]) {
    assert.throws(() => ByteQuantifiedSize.parse(bad), ValueError, String(bad));
  }
  assert.throws(() => ByteQuantifiedSize.parse('1.5'), /A byte count must be a whole number/);
  assert.throws(() => ByteQuantifiedSize.parse('1.5B'), /A byte count must be a whole number/);
  assert.throws(() => ByteQuantifiedSize.parse('9000TB'), /The largest size allowed is 9,007,199,254,740,991 bytes\./);
  assert.throws(() => ByteQuantifiedSize.parse(2 ** 54), ValueError);
});

test('parseInRange accepts bounds inclusively and names the parameter when out of range', () => {
  assert.equal(ByteQuantifiedSize.parseInRange('64KB', 65536, 2147483647, 'MaxMessageSize').bytes, 65536);
  assert.equal(ByteQuantifiedSize.parseInRange(2147483647, 0, 2147483647, 'MaxMessageSize').bytes, 2147483647);
  assert.throws(() => ByteQuantifiedSize.parseInRange('3 GB', 0, 2147483647, 'MaxMessageSize'), {
    name: 'ValueError',
    message: 'The value "3 GB" is out of range for MaxMessageSize. Valid values are between 0 and 2147483647 bytes.',
  });
  assert.throws(() => ByteQuantifiedSize.parseInRange(1024, 65536, 2147483647, 'MaxMessageSize'), {
    message: 'The value "1 KB (1,024 bytes)" is out of range for MaxMessageSize. Valid values are between 65536 and 2147483647 bytes.',
  });
  const s = ByteQuantifiedSize.parse('10MB');
  assert.equal(s.checkRange(0, 2147483647, 'MaxHeaderSize'), s);
  assert.throws(() => s.checkRange(1, 65536, 'MaxHeaderSize'), {
    message: 'The value "10 MB (10,485,760 bytes)" is out of range for MaxHeaderSize. Valid values are between 1 and 65536 bytes.',
  });
});
