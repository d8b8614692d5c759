// Runs a pipeline: resolves every command, evaluates and binds its arguments
// (all before anything runs, as PowerShell does), then runs the stages in
// order, passing each stage's output objects to the next. A command with
// pipeline-bound parameters is invoked once per input object; otherwise once
// with all input. Also ShouldProcess (-WhatIf/-Confirm), the mandatory
// parameter prompt, warnings and error records with -ErrorAction, the
// redirections of each element (>, >>, 2>, 2>&1, *>), script functions and
// .ps1 files as commands, and dot-sourcing.

import type { CommandAst, Extent, FunctionAst, PipelineAst, RedirectionAst } from './ast.js';
import { BindingError, CommandBinder, type BindItem } from './binder.js';
import { isBuiltin, type ShellInvocationContext } from './builtins/types.js';
import type { BoundArguments, CommandObserver, CommandSpec, ParameterSpec } from './command.js';
import { enumerate, isNull, toArray, toStr } from './conversion.js';
import { readText, resolvePath, writeText } from './files.js';
import { renderErrorRecord } from './format/error-view.js';
import { renderOutDefault } from './format/out-default.js';
import { ReturnSignal, addPendingOutput, isFlowSignal, takePendingOutput } from './flow.js';
import { functionSpec, invokeFunction } from './functions.js';
import { LocalCommandError, ParseError, RecordedError, RuntimeError, ShellError, type ErrorRecord } from './errors.js';
import { evaluate, executeStatementList, invokeScriptBlock, toShellError } from './evaluator.js';
import { parseScript } from './parser.js';
import { basename } from 'node:path';
import { confirm, promptCredential, shouldProcessSentence } from './prompts.js';
import { ScriptHalted, type ErrorSink, type FunctionDefinition, type Runtime } from './runtime.js';
import { ScriptBlock } from './scriptblock.js';
import { CmdletError, Hashtable, SecureString } from './values.js';

type Stage = { kind: 'expression'; run: () => Promise<unknown[]>; redirections?: RedirectionAst[] } | { kind: 'command'; processor: CommandProcessor; redirections?: RedirectionAst[] };

/**
 * `direct`: the pipeline's output goes straight to the console, so its last
 * command hands what it writes to rt.emit as it goes (in order with Write-Host
 * and errors) instead of returning it.
 */
export async function runPipeline(rt: Runtime, ast: PipelineAst, direct = false): Promise<unknown[]> {
  const stages: Stage[] = [];
  for (let i = 0; i < ast.elements.length; i++) {
    const el = ast.elements[i];
    if (el.kind === 'command-expression') {
      stages.push({ kind: 'expression', run: async () => enumerate(await evaluate(rt, el.expression)), redirections: el.redirections });
    } else {
      const stage = await prepareCommand(rt, el, i + 1);
      if (direct && i === ast.elements.length - 1 && !el.redirections?.length && stage.kind === 'command') stage.processor.direct = true;
      stages.push({ ...stage, redirections: el.redirections });
    }
  }
  let data: unknown[] = [];
  let hasInput = false;
  for (const stage of stages) {
    const input = data;
    const run = (): Promise<unknown[]> => (stage.kind === 'expression' ? stage.run() : stage.processor.run(input, hasInput));
    data = stage.redirections?.length ? await runRedirected(rt, stage.redirections, run) : await run();
    hasInput = true;
  }
  return data;
}

/** A session without file access (a remote session) refuses a file named in its script. */
export function noFileSystem(path: string): RuntimeError {
  return new RuntimeError(
    `This session cannot read or write files on the server ("${path}"): it is a remote session. Redirect the output on your own computer instead, e.g. Invoke-Command -Session $s { Get-Queue } > queues.txt.`,
    'RemoteFileAccessDenied',
    'PermissionDenied',
    'RuntimeException',
  );
}

/** The file a redirection writes to, or undefined for `> $null`. */
async function redirectionTarget(rt: Runtime, r: RedirectionAst): Promise<string | undefined> {
  const v = r.target ? await evaluate(rt, r.target) : null;
  if (isNull(v)) return undefined;
  const path = toStr(v);
  if (path === '') throw new RuntimeError("Cannot bind argument to parameter 'FilePath' because it is an empty string.", 'ParameterArgumentValidationErrorEmptyStringNotAllowed', 'InvalidData', 'ParameterBindingValidationException');
  if (rt.env.fileSystem === false) throw noFileSystem(path);
  return resolvePath(path);
}

/** Runs one pipeline element with its redirections: `>`/`>>` (Out-File), `2>`, `2>&1`, `*>`. */
async function runRedirected(rt: Runtime, redirections: RedirectionAst[], run: () => Promise<unknown[]>): Promise<unknown[]> {
  let outputFile: { path?: string; append: boolean } | undefined;
  let errorFile: { path?: string; append: boolean } | undefined;
  let mergeErrors = false;
  for (const r of redirections) {
    if (r.merge) {
      if (r.from === '2' || r.from === '*') mergeErrors = true;
      continue;
    }
    const target = { path: await redirectionTarget(rt, r), append: r.append };
    if (r.from === '1' || r.from === '*') outputFile = target;
    if (r.from === '2' || r.from === '*') errorFile = target;
  }
  const merged: unknown[] = [];
  const errorText: string[] = [];
  const sink: ErrorSink | undefined = mergeErrors ? (_record, value) => merged.push(value) : errorFile ? (record) => errorText.push(renderErrorRecord(record, rt.host.width)) : undefined;
  const data = sink || errorFile ? await rt.withErrorSink(sink, run) : await run();
  const output = mergeErrors ? [...data, ...merged] : data;
  if (errorFile?.path && errorFile !== outputFile) {
    writeText(errorFile.path, errorText.join(''), undefined, errorFile.append);
  }
  if (!outputFile) return output;
  if (outputFile.path) {
    let text = renderOutDefault(output, rt.formatEnvironment());
    if (errorFile === outputFile) text += errorText.join('');
    writeText(outputFile.path, text, undefined, outputFile.append);
  }
  return [];
}

function commandNotFound(rt: Runtime, name: string, extent: Extent): ShellError {
  return new ShellError({
    message: `The term '${name}' is not recognized as the name of a cmdlet, function, script file, or operable program. Check the spelling of the name, or if a path was included, verify that the path is correct and try again.`,
    errorId: 'CommandNotFoundException',
    category: 'ObjectNotFound',
    reason: 'CommandNotFoundException',
    targetName: name,
    targetType: 'String',
    activity: '',
    commandName: name,
    position: { source: rt.source, extent },
  });
}

async function prepareCommand(rt: Runtime, ast: CommandAst, position: number): Promise<Stage> {
  let name: string;
  if (typeof ast.name === 'string') name = ast.name;
  else {
    const v = await evaluate(rt, ast.name);
    if (v instanceof ScriptBlock) return { kind: 'command', processor: new ScriptBlockProcessor(rt, v) };
    name = toStr(v);
  }
  if (name === '.') return dotSource(rt, ast);
  let script: FunctionDefinition | undefined;
  if (/\.ps1$/i.test(name) && !rt.resolveCommand(name)) {
    script = rt.env.fileSystem === false ? undefined : loadScriptFile(name);
    if (!script) throw commandNotFound(rt, name, ast.nameExtent);
  }
  const spec = script?.spec ?? rt.resolveCommand(name);
  if (!spec) throw commandNotFound(rt, name, ast.nameExtent);
  const items: BindItem[] = [];
  for (const el of ast.elements) {
    if (el.kind === 'parameter') {
      items.push({
        kind: 'parameter',
        name: el.name,
        extent: el.extent,
        colon: el.colon,
        argument: el.argument ? { value: await evaluate(rt, el.argument), extent: el.argument.extent } : undefined,
      });
    } else if (el.kind === 'variable' && el.splat) {
      const v = rt.variables.get(el.name);
      if (v instanceof Hashtable) {
        for (const [k, x] of v.pairs()) items.push({ kind: 'parameter', name: toStr(k), extent: el.extent, colon: true, argument: { value: x, extent: el.extent } });
      } else {
        for (const x of toArray(v)) items.push({ kind: 'argument', value: x, extent: el.extent, text: toStr(x) });
      }
    } else {
      items.push({ kind: 'argument', value: await evaluate(rt, el), extent: el.extent, text: rt.source.text.slice(el.extent.start, el.extent.end) });
    }
  }
  const fn = script ?? rt.functionNamed(name);
  const processor = fn && fn.spec === spec ? new FunctionProcessor(rt, spec, ast, position, name, fn) : new CommandProcessor(rt, spec, ast, position, name);
  try {
    processor.binder.bindCommandLine(items);
  } catch (e) {
    if (e instanceof BindingError) throw new ShellError(processor.bindingRecord(e));
    throw e;
  }
  return { kind: 'command', processor };
}

/** A .ps1 file as a command: its param() block bound like a function's; undefined when there is no such file. */
function loadScriptFile(name: string): FunctionDefinition | undefined {
  const path = resolvePath(name);
  let text: string;
  try {
    text = readText(path);
  } catch {
    return undefined;
  }
  let script;
  try {
    script = parseScript(text, { sourceName: path });
  } catch (e) {
    if (!(e instanceof ParseError)) throw e;
    throw new ShellError({
      message: e.message,
      errorId: e.errorId,
      category: 'ParserError',
      reason: 'ParseException',
      parserError: true,
      position: { source: { text, name: path }, extent: e.extent },
      exception: e,
    });
  }
  const fn: FunctionAst = {
    kind: 'function',
    name: basename(path),
    filter: false,
    advanced: (script.parameters ?? []).some((p) => p.attributes.length > 0),
    parameters: script.parameters ?? [],
    end: script.statements,
    extent: script.extent,
  };
  return { ast: fn, source: script.source, spec: functionSpec(fn), scriptPath: path };
}

/** `. .\helpers.ps1`: runs a script file in the current scope (its functions and variables stay). */
async function dotSource(rt: Runtime, ast: CommandAst): Promise<Stage> {
  const [target, ...rest] = ast.elements;
  if (!target || target.kind === 'parameter' || rest.length > 0) {
    throw new ShellError({
      message: 'Dot-sourcing takes one script path, without arguments.',
      errorId: 'DotSourceArguments',
      category: 'InvalidArgument',
      reason: 'RuntimeException',
      position: { source: rt.source, extent: ast.extent },
    });
  }
  const value = await evaluate(rt, target);
  if (value instanceof ScriptBlock) return { kind: 'expression', run: () => invokeScriptBlock(rt, value, null) };
  const name = toStr(value);
  const def = rt.env.fileSystem === false ? undefined : loadScriptFile(name);
  if (!def) throw commandNotFound(rt, name, target.extent);
  return {
    kind: 'expression',
    run: async () => {
      const saved = rt.source;
      rt.source = def.source;
      try {
        return await executeStatementList(rt, def.ast.end ?? []);
      } catch (e) {
        if (e instanceof ReturnSignal) return takePendingOutput(e);
        throw e;
      } finally {
        rt.source = saved;
      }
    },
  };
}

const IMPACT_RANK: Record<string, number> = { none: 0, low: 1, medium: 2, high: 3 };

/** One command of a pipeline: its bindings, its ShouldProcess state and how it reports errors. */
export class CommandProcessor {
  readonly binder: CommandBinder;
  /** The last command of a pipeline whose output goes to the console: output is emitted as it is written. */
  direct = false;
  private yesToAll = false;
  private noToAll = false;
  private readonly errorVariable: unknown[] = [];

  constructor(
    readonly rt: Runtime,
    readonly spec: CommandSpec,
    readonly ast: CommandAst | undefined,
    readonly position: number,
    readonly invocationName: string,
  ) {
    this.binder = new CommandBinder(spec);
  }

  /** What closes the local FullyQualifiedErrorId: the cmdlet class, or the command name (proxy function). */
  private commandType(): string {
    return isBuiltin(this.spec) ? this.spec.className : this.spec.name;
  }

  private position_(extent?: Extent): ErrorRecord['position'] {
    const e = extent ?? this.ast?.extent;
    return e ? { source: this.rt.source, extent: e } : undefined;
  }

  bindingRecord(e: BindingError): ErrorRecord {
    return {
      message: e.message,
      errorId: e.errorId,
      category: e.category,
      reason: e.reason,
      activity: this.spec.name,
      commandName: this.invocationName,
      commandType: this.commandType(),
      position: this.position_(e.extent),
      exception: e,
    };
  }

  /** The record for an error raised by the command itself. */
  recordFor(e: unknown): ErrorRecord {
    if (e instanceof RecordedError) return e.record;
    if (e instanceof BindingError) return this.bindingRecord(e);
    if (e instanceof LocalCommandError) {
      return {
        message: e.message,
        errorId: e.errorId,
        category: e.category,
        reason: e.reason,
        targetName: e.targetName,
        targetType: e.targetType,
        activity: this.spec.name,
        commandName: this.invocationName,
        commandType: this.commandType(),
        position: this.position_(),
        exception: e,
      };
    }
    if (e instanceof CmdletError || !isBuiltin(this.spec)) {
      const err = e instanceof Error ? e : new Error(String(e));
      const category = e instanceof CmdletError ? e.category : 'NotSpecified';
      const reason = e instanceof CmdletError ? e.reason : err.name === 'Error' ? 'InvalidOperationException' : err.name;
      return {
        message: err.message,
        errorId: reason,
        category,
        reason,
        activity: this.spec.name,
        exception: err,
        remote: this.rt.remoteOrigin(this.spec, reason),
      };
    }
    const err = e instanceof Error ? e : new Error(String(e));
    return {
      message: err.message,
      errorId: err.name,
      category: 'NotSpecified',
      reason: err.name === 'Error' ? 'Exception' : err.name,
      activity: this.spec.name,
      commandName: this.invocationName,
      commandType: this.commandType(),
      position: this.position_(),
      exception: err,
    };
  }

  /** A non-terminating error: shown, silenced or made terminating by -ErrorAction. */
  reportNonTerminating(record: ErrorRecord): void {
    const action = this.binder.common.errorAction ?? this.rt.errorActionPreference();
    this.errorVariable.push(record);
    if (this.binder.common.errorVariable) this.rt.variables.set(this.binder.common.errorVariable, this.errorVariable.slice());
    switch (action) {
      case 'Ignore':
        this.rt.statementFailed = true;
        return;
      case 'SilentlyContinue':
        this.rt.logError(record);
        return;
      case 'Stop': {
        const err = new ShellError(record);
        err.stopsScript = true;
        throw err;
      }
      default:
        this.rt.writeError(record);
    }
  }

  warn(message: string): void {
    const action = this.binder.common.warningAction ?? this.rt.preference('WarningPreference', 'Continue');
    if (action === 'SilentlyContinue' || action === 'Ignore') return;
    this.rt.host.write(`WARNING: ${message}\n`);
    if (action === 'Stop') {
      const err = new ShellError({
        message: `The running command stopped because the preference variable "WarningPreference" or common parameter is set to Stop: ${message}`,
        errorId: 'ActionPreferenceStop',
        category: 'OperationStopped',
        reason: 'ActionPreferenceStopException',
        activity: this.spec.name,
        commandName: this.invocationName,
        commandType: this.commandType(),
        position: this.position_(),
      });
      err.stopsScript = true;
      throw err;
    }
  }

  async shouldProcess(target: string, action: string): Promise<boolean> {
    const sentence = shouldProcessSentence(action, target);
    const whatIf = this.binder.common.whatIf ?? this.rt.variables.get('WhatIfPreference') === true;
    if (whatIf) {
      this.rt.host.write(`What if: ${sentence}\n`);
      return false;
    }
    if (this.noToAll) return false;
    if (this.yesToAll) return true;
    const flag = this.binder.common.confirm;
    let ask: boolean;
    if (flag === false) ask = false;
    else if (flag === true) ask = true;
    else {
      const impact = IMPACT_RANK[(this.spec.confirmImpact ?? 'Medium').toLowerCase()];
      const pref = IMPACT_RANK[toStr(this.rt.variables.get('ConfirmPreference')).toLowerCase()] ?? 3;
      ask = pref > 0 && impact >= pref;
    }
    if (!ask) return true;
    const answer = await confirm(this.rt.host, sentence);
    if (answer === 'yesToAll') this.yesToAll = true;
    if (answer === 'noToAll') this.noToAll = true;
    return answer === 'yes' || answer === 'yesToAll';
  }

  protected missingMandatoryError(missing: ParameterSpec[]): BindingError {
    return new BindingError(`Cannot process command because of one or more missing mandatory parameters: ${missing.map((p) => p.name).join(' ')}.`, 'MissingMandatoryParameter');
  }

  /** The console prompt for missing mandatory parameters (interactive hosts). */
  protected async promptMandatory(missing: ParameterSpec[]): Promise<void> {
    const host = this.rt.host;
    host.write(`\ncmdlet ${this.spec.name} at command pipeline position ${this.position}\nSupply values for the following parameters:\n`);
    for (const p of missing) {
      const type = p.typeName.toLowerCase();
      if (type === 'pscredential' || type.endsWith('.pscredential')) {
        host.write(`${p.name}\n`);
        const cred = await promptCredential(host);
        if (!cred) throw this.missingMandatoryError(missing);
        this.binder.bindPrompted(p, cred);
      } else if (type === 'securestring' || type.endsWith('.securestring')) {
        const s = await host.readSecret(`${p.name}: `);
        if (s === null) throw this.missingMandatoryError(missing);
        this.binder.bindPrompted(p, new SecureString(s));
      } else if (type.endsWith('[]') || type === 'multivaluedproperty') {
        const values: string[] = [];
        for (let i = 0; i < 10000; i++) {
          const line = await host.readLine(`${p.name}[${i}]: `);
          if (line === null || line === '') break;
          values.push(line);
        }
        if (values.length === 0) {
          throw new BindingError(`Cannot bind argument to parameter '${p.name}' because it is an empty array.`, 'ParameterArgumentValidationErrorEmptyArrayNotAllowed', undefined, 'InvalidData', 'ParameterBindingValidationException');
        }
        this.binder.bindPrompted(p, values);
      } else {
        const line = await host.readLine(`${p.name}: `);
        if (line === null) throw this.missingMandatoryError(missing);
        if (line === '') {
          throw new BindingError(`Cannot bind argument to parameter '${p.name}' because it is an empty string.`, 'ParameterArgumentValidationErrorEmptyStringNotAllowed', undefined, 'InvalidData', 'ParameterBindingValidationException');
        }
        this.binder.bindPrompted(p, line);
      }
    }
  }

  async run(input: unknown[], hasInput: boolean): Promise<unknown[]> {
    const output: unknown[] = [];
    try {
      await this.runInto(input, hasInput, output);
    } catch (e) {
      if (isFlowSignal(e)) addPendingOutput(e, output);
      throw e;
    }
    this.emitWritten(output);
    if (this.binder.common.outVariable) this.rt.variables.set(this.binder.common.outVariable, [...this.written, ...output]);
    return output;
  }

  /** What this command wrote so far, for -OutVariable when its output went to the console. */
  private readonly written: unknown[] = [];

  /** In direct mode: shows the output written so far now (it is not returned). */
  protected emitWritten(output: unknown[]): void {
    if (!this.direct || !this.rt.emit || output.length === 0) return;
    const items = output.splice(0);
    this.written.push(...items);
    this.rt.emit(items);
  }

  private async runInto(input: unknown[], hasInput: boolean, output: unknown[]): Promise<void> {
    if (hasInput && this.binder.pipelineParameters().length > 0) {
      for (const obj of input) {
        let extra: Map<string, unknown>;
        try {
          extra = this.binder.bindPipelineObject(obj);
          const set = this.binder.resolveSet(extra);
          const missing = this.binder.missingMandatory(set, extra);
          if (missing.length) throw this.missingMandatoryError(missing);
        } catch (e) {
          if (!(e instanceof BindingError)) throw e;
          this.reportNonTerminating(this.bindingRecord(e));
          continue;
        }
        await this.invoke(this.binder.arguments(extra), [obj], true, output);
        this.emitWritten(output);
      }
    } else {
      try {
        const set = this.binder.resolveSet();
        const missing = this.binder.missingMandatory(set);
        if (missing.length) {
          if (!this.rt.host.interactive) throw this.missingMandatoryError(missing);
          await this.promptMandatory(missing);
          const again = this.binder.missingMandatory(this.binder.resolveSet());
          if (again.length) throw this.missingMandatoryError(again);
        }
      } catch (e) {
        if (e instanceof BindingError) throw new ShellError(this.bindingRecord(e));
        throw e;
      }
      await this.invoke(this.binder.arguments(), input, hasInput, output);
    }
  }

  private async invoke(args: BoundArguments, input: unknown[], hasInput: boolean, output: unknown[]): Promise<void> {
    const rt = this.rt;
    const observer = isBuiltin(this.spec) ? undefined : rt.env.commandObserver;
    const seen = { asked: 0, approved: 0, error: undefined as Error | undefined };
    const ctx: ShellInvocationContext = {
      host: rt.host,
      input,
      hasInput,
      invocationName: this.invocationName,
      shouldProcess: async (target, action) => {
        const yes = await this.shouldProcess(target, action);
        seen.asked++;
        if (yes) seen.approved++;
        return yes;
      },
      warn: (message) => this.warn(message),
      writeError: (error) => {
        seen.error ??= error;
        this.reportNonTerminating(this.recordFor(error));
      },
      invokeScriptBlock: (block, current) => {
        if (!(block instanceof ScriptBlock)) throw new Error('not a script block of this session');
        return invokeScriptBlock(rt, block, current);
      },
      commands: () => rt.commandList,
      runtime: rt,
      pipelinePosition: this.position,
      emitOutput:
        this.direct && rt.emit
          ? (items) => {
              this.written.push(...items);
              rt.emit?.(items);
            }
          : undefined,
      currentExtent: this.ast?.extent,
    };
    try {
      const result = await this.spec.invoke(args, ctx);
      if (Array.isArray(result)) output.push(...result);
    } catch (e) {
      if (!isFlowSignal(e)) seen.error ??= e instanceof ShellError ? new Error(e.record.message) : e instanceof Error ? e : new Error(String(e));
      if (e instanceof ShellError || e instanceof ScriptHalted || isFlowSignal(e)) throw e;
      if (e instanceof RuntimeError) throw toShellError(rt, e, this.ast?.extent ?? { start: 0, end: 0 });
      if (e instanceof LocalCommandError || e instanceof BindingError || (isBuiltin(this.spec) && !(e instanceof CmdletError))) {
        throw new ShellError(this.recordFor(e));
      }
      this.reportNonTerminating(this.recordFor(e));
    } finally {
      if (observer) this.tellObserver(observer, args, seen);
    }
  }

  private tellObserver(observer: CommandObserver, args: BoundArguments, seen: { asked: number; approved: number; error: Error | undefined }): void {
    try {
      observer.completed(this.spec, args, { succeeded: seen.error === undefined, ...(seen.error && { error: seen.error }), declined: seen.asked > 0 && seen.approved === 0 });
    } catch (e) {
      this.rt.host.write(`WARNING: ${(e as Error).message}\n`);
    }
  }
}

/** `& { ... }`: runs a script block as a pipeline stage. */
class ScriptBlockProcessor extends CommandProcessor {
  constructor(
    rt: Runtime,
    private readonly block: ScriptBlock,
  ) {
    super(rt, { name: '', synopsis: '', parameters: [], invoke: () => [] }, undefined, 0, '');
  }
  override async run(input: unknown[]): Promise<unknown[]> {
    return invokeScriptBlock(this.rt, this.block, input.length ? input[input.length - 1] : null);
  }
}

/** A script function as a pipeline stage: bound like a cmdlet, run by functions.ts. */
class FunctionProcessor extends CommandProcessor {
  constructor(
    rt: Runtime,
    spec: CommandSpec,
    ast: CommandAst,
    position: number,
    name: string,
    private readonly fn: FunctionDefinition,
  ) {
    super(rt, spec, ast, position, name);
  }

  override async run(input: unknown[], hasInput: boolean): Promise<unknown[]> {
    const bindsPipeline = hasInput && this.binder.pipelineParameters().length > 0;
    try {
      const set = this.binder.resolveSet();
      const missing = this.binder.missingMandatory(set).filter((p) => !(bindsPipeline && (p.valueFromPipeline || p.valueFromPipelineByPropertyName)));
      if (missing.length) {
        if (!this.rt.host.interactive) throw this.missingMandatoryError(missing);
        await this.promptMandatory(missing);
      }
    } catch (e) {
      if (e instanceof BindingError) throw new ShellError(this.bindingRecord(e));
      throw e;
    }
    const errorLog = this.rt.variables.get('Error') as unknown[];
    const known = new Set(errorLog);
    const collectErrors = (): void => {
      const name = this.binder.common.errorVariable;
      if (!name) return;
      const fresh = errorLog.filter((x) => !known.has(x)).reverse();
      const append = name.startsWith('+');
      const variable = append ? name.slice(1) : name;
      const before = append ? this.rt.variables.get(variable) : null;
      this.rt.variables.set(variable, [...(Array.isArray(before) ? before : before === null ? [] : [before]), ...fresh]);
    };
    let output: unknown[];
    try {
      output = await this.callFunction(input, hasInput, bindsPipeline);
    } finally {
      collectErrors();
    }
    if (this.binder.common.outVariable) this.rt.variables.set(this.binder.common.outVariable, output.slice());
    return output;
  }

  private callFunction(input: unknown[], hasInput: boolean, bindsPipeline: boolean): Promise<unknown[]> {
    return invokeFunction(
      this.rt,
      this.fn,
      {
        bound: this.binder.arguments(),
        common: this.binder.common,
        bindsPipeline,
        bindPipelineObject: (obj) => {
          try {
            const extra = this.binder.bindPipelineObject(obj);
            const missing = this.binder.missingMandatory(this.binder.resolveSet(extra), extra);
            if (missing.length) throw this.missingMandatoryError(missing);
            return extra;
          } catch (e) {
            if (!(e instanceof BindingError)) throw e;
            this.reportNonTerminating(this.bindingRecord(e));
            return undefined;
          }
        },
      },
      input,
      hasInput,
      this.ast?.extent ?? this.fn.ast.extent,
      this.direct,
    );
  }
}
