// Console hosts. StreamHost serves piped standard input and script runs: one
// shared line queue read incrementally, so statements and the prompts inside
// commands (Get-Credential, Read-Host, confirmations) consume the same stream
// in order; width 119; answers are not echoed. TerminalHost serves a person
// at a TTY: its own line editor over raw keys (pastes and type-ahead run line
// by line as drawn), history per user and server, Tab cycling through
// completions, and passwords shown as '*' per character.

import type { Readable, Writable } from 'node:stream';
import { LineHistory } from './history.js';
import { PipelineStopped, type ShellHost } from './host.js';
import { LineEditor, type Completion } from './line-editor.js';
import { KeyDecoder, type Key } from './terminal-keys.js';
import { LineScreen } from './terminal-screen.js';

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

  constructor(
    input: Readable,
    private readonly output: Writable,
    private readonly errorOutput: Writable = output,
    width = 119,
  ) {
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
  /** History file (see history.ts: ~/.gatehouse/history/<server>.txt); history stays in memory when absent. */
  historyFile?: string;
  /** Name shown in the prompt `[PS] <name>> `. */
  computerName?: string;
  input?: NodeJS.ReadStream;
  output?: NodeJS.WriteStream;
  errorOutput?: NodeJS.WriteStream;
  historySize?: number;
}

type Completer = (line: string, cursor: number) => Completion;

const BRACKETED_PASTE_ON = '\x1b[?2004h';
const BRACKETED_PASTE_OFF = '\x1b[?2004l';

/**
 * A person at a terminal. The terminal stays in raw mode for the whole
 * session and every key goes into one queue, also while a command runs, so
 * a paste or keys typed ahead are edited and run in order, each line at its
 * own prompt, exactly as drawn.
 */
export class TerminalHost implements ShellHost {
  readonly interactive = true;
  private readonly keys: Key[] = [];
  private readonly decoder = new KeyDecoder();
  private wake: (() => void) | undefined;
  private started = false;
  private reading = false;
  private inputEnded = false;
  private eof = false;
  private completer: Completer | undefined;
  private readonly history: LineHistory;
  private readonly screen: LineScreen;
  private readonly input: NodeJS.ReadStream;
  private readonly output: NodeJS.WriteStream;
  private readonly errorOutput: NodeJS.WriteStream;
  private readonly onData = (chunk: Buffer | string): void => this.received(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
  private readonly onEnd = (): void => {
    this.inputEnded = true;
    this.wake?.();
  };
  private readonly restore = (): void => this.stop();

  constructor(private readonly options: TerminalHostOptions = {}) {
    this.input = options.input ?? process.stdin;
    this.output = options.output ?? process.stdout;
    this.errorOutput = options.errorOutput ?? process.stderr;
    this.history = new LineHistory(options.historyFile, options.historySize ?? 4096);
    this.screen = new LineScreen(
      (t) => this.output.write(t),
      () => this.output.columns || 120,
    );
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

  /** The prompts of the shell itself (a statement, its continuation), as opposed to a command's questions. */
  private isStatementPrompt(prompt: string): boolean {
    return prompt === this.statementPrompt() || prompt === '>> ';
  }

  private start(): void {
    if (this.started) return;
    this.started = true;
    if (this.input.isTTY) this.input.setRawMode(true);
    this.output.write(BRACKETED_PASTE_ON);
    this.input.on('data', this.onData);
    this.input.on('end', this.onEnd);
    this.input.on('close', this.onEnd);
    this.input.resume();
    process.once('exit', this.restore);
    const problem = this.history.takeFileError();
    if (problem) this.write(`WARNING: The command history is kept for this session only: ${problem}\n`);
  }

  private stop(): void {
    if (!this.started) return;
    this.started = false;
    process.off('exit', this.restore);
    this.input.off('data', this.onData);
    this.input.off('end', this.onEnd);
    this.input.off('close', this.onEnd);
    this.output.write(BRACKETED_PASTE_OFF);
    if (this.input.isTTY) this.input.setRawMode(false);
    this.input.pause();
  }

  private received(text: string): void {
    const keys = this.decoder.decode(text);
    if (!this.reading) {
      // Ctrl+C while a command runs drops what was typed or pasted ahead
      const last = keys.map((k) => k.name === 'ctrl-c' && !k.pasted).lastIndexOf(true);
      if (last >= 0) {
        this.keys.length = 0;
        keys.splice(0, last + 1);
      }
    }
    this.keys.push(...keys);
    this.wake?.();
  }

  private async nextKey(): Promise<Key | null> {
    while (this.keys.length === 0) {
      // a person may take any time to type: no time limit here, only the end of the input
      if (this.inputEnded) return null;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
      this.wake = undefined;
    }
    return this.keys.shift() as Key;
  }

  write(text: string): void {
    this.output.write(text);
  }

  writeError(text: string): void {
    if (this.errorOutput.isTTY) this.errorOutput.write('\x1b[91m' + text + '\x1b[0m');
    else this.errorOutput.write(text);
  }

  async readLine(prompt: string): Promise<string | null> {
    if (this.eof) return null;
    this.start();
    const statement = this.isStatementPrompt(prompt);
    const completer = this.completer;
    const editor = new LineEditor({
      history: statement ? this.history.lines : [],
      complete: statement && completer ? (line, cursor) => completer(line, cursor) : undefined,
    });
    this.reading = true;
    try {
      this.screen.begin();
      this.screen.draw(prompt, '', 0);
      for (;;) {
        const key = await this.nextKey();
        if (key === null) {
          this.screen.finish(prompt, editor.text);
          this.eof = true;
          return null;
        }
        const r = editor.feed(key);
        switch (r.kind) {
          case 'accept':
            this.screen.finish(prompt, r.line);
            if (statement) this.history.add(r.line);
            return r.line;
          case 'eof':
            this.screen.finish(prompt, editor.text);
            this.eof = true;
            return null;
          case 'interrupt':
            this.screen.finish(prompt, editor.text, '^C');
            this.keys.length = 0;
            throw new PipelineStopped(statement ? 'The line was abandoned (Ctrl+C).' : 'The command was stopped (Ctrl+C).');
          case 'clear-screen':
            this.output.write('\x1b[H\x1b[2J');
            this.screen.begin();
            break;
          case 'bell':
            this.output.write('\x07');
            break;
          default:
            break;
        }
        if (this.keys.length === 0) {
          const v = editor.view();
          this.screen.draw(prompt, v.text, v.cursor, v.status);
        }
      }
    } finally {
      this.reading = false;
    }
  }

  /** '*' per character, Backspace erases, Enter ends, Ctrl+D on an empty answer ends the input (null), Ctrl+C stops the command. */
  async readSecret(prompt: string): Promise<string | null> {
    if (this.eof) return null;
    this.start();
    this.reading = true;
    try {
      this.output.write(prompt);
      let value = '';
      for (;;) {
        const key = await this.nextKey();
        if (key === null) {
          this.eof = true;
          this.output.write('\r\n');
          return null;
        }
        switch (key.name) {
          case 'enter':
            this.output.write('\r\n');
            return value;
          case 'ctrl-c':
            this.output.write('^C\r\n');
            this.keys.length = 0;
            throw new PipelineStopped('The command was stopped (Ctrl+C).');
          case 'ctrl-d':
            if (value === '') {
              this.eof = true;
              this.output.write('\r\n');
              return null;
            }
            break;
          case 'backspace':
          case 'ctrl-h':
            if (value.length) {
              value = value.slice(0, -1);
              this.output.write('\b \b');
            }
            break;
          case 'char':
            value += key.text ?? '';
            this.output.write('*');
            break;
          default:
            break;
        }
      }
    } finally {
      this.reading = false;
    }
  }

  close(): void {
    this.stop();
  }
}
