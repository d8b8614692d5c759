// Starts `gatehouse start` as a real process, waits for its readiness line,
// collects its JSON log, and stops it (SIGTERM, or SIGKILL on demand).

import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { BIN } from './gatehouse.js';

export interface LogLine {
  event: string;
  level: string;
  [key: string]: unknown;
}

export class RunningService {
  readonly lines: LogLine[] = [];
  private buffer = '';
  private waiters: { match: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = [];
  readonly exited: Promise<number | null>;

  constructor(readonly child: ChildProcess) {
    child.stdout!.setEncoding('utf8').on('data', (d: string) => this.consume(d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => this.consume(d));
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  }

  private consume(d: string): void {
    this.buffer += d;
    let nl;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const text = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + 1);
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        line = { event: 'stderr', level: 'error', text };
      }
      this.lines.push(line);
      this.waiters = this.waiters.filter((w) => {
        if (!w.match(line)) return true;
        w.resolve(line);
        return false;
      });
    }
  }

  /** The first log line (already seen or coming) matching; fails after timeoutMs. */
  waitFor(match: (l: LogLine) => boolean, timeoutMs = 15_000, what = 'log line'): Promise<LogLine> {
    const seen = this.lines.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; log so far:\n${this.lines.map((l) => JSON.stringify(l)).join('\n')}`)), timeoutMs);
      this.waiters.push({
        match,
        resolve: (l) => {
          clearTimeout(timer);
          resolve(l);
        },
      });
    });
  }

  /** The process has not exited (nor been killed by a signal) and is not a zombie. */
  running(): boolean {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return false;
    try {
      return !/^State:\s+Z/m.test(readFileSync(`/proc/${this.child.pid}/status`, 'utf8'));
    } catch {
      return false;
    }
  }

  /** How the process ended (or that it runs) and its last log lines, for failure messages. */
  describe(lines = 20): string {
    const state = this.running() ? `running (pid ${this.child.pid})` : `not running (pid ${this.child.pid}, exit code ${this.child.exitCode}, signal ${this.child.signalCode})`;
    return `the service is ${state}; its last log lines:\n${this.lines
      .slice(-lines)
      .map((l) => JSON.stringify(l))
      .join('\n')}`;
  }

  async stop(): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }

  kill(): Promise<number | null> {
    this.child.kill('SIGKILL');
    return this.exited;
  }
}

/**
 * Starts `gatehouse start` on a server folder (as user `uid` when given) and waits until it is ready.
 * `installed`: run the command file itself, as the systemd unit and an admin do (its first line
 * chooses node and its settings; node is found on PATH, this one's first), not `node bin/gatehouse.js`.
 */
export async function startService(dataDir: string, extraArgs: string[] = [], env?: NodeJS.ProcessEnv, uid?: number, installed = false): Promise<RunningService> {
  const args = ['start', '--data', dataDir, ...extraArgs];
  const environment = installed ? { ...process.env, ...env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? '/usr/bin:/bin'}` } : env && { ...process.env, ...env };
  const child = spawn(installed ? BIN : process.execPath, installed ? args : [BIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(environment && { env: environment }),
    ...(uid !== undefined && { uid, gid: uid }),
  });
  const service = new RunningService(child);
  await service.waitFor((l) => l.event === 'service.ready' || l.event === 'service.start.failed' || (l.level === 'error' && l.event === 'stderr'), 20_000, 'service.ready');
  const ready = service.lines.find((l) => l.event === 'service.ready');
  if (!ready) {
    await service.kill();
    throw new Error(`the service did not start:\n${service.lines.map((l) => JSON.stringify(l)).join('\n')}`);
  }
  return service;
}
