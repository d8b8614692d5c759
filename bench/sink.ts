// The smart host every relay delivers to: one long-running Postfix smtp-sink
// whose live counter ("mesg=N", printed with -c) tells the moment the last
// message of a run has arrived.

import { spawn, type ChildProcess } from 'node:child_process';
import { stopChild } from '../src/lab/stop-child.js';

export class Sink {
  private counter = 0;
  private constructor(
    private readonly child: ChildProcess,
    readonly address: string,
    readonly port: number,
  ) {
    let tail = '';
    child.stdout!.setEncoding('latin1').on('data', (d: string) => {
      tail = (tail + d).slice(-200);
      const all = [...tail.matchAll(/mesg=(\d+)/g)];
      if (all.length > 0) this.counter = Number(all[all.length - 1][1]);
    });
  }

  static async start(address: string, port: number): Promise<Sink> {
    const child = spawn('/usr/sbin/smtp-sink', ['-c', '-u', 'nobody', '-m', '1024', `${address}:${port}`, '1024'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const sink = new Sink(child, address, port);
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(resolve, 300);
      child.once('exit', (code) => {
        clearTimeout(t);
        reject(new Error(`smtp-sink on ${address}:${port} exited (${code})`));
      });
    });
    return sink;
  }

  /** Messages received so far. */
  get messages(): number {
    return this.counter;
  }

  /** Waits until `target` messages have arrived (or the deadline); returns the time it happened, or null. */
  async waitFor(target: number, deadline: number): Promise<number | null> {
    while (Date.now() < deadline) {
      if (this.counter >= target) return performance.now();
      await new Promise((r) => setTimeout(r, 5));
    }
    return null;
  }

  stop(): Promise<void> {
    return stopChild(this.child, 5000);
  }
}
