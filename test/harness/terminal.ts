// A real terminal for the tests: a tmux server of the test's own (its own
// socket, so nothing else is touched) runs a command in one pane; the test
// types keys, pastes text (bracketed or as a plain burst) and reads the
// screen as tmux draws it, scrollback included, wrapped rows joined. The
// command's exit status is printed by sh once it has waited for it.

import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const EXIT_MARK = '[exit status ';

function quote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export class Terminal {
  private closed = false;
  private socketPath = '';

  private constructor(private readonly socket: string) {}

  /** Starts `argv` (with `env` added) in a width x height pane; the pane stays after the command ends. */
  static start(dir: string, name: string, argv: string[], env: Record<string, string>, size = { width: 120, height: 40 }): Terminal {
    const socket = `gatehouse-${name}-${process.pid}`;
    const conf = join(dir, `${name}.tmux.conf`);
    writeFileSync(conf, 'set -g history-limit 50000\nset -g remain-on-exit on\nset -g status off\n');
    // sh reports the command's exit status on the screen once it has waited for it
    const run = ['env', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), ...argv].map(quote).join(' ');
    const command = `sh -c ${quote(`${run}; echo "${EXIT_MARK}$?]"`)}`;
    const t = new Terminal(socket);
    t.tmux(['-f', conf, 'new-session', '-d', '-s', 'main', '-x', String(size.width), '-y', String(size.height), command]);
    t.socketPath = t.tmux(['display-message', '-p', '#{socket_path}']).trim();
    return t;
  }

  private tmux(args: string[], input?: string): string {
    const r = spawnSync('tmux', ['-L', this.socket, ...args], { encoding: 'utf8', input, timeout: 10_000 });
    if (r.status !== 0) throw new Error(`tmux ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
    return r.stdout;
  }

  /** tmux key names ('Enter', 'C-a', 'Tab', 'BTab') and literal words, in one burst. */
  keys(...keys: string[]): void {
    this.tmux(['send-keys', '-t', 'main', ...keys]);
  }

  /** Text typed as is (no key names). */
  type(text: string): void {
    this.tmux(['send-keys', '-t', 'main', '-l', text]);
  }

  /** Pastes text in one write: with the bracketed paste markers when the program asked for them, or as a plain burst. */
  paste(text: string, bracketed: boolean): void {
    this.tmux(['load-buffer', '-b', 'paste', '-'], text);
    this.tmux(['paste-buffer', '-t', 'main', '-b', 'paste', '-d', ...(bracketed ? ['-p'] : [])]);
  }

  /** Everything the pane showed (scrollback and screen), wrapped rows joined, trailing blanks removed. */
  screen(): string {
    return this.tmux(['capture-pane', '-t', 'main', '-p', '-J', '-S', '-'])
      .split('\n')
      .map((l) => l.replace(/\s+$/, ''))
      .join('\n')
      .replace(/\n+$/, '\n');
  }

  /** The exit status of the command once it ended, else undefined. */
  exitStatus(): number | undefined {
    const m = /\[exit status (\d+)\]/.exec(this.screen());
    return m ? Number(m[1]) : undefined;
  }

  /** Waits until `test` holds for the screen (polled at most 400 times, 20 s); fails with the screen otherwise. */
  async waitFor(what: string, test: (screen: string) => boolean): Promise<string> {
    let shown = '';
    const deadline = Date.now() + 20_000;
    for (let i = 0; i < 400 && Date.now() < deadline; i++) {
      shown = this.screen();
      if (test(shown)) return shown;
      await sleep(50);
    }
    throw new Error(`the terminal never showed ${what}; it shows:\n${shown}`);
  }

  /** Waits until the screen's text after `from` characters contains `text`. */
  waitForText(text: string, from = 0): Promise<string> {
    return this.waitFor(JSON.stringify(text), (s) => s.indexOf(text, from) >= 0);
  }

  /** Waits for the command to end; its exit status. */
  async waitForExit(): Promise<number> {
    const deadline = Date.now() + 20_000;
    for (let i = 0; i < 400 && Date.now() < deadline; i++) {
      const status = this.exitStatus();
      if (status !== undefined) return status;
      await sleep(50);
    }
    throw new Error(`the command in the terminal did not end; it shows:\n${this.screen()}`);
  }

  /** Ends this test's tmux server (and the command in it) and removes its socket. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    spawnSync('tmux', ['-L', this.socket, 'kill-server'], { timeout: 10_000 });
    if (this.socketPath) rmSync(this.socketPath, { force: true });
  }
}
