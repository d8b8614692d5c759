// Executes statements and evaluates expressions: assignments, if/foreach,
// string expansion, member access, operators, casts, hashtables and script
// blocks. Pipelines are run by pipeline.ts; errors become error records with
// the position of the failing expression.

import type {
  AssignmentAst, ExpressionAst, Extent, StatementAst,
} from './ast.js';
import { randomUUID } from 'node:crypto';
import {
  collapse, convertDate, dotNetTypeName, enumerate, isNull, roundHalfEven, toArray, toBool, toNumber, toStr,
} from './conversion.js';
import { RuntimeError, ShellError, type ErrorRecord } from './errors.js';
import { getMember, indexValue, invokeMethod, setMember } from './members.js';
import { binaryOperator, unaryOperator } from './operators.js';
import { runPipeline } from './pipeline.js';
import { ScriptHalted, type Runtime } from './runtime.js';
import { ScriptBlock } from './scriptblock.js';
import { Hashtable, PSCredential, PSObject, SecureString } from './values.js';

/** A `[TypeName]` literal used as a value (`-is [string]`, `[Math]::Round`). */
export class TypeValue {
  constructor(readonly name: string) {}
  toString(): string {
    return this.name;
  }
}

function withExtent(e: unknown, extent: Extent): unknown {
  if (e instanceof RuntimeError && !e.extent) return new RuntimeError(e.message, e.errorId, e.category, e.reason, extent);
  return e;
}

/** The error record for a failure inside a statement (not a command's own error). */
export function toShellError(rt: Runtime, e: unknown, extent: Extent): ShellError {
  if (e instanceof ShellError) return e;
  if (e instanceof RuntimeError) {
    return new ShellError({
      message: e.message, errorId: e.errorId, category: e.category, reason: e.reason,
      position: { source: rt.source, extent: e.extent ?? extent }, exception: e,
    });
  }
  const err = e instanceof Error ? e : new Error(String(e));
  const record: ErrorRecord = {
    message: err.message, errorId: err.name === 'Error' ? 'System.Exception' : err.name, category: 'NotSpecified',
    reason: err.name === 'Error' ? 'Exception' : err.name, position: { source: rt.source, extent }, exception: err,
  };
  return new ShellError(record);
}

/** Runs statements in order; a failing statement is reported and the next one runs. */
export async function executeStatementList(rt: Runtime, statements: StatementAst[]): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const s of statements) {
    try {
      out.push(...(await executeStatement(rt, s)));
    } catch (e) {
      if (e instanceof ScriptHalted) throw e;
      rt.reportTerminating(toShellError(rt, e, s.extent));
    }
  }
  return out;
}

export async function executeStatement(rt: Runtime, s: StatementAst): Promise<unknown[]> {
  switch (s.kind) {
    case 'pipeline':
      return runPipeline(rt, s);
    case 'assignment':
      await assign(rt, s);
      return [];
    case 'if': {
      for (const clause of s.clauses) {
        if (toBool(await statementValue(rt, clause.condition))) return executeStatementList(rt, clause.body);
      }
      return s.elseBody ? executeStatementList(rt, s.elseBody) : [];
    }
    case 'foreach': {
      const value = await statementValue(rt, s.collection);
      const items = isNull(value) ? [] : enumerate(value);
      const out: unknown[] = [];
      for (const item of items) {
        rt.variables.set(s.variable, item);
        out.push(...(await executeStatementList(rt, s.body)));
      }
      return out;
    }
  }
}

/**
 * The value of a statement used as a value: an expression keeps its value
 * (arrays stay arrays); a pipeline's output is collapsed.
 */
export async function statementValue(rt: Runtime, s: StatementAst): Promise<unknown> {
  if (s.kind === 'pipeline' && s.elements.length === 1 && s.elements[0].kind === 'command-expression') {
    return evaluate(rt, s.elements[0].expression);
  }
  if (s.kind === 'assignment') return assign(rt, s);
  return collapse(await executeStatement(rt, s));
}

async function assign(rt: Runtime, s: AssignmentAst): Promise<unknown> {
  let value = await statementValue(rt, s.value);
  try {
    if (s.operator !== '=') {
      const current = await evaluate(rt, s.target);
      value = binaryOperator(s.operator.slice(0, 1), current, value);
    }
    const t = s.target;
    if (t.kind === 'variable') rt.variables.set(t.name, value);
    else if (t.kind === 'member') {
      const target = await evaluate(rt, t.target);
      const name = typeof t.member === 'string' ? t.member : toStr(await evaluate(rt, t.member));
      setMember(target, name, value);
    } else if (t.kind === 'index') {
      const target = await evaluate(rt, t.target);
      const index = await evaluate(rt, t.index);
      if (target instanceof Hashtable) target.set(index, value);
      else if (Array.isArray(target)) {
        let i = toNumber(index);
        if (i < 0) i += target.length;
        if (i < 0 || i >= target.length) throw new RuntimeError('Index was outside the bounds of the array.', 'IndexOutOfRange', 'OperationStopped', 'IndexOutOfRangeException');
        target[i] = value;
      } else if (target instanceof PSObject) target.set(toStr(index), value);
      else throw new RuntimeError('Unable to index into an object of type ' + dotNetTypeName(target) + '.', 'CannotIndex', 'InvalidOperation', 'RuntimeException');
    }
  } catch (e) {
    throw withExtent(e, s.extent);
  }
  return value;
}

export async function evaluate(rt: Runtime, expr: ExpressionAst): Promise<unknown> {
  try {
    return await evaluateInner(rt, expr);
  } catch (e) {
    throw withExtent(e, expr.extent);
  }
}

async function evaluateInner(rt: Runtime, expr: ExpressionAst): Promise<unknown> {
  switch (expr.kind) {
    case 'constant':
      return expr.value;
    case 'expandable': {
      let s = '';
      for (const part of expr.parts) s += typeof part === 'string' ? part : expandText(await evaluate(rt, part));
      return s;
    }
    case 'variable':
      return rt.variables.get(expr.name);
    case 'member': {
      const name = typeof expr.member === 'string' ? expr.member : toStr(await evaluate(rt, expr.member));
      if (expr.static) return staticMember(await typeOf(rt, expr.target), name);
      return getMember(await evaluate(rt, expr.target), name);
    }
    case 'invoke-member': {
      const args: unknown[] = [];
      if (expr.static) {
        const type = await typeOf(rt, expr.target);
        for (const a of expr.args) args.push(await evaluate(rt, a));
        return staticMethod(type, expr.member, args);
      }
      const target = await evaluate(rt, expr.target);
      for (const a of expr.args) args.push(await evaluate(rt, a));
      return invokeMethod(target, expr.member, args);
    }
    case 'index':
      return indexValue(await evaluate(rt, expr.target), await evaluate(rt, expr.index));
    case 'unary':
      return unaryOperator(expr.op, await evaluate(rt, expr.operand));
    case 'binary': {
      if (expr.op === '-and') return toBool(await evaluate(rt, expr.left)) ? toBool(await evaluate(rt, expr.right)) : false;
      if (expr.op === '-or') return toBool(await evaluate(rt, expr.left)) ? true : toBool(await evaluate(rt, expr.right));
      const left = await evaluate(rt, expr.left);
      const right = await evaluate(rt, expr.right);
      if (expr.op === '-is' || expr.op === '-isnot') {
        const r = isType(left, toStr(right));
        return expr.op === '-is' ? r : !r;
      }
      if (expr.op === '-as') {
        try {
          return castValue(toStr(right), left);
        } catch {
          return null;
        }
      }
      return binaryOperator(expr.op, left, right, { setMatches: (m) => rt.variables.set('Matches', m) });
    }
    case 'array': {
      const out: unknown[] = [];
      for (const e of expr.elements) out.push(await evaluate(rt, e));
      return out;
    }
    case 'paren':
      return statementValue(rt, expr.statement);
    case 'subexpression':
      return collapse(await executeStatementList(rt, expr.statements));
    case 'array-expression':
      return executeStatementList(rt, expr.statements);
    case 'hashtable': {
      const h = new Hashtable();
      for (const entry of expr.entries) h.set(await evaluate(rt, entry.key), await statementValue(rt, entry.value));
      return h;
    }
    case 'scriptblock':
      return new ScriptBlock(expr, rt.source);
    case 'cast':
      return castValue(expr.typeName, await evaluate(rt, expr.operand));
    case 'type':
      return new TypeValue(expr.typeName);
  }
}

/** Text of a value inside an expandable string (dates in invariant form, collections joined by spaces). */
function expandText(v: unknown): string {
  return toStr(v);
}

async function typeOf(rt: Runtime, target: ExpressionAst): Promise<string> {
  if (target.kind === 'type') return target.typeName;
  return toStr(await evaluate(rt, target));
}

function normType(name: string): string {
  return name.toLowerCase().replace(/^system\./, '');
}

function unknownType(name: string): RuntimeError {
  return new RuntimeError(`Unable to find type [${name}].`, 'TypeNotFound', 'InvalidOperation', 'RuntimeException');
}

function staticMember(type: string, name: string): unknown {
  const t = normType(type);
  const n = name.toLowerCase();
  if (t === 'datetime' && n === 'now') return new Date();
  if (t === 'datetime' && n === 'utcnow') return new Date();
  if (t === 'datetime' && n === 'today') {
    const d = new Date();
    return new Date(d.getFullYear(), d.getMonth(), d.getDate());
  }
  if (t === 'string' && n === 'empty') return '';
  if ((t === 'int' || t === 'int32') && n === 'maxvalue') return 2147483647;
  if ((t === 'int' || t === 'int32') && n === 'minvalue') return -2147483648;
  if (t === 'environment' && n === 'newline') return '\n';
  if (t === 'math' && n === 'pi') return Math.PI;
  if (!KNOWN_TYPES.has(t)) throw unknownType(type);
  return null;
}

function staticMethod(type: string, name: string, args: unknown[]): unknown {
  const t = normType(type);
  const n = name.toLowerCase();
  if (t === 'math') {
    const nums = args.map((a) => toNumber(a));
    switch (n) {
      case 'round': {
        const digits = nums[1] ?? 0;
        const f = 10 ** digits;
        return roundHalfEven(nums[0] * f) / f;
      }
      case 'floor': return Math.floor(nums[0]);
      case 'ceiling': return Math.ceil(nums[0]);
      case 'abs': return Math.abs(nums[0]);
      case 'max': return Math.max(nums[0], nums[1]);
      case 'min': return Math.min(nums[0], nums[1]);
      case 'pow': return nums[0] ** nums[1];
      case 'sqrt': return Math.sqrt(nums[0]);
      case 'truncate': return Math.trunc(nums[0]);
    }
  }
  if (t === 'string') {
    if (n === 'isnullorempty') return isNull(args[0]) || toStr(args[0]) === '';
    if (n === 'isnullorwhitespace') return isNull(args[0]) || toStr(args[0]).trim() === '';
    if (n === 'join') return toArray(args[1]).concat(args.slice(2)).map(toStr).join(toStr(args[0]));
    if (n === 'format') return binaryOperator('-f', args[0], args.slice(1));
  }
  if (t === 'datetime' && n === 'parse') return convertDate(args[0]);
  if (t === 'guid' && n === 'newguid') return randomUUID();
  if (!KNOWN_TYPES.has(t)) throw unknownType(type);
  throw new RuntimeError(`Method invocation failed because [${type}] does not contain a method named '${name}'.`, 'MethodNotFound', 'InvalidOperation', 'RuntimeException');
}

const KNOWN_TYPES = new Set([
  'int', 'int32', 'long', 'int64', 'double', 'decimal', 'float', 'single', 'string', 'bool', 'boolean', 'array', 'object[]',
  'string[]', 'int[]', 'hashtable', 'datetime', 'pscustomobject', 'psobject', 'object', 'switch', 'void', 'math', 'environment',
  'securestring', 'security.securestring', 'pscredential', 'management.automation.pscredential', 'char', 'byte', 'guid', 'regex',
  'scriptblock', 'timespan', 'uint32', 'uint64', 'ordered', 'management.automation.pscustomobject',
]);

function isType(v: unknown, typeName: string): boolean {
  const t = normType(typeName);
  switch (t) {
    case 'string': return typeof v === 'string';
    case 'int': case 'int32': case 'long': case 'int64': return typeof v === 'number' && Number.isInteger(v);
    case 'double': case 'decimal': case 'float': case 'single': return typeof v === 'number' && !Number.isInteger(v);
    case 'bool': case 'boolean': return typeof v === 'boolean';
    case 'array': case 'object[]': return Array.isArray(v);
    case 'hashtable': return v instanceof Hashtable;
    case 'datetime': return v instanceof Date;
    case 'psobject': case 'object': return !isNull(v);
    case 'pscustomobject': case 'management.automation.pscustomobject': return v instanceof PSObject;
    case 'securestring': case 'security.securestring': return v instanceof SecureString;
    case 'pscredential': case 'management.automation.pscredential': return v instanceof PSCredential;
    case 'scriptblock': return v instanceof ScriptBlock;
  }
  if (!KNOWN_TYPES.has(t)) throw unknownType(typeName);
  return false;
}

function cannotConvert(v: unknown, type: string): RuntimeError {
  return new RuntimeError(`Cannot convert value "${toStr(v)}" to type "${type}". Error: "Input string was not in a correct format."`, 'InvalidCastFromStringToInteger', 'InvalidArgument', 'RuntimeException');
}

/** `[type]value` for the types admins use. */
export function castValue(typeName: string, v: unknown): unknown {
  const t = normType(typeName);
  switch (t) {
    case 'int': case 'int32': case 'long': case 'int64': case 'uint32': case 'uint64': case 'byte': {
      if (isNull(v)) return 0;
      if (typeof v === 'string' && v.trim() !== '' && Number.isNaN(Number(v.trim())) && toNumberSafe(v) === undefined) throw cannotConvert(v, t.startsWith('int') && t !== 'int64' ? 'System.Int32' : 'System.Int64');
      return roundHalfEven(toNumber(v));
    }
    case 'double': case 'decimal': case 'float': case 'single':
      return toNumber(v);
    case 'string':
      return isNull(v) ? '' : toStr(v);
    case 'bool': case 'boolean': case 'switch':
      return toBool(v);
    case 'char':
      return toStr(v).slice(0, 1);
    case 'array': case 'object[]':
      return isNull(v) ? [] : toArray(v).slice();
    case 'string[]':
      return isNull(v) ? [] : toArray(v).map(toStr);
    case 'int[]':
      return isNull(v) ? [] : toArray(v).map((x) => roundHalfEven(toNumber(x)));
    case 'hashtable': case 'ordered':
      if (v instanceof Hashtable) return v;
      throw new RuntimeError(`Cannot convert the "${toStr(v)}" value of type "${dotNetTypeName(v)}" to type "System.Collections.Hashtable".`, 'ConvertToFinalInvalidCastException', 'InvalidArgument', 'RuntimeException');
    case 'datetime':
      if (v instanceof Date) return v;
      try {
        return convertDate(v);
      } catch {
        throw new RuntimeError(`Cannot convert value "${toStr(v)}" to type "System.DateTime". Error: "String was not recognized as a valid DateTime."`, 'InvalidCastParseTargetInvocationWithFormatProvider', 'InvalidArgument', 'RuntimeException');
      }
    case 'pscustomobject': case 'management.automation.pscustomobject':
      if (v instanceof Hashtable) return new PSObject('System.Management.Automation.PSCustomObject', v.pairs().map(([k, x]) => [toStr(k), x]));
      return v;
    case 'psobject': case 'object':
      return v;
    case 'void':
      return undefined;
    case 'securestring': case 'security.securestring':
      if (v instanceof SecureString) return v;
      throw new RuntimeError(`Cannot convert the "${toStr(v)}" value of type "${dotNetTypeName(v)}" to type "System.Security.SecureString".`, 'ConvertToFinalInvalidCastException', 'InvalidArgument', 'RuntimeException');
    case 'pscredential': case 'management.automation.pscredential':
      if (v instanceof PSCredential) return v;
      throw new RuntimeError(`Cannot convert the "${toStr(v)}" value of type "${dotNetTypeName(v)}" to type "System.Management.Automation.PSCredential".`, 'ConvertToFinalInvalidCastException', 'InvalidArgument', 'RuntimeException');
    case 'scriptblock':
      if (v instanceof ScriptBlock) return v;
      throw new RuntimeError(`Cannot convert the "${toStr(v)}" value of type "${dotNetTypeName(v)}" to type "System.Management.Automation.ScriptBlock".`, 'ConvertToFinalInvalidCastException', 'InvalidArgument', 'RuntimeException');
    case 'regex':
      return toStr(v);
    case 'timespan':
      return v;
  }
  throw unknownType(typeName);
}

function toNumberSafe(v: unknown): number | undefined {
  try {
    return toNumber(v);
  } catch {
    return undefined;
  }
}

/** Runs a script block with $_ set; returns what it wrote. */
export async function invokeScriptBlock(rt: Runtime, block: ScriptBlock, current: unknown): Promise<unknown[]> {
  const savedSource = rt.source;
  rt.source = block.source;
  rt.pushCurrent(current);
  try {
    return await executeStatementList(rt, block.ast.statements);
  } finally {
    rt.popCurrent();
    rt.source = savedSource;
  }
}

