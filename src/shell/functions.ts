// Script functions: `function Name { param(...) begin/process/end }`. A
// definition becomes a CommandSpec (so the binder gives functions the same
// names, prefixes, positions, switches and errors as cmdlets), and a call runs
// in a new variable scope: parameters bound or defaulted, $args,
// $PSBoundParameters, $input, -ErrorAction as the function's own
// $ErrorActionPreference, and `return`.

import { dirname } from 'node:path';
import type { AttributeAst, ExpressionAst, FunctionAst, ParameterAst, StatementAst } from './ast.js';
import type { CommonParameters } from './binder.js';
import { ConversionError, ValidationError, type CommandSpec, type ParameterSpec } from './command.js';
import { isNull, toArray, toStr } from './conversion.js';
import { RuntimeError } from './errors.js';
import { castValue, evaluate, executeStatementList } from './evaluator.js';
import { ReturnSignal, addPendingOutput, takePendingOutput } from './flow.js';
import { likeMatch, makeRegExp } from './operators.js';
import type { FunctionDefinition, Runtime } from './runtime.js';
import { Hashtable } from './values.js';

/** Nested function calls allowed before a runaway recursion is stopped with an error. */
const MAX_CALL_DEPTH = 1000;

/** Name of the parameter that collects a simple function's extra arguments ($args). */
export const REMAINING_ARGUMENTS = 'RemainingArguments__';

/** The value of an attribute argument written as a constant ($true, 0, 'x'). */
function constantOf(e: ExpressionAst | undefined): unknown {
  if (!e) return true;
  if (e.kind === 'constant') return e.value;
  if (e.kind === 'variable') {
    const n = e.name.toLowerCase();
    if (n === 'true') return true;
    if (n === 'false') return false;
    if (n === 'null') return null;
  }
  if (e.kind === 'unary' && e.op === '-' && e.operand.kind === 'constant' && typeof e.operand.value === 'number') return -e.operand.value;
  if (e.kind === 'array') return e.elements.map(constantOf);
  throw new RuntimeError('Attribute arguments must be constants.', 'ParameterAttributeArgumentNeedsToBeConstant', 'ParserError', 'ParseException');
}

function attr(p: ParameterAst, name: string): AttributeAst | undefined {
  return p.attributes.find((a) => a.name.toLowerCase() === name.toLowerCase() || a.name.toLowerCase() === name.toLowerCase() + 'attribute');
}

function named(a: AttributeAst | undefined, name: string): unknown {
  const hit = a?.named.find((n) => n.name.toLowerCase() === name.toLowerCase());
  return hit ? constantOf(hit.value) : undefined;
}

const PLAIN_TYPES = new Set(['object', 'psobject', 'system.object', 'system.management.automation.psobject']);

/** Converts an argument to the parameter's declared type, with PowerShell's message on failure. */
function typedConvert(typeName: string | undefined): ((v: unknown) => unknown) | undefined {
  if (!typeName || PLAIN_TYPES.has(typeName.toLowerCase())) return undefined;
  return (v: unknown) => {
    try {
      return castValue(typeName, v);
    } catch (e) {
      if (e instanceof RuntimeError && e.errorId === 'TypeNotFound') return v;
      throw new ConversionError((e as Error).message);
    }
  };
}

function validators(p: ParameterAst): ((v: unknown) => void)[] {
  const out: ((v: unknown) => void)[] = [];
  const set = attr(p, 'ValidateSet');
  if (set) {
    const values = set.positional.map((x) => toStr(constantOf(x)));
    out.push((v) => {
      for (const x of isNull(v) ? [v] : toArray(v)) {
        if (!values.some((s) => s.toLowerCase() === toStr(x).toLowerCase())) {
          throw new ValidationError(`The argument "${toStr(x)}" does not belong to the set "${values.join(',')}" specified by the ValidateSet attribute. Supply an argument that is in the set and then try the command again.`);
        }
      }
    });
  }
  if (attr(p, 'ValidateNotNullOrEmpty')) {
    out.push((v) => {
      if (isNull(v) || v === '' || (Array.isArray(v) && v.length === 0)) {
        throw new ValidationError('The argument is null or empty. Provide an argument that is not null or empty, and then try the command again.');
      }
    });
  }
  if (attr(p, 'ValidateNotNull')) {
    out.push((v) => {
      if (isNull(v)) throw new ValidationError('The argument is null. Provide a valid value for the argument, and then try running the command again.');
    });
  }
  const range = attr(p, 'ValidateRange');
  if (range && range.positional.length === 2) {
    const [min, max] = range.positional.map((x) => Number(constantOf(x)));
    out.push((v) => {
      const n = Number(v);
      if (n < min) throw new ValidationError(`The ${toStr(v)} argument is less than the minimum allowed range of ${min}. Supply an argument that is greater than or equal to ${min} and then try the command again.`);
      if (n > max) throw new ValidationError(`The ${toStr(v)} argument is greater than the maximum allowed range of ${max}. Supply an argument that is less than or equal to ${max} and then try the command again.`);
    });
  }
  const pattern = attr(p, 'ValidatePattern');
  if (pattern && pattern.positional.length) {
    const re = toStr(constantOf(pattern.positional[0]));
    out.push((v) => {
      if (!makeRegExp(re, false).test(toStr(v))) {
        throw new ValidationError(`The argument "${toStr(v)}" does not match the "${re}" pattern. Supply an argument that matches "${re}" and try the command again.`);
      }
    });
  }
  return out;
}

/** The CommandSpec of a function definition. */
export function functionSpec(ast: FunctionAst): CommandSpec {
  const explicitPositions = ast.parameters.some((p) => named(attr(p, 'Parameter'), 'Position') !== undefined);
  let implicit = 0;
  const parameters: ParameterSpec[] = ast.parameters.map((p) => {
    const pa = attr(p, 'Parameter');
    const isSwitch = (p.typeName ?? '').toLowerCase().replace(/^system\.management\.automation\./, '') === 'switch' || (p.typeName ?? '').toLowerCase() === 'switchparameter';
    let position: number | undefined;
    const explicit = named(pa, 'Position');
    if (explicit !== undefined) position = Number(explicit);
    else if (!explicitPositions && !isSwitch) position = implicit++;
    const convert = isSwitch ? undefined : typedConvert(p.typeName);
    const checks = validators(p);
    const aliasAttr = attr(p, 'Alias');
    const spec: ParameterSpec = {
      name: p.name,
      aliases: aliasAttr ? aliasAttr.positional.flatMap((x) => toArray(constantOf(x)).map(toStr)) : undefined,
      position,
      mandatory: named(pa, 'Mandatory') === true ? true : undefined,
      switch: isSwitch || undefined,
      typeName: isSwitch ? 'SwitchParameter' : (p.typeName ?? 'Object'),
      valueFromPipeline: named(pa, 'ValueFromPipeline') === true || undefined,
      valueFromPipelineByPropertyName: named(pa, 'ValueFromPipelineByPropertyName') === true || undefined,
      convert:
        convert || checks.length
          ? (v: unknown) => {
              const value = convert ? convert(v) : v;
              for (const c of checks) c(value);
              return value;
            }
          : undefined,
    };
    return spec;
  });
  if (!ast.advanced) {
    parameters.push({ name: REMAINING_ARGUMENTS, typeName: 'Object[]', valueFromRemainingArguments: true, position: 1000 });
  }
  return {
    name: ast.name,
    synopsis: `${ast.name} [function]`,
    parameters,
    invoke() {
      throw new Error(`function ${ast.name} runs through its processor`);
    },
  };
}

export function defineFunction(rt: Runtime, ast: FunctionAst): void {
  rt.functions.set(ast.name.toLowerCase(), { ast, source: rt.source, spec: functionSpec(ast) });
}

/** The value of a declared parameter that was not given. */
function unboundValue(typeName: string | undefined): unknown {
  switch ((typeName ?? '').toLowerCase().replace(/^system\./, '')) {
    case 'int':
    case 'int32':
    case 'long':
    case 'int64':
    case 'double':
    case 'decimal':
    case 'byte':
    case 'uint32':
    case 'uint64':
      return 0;
    case 'string':
      return '';
    case 'bool':
    case 'boolean':
    case 'switch':
    case 'switchparameter':
    case 'management.automation.switchparameter':
      return false;
    default:
      return null;
  }
}

/** What a function call needs from its command processor. */
export interface FunctionCall {
  bound: Map<string, unknown>;
  common: CommonParameters;
  /** Binds one pipeline object to the parameters that take pipeline input; undefined = reported and skipped. */
  bindPipelineObject(obj: unknown): Map<string, unknown> | undefined;
  /** True when parameters take pipeline input. */
  bindsPipeline: boolean;
}

async function runBlock(rt: Runtime, statements: StatementAst[], out: unknown[], direct: boolean): Promise<void> {
  try {
    out.push(...(await executeStatementList(rt, statements, direct)));
  } catch (e) {
    if (e instanceof ReturnSignal) {
      out.push(...takePendingOutput(e));
      return;
    }
    addPendingOutput(e, out);
    throw e;
  }
}

/** Runs a function call: begin once, process per input object, end once. */
/** `direct`: the call's output goes to the console, so its statements show their output as they finish. */
export async function invokeFunction(rt: Runtime, def: FunctionDefinition, call: FunctionCall, input: unknown[], hasInput: boolean, callExtent: { start: number; end: number }, direct = false): Promise<unknown[]> {
  const { ast } = def;
  if (rt.callStack.length >= MAX_CALL_DEPTH) {
    throw new RuntimeError('The script failed due to call depth overflow.', 'CallDepthOverflow', 'InvalidOperation', 'ScriptCallDepthException');
  }
  const callerSource = rt.source;
  rt.variables.pushScope();
  rt.callStack.push({ name: ast.name, source: callerSource, extent: callExtent });
  rt.source = def.source;
  const out: unknown[] = [];
  try {
    const v = rt.variables;
    const boundParameters = new Hashtable();
    for (const p of ast.parameters) {
      if (call.bound.has(p.name)) {
        v.setLocal(p.name, call.bound.get(p.name));
        boundParameters.set(p.name, call.bound.get(p.name));
      } else if (p.defaultValue) {
        const spec = def.spec.parameters.find((s) => s.name === p.name);
        const value = await evaluate(rt, p.defaultValue);
        v.setLocal(p.name, spec?.convert && !isNull(value) ? spec.convert(value) : value);
      } else v.setLocal(p.name, unboundValue(p.typeName));
    }
    const rest = call.bound.get(REMAINING_ARGUMENTS);
    v.setLocal('args', rest === undefined ? [] : Array.isArray(rest) ? rest : [rest]);
    v.setLocal('PSBoundParameters', boundParameters);
    if (def.scriptPath) {
      v.setLocal('PSScriptRoot', dirname(def.scriptPath));
      v.setLocal('PSCommandPath', def.scriptPath);
    }
    if (call.common.errorAction) v.setLocal('ErrorActionPreference', call.common.errorAction);
    if (call.common.warningAction) v.setLocal('WarningPreference', call.common.warningAction);
    if (call.common.verbose !== undefined) v.setLocal('VerbosePreference', call.common.verbose ? 'Continue' : 'SilentlyContinue');
    v.setLocal('input', ast.process ? [] : input.slice());
    if (ast.begin) await runBlock(rt, ast.begin, out, direct);
    if (ast.process) {
      const items = hasInput ? input : [undefined];
      for (const item of items) {
        if (hasInput && call.bindsPipeline) {
          const extra = call.bindPipelineObject(item);
          if (!extra) continue;
          for (const [name, value] of extra) {
            v.setLocal(name, value);
            boundParameters.set(name, value);
          }
        }
        rt.pushCurrent(item === undefined ? null : item);
        v.setLocal('input', item === undefined ? [] : [item]);
        try {
          await runBlock(rt, ast.process, out, direct);
        } finally {
          rt.popCurrent();
        }
      }
    }
    if (ast.end) await runBlock(rt, ast.end, out, direct);
    return out;
  } catch (e) {
    addPendingOutput(e, out);
    throw e;
  } finally {
    rt.source = callerSource;
    rt.callStack.pop();
    rt.variables.popScope();
  }
}

/** Does `name` look like a wildcard that matches a function (Get-Command)? */
export function functionsMatching(rt: Runtime, pattern: string): FunctionDefinition[] {
  return [...rt.functions.values()].filter((f) => likeMatch(f.ast.name, pattern));
}

/**
 * A script's param( ) block: a script run by file gets no arguments, so each
 * parameter takes its default; a mandatory one without a value fails.
 */
export async function bindScriptParameters(rt: Runtime, parameters: ParameterAst[]): Promise<void> {
  const missing: string[] = [];
  for (const p of parameters) {
    const mandatory = named(attr(p, 'Parameter'), 'Mandatory') === true;
    if (p.defaultValue) {
      const convert = typedConvert(p.typeName);
      const value = await evaluate(rt, p.defaultValue);
      rt.variables.set(p.name, convert && !isNull(value) ? convert(value) : value);
    } else if (mandatory) missing.push(p.name);
    else rt.variables.set(p.name, unboundValue(p.typeName));
  }
  if (missing.length) {
    throw new RuntimeError(`Cannot process command because of one or more missing mandatory parameters: ${missing.join(' ')}.`, 'MissingMandatoryParameter', 'InvalidArgument', 'ParameterBindingException');
  }
}
