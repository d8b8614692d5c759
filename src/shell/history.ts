// Command history, in the two forms PowerShell has. The line history a
// terminal recalls (Up, Ctrl+R) is kept per user and per server in
// ~/.gatehouse/history/<server>.txt, a 0600 file in a 0700 folder; as
// PSReadLine's default handler does, a line that mentions a password, a
// secure string, a token, an API key or a secret stays in memory for this
// session and never reaches the file. The session history (Get-History,
// Invoke-History, Clear-History) holds the commands run in this session with
// their status and times, secrets included, and is gone when the shell ends.

import { appendFileSync, chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Runtime } from './runtime.js';

const SENSITIVE = /password|asplaintext|securestring|token|apikey|secret/i;

/** A line that must not be written to the history file. */
export function isSensitive(line: string): boolean {
  return SENSITIVE.test(line);
}

/** ~/.gatehouse/history/<server name>.txt */
export function historyFilePath(home: string, serverName: string): string {
  const safe = serverName.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_') || 'server';
  return join(home, '.gatehouse', 'history', `${safe}.txt`);
}

/** The lines a terminal recalls: loaded from the file, new ones appended as they are entered. */
export class LineHistory {
  /** Oldest first. */
  readonly lines: string[] = [];
  private fileError: string | undefined;

  constructor(
    private readonly file: string | undefined,
    private readonly limit = 4096,
  ) {
    if (!file) return;
    try {
      const text = readFileSync(file, 'utf8');
      const all = text.split('\n').filter((l) => l.trim() !== '');
      this.lines.push(...all.slice(-limit));
      if (all.length > limit * 2) writeFileSync(file, this.lines.join('\n') + '\n', { mode: 0o600 });
      if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') this.fileError = (e as Error).message;
    }
  }

  /** Why the file could not be read or written, once (then history stays in memory). */
  takeFileError(): string | undefined {
    const e = this.fileError;
    this.fileError = undefined;
    return e;
  }

  /** Adds an entered line (not a blank one, nor the same as the previous one); secrets stay out of the file. */
  add(line: string): void {
    if (line.trim() === '') return;
    if (this.lines[this.lines.length - 1] !== line) {
      this.lines.push(line);
      if (this.lines.length > this.limit) this.lines.shift();
    }
    if (!this.file || isSensitive(line)) return;
    try {
      mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
      appendFileSync(this.file, line + '\n', { mode: 0o600 });
    } catch (e) {
      this.fileError ??= (e as Error).message;
    }
  }
}

export type ExecutionStatus = 'Completed' | 'Failed' | 'Stopped';

export interface HistoryEntry {
  id: number;
  commandLine: string;
  status: ExecutionStatus;
  start: Date;
  end: Date;
}

/** The commands run in one session, numbered from 1. */
export class SessionHistory {
  private entries: HistoryEntry[] = [];
  private nextId = 1;
  /** Set by Invoke-History: the command line recorded in place of `r`. */
  replacement: string | undefined;

  add(commandLine: string, status: ExecutionStatus, start: Date, end: Date): void {
    const text = this.replacement ?? commandLine;
    this.replacement = undefined;
    if (text.trim() === '') return;
    this.entries.push({ id: this.nextId++, commandLine: text, status, start, end });
    if (this.entries.length > 4096) this.entries.shift();
  }

  list(): HistoryEntry[] {
    return this.entries.slice();
  }

  byId(id: number): HistoryEntry | undefined {
    return this.entries.find((e) => e.id === id);
  }

  remove(predicate: (e: HistoryEntry) => boolean): void {
    this.entries = this.entries.filter((e) => !predicate(e));
  }
}

const sessions = new WeakMap<Runtime, SessionHistory>();

/** The session history of a runtime. */
export function sessionHistory(rt: Runtime): SessionHistory {
  let h = sessions.get(rt);
  if (!h) {
    h = new SessionHistory();
    sessions.set(rt, h);
  }
  return h;
}
