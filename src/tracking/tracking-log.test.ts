import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { JsonLogger } from '../observability/logger.js';
import { TRACKING_FIELDS, TrackingLog, type TrackingLogSettings } from './tracking-log.js';
import type { TrackingEvent } from './tracking-event.js';

const dir = mkdtempSync(join(tmpdir(), 'gh-msgtrk-'));
const event = (n: number, subject = `Hello, "world" ${n}`): TrackingEvent => ({
  timestamp: new Date(Date.UTC(2026, 10, 27, 10, 0, n)),
  clientIp: '127.0.0.5',
  source: 'SMTP',
  eventId: 'RECEIVE',
  internalMessageId: n,
  messageId: `<m${n}@f.com>`,
  recipients: ['a@contoso.com', 'b@contoso.com'],
  recipientStatus: ['To', 'To'],
  totalBytes: 100 + n,
  recipientCount: 2,
  messageSubject: subject,
  sender: 'x@f.com',
  returnPath: 'x@f.com',
});

describe('TrackingLog', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("writes Exchange's header and one CSV line per event", () => {
    const folder = join(dir, 'a');
    const settings: TrackingLogSettings = { enabled: true, folder, subjects: true, maxFileBytes: 1 << 20, maxAgeMs: 0, maxDirectoryBytes: null };
    const log = new TrackingLog(() => settings, new JsonLogger(() => undefined));
    log.write(event(1));
    log.write(event(2));
    log.close();
    const [file] = readdirSync(folder);
    assert.equal(file, 'MSGTRK20261127-1.LOG');
    const lines = readFileSync(join(folder, file), 'utf8').split('\r\n');
    assert.equal(lines[2], '#Log-type: Message Tracking Log');
    assert.equal(lines[4], `#Fields: ${TRACKING_FIELDS.join(',')}`);
    assert.equal(lines[5], '2026-11-27T10:00:01.000Z,127.0.0.5,,,,,,SMTP,RECEIVE,1,<m1@f.com>,,a@contoso.com;b@contoso.com,To;To,101,2,,,"Hello, ""world"" 1",x@f.com,x@f.com,,,,,,');
    assert.equal(lines[5].split(',').length, TRACKING_FIELDS.length + 1, 'the quoted subject holds one comma');
  });

  it('rotates at MaxFileSize, prunes beyond MaxDirectorySize and MaxAge, leaves out subjects when told, writes nothing when disabled', () => {
    const folder = join(dir, 'b');
    let settings: TrackingLogSettings = { enabled: true, folder, subjects: false, maxFileBytes: 700, maxAgeMs: 0, maxDirectoryBytes: 1500 };
    const log = new TrackingLog(() => settings, new JsonLogger(() => undefined));
    for (let i = 0; i < 12; i++) log.write(event(i, 'secret subject'));
    log.close();
    const files = readdirSync(folder).sort();
    assert.ok(files.length >= 2 && files.length <= 4, files.join(','));
    const total = files.reduce((n, f) => n + readFileSync(join(folder, f)).length, 0);
    assert.ok(total <= 1500 + 700, `directory holds ${total} bytes`);
    assert.ok(!files.some((f) => readFileSync(join(folder, f), 'utf8').includes('secret subject')));
    const old = join(folder, 'MSGTRK20200101-1.LOG');
    writeFileSync(old, 'x');
    utimesSync(old, new Date('2020-01-01'), new Date('2020-01-01'));
    settings = { ...settings, maxAgeMs: 86_400_000, maxFileBytes: 100 };
    log.write(event(99));
    log.close();
    assert.ok(!readdirSync(folder).includes('MSGTRK20200101-1.LOG'), 'files older than MaxAge are removed');
    settings = { ...settings, enabled: false };
    const before = readdirSync(folder).length;
    log.write(event(100));
    assert.equal(readdirSync(folder).length, before);
  });
});
