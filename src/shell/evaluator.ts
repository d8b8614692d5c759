// Executes statements and evaluates expressions: assignments, if, the loops
// (foreach, while, do, for) with break/continue and labels, switch,
// try/catch/finally, throw, trap, return and exit; string expansion, member
// access, operators, ++/--, casts, hashtables and script blocks. A
// terminating error travels to the nearest try or trap, or is reported with
// the position of the failing statement and the next statement runs (a
// script-terminating one stops the script). Pipelines are run by pipeline.ts.

import type { AssignmentAst, ExpressionAst, Extent, FlowAst, StatementAst, SwitchAst, TrapAst, TryAst } from './ast.js';
import { randomUUID } from 'node:crypto';
import { collapse, convertDate, dotNetTypeName, enumerate, isEnumerable, isNull, primitiveOf, roundHalfEven, toArray, toBool, toNumber, toStr } from './conversion.js';
import { TimeSpan } from './timespan.js';
import { parseExactDate } from './dotnet-format.js';
import { ArrayList, listTypeName } from './arraylist.js';
import { ErrorRecordValue, RuntimeError, ShellError, exceptionMatches, type ErrorRecord } from './errors.js';
import { BreakSignal, ContinueSignal, ExitSignal, ReturnSignal, addPendingOutput, isFlowSignal, labelMatches, movePendingOutput, takePendingOutput } from './flow.js';
import { readTextLines, resolvePath } from './files.js';
import { defineFunction } from './functions.js';
import { getMember, indexValue, invokeMethod, setMember } from './members.js';
import { binaryOperator, likeMatch, unaryOperator, valuesEqual } from './operators.js';
import { noFileSystem, runPipeline } from './pipeline.js';
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
  if (e instanceof RuntimeError && !e.extent) {
    const located = new RuntimeError(e.message, e.errorId, e.category, e.reason, extent);
    located.innerTypes = e.innerTypes;
    return located;
  }
  return e;
}

/** The error record for a failure inside a statement (not a command's own error). */
export function toShellError(rt: Runtime, e: unknown, extent: Extent): ShellError {
  if (e instanceof ShellError) return e;
  if (e instanceof RuntimeError) {
    return new ShellError({
      message: e.message,
      errorId: e.errorId,
      category: e.category,
      reason: e.reason,
      position: { source: rt.source, extent: e.extent ?? extent },
      exception: e,
      innerExceptionTypes: e.innerTypes,
    });
  }
  const err = e instanceof Error ? e : new Error(String(e));
  const record: ErrorRecord = {
    message: err.message,
    errorId: err.name === 'Error' ? 'System.Exception' : err.name,
    category: 'NotSpecified',
    reason: err.name === 'Error' ? 'Exception' : err.name,
    position: { source: rt.source, extent },
    exception: err,
  };
  return new ShellError(record);
}

/**
 * Runs statements in order. A statement that fails with a terminating error
 * goes to a trap of this list, or travels to an enclosing try/trap, or is
 * reported (and the next statement runs; a script-terminating error stops the
 * script).
 */
export async function executeStatementList(rt: Runtime, statements: StatementAst[], direct = false): Promise<unknown[]> {
  const traps = statements.filter((s): s is TrapAst => s.kind === 'trap');
  const out: unknown[] = [];
  if (traps.length) rt.handlerDepth++;
  try {
    for (const s of statements) {
      if (s.kind === 'trap') continue;
      try {
        const result = await executeStatement(rt, s, direct);
        if (direct && rt.emit) rt.emit(result);
        else out.push(...result);
      } catch (e) {
        if (isFlowSignal(e) || e instanceof ScriptHalted) {
          addPendingOutput(e, out);
          throw e;
        }
        const err = toShellError(rt, e, s.extent);
        movePendingOutput(e, err);
        out.push(...takePendingOutput(err));
        if (traps.length) {
          rt.handlerDepth--;
          try {
            const outcome = await runTrap(rt, traps, err, out);
            if (outcome === 'continue') continue;
            if (outcome === 'write') {
              if (!err.reported) rt.writeError(err.record);
              err.reported = true;
              continue;
            }
            if (outcome === 'break') err.stopsScript = true;
          } finally {
            rt.handlerDepth++;
          }
        }
        if (rt.handlerDepth > (traps.length ? 1 : 0)) {
          addPendingOutput(err, out);
          throw err;
        }
        try {
          rt.reportTerminating(err);
        } catch (halt) {
          addPendingOutput(halt, out);
          throw halt;
        }
      }
    }
  } finally {
    if (traps.length) rt.handlerDepth--;
  }
  return out;
}

/**
 * Runs the trap that handles `err` (typed traps first). 'continue': the error
 * is handled; 'break': it goes on to the caller; 'write': it is shown and the
 * next statement runs; 'none': no trap applies.
 */
export async function runTrap(rt: Runtime, traps: TrapAst[], err: ShellError, out: unknown[]): Promise<'continue' | 'break' | 'write' | 'none'> {
  const ordered = [...traps.filter((t) => t.typeName), ...traps.filter((t) => !t.typeName)];
  const trap = ordered.find((t) => !t.typeName || exceptionMatches(err.record, t.typeName));
  if (!trap) return 'none';
  const value = rt.logError(err.record);
  rt.pushCurrent(value);
  try {
    out.push(...(await executeStatementList(rt, trap.body)));
  } catch (e) {
    if (e instanceof ContinueSignal && e.label === undefined) {
      out.push(...takePendingOutput(e));
      return 'continue';
    }
    if (e instanceof BreakSignal && e.label === undefined) {
      out.push(...takePendingOutput(e));
      return 'break';
    }
    throw e;
  } finally {
    rt.popCurrent();
  }
  return 'write';
}

/** Runs a loop body once: 'break' / 'continue' when the body asked for it (for this loop). */
async function loopBody(rt: Runtime, body: StatementAst[], label: string | undefined, out: unknown[], direct: boolean): Promise<'break' | 'continue' | 'next'> {
  try {
    out.push(...(await executeStatementList(rt, body, direct)));
    return 'next';
  } catch (e) {
    if (e instanceof BreakSignal && labelMatches(e.label, label)) {
      out.push(...takePendingOutput(e));
      return 'break';
    }
    if (e instanceof ContinueSignal && labelMatches(e.label, label)) {
      out.push(...takePendingOutput(e));
      return 'continue';
    }
    addPendingOutput(e, out);
    throw e;
  }
}

/** Evaluates a statement for its truth value inside a loop (output carried on errors). */
async function condition(rt: Runtime, s: StatementAst, out: unknown[]): Promise<boolean> {
  try {
    return toBool(await statementValue(rt, s));
  } catch (e) {
    addPendingOutput(e, out);
    throw e;
  }
}

/** Upper bound on loop iterations, so that a runaway script ends with an error instead of hanging. */
const MAX_ITERATIONS = 100_000_000;

function tooManyIterations(): RuntimeError {
  return new RuntimeError(`The loop ran more than ${MAX_ITERATIONS} times and was stopped.`, 'LoopLimitExceeded', 'LimitsExceeded', 'RuntimeException');
}

/**
 * Runs one statement. `direct`: its output goes straight to the console (a
 * top-level statement), so the statements inside loops and blocks hand their
 * output to rt.emit as they finish, in order with host writes and errors.
 */
export async function executeStatement(rt: Runtime, s: StatementAst, direct = false): Promise<unknown[]> {
  switch (s.kind) {
    case 'pipeline': {
      const only = s.elements.length === 1 ? s.elements[0] : undefined;
      if (only && only.kind === 'command-expression' && only.expression.kind === 'increment' && !only.redirections) {
        await evaluate(rt, only.expression);
        return [];
      }
      return runPipeline(rt, s, direct);
    }
    case 'assignment':
      await assign(rt, s);
      return [];
    case 'if': {
      for (const clause of s.clauses) {
        if (toBool(await statementValue(rt, clause.condition))) return executeStatementList(rt, clause.body, direct);
      }
      return s.elseBody ? executeStatementList(rt, s.elseBody, direct) : [];
    }
    case 'foreach': {
      const value = await statementValue(rt, s.collection);
      const items = isNull(value) ? [] : enumerate(value);
      const out: unknown[] = [];
      for (const item of items) {
        rt.variables.set(s.variable, item);
        if ((await loopBody(rt, s.body, s.label, out, direct)) === 'break') break;
      }
      return out;
    }
    case 'while': {
      const out: unknown[] = [];
      for (let i = 0; ; i++) {
        if (i >= MAX_ITERATIONS) throw tooManyIterations();
        if (!(await condition(rt, s.condition, out))) break;
        if ((await loopBody(rt, s.body, s.label, out, direct)) === 'break') break;
      }
      return out;
    }
    case 'do': {
      const out: unknown[] = [];
      for (let i = 0; ; i++) {
        if (i >= MAX_ITERATIONS) throw tooManyIterations();
        if ((await loopBody(rt, s.body, s.label, out, direct)) === 'break') break;
        const c = await condition(rt, s.condition, out);
        if (s.until ? c : !c) break;
      }
      return out;
    }
    case 'for': {
      const out: unknown[] = [];
      if (s.init) out.push(...(await executeStatement(rt, s.init)));
      for (let i = 0; ; i++) {
        if (i >= MAX_ITERATIONS) throw tooManyIterations();
        if (s.condition && !(await condition(rt, s.condition, out))) break;
        if ((await loopBody(rt, s.body, s.label, out, direct)) === 'break') break;
        if (s.iterator) {
          try {
            out.push(...(await executeStatement(rt, s.iterator)));
          } catch (e) {
            addPendingOutput(e, out);
            throw e;
          }
        }
      }
      return out;
    }
    case 'switch':
      return executeSwitch(rt, s, direct);
    case 'function':
      defineFunction(rt, s);
      return [];
    case 'try':
      return executeTry(rt, s, direct);
    case 'trap':
      return [];
    case 'flow':
      return executeFlow(rt, s);
  }
}

async function executeSwitch(rt: Runtime, s: SwitchAst, direct: boolean): Promise<unknown[]> {
  let value: unknown;
  if (s.file) {
    const path = toStr(await statementValue(rt, s.value));
    if (rt.env.fileSystem === false) throw noFileSystem(path);
    value = readTextLines(resolvePath(path));
  } else value = await statementValue(rt, s.value);
  const items = isEnumerable(value) ? toArray(value) : [value];
  const out: unknown[] = [];
  const defaults = s.clauses.filter((c) => !c.pattern);
  for (const item of items) {
    rt.pushCurrent(item);
    try {
      let matched = false;
      for (const clause of s.clauses) {
        if (!clause.pattern) continue;
        if (!(await switchMatches(rt, s, clause.pattern, item))) continue;
        matched = true;
        out.push(...(await executeStatementList(rt, clause.body, direct)));
      }
      if (!matched) for (const d of defaults) out.push(...(await executeStatementList(rt, d.body, direct)));
    } catch (e) {
      if (e instanceof BreakSignal && labelMatches(e.label, s.label)) {
        out.push(...takePendingOutput(e));
        break;
      }
      if (e instanceof ContinueSignal && labelMatches(e.label, s.label)) {
        out.push(...takePendingOutput(e));
        continue;
      }
      addPendingOutput(e, out);
      throw e;
    } finally {
      rt.popCurrent();
    }
  }
  return out;
}

async function switchMatches(rt: Runtime, s: SwitchAst, pattern: ExpressionAst, item: unknown): Promise<boolean> {
  if (pattern.kind === 'scriptblock') {
    return toBool(collapse(await executeStatementList(rt, pattern.statements)));
  }
  const p = await evaluate(rt, pattern);
  if (s.mode === 'regex') {
    return binaryOperator(s.caseSensitive ? '-cmatch' : '-match', toStr(item), toStr(p), { setMatches: (m) => rt.variables.set('Matches', m) }) === true;
  }
  if (s.mode === 'wildcard') return likeMatch(toStr(item), toStr(p), s.caseSensitive);
  if (typeof p === 'string' || typeof item === 'string') {
    const a = toStr(item);
    const b = toStr(p);
    return s.caseSensitive ? a === b : a.toLowerCase() === b.toLowerCase();
  }
  return valuesEqual(item, p, s.caseSensitive);
}

async function executeTry(rt: Runtime, s: TryAst, direct: boolean): Promise<unknown[]> {
  const out: unknown[] = [];
  let error: ShellError | undefined;
  let leaving: unknown;
  rt.handlerDepth++;
  try {
    out.push(...(await executeStatementList(rt, s.body, direct)));
  } catch (e) {
    if (isFlowSignal(e) || e instanceof ScriptHalted) {
      out.push(...takePendingOutput(e));
      leaving = e;
    } else {
      error = toShellError(rt, e, s.extent);
      movePendingOutput(e, error);
      out.push(...takePendingOutput(error));
    }
  } finally {
    rt.handlerDepth--;
  }
  if (error) {
    const failed = rt.statementFailed;
    const value = rt.logError(error.record);
    const clause = s.catches.find((c) => c.types.length === 0 || c.types.some((t) => exceptionMatches((error as ShellError).record, t)));
    if (clause) {
      // a caught error is in $Error but does not make the statement fail
      rt.statementFailed = failed;
      error = undefined;
      rt.pushCurrent(value);
      try {
        out.push(...(await executeStatementList(rt, clause.body, direct)));
      } catch (e) {
        out.push(...takePendingOutput(e));
        leaving = e;
      } finally {
        rt.popCurrent();
      }
    }
  }
  if (s.finallyBody) {
    try {
      out.push(...(await executeStatementList(rt, s.finallyBody, direct)));
    } catch (e) {
      out.push(...takePendingOutput(e));
      leaving = e;
      error = undefined;
    }
  }
  const thrown = leaving ?? error;
  if (thrown !== undefined) {
    addPendingOutput(thrown, out);
    throw thrown;
  }
  return out;
}

async function executeFlow(rt: Runtime, s: FlowAst): Promise<unknown[]> {
  switch (s.keyword) {
    case 'break':
      throw new BreakSignal(s.label);
    case 'continue':
      throw new ContinueSignal(s.label);
    case 'return': {
      const signal = new ReturnSignal();
      if (s.value) addPendingOutput(signal, await executeStatement(rt, s.value));
      throw signal;
    }
    case 'exit': {
      const code = s.value ? toNumber(await statementValue(rt, s.value)) : 0;
      throw new ExitSignal(Number.isFinite(code) ? Math.trunc(code) : 0);
    }
    case 'throw': {
      const value = s.value ? await statementValue(rt, s.value) : rt.variables.get('_');
      throw throwError(rt, s, s.value ? value : value instanceof ErrorRecordValue ? value : undefined);
    }
  }
}

/** The script-terminating error of `throw value`. */
function throwError(rt: Runtime, s: FlowAst, value: unknown): ShellError {
  const position = { source: rt.source, extent: s.extent };
  let err: ShellError;
  if (value instanceof ErrorRecordValue) {
    err = new ShellError(value.record);
  } else if (value === undefined || isNull(value)) {
    err = new ShellError({
      message: 'ScriptHalted',
      errorId: 'ScriptHalted',
      category: 'OperationStopped',
      reason: 'RuntimeException',
      position,
    });
  } else {
    const message = toStr(value);
    err = new ShellError({
      message,
      errorId: message,
      category: 'OperationStopped',
      reason: 'RuntimeException',
      targetName: message,
      targetType: typeof value === 'string' ? 'String' : dotNetTypeName(value).split('.').pop(),
      targetObject: value,
      position,
    });
  }
  err.stopsScript = true;
  return err;
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
    await assignTo(rt, s.target, value);
  } catch (e) {
    throw withExtent(e, s.extent);
  }
  return value;
}

/** Stores `value` in a variable, a property or an element. */
async function assignTo(rt: Runtime, t: ExpressionAst, value: unknown): Promise<void> {
  if (t.kind === 'variable') rt.variables.set(t.name, value);
  else if (t.kind === 'cast' && t.operand.kind === 'variable') rt.variables.set(t.operand.name, castValue(t.typeName, value));
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
  } else {
    throw new RuntimeError(
      'The assignment expression is not valid. The input to an assignment operator must be an object that is able to accept assignments, such as a variable or a property.',
      'InvalidLeftHandSide',
      'InvalidOperation',
      'RuntimeException',
    );
  }
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
    case 'increment': {
      const old = await evaluate(rt, expr.operand);
      const next = binaryOperator(expr.op === '++' ? '+' : '-', isNull(old) ? 0 : old, 1);
      await assignTo(rt, expr.operand, next);
      return expr.prefix ? next : old;
    }
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
  if (t === 'timespan' && n === 'zero') return new TimeSpan(0);
  if (t === 'datetime' && n === 'minvalue') return new Date(-62135596800000);
  if (!KNOWN_TYPES.has(t)) throw unknownType(type);
  return null;
}

function staticMethod(type: string, name: string, args: unknown[]): unknown {
  const t = normType(type);
  const n = name.toLowerCase();
  const list = listTypeName(type);
  if (list && n === 'new') return ArrayList.create(list, args.length === 1 && typeof args[0] !== 'number' ? toArray(args[0]) : []);
  if (t === 'math') {
    const nums = args.map((a) => toNumber(a));
    switch (n) {
      case 'round': {
        const digits = nums[1] ?? 0;
        const f = 10 ** digits;
        return roundHalfEven(nums[0] * f) / f;
      }
      case 'floor':
        return Math.floor(nums[0]);
      case 'ceiling':
        return Math.ceil(nums[0]);
      case 'abs':
        return Math.abs(nums[0]);
      case 'max':
        return Math.max(nums[0], nums[1]);
      case 'min':
        return Math.min(nums[0], nums[1]);
      case 'pow':
        return nums[0] ** nums[1];
      case 'sqrt':
        return Math.sqrt(nums[0]);
      case 'truncate':
        return Math.trunc(nums[0]);
    }
  }
  if (t === 'string') {
    if (n === 'isnullorempty') return isNull(args[0]) || toStr(args[0]) === '';
    if (n === 'isnullorwhitespace') return isNull(args[0]) || toStr(args[0]).trim() === '';
    if (n === 'join') return toArray(args[1]).concat(args.slice(2)).map(toStr).join(toStr(args[0]));
    if (n === 'format') return binaryOperator('-f', args[0], args.slice(1));
  }
  if (t === 'datetime' && n === 'parse') return castValue('datetime', args[0]);
  if (t === 'datetime' && n === 'parseexact') return parseExactDate(toStr(args[0]), toStr(args[1]));
  if (t === 'timespan') {
    const unit: Record<string, number> = { fromdays: 86_400_000, fromhours: 3_600_000, fromminutes: 60_000, fromseconds: 1000, frommilliseconds: 1 };
    if (unit[n] !== undefined) return new TimeSpan(toNumber(args[0]) * unit[n]);
    if (n === 'fromticks') return TimeSpan.fromTicks(toNumber(args[0]));
    if (n === 'parse') return castValue('timespan', args[0]);
  }
  if (t === 'string' && n === 'concat') return args.map(toStr).join('');
  if (t === 'io.path' || t === 'path') {
    if (n === 'getfilename') return toStr(args[0]).split(/[\\/]/).pop();
    if (n === 'getextension') return /\.[^./\\]*$/.exec(toStr(args[0]))?.[0] ?? '';
    if (n === 'combine') return args.map(toStr).join('/').replace(/\/+/g, '/');
  }
  if (t === 'guid' && n === 'newguid') return randomUUID();
  if (!KNOWN_TYPES.has(t)) throw unknownType(type);
  throw new RuntimeError(`Method invocation failed because [${type}] does not contain a method named '${name}'.`, 'MethodNotFound', 'InvalidOperation', 'RuntimeException');
}

const KNOWN_TYPES = new Set([
  'int',
  'int32',
  'long',
  'int64',
  'double',
  'decimal',
  'float',
  'single',
  'string',
  'bool',
  'boolean',
  'array',
  'object[]',
  'string[]',
  'int[]',
  'hashtable',
  'datetime',
  'pscustomobject',
  'psobject',
  'object',
  'switch',
  'void',
  'math',
  'environment',
  'securestring',
  'security.securestring',
  'pscredential',
  'management.automation.pscredential',
  'char',
  'byte',
  'guid',
  'regex',
  'scriptblock',
  'timespan',
  'uint32',
  'uint64',
  'ordered',
  'management.automation.pscustomobject',
  'io.path',
  'exception',
  'management.automation.errorrecord',
]);

function isType(v: unknown, typeName: string): boolean {
  const t = normType(typeName);
  if (listTypeName(typeName)) return v instanceof ArrayList;
  switch (t) {
    case 'string':
      return typeof v === 'string';
    case 'int':
    case 'int32':
    case 'long':
    case 'int64':
      return typeof v === 'number' && Number.isInteger(v);
    case 'double':
    case 'decimal':
    case 'float':
    case 'single':
      return typeof v === 'number' && !Number.isInteger(v);
    case 'bool':
    case 'boolean':
      return typeof v === 'boolean';
    case 'array':
    case 'object[]':
      return Array.isArray(v);
    case 'hashtable':
      return v instanceof Hashtable;
    case 'datetime':
      return v instanceof Date;
    case 'psobject':
    case 'object':
      return !isNull(v);
    case 'pscustomobject':
    case 'management.automation.pscustomobject':
      return v instanceof PSObject;
    case 'securestring':
    case 'security.securestring':
      return v instanceof SecureString;
    case 'pscredential':
    case 'management.automation.pscredential':
      return v instanceof PSCredential;
    case 'scriptblock':
      return v instanceof ScriptBlock;
    case 'timespan':
      return v instanceof TimeSpan;
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
  const list = listTypeName(typeName);
  if (list) return ArrayList.create(list, isNull(v) ? [] : toArray(v));
  switch (t) {
    case 'int':
    case 'int32':
    case 'long':
    case 'int64':
    case 'uint32':
    case 'uint64':
    case 'byte': {
      if (isNull(v)) return 0;
      if (typeof v === 'string' && v.trim() !== '' && Number.isNaN(Number(v.trim())) && toNumberSafe(v) === undefined) throw cannotConvert(v, t.startsWith('int') && t !== 'int64' ? 'System.Int32' : 'System.Int64');
      return roundHalfEven(toNumber(v));
    }
    case 'double':
    case 'decimal':
    case 'float':
    case 'single':
      return toNumber(v);
    case 'string':
      return isNull(v) ? '' : toStr(v);
    case 'bool':
    case 'boolean':
    case 'switch':
      return toBool(v);
    case 'char':
      return toStr(v).slice(0, 1);
    case 'array':
    case 'object[]':
      return isNull(v) ? [] : toArray(v).slice();
    case 'string[]':
      return isNull(v) ? [] : toArray(v).map(toStr);
    case 'int[]':
      return isNull(v) ? [] : toArray(v).map((x) => roundHalfEven(toNumber(x)));
    case 'hashtable':
    case 'ordered':
      if (v instanceof Hashtable) return v;
      throw new RuntimeError(`Cannot convert the "${toStr(v)}" value of type "${dotNetTypeName(v)}" to type "System.Collections.Hashtable".`, 'ConvertToFinalInvalidCastException', 'InvalidArgument', 'RuntimeException');
    case 'datetime':
      if (v instanceof Date) return v;
      try {
        return convertDate(v);
      } catch {
        throw new RuntimeError(
          `Cannot convert value "${toStr(v)}" to type "System.DateTime". Error: "String was not recognized as a valid DateTime."`,
          'InvalidCastParseTargetInvocationWithFormatProvider',
          'InvalidArgument',
          'RuntimeException',
        );
      }
    case 'pscustomobject':
    case 'management.automation.pscustomobject':
      if (v instanceof Hashtable)
        return new PSObject(
          'System.Management.Automation.PSCustomObject',
          v.pairs().map(([k, x]) => [toStr(k), x]),
        );
      return v;
    case 'psobject':
    case 'object':
      return v;
    case 'void':
      return undefined;
    case 'securestring':
    case 'security.securestring':
      if (v instanceof SecureString) return v;
      throw new RuntimeError(`Cannot convert the "${toStr(v)}" value of type "${dotNetTypeName(v)}" to type "System.Security.SecureString".`, 'ConvertToFinalInvalidCastException', 'InvalidArgument', 'RuntimeException');
    case 'pscredential':
    case 'management.automation.pscredential':
      if (v instanceof PSCredential) return v;
      throw new RuntimeError(`Cannot convert the "${toStr(v)}" value of type "${dotNetTypeName(v)}" to type "System.Management.Automation.PSCredential".`, 'ConvertToFinalInvalidCastException', 'InvalidArgument', 'RuntimeException');
    case 'scriptblock':
      if (v instanceof ScriptBlock) return v;
      throw new RuntimeError(`Cannot convert the "${toStr(v)}" value of type "${dotNetTypeName(v)}" to type "System.Management.Automation.ScriptBlock".`, 'ConvertToFinalInvalidCastException', 'InvalidArgument', 'RuntimeException');
    case 'regex':
      return toStr(v);
    case 'timespan':
      if (v instanceof TimeSpan) return v;
      if (typeof v === 'number') return TimeSpan.fromTicks(v);
      if (isNull(v)) return new TimeSpan(0);
      if (typeof v === 'string') return TimeSpan.parse(v);
      if (typeof primitiveOf(v) === 'number' && /timespan/i.test(dotNetTypeName(v))) return new TimeSpan(primitiveOf(v) as number);
      return TimeSpan.parse(toStr(v));
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

/** Runs a script block with $_ set; returns what it wrote (`direct`: shows it as each statement finishes). */
export async function invokeScriptBlock(rt: Runtime, block: ScriptBlock, current: unknown, direct = false): Promise<unknown[]> {
  const savedSource = rt.source;
  rt.source = block.source;
  rt.pushCurrent(current);
  try {
    return await executeStatementList(rt, block.ast.statements, direct);
  } catch (e) {
    // `return` ends this run of the block (ForEach-Object goes on with the next object)
    if (e instanceof ReturnSignal) return takePendingOutput(e);
    throw e;
  } finally {
    rt.popCurrent();
    rt.source = savedSource;
  }
}
