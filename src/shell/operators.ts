// PowerShell operator semantics: comparison (case-insensitive unless `-c`,
// right operand converted to the left operand's type, a collection on the left
// filters), -like/-match/-replace/-split/-join, arithmetic with string and
// array rules, ranges and -f formatting.

import { isEnumerable, isNull, primitiveOf, toArray, toBool, toNumber, toStr } from './conversion.js';
import { RuntimeError } from './errors.js';
import { compositeFormat } from './dotnet-format.js';
import { TimeSpan } from './timespan.js';
import { wildcardToRegExp } from './wildcard.js';
import { Hashtable } from './values.js';

export interface OperatorContext {
  /** Receives $Matches after a scalar -match. */
  setMatches(m: Hashtable): void;
}

function strEq(a: string, b: string, cs: boolean): boolean {
  return cs ? a === b : a.toLowerCase() === b.toLowerCase() || a.localeCompare(b, 'en-US', { sensitivity: 'accent' }) === 0;
}

/** PowerShell -eq for two scalars. */
export function valuesEqual(left: unknown, right: unknown, cs = false): boolean {
  if (isNull(left)) return isNull(right);
  if (isNull(right)) return false;
  const l = primitiveOf(left);
  if (typeof l === 'string') return strEq(l, toStr(right), cs);
  if (typeof l === 'number') {
    const r = primitiveOf(right);
    if (typeof r === 'number') return l === r;
    if (typeof r === 'boolean') return l === (r ? 1 : 0);
    try {
      return l === toNumber(r);
    } catch {
      return false;
    }
  }
  if (typeof l === 'boolean') return l === toBool(right);
  if (l instanceof Date) {
    if (right instanceof Date) return l.getTime() === right.getTime();
    const d = new Date(toStr(right));
    return !Number.isNaN(d.getTime()) && d.getTime() === l.getTime();
  }
  if (left === right) return true;
  if (typeof left === 'object' && left !== null && typeof right === 'string') return strEq(toStr(left), right, cs);
  return false;
}

/** Ordering for -gt/-lt and Sort-Object: negative, zero or positive. */
export function compareValues(left: unknown, right: unknown, cs = false): number {
  if (isNull(left)) return isNull(right) ? 0 : -1;
  if (isNull(right)) return 1;
  const l = primitiveOf(left);
  if (typeof l === 'number' || typeof l === 'boolean') {
    const ln = typeof l === 'boolean' ? (l ? 1 : 0) : l;
    let rn: number;
    try {
      rn = toNumber(primitiveOf(right));
    } catch {
      return compareStrings(toStr(l), toStr(right), cs);
    }
    return ln < rn ? -1 : ln > rn ? 1 : 0;
  }
  if (l instanceof Date) {
    const r = right instanceof Date ? right.getTime() : new Date(toStr(right)).getTime();
    if (Number.isNaN(r)) return compareStrings(toStr(l), toStr(right), cs);
    return l.getTime() < r ? -1 : l.getTime() > r ? 1 : 0;
  }
  return compareStrings(toStr(l), toStr(right), cs);
}

export function compareStrings(a: string, b: string, cs: boolean): number {
  const r = a.localeCompare(b, 'en-US', { sensitivity: cs ? 'variant' : 'accent', caseFirst: cs ? 'lower' : undefined });
  return r < 0 ? -1 : r > 0 ? 1 : 0;
}

export function likeMatch(value: unknown, pattern: unknown, cs = false): boolean {
  return wildcardToRegExp(toStr(pattern), cs).test(toStr(value));
}

/** .NET regex text to a JavaScript RegExp (named groups `(?<n>)` are shared). */
export function makeRegExp(pattern: string, cs: boolean, global = false): RegExp {
  let source = pattern;
  let flags = (cs ? '' : 'i') + (global ? 'g' : '');
  // inline options (?i) at the start
  const inline = /^\(\?([imsx]+)\)/.exec(source);
  if (inline) {
    source = source.slice(inline[0].length);
    if (inline[1].includes('i') && !flags.includes('i')) flags += 'i';
    if (inline[1].includes('m')) flags += 'm';
    if (inline[1].includes('s')) flags += 's';
  }
  source = source.replace(/\\A/g, '^').replace(/\\Z/gi, '$');
  try {
    return new RegExp(source, flags + 'u');
  } catch {
    try {
      return new RegExp(source, flags);
    } catch {
      throw new RuntimeError(`Invalid regular expression pattern: ${pattern}.`, 'InvalidRegularExpression', 'InvalidOperation', 'RuntimeException');
    }
  }
}

function matchScalar(value: unknown, pattern: unknown, cs: boolean, ctx?: OperatorContext): boolean {
  const m = makeRegExp(toStr(pattern), cs).exec(toStr(value));
  if (m && ctx) {
    const h = new Hashtable();
    if (m.groups) for (const [k, v] of Object.entries(m.groups)) if (v !== undefined) h.set(k, v);
    m.forEach((g, i) => {
      if (g !== undefined) h.set(i, g);
    });
    ctx.setMatches(h);
  }
  return m !== null;
}

const FILTERING = new Set(['-eq', '-ne', '-gt', '-ge', '-lt', '-le', '-like', '-notlike', '-match', '-notmatch']);

/** Scalar comparison for one of the FILTERING operators (base name, case flag). */
export function compareScalar(op: string, left: unknown, right: unknown, cs: boolean, ctx?: OperatorContext): boolean {
  switch (op) {
    case '-eq':
      return valuesEqual(left, right, cs);
    case '-ne':
      return !valuesEqual(left, right, cs);
    case '-gt':
      return compareValues(left, right, cs) > 0;
    case '-ge':
      return compareValues(left, right, cs) >= 0;
    case '-lt':
      return compareValues(left, right, cs) < 0;
    case '-le':
      return compareValues(left, right, cs) <= 0;
    case '-like':
      return likeMatch(left, right, cs);
    case '-notlike':
      return !likeMatch(left, right, cs);
    case '-match':
      return matchScalar(left, right, cs, ctx);
    case '-notmatch':
      return !matchScalar(left, right, cs, ctx);
  }
  throw new Error(`not a comparison operator: ${op}`);
}

/** Splits '-ceq' into ('-eq', caseSensitive). */
export function splitCase(op: string): { base: string; cs: boolean } {
  if (/^-c(eq|ne|gt|ge|lt|le|like|notlike|match|notmatch|contains|notcontains|in|notin|replace|split)$/.test(op)) {
    return { base: '-' + op.slice(2), cs: true };
  }
  return { base: op, cs: false };
}

function containsValue(collection: unknown, value: unknown, cs: boolean): boolean {
  const items = isEnumerable(collection) ? toArray(collection) : [collection];
  return items.some((item) => valuesEqual(item, value, cs));
}

/** Evaluates a binary operator on two values (not -and/-or, which short-circuit). */
export function binaryOperator(opIn: string, left: unknown, right: unknown, ctx?: OperatorContext): unknown {
  const { base: op, cs } = splitCase(opIn);
  if (FILTERING.has(op)) {
    if (isEnumerable(left)) {
      return toArray(left).filter((item) => compareScalar(op, item, right, cs));
    }
    return compareScalar(op, left, right, cs, ctx);
  }
  switch (op) {
    case '-contains':
      return containsValue(left, right, cs);
    case '-notcontains':
      return !containsValue(left, right, cs);
    case '-in':
      return containsValue(right, left, cs);
    case '-notin':
      return !containsValue(right, left, cs);
    case '-replace': {
      const args = isEnumerable(right) ? toArray(right) : [right];
      const re = makeRegExp(toStr(args[0]), cs, true);
      const replacement = toStr(args[1] ?? '').replace(/\$\{(\w+)\}/g, '$$<$1>');
      const one = (v: unknown): string => toStr(v).replace(re, replacement);
      return isEnumerable(left) ? toArray(left).map(one) : one(left);
    }
    case '-split': {
      const args = isEnumerable(right) ? toArray(right) : [right];
      const re = makeRegExp(toStr(args[0]), cs, false);
      const max = args.length > 1 ? toNumber(args[1]) : 0;
      const one = (v: unknown): string[] => splitWithLimit(toStr(v), re, max);
      return isEnumerable(left) ? toArray(left).flatMap(one) : one(left);
    }
    case '-join':
      return (isEnumerable(left) ? toArray(left) : [left]).map(toStr).join(toStr(right));
    case '-band':
      return toNumber(left) & toNumber(right);
    case '-bor':
      return toNumber(left) | toNumber(right);
    case '-bxor':
      return toNumber(left) ^ toNumber(right);
    case '-shl':
      return toNumber(left) << toNumber(right);
    case '-shr':
      return toNumber(left) >> toNumber(right);
    case '-xor':
      return toBool(left) !== toBool(right);
    case '+':
      return add(left, right);
    case '-':
      if (left instanceof Date && right instanceof Date) return new TimeSpan(left.getTime() - right.getTime());
      if (left instanceof Date && right instanceof TimeSpan) return new Date(left.getTime() - right.valueOf());
      if (left instanceof TimeSpan && right instanceof TimeSpan) return new TimeSpan(left.valueOf() - right.valueOf());
      return arith(left, right, (a, b) => a - b, 'op_Subtraction');
    case '*':
      return multiply(left, right);
    case '/':
      return arith(
        left,
        right,
        (a, b) => {
          if (b === 0) throw divideByZero();
          return a / b;
        },
        'op_Division',
      );
    case '%':
      return arith(
        left,
        right,
        (a, b) => {
          if (b === 0) throw divideByZero();
          return a % b;
        },
        'op_Modulus',
      );
    case '..':
      return range(toNumber(left), toNumber(right));
    case '-f':
      return formatOperator(toStr(left), isEnumerable(right) ? toArray(right) : [right]);
  }
  throw new RuntimeError(`The operator '${opIn}' is not supported.`, 'OperatorNotSupported', 'InvalidOperation', 'RuntimeException');
}

function divideByZero(): RuntimeError {
  const e = new RuntimeError('Attempted to divide by zero.', 'RuntimeException', 'NotSpecified', 'RuntimeException');
  e.innerTypes = ['System.DivideByZeroException', 'System.ArithmeticException'];
  return e;
}

function splitWithLimit(s: string, re: RegExp, max: number): string[] {
  const parts = s.split(re);
  // capture groups appear in split output as in .NET
  if (max > 0 && parts.length > max) {
    const head = parts.slice(0, max - 1);
    let consumed = 0;
    const g = new RegExp(re.source, re.flags.includes('g') ? re.flags : re.flags + 'g');
    let count = 0;
    let m: RegExpExecArray | null;
    while (count < max - 1 && (m = g.exec(s)) !== null) {
      consumed = m.index + m[0].length;
      count++;
      if (m[0].length === 0) g.lastIndex++;
    }
    return [...head, s.slice(consumed)];
  }
  return parts;
}

function methodMissing(left: unknown, method: string): RuntimeError {
  const type = Array.isArray(left) ? 'System.Object[]' : left instanceof Hashtable ? 'System.Collections.Hashtable' : left instanceof Date ? 'System.DateTime' : ((left as object)?.constructor?.name ?? 'System.Object');
  return new RuntimeError(`Method invocation failed because [${type}] does not contain a method named '${method}'.`, 'MethodNotFound', 'InvalidOperation', 'RuntimeException');
}

function add(left: unknown, right: unknown): unknown {
  if (isNull(left)) return isEnumerable(right) ? toArray(right).slice() : right;
  if (Array.isArray(left) || isEnumerable(left)) {
    return [...toArray(left), ...(isEnumerable(right) ? toArray(right) : [right])];
  }
  if (typeof left === 'string') return left + toStr(right);
  if (left instanceof Hashtable) {
    if (!(right instanceof Hashtable)) throw new RuntimeError('A hash table can only be added to another hash table.', 'AddHashTableToNonHashTable', 'InvalidOperation', 'RuntimeException');
    const out = new Hashtable(left.pairs());
    for (const [k, v] of right.pairs()) {
      if (out.has(k)) throw new RuntimeError(`Item has already been added. Key in dictionary: '${toStr(k)}'  Key being added: '${toStr(k)}'`, 'System.ArgumentException', 'NotSpecified', 'ArgumentException');
      out.set(k, v);
    }
    return out;
  }
  if (left instanceof Date) return new Date(left.getTime() + toNumber(right));
  if (left instanceof TimeSpan && right instanceof TimeSpan) return new TimeSpan(left.valueOf() + right.valueOf());
  return arith(left, right, (a, b) => a + b, 'op_Addition');
}

function multiply(left: unknown, right: unknown): unknown {
  if (typeof left === 'string') return left.repeat(Math.max(0, toNumber(right)));
  if (Array.isArray(left)) {
    const n = Math.max(0, toNumber(right));
    const out: unknown[] = [];
    for (let i = 0; i < n; i++) out.push(...left);
    return out;
  }
  return arith(left, right, (a, b) => a * b, 'op_Multiply');
}

function arith(left: unknown, right: unknown, f: (a: number, b: number) => number, method: string): number {
  const l = primitiveOf(left);
  if (!isNull(l) && typeof l !== 'number' && typeof l !== 'boolean' && typeof l !== 'string') throw methodMissing(left, method);
  return f(toNumber(l), toNumber(primitiveOf(right)));
}

function range(a: number, b: number): number[] {
  const from = Math.trunc(a);
  const to = Math.trunc(b);
  const size = Math.abs(to - from) + 1;
  if (size > 10_000_000) throw new RuntimeError('The range is too large.', 'RangeTooLarge', 'InvalidOperation', 'RuntimeException');
  const out: number[] = [];
  const step = from <= to ? 1 : -1;
  for (let i = 0, v = from; i < size; i++, v += step) out.push(v);
  return out;
}

/** `"{0,-10} {1:N2}" -f $a, $b`: .NET composite formatting (en-US). */
export function formatOperator(format: string, args: unknown[]): string {
  return compositeFormat(format, args);
}

export function unaryOperator(op: string, v: unknown): unknown {
  switch (op) {
    case '-not':
    case '!':
      return !toBool(v);
    case '-': {
      const n = toNumber(primitiveOf(v));
      return n === 0 ? 0 : -n;
    }
    case '+':
      return toNumber(primitiveOf(v));
    case ',':
      return [v];
    case '-join':
      return (isEnumerable(v) ? toArray(v) : [v]).map(toStr).join('');
    case '-split':
      return (isEnumerable(v) ? toArray(v) : [v]).flatMap((x) =>
        toStr(x)
          .trim()
          .split(/\s+/)
          .filter((s) => s !== ''),
      );
    case '-bnot':
      return ~toNumber(v);
  }
  throw new RuntimeError(`The operator '${op}' is not supported.`, 'OperatorNotSupported', 'InvalidOperation', 'RuntimeException');
}
