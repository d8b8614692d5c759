// Unit tests: delivering into a Maildir on the local filesystem.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { deliverToMaildir, deliveryHeaders } from './deliver.js';
import { MaildirDeliveryError } from './errors.js';
import { maildirStatistics } from './statistics.js';

function scratch(t: { after(fn: () => void): void }): string {
  const root = mkdtempSync(join(tmpdir(), 'md-deliver-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  return root;
}

test('creates the Maildir 0700, adds the two header lines, names the file with S=', async (t) => {
  const root = scratch(t);
  const msg = Buffer.from('Subject: hi\r\n\r\nbody\r\n');
  const d = await deliverToMaildir(root, 'alice', msg, { returnPath: 'sender@fabrikam.com', deliveredTo: 'alice@contoso.com' });
  for (const sub of ['tmp', 'new', 'cur']) assert.equal(statSync(join(root, 'alice', sub)).mode & 0o777, 0o700);
  assert.equal(d.file, join(root, 'alice', 'new', basename(d.file)));
  const bytes = readFileSync(d.file);
  assert.equal(bytes.toString('latin1'), 'Return-Path: <sender@fabrikam.com>\r\nDelivered-To: alice@contoso.com\r\nSubject: hi\r\n\r\nbody\r\n');
  assert.equal(d.size, bytes.length);
  assert.match(basename(d.file), new RegExp(`^\\d+\\.M\\d+P${process.pid}Q\\d+\\..+,S=${bytes.length}$`));
  assert.equal(statSync(d.file).mode & 0o777, 0o600);
  assert.deepEqual(readdirSync(join(root, 'alice', 'tmp')), []);
  const s = maildirStatistics(root, 'alice');
  assert.equal(s.itemCount, 1);
  assert.equal(s.totalItemSize, bytes.length);
  assert.ok(s.lastDeliveryTime && Math.abs(s.lastDeliveryTime.getTime() - Date.now()) < 5000);
});

test('header lines follow the message line endings; null sender is <>', () => {
  const env = { returnPath: '', deliveredTo: 'bob@contoso.com' };
  assert.equal(deliveryHeaders(Buffer.from('A: b\nB: c\n\nx\n'), env).toString(), 'Return-Path: <>\nDelivered-To: bob@contoso.com\n');
  assert.equal(deliveryHeaders(Buffer.from('A: b\r\n'), { returnPath: '<s@x>', deliveredTo: 'b@x' }).toString(), 'Return-Path: <s@x>\r\nDelivered-To: b@x\r\n');
});

test('envelope values with line breaks and escaping folder names are refused permanently', async (t) => {
  const root = scratch(t);
  await assert.rejects(deliverToMaildir(root, 'a', Buffer.from('x\r\n'), { returnPath: 's@x\r\nBcc: evil@x', deliveredTo: 'a@x' }), (e: unknown) => e instanceof MaildirDeliveryError && !e.transient && e.code === 'EINVAL');
  await assert.rejects(deliverToMaildir(root, '../escape', Buffer.from('x\r\n'), { returnPath: 's@x', deliveredTo: 'a@x' }), (e: unknown) => e instanceof MaildirDeliveryError && !e.transient);
  assert.deepEqual(readdirSync(root), []);
});

test('a file where the folder should be is a transient error', async (t) => {
  const root = scratch(t);
  writeFileSync(join(root, 'blocked'), 'not a directory');
  await assert.rejects(deliverToMaildir(root, 'blocked', Buffer.from('x\r\n'), { returnPath: 's@x', deliveredTo: 'a@x' }), (e: unknown) => {
    assert.ok(e instanceof MaildirDeliveryError);
    assert.equal(e.transient, true);
    assert.ok(['ENOTDIR', 'EEXIST'].includes(e.code), e.code);
    assert.match(e.message, /blocked/);
    return true;
  });
});

test('many concurrent deliveries in one process get distinct files', async (t) => {
  const root = scratch(t);
  const results = await Promise.all(Array.from({ length: 200 }, (_, i) => deliverToMaildir(root, '', Buffer.from(`Subject: ${i}\r\n\r\n${i}\r\n`), { returnPath: 's@x', deliveredTo: 'a@x' })));
  assert.equal(new Set(results.map((r) => r.file)).size, 200);
  assert.equal(readdirSync(join(root, 'new')).length, 200);
  assert.equal(maildirStatistics(root, '').itemCount, 200);
});
