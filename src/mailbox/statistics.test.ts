// Unit tests: Maildir folder statistics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { maildirStatistics } from './statistics.js';

test('counts new/ and cur/, S= from names, stat otherwise; ignores tmp/ and dot files', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'md-stats-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const dir = join(root, 'Inbox');
  for (const sub of ['tmp', 'new', 'cur']) mkdirSync(join(dir, sub), { recursive: true });
  writeFileSync(join(dir, 'new', '1700000000.M1P1Q1.h,S=100'), 'x'.repeat(7)); // S= wins over the real size
  writeFileSync(join(dir, 'cur', '1700000100.M500000P1Q2.h,S=50:2,S'), 'y');
  writeFileSync(join(dir, 'cur', 'no-size-no-time'), 'z'.repeat(30));
  utimesSync(join(dir, 'cur', 'no-size-no-time'), 1_600_000_000, 1_600_000_000);
  writeFileSync(join(dir, 'tmp', '1800000000.M1P1Q3.h,S=999'), 'in progress');
  writeFileSync(join(dir, 'cur', '.hidden'), 'not a message');
  mkdirSync(join(dir, 'cur', 'subdir'));
  const s = maildirStatistics(root, 'Inbox');
  assert.equal(s.itemCount, 3);
  assert.equal(s.totalItemSize, 180);
  assert.equal(s.lastDeliveryTime?.getTime(), 1_700_000_100_500);
});

test('a missing folder is empty', () => {
  assert.deepEqual(maildirStatistics(join(tmpdir(), 'no-such-maildir-root'), 'x'), { itemCount: 0, totalItemSize: 0, lastDeliveryTime: null });
});

test('folder names cannot leave the root', () => {
  assert.throws(() => maildirStatistics('/tmp', '../etc'), { name: 'MaildirDeliveryError', transient: false });
});
