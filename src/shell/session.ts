// A shell session: the public entry point the CLI uses. Runs a whole script
// (parsed first: a syntax error runs nothing) or reads statements line by line
// from the host (asking for more lines while a statement is incomplete), shows
// each statement's output through Out-Default, and keeps track of errors.

import type { ScriptAst, StatementAst, TrapAst } from './ast.js';
import { builtinCommands, builtinViews } from './builtins/index.js';
import { COMMON_PARAMETER_NAMES } from './binder.js';
import { ParseError, ShellError, type ErrorRecord } from './errors.js';
import { dirname, resolve } from 'node:path';
import { executeStatement, runTrap, toShellError } from './evaluator.js';
import { bindScriptParameters } from './functions.js';
import { ExitSignal, isFlowSignal, takePendingOutput } from './flow.js';
import { renderOutDefault } from './format/out-default.js';
import type { ShellHost } from './host.js';
import { parseScript } from './parser.js';
import { Runtime, ScriptHalted, type ShellEnvironment } from './runtime.js';

export type { ShellEnvironment } from './runtime.js';

/** Hosts may supply their own statement prompt (e.g. with a short server name). */
interface PromptingHost extends ShellHost {
  statementPrompt?(): string;
}

export class ShellSession {
  readonly runtime: Runtime;
  /** Set by `exit`: the code the process ends with. */
  exitCode: number | undefined;
  /** `exit` ran: an interactive session ends. */
  exited = false;

  /** Output written by the running top-level statement and not shown yet. */
  private pending: unknown[] = [];

  constructor(readonly env: ShellEnvironment, readonly host: ShellHost) {
    this.runtime = new Runtime(env, flushingHost(host, () => this.flush()), builtinCommands, builtinViews);
    this.runtime.emit = (items) => {
      this.pending.push(...items);
    };
  }

  /** Shows the output gathered so far (before anything else reaches the console). */
  private flush(): void {
    if (this.pending.length === 0) return;
    const items = this.pending;
    this.pending = [];
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
      message: e.message, errorId: e.errorId, category: 'ParserError', reason: 'ParentContainsErrorRecordException',
      parserError: true, position: { source: { text, name: sourceName }, extent: e.extent }, exception: e,
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
      const line = await this.host.readLine(prompt);
      if (line === null) {
        if (buffer !== undefined && buffer.trim() !== '') await this.runChunk(buffer, false);
        break;
      }
      // A transcript of piped input: each statement line after the prompt, as if typed. Lines a
      // command reads itself (Get-Credential's answers) never come through here.
      if (options.echo && !interactive) this.host.write(`${buffer === undefined ? this.prompt() : '>> '}${line}\n`);
      buffer = buffer === undefined ? line : buffer + '\n' + line;
      const done = await this.runChunk(buffer, true);
      if (done) buffer = undefined;
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

  /** Names for tab completion: command names, or a command's parameter names, or variables. */
  completions(lineSoFar: string): string[] {
    const segment = lineSoFar.split(/[|;]/).pop() ?? '';
    const words = segment.trimStart().split(/\s+/);
    const word = words[words.length - 1] ?? '';
    const lower = word.toLowerCase();
    const rt = this.runtime;
    if (word.startsWith('$')) {
      return ['true', 'false', 'null', ...rt.variables.names()]
        .filter((n) => n.toLowerCase().startsWith(lower.slice(1)))
        .map((n) => '$' + n);
    }
    if (words.length <= 1) {
      return rt.commandList.map((c) => c.name).filter((n) => n.toLowerCase().startsWith(lower)).sort();
    }
    if (word.startsWith('-')) {
      const spec = rt.resolveCommand(words[0]);
      if (!spec) return [];
      const names = [...spec.parameters.map((p) => p.name), ...COMMON_PARAMETER_NAMES.filter((n) => spec.supportsShouldProcess || (n !== 'WhatIf' && n !== 'Confirm'))];
      return names.filter((n) => n.toLowerCase().startsWith(lower.slice(1))).map((n) => '-' + n);
    }
    return [];
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
