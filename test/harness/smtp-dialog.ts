// A deliberately plain SMTP client for tests: a raw TCP socket, bytes written
// exactly as given (so tests can send hostile input), replies parsed into
// { code, text } as they arrive, and TLS on the same connection after
// STARTTLS. Every wait has a deadline.

import { connect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';

export interface Reply {
  code: number;
  lines: string[];
}

export class SmtpDialog {
  private buffer = '';
  private replies: Reply[] = [];
  private pending: string[] = [];
  private waiter: (() => void) | null = null;
  closed = false;
  /** Everything the server sent. */
  transcript = '';

  private constructor(public socket: Socket | TLSSocket) {
    this.listen(socket);
  }

  private listen(socket: Socket | TLSSocket): void {
    socket.on('data', (d: Buffer) => this.consume(d.toString('latin1')));
    socket.on('close', () => {
      this.closed = true;
      this.waiter?.();
    });
    socket.on('error', () => {
      this.closed = true;
      this.waiter?.();
    });
  }

  /** TLS on the same connection, after the server's 220 to STARTTLS (the server's certificate is not checked). */
  async upgrade(servername = 'localhost'): Promise<void> {
    const raw = this.socket;
    raw.removeAllListeners('data');
    const secure = tlsConnect({ socket: raw, rejectUnauthorized: false, servername });
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', () => resolve());
      secure.once('error', reject);
    });
    this.socket = secure;
    this.buffer = '';
    this.listen(secure);
  }

  /** Replies already received and not yet read. */
  unread(): number {
    return this.replies.length;
  }

  static open(host: string, port: number, localAddress?: string, timeoutMs = 10_000): Promise<SmtpDialog> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port, localAddress });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect to ${host}:${port} timed out`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(new SmtpDialog(socket));
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  private consume(d: string): void {
    this.transcript += d;
    this.buffer += d;
    let nl;
    while ((nl = this.buffer.indexOf('\r\n')) >= 0) {
      const line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + 2);
      this.pending.push(line);
      if (/^\d{3} /.test(line) || /^\d{3}$/.test(line)) {
        this.replies.push({ code: Number(line.slice(0, 3)), lines: this.pending.map((l) => l.slice(4)) });
        this.pending = [];
      }
    }
    this.waiter?.();
  }

  write(data: string | Buffer): void {
    if (!this.closed) this.socket.write(data);
  }

  /** The next reply; null when the server closed the connection first. */
  async reply(timeoutMs = 20_000): Promise<Reply | null> {
    const deadline = Date.now() + timeoutMs;
    while (this.replies.length === 0) {
      if (this.closed) return null;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no reply within ${timeoutMs} ms; transcript:\n${this.transcript}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.waiter = null;
    }
    return this.replies.shift()!;
  }

  async command(line: string, timeoutMs?: number): Promise<Reply | null> {
    this.write(line + '\r\n');
    return this.reply(timeoutMs);
  }

  /**
   * Waits until `condition()` holds, checked each time bytes arrive or the connection closes;
   * false if it did not within timeoutMs, or the connection closed without it holding.
   */
  async until(condition: () => boolean, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (this.closed) return condition();
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.waiter = null;
    }
    return true;
  }

  /** Waits until the server closes the connection; false if it did not within timeoutMs. */
  async closedWithin(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    return this.closed;
  }

  close(): void {
    this.socket.destroy();
  }
}
