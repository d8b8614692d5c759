// The load: Postfix's smtp-source (one session per message: connect, HELO,
// MAIL, RCPT, DATA, QUIT) for throughput, and a small client of our own that
// times end-of-DATA to the 250 reply, for the latency figures. Both bounded in
// count and time.

import { spawn } from 'node:child_process';
import { connect, type Socket } from 'node:net';

export interface SourceRun {
  ok: boolean;
  /** Wall time smtp-source ran (ms). */
  ms: number;
  error?: string;
}

export function smtpSource(o: { address: string; port: number; concurrency: number; messages: number; size: number; timeoutMs: number }): Promise<SourceRun> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(
      '/usr/sbin/smtp-source',
      ['-s', String(o.concurrency), '-m', String(o.messages), '-l', String(o.size), '-N', '-f', 'sender@fabrikam.example', '-t', 'user@contoso.com', '-M', 'client.bench.test', `${o.address}:${o.port}`],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ ok: code === 0, ms: performance.now() - started, ...(code !== 0 && { error: stderr.trim() || `smtp-source exited with ${code}` }) });
    });
  });
}

class LineReader {
  private buffer = '';
  private waiting: ((line: string) => void) | null = null;
  private lines: string[] = [];
  constructor(socket: Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      this.buffer += d;
      let nl;
      while ((nl = this.buffer.indexOf('\n')) >= 0) {
        const line = this.buffer.slice(0, nl + 1);
        this.buffer = this.buffer.slice(nl + 1);
        // A reply ends with a line whose code is followed by a space.
        if (/^\d{3} /.test(line)) {
          if (this.waiting) {
            const w = this.waiting;
            this.waiting = null;
            w(line);
          } else this.lines.push(line);
        }
      }
    });
  }
  next(timeoutMs: number): Promise<string> {
    const ready = this.lines.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no reply within the timeout')), timeoutMs);
      this.waiting = (line) => {
        clearTimeout(t);
        resolve(line);
      };
    });
  }
}

async function oneMessage(address: string, port: number, body: string): Promise<number> {
  const socket = connect({ host: address, port });
  socket.setNoDelay(true);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.on('error', () => undefined);
  const r = new LineReader(socket);
  try {
    const expect = async (code: string) => {
      const line = await r.next(30_000);
      if (!line.startsWith(code)) throw new Error(`expected ${code}, got ${line.trim()}`);
    };
    await expect('220');
    socket.write('HELO client.bench.test\r\n');
    await expect('250');
    socket.write('MAIL FROM:<sender@fabrikam.example>\r\n');
    await expect('250');
    socket.write('RCPT TO:<user@contoso.com>\r\n');
    await expect('250');
    socket.write('DATA\r\n');
    await expect('354');
    socket.write(body);
    const t = performance.now();
    socket.write('.\r\n');
    await expect('250');
    const ms = performance.now() - t;
    socket.write('QUIT\r\n');
    await r.next(5_000).catch(() => '');
    return ms;
  } finally {
    socket.destroy();
  }
}

/** End-of-DATA to 250, per message, over `concurrency` parallel sessions. */
export async function acceptLatencies(o: { address: string; port: number; concurrency: number; messages: number; size: number; deadlineMs: number }): Promise<number[]> {
  const line = 'X'.repeat(78) + '\r\n';
  const body = `From: sender@fabrikam.example\r\nTo: user@contoso.com\r\nSubject: latency\r\n\r\n${line.repeat(Math.max(1, Math.floor(o.size / line.length)))}`;
  const out: number[] = [];
  const deadline = Date.now() + o.deadlineMs;
  let next = 0;
  const worker = async () => {
    while (next < o.messages && Date.now() < deadline) {
      next++;
      out.push(await oneMessage(o.address, o.port, body));
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, worker));
  return out;
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
