// Structured logs: one JSON object per line on standard output, with a
// timestamp, a level and an event name from a fixed vocabulary
// ("smtp.in.connection.refused", "config.applied", ...), plus the session,
// connector and peer once known. Secrets are never passed in.

export type Level = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  log(level: Level, event: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

const RANK: Record<Level, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** The lowest level written: GATEHOUSE_LOG_LEVEL (debug, info, warn, error), info by default. */
export function levelFromEnvironment(value = process.env.GATEHOUSE_LOG_LEVEL): Level {
  const v = (value ?? '').toLowerCase();
  return v in RANK ? (v as Level) : 'info';
}

export class JsonLogger implements Logger {
  constructor(
    private readonly out: (line: string) => void = (l) => process.stdout.write(l),
    private readonly base: Record<string, unknown> = {},
    private readonly minimum: Level = levelFromEnvironment(),
  ) {}

  log(level: Level, event: string, fields: Record<string, unknown> = {}): void {
    if (RANK[level] < RANK[this.minimum]) return;
    this.out(JSON.stringify({ ts: new Date().toISOString(), level, event, ...this.base, ...fields }) + '\n');
  }

  child(fields: Record<string, unknown>): Logger {
    return new JsonLogger(this.out, { ...this.base, ...fields }, this.minimum);
  }
}
