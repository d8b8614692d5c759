// Runs a pipeline: resolves every command, evaluates and binds its arguments
// (all before anything runs, as PowerShell does), then runs the stages in
// order, passing each stage's output objects to the next. A command with
// pipeline-bound parameters is invoked once per input object; otherwise once
// with all input. Also ShouldProcess (-WhatIf/-Confirm), the mandatory
// parameter prompt, warnings and error records with -ErrorAction.

import type { CommandAst, Extent, PipelineAst } from './ast.js';
import { BindingError, CommandBinder, type BindItem } from './binder.js';
import { isBuiltin, type ShellInvocationContext } from './builtins/types.js';
import type { BoundArguments, CommandObserver, CommandSpec, ParameterSpec } from './command.js';
import { enumerate, toArray, toStr } from './conversion.js';
import { LocalCommandError, RuntimeError, ShellError, type ErrorRecord } from './errors.js';
import { evaluate, invokeScriptBlock, toShellError } from './evaluator.js';
import { confirm, promptCredential, shouldProcessSentence } from './prompts.js';
import { ScriptHalted, type Runtime } from './runtime.js';
import { ScriptBlock } from './scriptblock.js';
import { CmdletError, Hashtable, SecureString } from './values.js';

type Stage = { kind: 'expression'; run: () => Promise<unknown[]> } | { kind: 'command'; processor: CommandProcessor };

export async function runPipeline(rt: Runtime, ast: PipelineAst): Promise<unknown[]> {
  const stages: Stage[] = [];
  for (let i = 0; i < ast.elements.length; i++) {
    const el = ast.elements[i];
    if (el.kind === 'command-expression') {
      stages.push({ kind: 'expression', run: async () => enumerate(await evaluate(rt, el.expression)) });
    } else {
      stages.push(await prepareCommand(rt, el, i + 1));
    }
  }
  let data: unknown[] = [];
  let hasInput = false;
  for (const stage of stages) {
    data = stage.kind === 'expression' ? await stage.run() : await stage.processor.run(data, hasInput);
    hasInput = true;
  }
  return data;
}

function commandNotFound(rt: Runtime, name: string, extent: Extent): ShellError {
  return new ShellError({
    message: `The term '${name}' is not recognized as the name of a cmdlet, function, script file, or operable program. Check the spelling of the name, or if a path was included, verify that the path is correct and try again.`,
    errorId: 'CommandNotFoundException', category: 'ObjectNotFound', reason: 'CommandNotFoundException',
    targetName: name, targetType: 'String', activity: '', commandName: name, position: { source: rt.source, extent },
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
  const spec = rt.resolveCommand(name);
  if (!spec) throw commandNotFound(rt, name, ast.nameExtent);
  const items: BindItem[] = [];
  for (const el of ast.elements) {
    if (el.kind === 'parameter') {
      items.push({
        kind: 'parameter', name: el.name, extent: el.extent, colon: el.colon,
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
  const processor = new CommandProcessor(rt, spec, ast, position, name);
  try {
    processor.binder.bindCommandLine(items);
  } catch (e) {
    if (e instanceof BindingError) throw new ShellError(processor.bindingRecord(e));
    throw e;
  }
  return { kind: 'command', processor };
}

const IMPACT_RANK: Record<string, number> = { none: 0, low: 1, medium: 2, high: 3 };

/** One command of a pipeline: its bindings, its ShouldProcess state and how it reports errors. */
export class CommandProcessor {
  readonly binder: CommandBinder;
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
      message: e.message, errorId: e.errorId, category: e.category, reason: e.reason, activity: this.spec.name,
      commandName: this.invocationName, commandType: this.commandType(), position: this.position_(e.extent), exception: e,
    };
  }

  /** The record for an error raised by the command itself. */
  recordFor(e: unknown): ErrorRecord {
    if (e instanceof BindingError) return this.bindingRecord(e);
    if (e instanceof LocalCommandError) {
      return {
        message: e.message, errorId: e.errorId, category: e.category, reason: e.reason, targetName: e.targetName, targetType: e.targetType,
        activity: this.spec.name, commandName: this.invocationName, commandType: this.commandType(), position: this.position_(), exception: e,
      };
    }
    if (e instanceof CmdletError || !isBuiltin(this.spec)) {
      const err = e instanceof Error ? e : new Error(String(e));
      const category = e instanceof CmdletError ? e.category : 'NotSpecified';
      const reason = e instanceof CmdletError ? e.reason : err.name === 'Error' ? 'InvalidOperationException' : err.name;
      return {
        message: err.message, errorId: reason, category, reason, activity: this.spec.name, exception: err,
        remote: this.rt.remoteOrigin(this.spec, reason),
      };
    }
    const err = e instanceof Error ? e : new Error(String(e));
    return {
      message: err.message, errorId: err.name, category: 'NotSpecified', reason: err.name === 'Error' ? 'Exception' : err.name,
      activity: this.spec.name, commandName: this.invocationName, commandType: this.commandType(), position: this.position_(), exception: err,
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
        errorId: 'ActionPreferenceStop', category: 'OperationStopped', reason: 'ActionPreferenceStopException',
        activity: this.spec.name, commandName: this.invocationName, commandType: this.commandType(), position: this.position_(),
      });
      err.stopsScript = true;
      throw err;
    }
  }

  async shouldProcess(target: string, action: string): Promise<boolean> {
    const sentence = shouldProcessSentence(action, target);
    const whatIf = this.binder.common.whatIf ?? (this.rt.variables.get('WhatIfPreference') === true);
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
      ask = this.rt.host.interactive && pref > 0 && impact >= pref;
    }
    if (!ask) return true;
    const answer = await confirm(this.rt.host, sentence);
    if (answer === 'yesToAll') this.yesToAll = true;
    if (answer === 'noToAll') this.noToAll = true;
    return answer === 'yes' || answer === 'yesToAll';
  }

  private missingMandatoryError(missing: ParameterSpec[]): BindingError {
    return new BindingError(`Cannot process command because of one or more missing mandatory parameters: ${missing.map((p) => p.name).join(' ')}.`, 'MissingMandatoryParameter');
  }

  /** The console prompt for missing mandatory parameters (interactive hosts). */
  private async promptMandatory(missing: ParameterSpec[]): Promise<void> {
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
    if (this.binder.common.outVariable) this.rt.variables.set(this.binder.common.outVariable, output.slice());
    return output;
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
    };
    try {
      const result = await this.spec.invoke(args, ctx);
      if (Array.isArray(result)) output.push(...result);
    } catch (e) {
      seen.error ??= e instanceof ShellError ? new Error(e.record.message) : e instanceof Error ? e : new Error(String(e));
      if (e instanceof ShellError || e instanceof ScriptHalted) throw e;
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
  constructor(rt: Runtime, private readonly block: ScriptBlock) {
    super(rt, { name: '', synopsis: '', parameters: [], invoke: () => [] }, undefined, 0, '');
  }
  override async run(input: unknown[]): Promise<unknown[]> {
    return invokeScriptBlock(this.rt, this.block, input.length ? input[input.length - 1] : null);
  }
}

