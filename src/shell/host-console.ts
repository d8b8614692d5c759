// Console hosts. StreamHost serves piped standard input and script runs: one
// shared line queue read incrementally, so statements and the prompts inside
// commands (Get-Credential, Read-Host) consume the same stream in order;
// width 119; answers are not echoed. TerminalHost serves a person at a TTY:
// node:readline with history persisted to a file, tab completion, and
// passwords read in raw mode with '*' per character.

import { appendFileSync, readFileSync } from 'node:fs';
import * as readline from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { ShellHost } from './host.js';

/** Lines of a readable stream, handed out one at a time in order. */
export class LineQueue {
  private readonly lines: string[] = [];
  private readonly waiters: ((line: string | null) => void)[] = [];
  private partial = '';
  private ended = false;
  private first = true;
  private readonly onData = (chunk: Buffer | string): void => this.push(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
  private readonly onEnd = (): void => this.end();

  constructor(private readonly input: Readable) {
    input.on('data', this.onData);
    input.on('end', this.onEnd);
    input.on('close', this.onEnd);
    input.on('error', this.onEnd);
  }

  private push(text: string): void {
    let t = text;
    if (this.first) {
      this.first = false;
      if (t.charCodeAt(0) === 0xfeff) t = t.slice(1);
    }
    this.partial += t;
    let nl: number;
    while ((nl = this.partial.indexOf('\n')) >= 0) {
      const line = this.partial.slice(0, nl).replace(/\r$/, '');
      this.partial = this.partial.slice(nl + 1);
      this.deliver(line);
    }
  }

  private deliver(line: string | null): void {
    const w = this.waiters.shift();
    if (w) w(line);
    else if (line !== null) this.lines.push(line);
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.partial !== '') {
      const last = this.partial.replace(/\r$/, '');
      this.partial = '';
      this.deliver(last);
    }
    while (this.waiters.length) this.deliver(null);
  }

  next(): Promise<string | null> {
    if (this.lines.length) return Promise.resolve(this.lines.shift() as string);
    if (this.ended) return Promise.resolve(null);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Puts a line back in front of the queue. */
  unshift(line: string): void {
    this.lines.unshift(line);
  }

  close(): void {
    this.input.off('data', this.onData);
    this.input.off('end', this.onEnd);
    this.input.off('close', this.onEnd);
    this.input.off('error', this.onEnd);
    this.input.pause();
  }
}

/** Piped standard input / non-interactive runs. */
export class StreamHost implements ShellHost {
  readonly interactive = false;
  readonly width: number;
  private readonly queue: LineQueue;

  constructor(input: Readable, private readonly output: Writable, private readonly errorOutput: Writable = output, width = 119) {
    this.queue = new LineQueue(input);
    this.width = width;
  }

  write(text: string): void {
    this.output.write(text);
  }

  writeError(text: string): void {
    this.errorOutput.write(text);
  }

  private async read(prompt: string): Promise<string | null> {
    if (prompt) this.write(prompt);
    const line = await this.queue.next();
    if (prompt && line !== null) this.write('\n');
    return line;
  }

  readLine(prompt: string): Promise<string | null> {
    return this.read(prompt);
  }

  readSecret(prompt: string): Promise<string | null> {
    return this.read(prompt);
  }

  unreadLine(line: string): void {
    this.queue.unshift(line);
  }

  close(): void {
    this.queue.close();
  }
}

export interface TerminalHostOptions {
  /** History file (e.g. ~/.gatehouse_history); no history kept when absent. */
  historyFile?: string;
  /** Name shown in the prompt `[PS] <name>> `. */
  computerName?: string;
  input?: NodeJS.ReadStream;
  output?: NodeJS.WriteStream;
  errorOutput?: NodeJS.WriteStream;
  historySize?: number;
}

type Completer = (line: string) => string[];

/** A person at a terminal. */
export class TerminalHost implements ShellHost {
  readonly interactive = true;
  private rl: readline.Interface | undefined;
  private history: string[] = [];
  private completer: Completer | undefined;
  private closing = false;
  private eof = false;
  private readonly input: NodeJS.ReadStream;
  private readonly output: NodeJS.WriteStream;
  private readonly errorOutput: NodeJS.WriteStream;
  private readonly historySize: number;

  constructor(private readonly options: TerminalHostOptions = {}) {
    this.input = options.input ?? process.stdin;
    this.output = options.output ?? process.stdout;
    this.errorOutput = options.errorOutput ?? process.stderr;
    this.historySize = options.historySize ?? 1000;
    if (options.historyFile) {
      try {
        const lines = readFileSync(options.historyFile, 'utf8').split('\n').filter((l) => l.trim() !== '');
        this.history = lines.slice(-this.historySize).reverse();
      } catch {
        this.history = [];
      }
    }
  }

  get width(): number {
    const cols = this.output.columns;
    return cols && cols > 1 ? cols - 1 : 119;
  }

  setCompleter(fn: Completer): void {
    this.completer = fn;
  }

  statementPrompt(): string {
    return `[PS] ${this.options.computerName ?? 'localhost'}> `;
  }

  private interface(): readline.Interface {
    if (this.rl) return this.rl;
    const rl = readline.createInterface({
      input: this.input,
      output: this.output,
      terminal: true,
      history: this.history,
      historySize: this.historySize,
      removeHistoryDuplicates: true,
      completer: (line: string): [string[], string] => {
        const word = line.split(/[\s|;(]+/).pop() ?? '';
        const hits = this.completer ? this.completer(line) : [];
        return [hits, word];
      },
    });
    rl.on('close', () => {
      if (!this.closing) this.eof = true;
    });
    rl.on('history', (h: string[]) => {
      this.history = h;
    });
    this.rl = rl;
    return rl;
  }

  write(text: string): void {
    this.output.write(text);
  }

  writeError(text: string): void {
    if (this.errorOutput.isTTY) this.errorOutput.write('\x1b[91m' + text + '\x1b[0m');
    else this.errorOutput.write(text);
  }

  readLine(prompt: string): Promise<string | null> {
    if (this.eof) return Promise.resolve(null);
    const rl = this.interface();
    return new Promise((resolve) => {
      let settled = false;
      const finish = (v: string | null): void => {
        if (settled) return;
        settled = true;
        rl.off('close', onClose);
        rl.off('SIGINT', onInterrupt);
        resolve(v);
      };
      const abort = new AbortController();
      const onClose = (): void => finish(null);
      const onInterrupt = (): void => {
        // Ctrl+C abandons the line being typed
        rl.write(null, { ctrl: true, name: 'u' });
        abort.abort();
        this.output.write('\n');
        finish('');
      };
      rl.once('close', onClose);
      rl.on('SIGINT', onInterrupt);
      rl.question(prompt, { signal: abort.signal }, (answer) => {
        if (prompt.startsWith('[PS]') || prompt === '>> ') this.remember(answer);
        else this.forgetLast(answer);
        finish(answer);
      });
    });
  }

  private remember(line: string): void {
    if (!this.options.historyFile || line.trim() === '') return;
    try {
      appendFileSync(this.options.historyFile, line + '\n', { mode: 0o600 });
    } catch {
      // history is a convenience
    }
  }

  /** Answers to prompts (Read-Host, user names) stay out of the history. */
  private forgetLast(answer: string): void {
    const h = (this.rl as unknown as { history?: string[] } | undefined)?.history;
    if (h && h[0] === answer) h.shift();
  }

  /** Raw mode, '*' per character, Backspace erases, Enter ends, Ctrl+C / Ctrl+D cancel (null). */
  readSecret(prompt: string): Promise<string | null> {
    if (this.eof) return Promise.resolve(null);
    const input = this.input;
    // hand the terminal over from readline for the duration of the secret
    if (this.rl) {
      this.closing = true;
      this.history = (this.rl as unknown as { history?: string[] }).history ?? this.history;
      this.rl.close();
      this.rl = undefined;
      this.closing = false;
    }
    return new Promise((resolve) => {
      let value = '';
      const wasRaw = input.isRaw;
      // Echo goes off before the prompt appears: whatever the person types after seeing it stays hidden.
      if (input.isTTY) input.setRawMode(true);
      this.output.write(prompt);
      input.resume();
      const done = (v: string | null): void => {
        input.off('data', onData);
        if (input.isTTY) input.setRawMode(wasRaw ?? false);
        this.output.write('\n');
        resolve(v);
      };
      const onData = (chunk: Buffer | string): void => {
        const text = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
        for (let i = 0; i < text.length; i++) {
          const c = text[i];
          if (c === '\r' || c === '\n') return done(value);
          if (c === '\u0003') return done(null);
          if (c === '\u0004') {
            if (value === '') {
              this.eof = true;
              return done(null);
            }
            continue;
          }
          if (c === '\u007f' || c === '\b') {
            if (value.length) {
              value = value.slice(0, -1);
              this.output.write('\b \b');
            }
            continue;
          }
          if (c === '\u001b') {
            // skip an escape sequence (arrows and the like)
            while (i + 1 < text.length && !/[A-Za-z~]/.test(text[i + 1])) i++;
            i++;
            continue;
          }
          if (c < ' ') continue;
          value += c;
          this.output.write('*');
        }
      };
      input.on('data', onData);
    });
  }

  close(): void {
    if (this.rl) {
      this.closing = true;
      this.rl.close();
      this.rl = undefined;
    }
    this.input.pause();
  }
}
