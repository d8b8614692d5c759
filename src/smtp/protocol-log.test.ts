import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { JsonLogger } from '../observability/logger.js';
import { ProtocolLog, type ProtocolLogSettings } from './protocol-log.js';

const DAY = 86_400_000;

/** The folder's files once expectFiles holds, or as they are after 20 s (the last lines reach the disk asynchronously). */
async function settled(folder: string, expectFiles: (names: string[]) => boolean): Promise<string[]> {
  for (let i = 0; i < 1000; i++) {
    const names = readdirSync(folder).sort();
    if (expectFiles(names)) return names;
    await new Promise((r) => setTimeout(r, 20));
  }
  return readdirSync(folder).sort();
}

describe('protocol log files', () => {
  const root = mkdtempSync(join(tmpdir(), 'gatehouse-protolog-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  const line = (n: number) => ({ connector: 'EDGE01\\From Internet', session: 'S1', sequence: n, local: '127.0.0.1:25', remote: '127.0.0.2:40000', event: '<' as const, data: `EHLO client-${n}.example` });

  it('removes files older than MaxAge and of its own kind only, when it opens a file', async () => {
    const folder = join(root, 'age');
    const settings: ProtocolLogSettings = { folder, maxFileBytes: 10 * 1024 * 1024, maxAgeMs: 30 * DAY, maxDirectoryBytes: null };
    const log = new ProtocolLog(() => settings, new JsonLogger(() => undefined));
    log.write(line(0), new Date('2026-11-27T10:00:00Z'));
    await log.close();
    await settled(folder, (n) => n.length === 1);
    for (const [name, age] of [
      ['RECV20261001-1.LOG', 57],
      ['RECV20261110-1.LOG', 17],
      ['SEND20261001-1.LOG', 57],
    ] as const) {
      writeFileSync(join(folder, name), 'old\r\n');
      const t = (Date.now() - age * DAY) / 1000;
      utimesSync(join(folder, name), t, t);
    }
    const next = new ProtocolLog(() => settings, new JsonLogger(() => undefined));
    next.write(line(1), new Date('2026-11-28T00:00:01Z'));
    await next.close();
    const names = await settled(folder, (n) => n.includes('RECV20261128-1.LOG') && !n.includes('RECV20261001-1.LOG'));
    assert.deepEqual(names, ['RECV20261110-1.LOG', 'RECV20261127-1.LOG', 'RECV20261128-1.LOG', 'SEND20261001-1.LOG']);
  });

  it('starts a new file at MaxFileSize and keeps the folder under MaxDirectorySize by removing the oldest', async () => {
    const folder = join(root, 'size');
    const settings: ProtocolLogSettings = { folder, maxFileBytes: 600, maxAgeMs: 0, maxDirectoryBytes: 1500 };
    const log = new ProtocolLog(() => settings, new JsonLogger(() => undefined), 'SEND');
    const at = new Date('2026-11-27T10:00:00Z');
    for (let i = 0; i < 40; i++) {
      log.write(line(i), at);
      await new Promise((r) => setImmediate(r));
    }
    await log.close();
    // Pruning runs when a file starts, counting what the still-flushing files hold; the last lines reach the disk asynchronously.
    const total = (n: string[]) =>
      n.reduce((sum, f) => {
        try {
          return sum + statSync(join(folder, f)).size;
        } catch {
          return sum;
        }
      }, 0);
    const names = await settled(folder, (n) => n.length > 1 && total(n) <= 1500 + 600);
    const numbers = names.map((n) => Number(/^SEND20261127-(\d+)\.LOG$/.exec(n)?.[1]));
    assert.ok(
      numbers.every((n) => n > 0),
      names.join(' '),
    );
    assert.ok(Math.max(...numbers) >= 5, `rolled over several times: ${names.join(' ')}`);
    assert.ok(!numbers.includes(1), `the oldest file was removed: ${names.join(' ')}`);
    const sizes = names.map((n) => statSync(join(folder, n)).size);
    assert.ok(
      sizes.every((s) => s <= 600),
      sizes.join(' '),
    );
    assert.ok(sizes.reduce((a, b) => a + b, 0) <= 1500 + 600, `folder within MaxDirectorySize plus the open file: ${sizes.join(' ')}`);
    const last = readFileSync(join(folder, names[names.length - 1]), 'latin1');
    assert.match(last, /^#Software: Gatehouse\r\n[\s\S]*#Fields: date-time,connector-id,/);
    assert.match(last, /EHLO client-39\.example/);
  });

  it('follows a changed ReceiveProtocolLogPath without a restart', async () => {
    const settings: ProtocolLogSettings = { folder: join(root, 'one'), maxFileBytes: 10_000, maxAgeMs: 0, maxDirectoryBytes: null };
    const log = new ProtocolLog(() => settings, new JsonLogger(() => undefined));
    log.write(line(1));
    settings.folder = join(root, 'two');
    log.write(line(2));
    await log.close();
    const names = await settled(settings.folder, (n) => n.length === 1);
    assert.equal(names.length, 1);
    assert.match(readFileSync(join(settings.folder, names[0]), 'latin1'), /client-2\.example/);
  });
});
