// "250 means on disk", checked at the system calls: strace follows every
// thread of a running Edge while Postfix's smtp-source sends it messages one
// after another, and the trace must show the queue database synced to disk
// (fsync or fdatasync of queue.db or its WAL, completed) before each
// "250 2.6.0 ... Queued mail for delivery" goes out. A commit path that skipped
// the sync would still pass a SIGKILL test (the page cache survives the process),
// but not this one.

import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { gatehouse, scratchDir } from './harness/gatehouse.js';
import { until } from './harness/peers.js';
import { startService, type RunningService } from './harness/service.js';
import { SmtpDialog } from './harness/smtp-dialog.js';

const ADDRESS = '127.57.50.1';
const MESSAGES = 8;
const run = promisify(execFile);

interface TraceEvent {
  kind: 'sync' | 'accepted';
  line: string;
}

/**
 * The trace's completed syncs of the queue database and its 250 2.6.0 replies, in order. strace -f
 * splits a call that another thread interrupts into "<unfinished ...>" and "<... resumed>": a sync
 * counts where it completed, a reply where it was issued.
 */
function traceEvents(trace: string): TraceEvent[] {
  const out: TraceEvent[] = [];
  const open = new Map<string, boolean>();
  for (const line of trace.split('\n')) {
    const pid = /^(\d+)\s/.exec(line)?.[1] ?? '';
    const sync = /\b(fsync|fdatasync)\(\d+<([^>]*)>/.exec(line);
    if (sync) {
      const queueDb = /queue\.db(-wal)?$/.test(sync[2]);
      if (line.includes('<unfinished ...>')) open.set(pid, queueDb);
      else if (queueDb && /\)\s+= 0\b/.test(line)) out.push({ kind: 'sync', line });
      continue;
    }
    const resumed = /<\.\.\. (fsync|fdatasync) resumed>.*= 0\b/.test(line);
    if (resumed) {
      if (open.get(pid)) out.push({ kind: 'sync', line });
      open.delete(pid);
      continue;
    }
    if (/\b(write|writev|sendto|sendmsg)\(\d+<TCP/.test(line) && /"250 2\.6\.0 /.test(line)) out.push({ kind: 'accepted', line });
  }
  return out;
}

describe('acceptance syncs the queue to disk before the 250', () => {
  const dir = scratchDir('accept-fsync');
  const data = join(dir.path, 'EDGE01');
  const tracePath = join(dir.path, 'service.strace');
  let service: RunningService | undefined;
  let strace: ReturnType<typeof spawn> | undefined;

  before(async () => {
    assert.equal((await gatehouse(['setup', '--role', 'EdgeTransport', '--name', 'EDGE01', '--fqdn', 'edge01.contoso.net', '--data', data])).code, 0);
    const c = await gatehouse(['shell', '--data', data, '-c', `New-AcceptedDomain Contoso -DomainName contoso.com; Set-ReceiveConnector "Default internal Receive connector EDGE01" -Bindings ${ADDRESS}:25 -MessageRateLimit unlimited`]);
    assert.equal(c.code, 0, c.stderr);
  });
  after(async () => {
    if (strace && strace.exitCode === null) strace.kill('SIGINT');
    await service?.stop();
    dir.remove();
  });

  it(`syncs queue.db to disk before each of ${MESSAGES} messages from smtp-source gets its 250`, async (t) => {
    service = await startService(data);
    const pid = service.child.pid!;
    // Every thread of the service, with file and socket names (-yy) and microsecond times.
    strace = spawn('strace', ['-f', '-qq', '-ttt', '-yy', '-s', '120', '-e', 'trace=fsync,fdatasync,write,writev,sendto,sendmsg', '-o', tracePath, '-p', String(pid)], { stdio: ['ignore', 'ignore', 'pipe'] });
    let straceErr = '';
    strace.stderr!.setEncoding('utf8').on('data', (d: string) => {
      straceErr += d;
    });
    const exited = new Promise<void>((resolve) => strace!.on('exit', () => resolve()));
    // Attached once the service's greeting to a probe shows in the trace.
    await until(
      async () => {
        if (strace!.exitCode !== null) throw new Error(`strace ended (${strace!.exitCode}): ${straceErr}`);
        const d = await SmtpDialog.open(ADDRESS, 25);
        try {
          await d.reply();
        } finally {
          d.close();
        }
        return existsSync(tracePath) && /"220 /.test(readFileSync(tracePath, 'utf8'));
      },
      20_000,
      'strace to attach to the service',
    );

    // One session at a time, one message per connection: no two messages share a commit.
    const source = await run('/usr/sbin/smtp-source', ['-s', '1', '-m', String(MESSAGES), '-l', '2000', '-f', 'load@fabrikam.com', '-t', 'bob@contoso.com', `${ADDRESS}:25`], { timeout: 60_000 });
    assert.equal(source.stderr.trim(), '', 'smtp-source reports no error');
    strace.kill('SIGINT');
    await exited;

    const trace = readFileSync(tracePath, 'utf8');
    const events = traceEvents(trace);
    const accepted = events.filter((e) => e.kind === 'accepted');
    const shown = events.map((e) => e.line).join('\n');
    assert.equal(accepted.length, MESSAGES, `the trace shows ${accepted.length} "250 2.6.0" replies for ${MESSAGES} messages:\n${shown}`);
    let syncs = 0;
    for (const e of events) {
      if (e.kind === 'sync') {
        syncs++;
        continue;
      }
      assert.ok(syncs > 0, `a 250 went out with no sync of queue.db completed since the previous one:\n${e.line}\ntrace (queue.db syncs and 250 replies):\n${shown}`);
      syncs = 0;
    }
    t.diagnostic(`${events.length - accepted.length} completed syncs of queue.db for ${accepted.length} replies 250 2.6.0`);
  });
});
