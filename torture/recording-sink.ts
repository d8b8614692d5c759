// The smart host the tortured Edge relays to: Postfix's smtp-sink, dumping
// every transaction it answered 250 to as a file. The recorder reads new dumps
// as they appear and counts arrivals per message tag (the Message-ID's local
// part), so duplicates and losses can be told apart afterwards.

import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { answers } from '../src/lab/port-probe.js';
import { stopChild } from '../src/lab/stop-child.js';

/** The last line of every torture message's body. */
export const TRAILER = 'end of torture message';

export class RecordingSink {
  /** Arrivals per tag. */
  readonly arrivals = new Map<string, number>();
  /** When each tag first arrived (the dump's modification time, ms). */
  readonly firstArrival = new Map<string, number>();
  /** Tagged arrivals in all, duplicates included. */
  total = 0;
  /** Dumps without a torture tag (should stay 0). */
  untagged = 0;
  private readonly seen = new Set<string>();

  private constructor(
    private readonly child: ChildProcess,
    readonly address: string,
    readonly port: number,
    private readonly dir: string,
  ) {}

  static async start(address: string, port: number, dir: string): Promise<RecordingSink> {
    mkdirSync(dir, { recursive: true });
    chmodSync(dir, 0o777);
    const child = spawn('/usr/sbin/smtp-sink', ['-u', 'root', '-d', join(dir, '%M.'), `${address}:${port}`, '1024'], { stdio: ['ignore', 'ignore', 'pipe'] });
    const sink = new RecordingSink(child, address, port, dir);
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`smtp-sink on ${address}:${port} exited (${child.exitCode}); is Postfix installed?`);
      if (await answers(address, port)) return sink;
      if (Date.now() > deadline) throw new Error(`smtp-sink on ${address}:${port} did not listen within 10 s`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Reads the dumps written since the last scan; returns how many arrived. */
  scan(): number {
    let fresh = 0;
    for (const name of readdirSync(this.dir)) {
      if (this.seen.has(name)) continue;
      let text: string;
      try {
        text = readFileSync(join(this.dir, name), 'latin1');
      } catch {
        continue; // smtp-sink removes the dump of a transaction the client aborted
      }
      // smtp-sink writes the dump while the transaction runs: count it once its last line is there.
      if (!text.includes(TRAILER)) continue;
      this.seen.add(name);
      const tag = /^Message-ID: <([^@>]+)@torture\.test>/im.exec(text)?.[1];
      if (!tag) {
        this.untagged++;
        continue;
      }
      this.arrivals.set(tag, (this.arrivals.get(tag) ?? 0) + 1);
      this.total++;
      const at = statSync(join(this.dir, name), { throwIfNoEntry: false })?.mtimeMs ?? Date.now();
      if (!this.firstArrival.has(tag) || at < this.firstArrival.get(tag)!) this.firstArrival.set(tag, at);
      fresh++;
    }
    return fresh;
  }

  stop(): Promise<void> {
    return stopChild(this.child, 5000);
  }
}
