// Structured logs: one JSON object per line on standard output, with a
// timestamp, a level and an event name from a fixed vocabulary
// ("smtp.in.connection.refused", "config.applied", ...), plus the session,
// connector and peer once known. Secrets are never passed in. The events, their
// fields and levels are catalogued in log-events.ts (docs/log-events.md).

import { writeSync } from 'node:fs';
import type { LogEventLevel, LogEventName, LogEvents } from './log-events.js';

export type Level = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  /** One event of the catalogue, at one of its levels, with its fields. */
  log<E extends LogEventName>(level: LogEventLevel<E>, event: E, fields: LogEvents[E]): void;
  /** A logger adding these context fields (server, component, session, connector, remote) to every line. */
  child(fields: Record<string, unknown>): Logger;
}

const RANK: Record<Level, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** The lowest level written: GATEHOUSE_LOG_LEVEL (debug, info, warn, error), info by default. */
export function levelFromEnvironment(value = process.env.GATEHOUSE_LOG_LEVEL): Level {
  const v = (value ?? '').toLowerCase();
  return v in RANK ? (v as Level) : 'info';
}

/**
 * Standard output, written once per turn of the event loop (many lines in one write); what is
 * still buffered when the process exits is written synchronously then.
 */
class BufferedStdout {
  private buffer = '';
  private scheduled = false;
  constructor() {
    process.once('exit', () => this.flushSync());
  }
  write = (line: string): void => {
    this.buffer += line;
    if (this.buffer.length > 1 << 20) return this.flush();
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  };
  private flush(): void {
    this.scheduled = false;
    if (this.buffer === '') return;
    const text = this.buffer;
    this.buffer = '';
    process.stdout.write(text);
  }
  private flushSync(): void {
    if (this.buffer === '') return;
    try {
      writeSync(1, this.buffer);
    } catch {
      // standard output is gone
    }
    this.buffer = '';
  }
}

let stdout: BufferedStdout | null = null;
const toStdout = (line: string) => (stdout ??= new BufferedStdout()).write(line);

export class JsonLogger implements Logger {
  constructor(
    private readonly out: (line: string) => void = toStdout,
    private readonly base: Record<string, unknown> = {},
    private readonly minimum: Level = levelFromEnvironment(),
  ) {}

  log<E extends LogEventName>(level: LogEventLevel<E>, event: E, fields: LogEvents[E]): void {
    if (RANK[level] < RANK[this.minimum]) return;
    this.out(JSON.stringify({ ts: new Date().toISOString(), level, event, ...this.base, ...fields }) + '\n');
  }

  child(fields: Record<string, unknown>): Logger {
    return new JsonLogger(this.out, { ...this.base, ...fields }, this.minimum);
  }
}
