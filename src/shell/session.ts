// A shell session: the public entry point the CLI uses. Runs a whole script
// (parsed first: a syntax error runs nothing) or reads statements line by line
// from the host (asking for more lines while a statement is incomplete), shows
// each statement's output through Out-Default, and keeps track of errors.
// Line by line, `exit` or `quit` ends the session and each command run is
// kept in the session history (Get-History).

import type { ScriptAst, StatementAst, TrapAst } from './ast.js';
import type { CommandSpec } from './command.js';
import { builtinCommands, builtinViews } from './builtins/index.js';
import { completeLine } from './completion.js';
import { ParseError, ShellError, type ErrorRecord } from './errors.js';
import { dirname, resolve } from 'node:path';
import { executeStatement, runTrap, toShellError } from './evaluator.js';
import { bindScriptParameters } from './functions.js';
import { ExitSignal, isFlowSignal, takePendingOutput } from './flow.js';
import { renderOutDefault } from './format/out-default.js';
import { PipelineStopped, type ShellHost } from './host.js';
import { sessionHistory } from './history.js';
import type { Completion } from './line-editor.js';
import { parseScript } from './parser.js';
import { Runtime, ScriptHalted, type ShellEnvironment } from './runtime.js';

export type { ShellEnvironment } from './runtime.js';

/** `exit` or `quit` alone on a line ends a line-by-line session (a terminal, piped input). */
const LEAVE = /^\s*(exit|quit)\s*;?\s*$/i;

/** Hosts may supply their own statement prompt (e.g. with a short server name). */
interface PromptingHost extends ShellHost {
  statementPrompt?(): string;
}

/** How a session differs from a console's: which built-in commands it has, and where its output goes. */
export interface SessionOptions {
  /** The built-in commands (default: all of them). */
  builtins?: CommandSpec[];
  /** Receives the output objects instead of the console (a remote session sends them back unformatted). */
  output?: (items: unknown[]) => void;
}

export class ShellSession {
  readonly runtime: Runtime;
  /** The statement being run was stopped with Ctrl+C at one of its prompts. */
  private stopped = false;
  /** Set by `exit`: the code the process ends with. */
  exitCode: number | undefined;
  /** `exit` ran: an interactive session ends. */
  exited = false;

  /** Output written by the running top-level statement and not shown yet. */
  private pending: unknown[] = [];

  constructor(
    readonly env: ShellEnvironment,
    readonly host: ShellHost,
    private readonly options: SessionOptions = {},
  ) {
    this.runtime = new Runtime(
      env,
      flushingHost(host, () => this.flush()),
      options.builtins ?? builtinCommands,
      builtinViews,
    );
    this.runtime.emit = (items) => {
      this.pending.push(...items);
    };
  }

  /** Shows the output gathered so far (before anything else reaches the console). */
  private flush(): void {
    if (this.pending.length === 0) return;
    const items = this.pending;
    this.pending = [];
    if (this.options.output) return this.options.output(items);
    const text = renderOutDefault(items, this.runtime.formatEnvironment());
    if (text) this.host.write(text);
  }

  /** True once any error record has been written. */
  get hadErrors(): boolean {
    return this.runtime.hadErrors;
  }

  /** `[PS] <computerName>> ` */
  prompt(): string {
    const custom = (this.host as PromptingHost).statementPrompt;
    return custom ? custom.call(this.host) : `[PS] ${this.env.computerName}> `;
  }

  private parseErrorRecord(e: ParseError, text: string, sourceName?: string): ErrorRecord {
    return {
      message: e.message,
      errorId: e.errorId,
      category: 'ParserError',
      reason: 'ParentContainsErrorRecordException',
      parserError: true,
      position: { source: { text, name: sourceName }, extent: e.extent },
      exception: e,
    };
  }

  /** Parse the whole text first (a parse error runs nothing), then run statement by statement. */
  async runScript(text: string, sourceName?: string): Promise<boolean> {
    const before = this.runtime.errorCount;
    let script: ScriptAst;
    try {
      script = parseScript(text, { sourceName });
    } catch (e) {
      if (!(e instanceof ParseError)) throw e;
      this.runtime.writeError(this.parseErrorRecord(e, text, sourceName));
      this.runtime.lastSuccess = false;
      return false;
    }
    const rt = this.runtime;
    if (sourceName) {
      const full = resolve(sourceName);
      rt.variables.set('PSScriptRoot', dirname(full));
      rt.variables.set('PSCommandPath', full);
    }
    await this.runStatements(script);
    return this.runtime.errorCount === before;
  }

  /** Runs parsed statements; stops early when an error stops the script, or at exit/return. */
  private async runStatements(script: ScriptAst): Promise<void> {
    const rt = this.runtime;
    rt.source = script.source;
    if (script.parameters?.length) {
      try {
        await bindScriptParameters(rt, script.parameters);
      } catch (e) {
        try {
          rt.reportTerminating(e instanceof ShellError ? e : toShellError(rt, e, script.parameters[0].extent));
        } catch (halt) {
          if (!(halt instanceof ScriptHalted)) throw halt;
        }
        rt.lastSuccess = false;
        return;
      }
    }
    const traps = script.statements.filter((s): s is TrapAst => s.kind === 'trap');
    for (const statement of script.statements) {
      if (statement.kind === 'trap') continue;
      try {
        await this.runTopLevel(statement, traps);
      } catch (e) {
        if (e instanceof ScriptHalted) return;
        if (e instanceof ExitSignal) {
          this.exitCode = e.code;
          this.exited = true;
          rt.source = script.source;
          return;
        }
        if (isFlowSignal(e)) {
          rt.source = script.source;
          return;
        }
        throw e;
      }
    }
  }

  private show(output: unknown[]): void {
    this.pending.push(...output);
    this.flush();
  }

  private async runTopLevel(statement: StatementAst, traps: TrapAst[] = []): Promise<void> {
    const rt = this.runtime;
    rt.statementFailed = false;
    if (traps.length) rt.handlerDepth++;
    let output: unknown[];
    try {
      output = await executeStatement(rt, statement, true);
    } catch (e) {
      if (traps.length) rt.handlerDepth--;
      this.show(takePendingOutput(e));
      if (e instanceof ScriptHalted || isFlowSignal(e)) {
        rt.lastSuccess = false;
        if (e instanceof PipelineStopped) this.stopped = true;
        throw e;
      }
      const err = e instanceof ShellError ? e : toShellError(rt, e, statement.extent);
      try {
        if (traps.length) {
          const trapOutput: unknown[] = [];
          const outcome = await runTrap(rt, traps, err, trapOutput);
          this.show(trapOutput);
          if (outcome === 'continue') return;
          if (outcome === 'write') {
            if (!err.reported) rt.writeError(err.record);
            err.reported = true;
            return;
          }
          if (outcome === 'break') err.stopsScript = true;
        }
        rt.reportTerminating(err);
      } finally {
        rt.lastSuccess = false;
      }
      return;
    }
    if (traps.length) rt.handlerDepth--;
    this.show(output);
    rt.lastSuccess = !rt.statementFailed;
  }

  /**
   * Statement at a time from the host's lines: reads until a statement is
   * complete, runs it, continues. Prompts inside commands read the following
   * lines from the same host.
   */
  async runInteractiveLines(options: { echo?: boolean } = {}): Promise<boolean> {
    const before = this.runtime.errorCount;
    const interactive = this.host.interactive;
    let buffer: string | undefined;
    for (;;) {
      const prompt = interactive ? (buffer === undefined ? this.prompt() : '>> ') : '';
      let line: string | null;
      try {
        line = await this.host.readLine(prompt);
      } catch (e) {
        // Ctrl+C at the prompt abandons the statement being typed, continued lines included
        if (!(e instanceof PipelineStopped)) throw e;
        buffer = undefined;
        continue;
      }
      if (line === null) {
        if (buffer !== undefined && buffer.trim() !== '') await this.runChunk(buffer, false);
        break;
      }
      // A transcript of piped input: each statement line after the prompt, as if typed. Lines a
      // command reads itself (Get-Credential's answers) never come through here.
      if (options.echo && !interactive) this.host.write(`${buffer === undefined ? this.prompt() : '>> '}${line}\n`);
      if (buffer === undefined && LEAVE.test(line)) break;
      buffer = buffer === undefined ? line : buffer + '\n' + line;
      const started = new Date();
      this.stopped = false;
      const done = await this.runChunk(buffer, true);
      if (done) {
        const status = this.stopped ? 'Stopped' : this.runtime.lastSuccess ? 'Completed' : 'Failed';
        sessionHistory(this.runtime).add(buffer, status, started, new Date());
        buffer = undefined;
      }
      if (this.exited) break;
    }
    return this.runtime.errorCount === before;
  }

  /** Parses and runs one chunk; false when more lines are needed. */
  private async runChunk(text: string, partial: boolean): Promise<boolean> {
    let script: ScriptAst;
    try {
      script = parseScript(text, { partial });
    } catch (e) {
      if (!(e instanceof ParseError)) throw e;
      if (e.incomplete && partial) return false;
      this.runtime.writeError(this.parseErrorRecord(e, text));
      this.runtime.lastSuccess = false;
      return true;
    }
    await this.runStatements(script);
    return true;
  }

  /** Candidates for Tab at `cursor` (default: the end of the line) and the span they replace. */
  complete(line: string, cursor = line.length): Completion {
    return completeLine(this.runtime, line, cursor);
  }

  /** What Tab offers at the end of the line. */
  completions(lineSoFar: string): string[] {
    return this.complete(lineSoFar).candidates;
  }
}

/** The host as the runtime sees it: output gathered for the console is shown before anything else is written or read. */
function flushingHost(host: ShellHost, flush: () => void): ShellHost {
  return new Proxy(host, {
    get(target, prop) {
      if (prop === 'write' || prop === 'writeError' || prop === 'readLine' || prop === 'readSecret') {
        const f = Reflect.get(target, prop, target) as (...a: unknown[]) => unknown;
        return (...a: unknown[]) => {
          flush();
          return f.apply(target, a);
        };
      }
      const v = Reflect.get(target, prop, target);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}
