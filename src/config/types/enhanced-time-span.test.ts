import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EnhancedTimeSpan } from './enhanced-time-span.js';
import { ValueError } from './value-error.js';

const show = (v: unknown) => EnhancedTimeSpan.parse(v).toString();

test('parses the .NET TimeSpan forms', () => {
  assert.equal(EnhancedTimeSpan.parse('00:05:00').seconds, 300);
  assert.equal(EnhancedTimeSpan.parse('00:05').seconds, 300);
  assert.equal(EnhancedTimeSpan.parse('5').seconds, 5 * 86400);
  assert.equal(EnhancedTimeSpan.parse(5).seconds, 5 * 86400);
  assert.equal(EnhancedTimeSpan.parse('1.00:00:00').seconds, 86400);
  assert.equal(EnhancedTimeSpan.parse('1.02:03').seconds, 86400 + 2 * 3600 + 180);
  assert.equal(EnhancedTimeSpan.parse('0:0:5').seconds, 5);
  assert.equal(EnhancedTimeSpan.parse('00:00:00.5').milliseconds, 500);
  assert.equal(EnhancedTimeSpan.parse('00:00:00.0000001').ticks, 1n);
  assert.equal(EnhancedTimeSpan.parse('-00:01:00').seconds, -60);
  assert.equal(EnhancedTimeSpan.parse(' 00:15:00 ').milliseconds, 900000);
  assert.equal(EnhancedTimeSpan.parse('24855.03:14:07').seconds, 2 ** 31 - 1);
});

test('displays like TimeSpan.ToString()', () => {
  assert.equal(show('00:05:00'), '00:05:00');
  assert.equal(show('1.00:00:00'), '1.00:00:00');
  assert.equal(show('2.00:00:00'), '2.00:00:00');
  assert.equal(show('0:0:5'), '00:00:05');
  assert.equal(show('00:05'), '00:05:00');
  assert.equal(show('5'), '5.00:00:00');
  assert.equal(show('30.00:00:00'), '30.00:00:00');
  assert.equal(show('04:00:00'), '04:00:00');
  assert.equal(show('00:00:00.5'), '00:00:00.5000000');
  assert.equal(show('-00:00:01.5'), '-00:00:01.5000000');
  assert.equal(show('-1.00:00:00'), '-1.00:00:00');
  assert.equal(show('00:00:00'), '00:00:00');
  assert.equal(EnhancedTimeSpan.fromMinutes(10).toString(), '00:10:00');
  assert.equal(EnhancedTimeSpan.fromSeconds(5).toString(), '00:00:05');
  assert.equal(EnhancedTimeSpan.fromHours(36).toString(), '1.12:00:00');
  assert.equal(EnhancedTimeSpan.fromDays(2).toString(), '2.00:00:00');
  assert.equal(EnhancedTimeSpan.fromMilliseconds(1).toString(), '00:00:00.0010000');
});

test('round-trips through toJSON', () => {
  for (const v of ['00:05:00', '1.00:00:00', '-00:00:01.5', '00:00:00.0000001', '24855.03:14:07', '0']) {
    const a = EnhancedTimeSpan.parse(v);
    const json = JSON.parse(JSON.stringify(a));
    assert.equal(typeof json, 'string');
    assert.ok(EnhancedTimeSpan.parse(json).equals(a), v);
  }
});

test('instances, equals and compareTo', () => {
  const a = EnhancedTimeSpan.parse('00:05:00');
  assert.equal(EnhancedTimeSpan.parse(a), a);
  assert.ok(a.equals(EnhancedTimeSpan.fromMinutes(5)));
  assert.ok(!a.equals('00:05:00'));
  assert.equal(a.compareTo(EnhancedTimeSpan.parse('00:10:00')), -1);
  assert.equal(EnhancedTimeSpan.parse('00:10:00').compareTo(a), 1);
  assert.equal(a.compareTo(EnhancedTimeSpan.fromSeconds(300)), 0);
  assert.equal(EnhancedTimeSpan.zero.ticks, 0n);
});

test('refuses malformed and out-of-component values', () => {
  assert.throws(() => EnhancedTimeSpan.parse('abc'), {
    name: 'ValueError',
    message: 'The value "abc" is not a valid EnhancedTimeSpan. Use [-][d.]hh:mm[:ss[.fffffff]], for example 00:05:00 (5 minutes), 1.00:00:00 (1 day) or 00:00:30 (30 seconds); a number alone is a number of days.',
  });
  assert.throws(() => EnhancedTimeSpan.parse('24:00:00'), /Hours must be between 0 and 23, minutes and seconds between 0 and 59/);
  assert.throws(() => EnhancedTimeSpan.parse('00:60:00'), /Hours must be between 0 and 23/);
  assert.throws(() => EnhancedTimeSpan.parse('00:00:60'), /Hours must be between 0 and 23/);
  for (const bad of ['', '1.', '1:2:3:4', '00:00:00.12345678', '1d', '5 minutes', '1.5', '-', '00:5:']) {
    assert.throws(() => EnhancedTimeSpan.parse(bad), ValueError, bad);
  }
  for (const bad of [1.5, NaN, null, undefined, {}]) assert.throws(() => EnhancedTimeSpan.parse(bad), ValueError);
  assert.throws(() => EnhancedTimeSpan.parse('99999999'), /too long/);
});

test('parseInRange with Exchange-style out-of-range text', () => {
  assert.equal(EnhancedTimeSpan.parseInRange('00:00:01', '00:00:01', '1.00:00:00', 'ConnectionTimeout').seconds, 1);
  assert.equal(EnhancedTimeSpan.parseInRange('1.00:00:00', '00:00:01', '1.00:00:00', 'ConnectionTimeout').seconds, 86400);
  assert.throws(() => EnhancedTimeSpan.parseInRange('00:00:00', '00:00:01', '1.00:00:00', 'ConnectionTimeout'), {
    name: 'ValueError',
    message: 'The value 00:00:00 is not valid for ConnectionTimeout. Valid values are between 00:00:01 and 1.00:00:00.',
  });
  assert.throws(() => EnhancedTimeSpan.parseInRange('1.00:00:01', EnhancedTimeSpan.fromSeconds(1), EnhancedTimeSpan.fromDays(1), 'ConnectionInactivityTimeOut'), {
    message: 'The value 1.00:00:01 is not valid for ConnectionInactivityTimeOut. Valid values are between 00:00:01 and 1.00:00:00.',
  });
  assert.throws(() => EnhancedTimeSpan.parse('00:15:00').checkRange('00:00:00', '00:10:00', 'TarpitInterval'), {
    message: 'The value 00:15:00 is not valid for TarpitInterval. Valid values are between 00:00:00 and 00:10:00.',
  });
});

test('numeric range bounds are milliseconds', () => {
  assert.equal(EnhancedTimeSpan.parseInRange('00:10:00', 1000, 86_400_000, 'ConnectionInactivityTimeOut').seconds, 600);
  assert.throws(() => EnhancedTimeSpan.parseInRange('2.00:00:00', 1000, 86_400_000, 'ConnectionInactivityTimeOut'), {
    message: 'The value 2.00:00:00 is not valid for ConnectionInactivityTimeOut. Valid values are between 00:00:01 and 1.00:00:00.',
  });
});
