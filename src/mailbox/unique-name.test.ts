// Unit tests: Maildir name generation and parsing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { escapeHost, parseName, uniqueName } from './unique-name.js';

test('names follow <sec>.M<usec>P<pid>Q<n>.<host>,S=<size>', () => {
  const name = uniqueName({ micros: 1_700_000_000_123_456, pid: 4242, host: 'mbx01.contoso.com', size: 1234 });
  assert.match(name, /^1700000000\.M123456P4242Q\d+\.mbx01\.contoso\.com,S=1234$/);
  const own = uniqueName({ size: 1 });
  assert.ok(own.includes(`P${process.pid}Q`));
  assert.ok(own.includes(`.${escapeHost(hostname())},S=1`));
});

test('names generated in one process never repeat, even at the same instant', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 10_000; i++) seen.add(uniqueName({ micros: 1_000_000, pid: 1, host: 'h', size: 0 }));
  assert.equal(seen.size, 10_000);
});

test('host names cannot break the name', () => {
  assert.equal(escapeHost('a/b:c,d'), 'a\\057b\\072c\\054d');
  const name = uniqueName({ host: 'x/y:z,S=9', size: 5 });
  assert.ok(!name.includes('/'));
  assert.ok(!name.includes(':'));
  assert.equal(parseName(name).size, 5);
});

test('parseName reads time and S= with or without an info part', () => {
  const p = parseName('1700000000.M123456P1Q2.host,S=2048,W=2100:2,S');
  assert.equal(p.size, 2048);
  assert.equal(p.time?.getTime(), 1_700_000_000_123);
  assert.deepEqual(parseName('1700000000.M5P1.host:2,'), { time: new Date(1_700_000_000_000), size: null });
  assert.deepEqual(parseName('1700000001.27521_0.host'), { time: new Date(1_700_000_001_000), size: null });
  assert.deepEqual(parseName('msg-without-time'), { time: null, size: null });
  assert.equal(parseName('1.M1P1.h,S=abc').size, null);
});
