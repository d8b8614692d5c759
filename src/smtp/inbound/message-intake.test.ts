import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { MessageIntake } from './message-intake.js';

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-intake-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const limits = { maxMessageSize: 10 * 1024 * 1024, maxHeaderSize: 1024, spoolDir: dir, memoryBodyOctets: 1000 };

describe('message intake', () => {
  it('keeps a small message in memory', async () => {
    const intake = new MessageIntake(limits);
    intake.write(Buffer.from('Subject: a\r\n'));
    intake.write(Buffer.from('\r\nhello\r\n'));
    const c = await intake.finish();
    assert.equal(c.header.toString(), 'Subject: a\r\n');
    assert.equal(c.body?.toString(), 'hello\r\n');
    assert.equal(c.file, null);
    assert.equal(c.hasSeparator, true);
  });

  it('puts a large body in a 0600 spool file as it arrives, and deletes it when discarded', async () => {
    const intake = new MessageIntake(limits);
    intake.write(Buffer.from('Subject: big\r\n\r\n'));
    const line = Buffer.from(`${'x'.repeat(98)}\r\n`);
    for (let i = 0; i < 100; i++) intake.write(line);
    const c = await intake.finish();
    assert.equal(c.body, null);
    assert.ok(c.file);
    assert.equal(c.bodyOctets, 10_000);
    assert.equal(readFileSync(c.file.path).length, 10_000);
    assert.equal(statSync(c.file.path).mode & 0o777, 0o600);
    await intake.discard();
    assert.equal(existsSync(c.file.path), false);
  });

  it('drops everything past MaxMessageSize and MaxHeaderSize', async () => {
    const big = new MessageIntake({ ...limits, maxMessageSize: 5000 });
    big.write(Buffer.from('Subject: a\r\n\r\n'));
    for (let i = 0; i < 10; i++) big.write(Buffer.alloc(1000, 0x61));
    assert.equal(big.tooBig, true);
    await big.discard();
    assert.equal(readdirSync(dir).length, 0, 'no spool file left behind');
    await assert.rejects(big.finish());
    const header = new MessageIntake(limits);
    header.write(Buffer.from(`X-Long: ${'a'.repeat(2000)}\r\n\r\nbody`));
    assert.equal(header.headerTooBig, true);
  });

  it('notices a bare LF in DATA and BDAT content alike, and only in the header of a binary body', async () => {
    const text = new MessageIntake(limits);
    text.write(Buffer.from('Subject: a\r'));
    text.write(Buffer.from('\nX: b\r\n\r\nline\nend\r\n'));
    assert.equal(text.bareLf, true);
    const crlf = new MessageIntake(limits);
    crlf.write(Buffer.from('Subject: a\r'));
    crlf.write(Buffer.from('\n\r\nbody\r\n'));
    assert.equal(crlf.bareLf, false);
    const binary = new MessageIntake({ ...limits, bareLfScan: 'header' });
    binary.write(Buffer.from('Subject: a\r\n\r\n\n\x00\n'));
    binary.write(Buffer.from('\n\n'));
    assert.equal(binary.bareLf, false);
    const binaryHeader = new MessageIntake({ ...limits, bareLfScan: 'header' });
    binaryHeader.write(Buffer.from('Subject: a\nX: y\r\n\r\n'));
    assert.equal(binaryHeader.bareLf, true);
  });
});
