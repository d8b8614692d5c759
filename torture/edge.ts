// The Edge under torture: set up through its own shell like an admin would
// (the seed's "From Internet" and "To Internal Org" shape, relaying
// contoso.com to a smart host), started as a real `gatehouse start` process,
// killed with SIGKILL and started again.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ROOT } from '../src/lab/seed-script.js';
import { answers } from '../src/lab/port-probe.js';
import { stopChild } from '../src/lab/stop-child.js';

const BIN = join(ROOT, 'bin', 'gatehouse.js');

export class TorturedEdge {
  private child?: ChildProcess;
  readonly data: string;
  /** What the Edge logged (warnings and errors), for the report when something goes wrong. */
  readonly errors: string[] = [];

  constructor(
    scratch: string,
    readonly host: string,
    readonly port: number,
  ) {
    this.data = join(scratch, 'EDGE01');
  }

  shell(script: string): void {
    const r = spawnSync(process.execPath, [BIN, 'shell', '--data', this.data], { input: script + '\n', encoding: 'utf8', timeout: 60_000 });
    if (r.status !== 0 || r.stderr.trim()) throw new Error(`gatehouse shell failed:\n${script}\n${r.stdout}\n${r.stderr}`);
  }

  setUp(smartHost: string, smartHostPort: number): void {
    const r = spawnSync(process.execPath, [BIN, 'setup', '--role', 'EdgeTransport', '--name', 'EDGE01', '--fqdn', 'edge01.contoso.net', '--data', this.data], { encoding: 'utf8', timeout: 60_000 });
    if (r.status !== 0) throw new Error(`gatehouse setup failed: ${r.stderr}`);
    this.shell(
      [
        'New-AcceptedDomain Contoso -DomainName contoso.com',
        `Set-ReceiveConnector "Default internal Receive connector EDGE01" -Name "From Internet" -Bindings ${this.host}:${this.port}`,
        // One load generator stands for many Internet clients.
        'Set-ReceiveConnector "From Internet" -MaxInboundConnectionPerSource unlimited -MaxInboundConnectionPercentagePerSource 100 -MessageRateLimit unlimited',
        'Set-TransportService EDGE01 -MaxConnectionRatePerMinute 10000000 -TransientFailureRetryInterval 00:00:01 -MessageRetryInterval 00:00:01',
        `New-SendConnector -Name "To Internal Org" -Usage Internal -AddressSpaces contoso.com -DNSRoutingEnabled $false -SmartHosts ${smartHost} -Port ${smartHostPort}`,
      ].join('\n'),
    );
  }

  /** Points "To Internal Org" at another smart host while the Edge runs: queued mail is re-routed. */
  reroute(smartHost: string): void {
    this.shell(`Set-SendConnector "To Internal Org" -SmartHosts ${smartHost}`);
  }

  async start(): Promise<void> {
    const child = spawn(process.execPath, [BIN, 'start', '--data', this.data], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, GATEHOUSE_LOG_LEVEL: 'warn' } });
    this.child = child;
    for (const stream of [child.stdout!, child.stderr!]) {
      let tail = '';
      stream.setEncoding('utf8').on('data', (d: string) => {
        tail += d;
        const lines = tail.split('\n');
        tail = lines.pop()!;
        for (const l of lines) if (this.errors.length < 500) this.errors.push(l);
      });
    }
    const deadline = Date.now() + 30_000;
    while (!(await answers(this.host, this.port))) {
      if (child.exitCode !== null) throw new Error(`the Edge exited at start (${child.exitCode}):\n${this.errors.join('\n')}`);
      if (Date.now() > deadline) throw new Error(`the Edge did not listen on ${this.host}:${this.port} within 30 s`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }

  async stop(): Promise<void> {
    if (this.child) await stopChild(this.child, 20_000);
  }

  /** Messages and undelivered recipients in the queue (read from the store, the Edge stopped or running). */
  queueDepth(): { messages: number; pending: number } {
    const db = new Database(join(this.data, 'queue.db'), { readonly: true });
    try {
      const messages = (db.prepare('SELECT COUNT(*) AS n FROM messages').get() as { n: number }).n;
      const pending = (db.prepare("SELECT COUNT(*) AS n FROM recipients WHERE status IN ('Ready', 'Retry')").get() as { n: number }).n;
      return { messages, pending };
    } finally {
      db.close();
    }
  }

  /** What still waits in the queue, by queue, status and last error (for a run that did not drain). */
  leftInQueue(): string[] {
    const db = new Database(join(this.data, 'queue.db'), { readonly: true });
    try {
      const rows = db
        .prepare(
          `SELECT COALESCE(next_hop, 'Submission') AS queue, status, COUNT(*) AS n, MAX(last_error) AS error FROM recipients
        WHERE status IN ('Ready', 'Retry') GROUP BY 1, 2`,
        )
        .all() as { queue: string; status: string; n: number; error: string | null }[];
      return rows.map((r) => `${r.n} recipient(s) ${r.status} in ${r.queue}${r.error ? `: ${r.error}` : ''}`);
    } finally {
      db.close();
    }
  }

  /** Tags of the messages the Edge's tracking log reports as sent to the next hop (SEND events). */
  reportedSent(): Set<string> {
    const db = new Database(join(this.data, 'queue.db'), { readonly: true });
    try {
      const rows = db.prepare("SELECT message_id FROM tracking_events WHERE event_id = 'SEND'").all() as { message_id: string | null }[];
      return new Set(rows.map((r) => /<?([^@<>]+)@torture\.test>?/.exec(r.message_id ?? '')?.[1]).filter((t): t is string => !!t));
    } finally {
      db.close();
    }
  }
}
