// An in-memory ShellHost for tests and embedding: input lines come from an
// array, output and errors are collected (also interleaved in `transcript`).
// Like a piped stream, answers to prompts are not echoed; the prompt line is
// ended with a newline.

import type { ShellHost } from './host.js';

export interface MemoryHostOptions {
  lines?: string[];
  interactive?: boolean;
  width?: number;
  /** Echo answers after prompts (as a terminal shows them; secrets as '*'). */
  echo?: boolean;
}

export class MemoryHost implements ShellHost {
  readonly interactive: boolean;
  readonly width: number;
  out = '';
  err = '';
  transcript = '';
  readonly prompts: string[] = [];
  private readonly lines: string[];
  private readonly echo: boolean;

  constructor(options: MemoryHostOptions = {}) {
    this.lines = [...(options.lines ?? [])];
    this.interactive = options.interactive ?? false;
    this.width = options.width ?? 119;
    this.echo = options.echo ?? false;
  }

  /** Adds input lines (for a running session). */
  feed(...lines: string[]): void {
    this.lines.push(...lines);
  }

  write(text: string): void {
    this.out += text;
    this.transcript += text;
  }

  writeError(text: string): void {
    this.err += text;
    this.transcript += text;
  }

  private read(prompt: string, secret: boolean): Promise<string | null> {
    this.prompts.push(prompt);
    if (prompt) this.write(prompt);
    const line = this.lines.length ? (this.lines.shift() as string) : null;
    if (prompt && line !== null) this.write((this.echo ? (secret ? '*'.repeat(line.length) : line) : '') + '\n');
    return Promise.resolve(line);
  }

  readLine(prompt: string): Promise<string | null> {
    return this.read(prompt, false);
  }

  readSecret(prompt: string): Promise<string | null> {
    return this.read(prompt, true);
  }

  unreadLine(line: string): void {
    this.lines.unshift(line);
  }
}
