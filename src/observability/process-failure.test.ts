import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import type { Logger } from './logger.js';
import { EXIT_CRASHED, exitOnUncaughtErrors } from './process-failure.js';

interface Line {
  level: string;
  event: string;
  fields: Record<string, unknown>;
}

function capture(): { log: Logger; lines: Line[] } {
  const lines: Line[] = [];
  const log = { log: (level: string, event: string, fields: Record<string, unknown>) => lines.push({ level, event, fields }), child: () => log } as unknown as Logger;
  return { log, lines };
}

class FakeProcess extends EventEmitter {
  exits: number[] = [];
  exit(code: number): void {
    this.exits.push(code);
  }
}

/** Runs a real Node.js process that installs the policy with the real `process` and its JSON logger, then runs body. */
function runChild(body: string): Promise<{ code: number | null; lines: Array<Record<string, unknown>>; stderr: string }> {
  const script = `
    import { exitOnUncaughtErrors } from ${JSON.stringify(new URL('./process-failure.js', import.meta.url).href)};
    import { JsonLogger } from ${JSON.stringify(new URL('./logger.js', import.meta.url).href)};
    exitOnUncaughtErrors(process, new JsonLogger());
    ${body}`;
  return new Promise((resolve) => {
    execFile(process.execPath, ['--input-type=module', '-e', script], { timeout: 20_000, env: { ...process.env, GATEHOUSE_LOG_LEVEL: 'info' } }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      resolve({
        code,
        lines: stdout
          .split('\n')
          .filter((l) => l !== '')
          .map((l) => JSON.parse(l) as Record<string, unknown>),
        stderr,
      });
    });
  });
}

describe('exitOnUncaughtErrors', () => {
  it('logs an uncaught exception with its stack and exits with EXIT_CRASHED', () => {
    const proc = new FakeProcess();
    const { log, lines } = capture();
    exitOnUncaughtErrors(proc, log);
    const err = new TypeError('boom');
    proc.emit('uncaughtException', err);
    assert.deepEqual(proc.exits, [EXIT_CRASHED]);
    assert.equal(lines.length, 1);
    assert.equal(lines[0]!.level, 'error');
    assert.equal(lines[0]!.event, 'service.crashed');
    assert.equal(lines[0]!.fields.origin, 'uncaughtException');
    assert.equal(lines[0]!.fields.error, 'boom');
    assert.equal(lines[0]!.fields.stack, err.stack);
    assert.equal(lines[0]!.fields.exitCode, EXIT_CRASHED);
    assert.match(String(lines[0]!.fields.action), /systemd/);
  });

  it('logs an unhandled rejection, also of a value that is not an Error, and exits', () => {
    const proc = new FakeProcess();
    const { log, lines } = capture();
    exitOnUncaughtErrors(proc, log);
    proc.emit('unhandledRejection', 'plain reason');
    assert.deepEqual(proc.exits, [EXIT_CRASHED]);
    assert.deepEqual({ ...lines[0]!.fields, action: undefined }, { origin: 'unhandledRejection', error: 'plain reason', exitCode: EXIT_CRASHED, action: undefined });
  });

  it('exits even when logging fails, and handles only the first error', () => {
    const proc = new FakeProcess();
    const log = {
      log: () => {
        throw new Error('stdout is gone');
      },
      child: () => log,
    } as unknown as Logger;
    exitOnUncaughtErrors(proc, log);
    assert.throws(() => proc.emit('uncaughtException', new Error('first')), /stdout is gone/);
    proc.emit('uncaughtException', new Error('second'));
    assert.deepEqual(proc.exits, [EXIT_CRASHED]);
  });

  it('in a real process: a TypeError thrown from a timer is logged as JSON with its stack, and the process exits 70', async () => {
    const r = await runChild(`setTimeout(() => { const o = JSON.parse('null'); o.field = 1; }, 1); setInterval(() => undefined, 1000);`);
    assert.equal(r.code, EXIT_CRASHED, r.stderr);
    const crashed = r.lines.filter((l) => l.event === 'service.crashed');
    assert.equal(crashed.length, 1);
    assert.equal(crashed[0]!.level, 'error');
    assert.equal(crashed[0]!.origin, 'uncaughtException');
    assert.match(String(crashed[0]!.error), /Cannot set properties of null/);
    assert.match(String(crashed[0]!.stack), /^TypeError: Cannot set properties of null[^]*\n\s+at /);
  });

  it('in a real process: a rejected promise nobody handles is logged and the process exits 70', async () => {
    const r = await runChild(`import { readFile } from 'node:fs/promises'; void readFile('/nonexistent/gatehouse-file'); setInterval(() => undefined, 1000);`);
    assert.equal(r.code, EXIT_CRASHED, r.stderr);
    const crashed = r.lines.filter((l) => l.event === 'service.crashed');
    assert.equal(crashed.length, 1);
    assert.equal(crashed[0]!.origin, 'unhandledRejection');
    assert.match(String(crashed[0]!.error), /ENOENT/);
  });
});
