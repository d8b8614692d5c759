// The -Filter expressions of the queue viewer cmdlets (Get-Queue,
// Get-Message, the queue and message actions): `Prop -op value` terms joined
// with -and / -or (and -not), parentheses allowed. Operators -eq -ne -gt -ge
// -lt -le -like -notlike (and -contains, a substring match). Values are
// quoted strings, bare numbers or words, or $true/$false/$null; the
// comparison follows the type of the property (number, date, size, text).
// Text comparisons are case-insensitive, as in Exchange.

import { CmdletError, PSObject } from '../shell/values.js';

export type FilterNode = { kind: 'and' | 'or'; left: FilterNode; right: FilterNode } | { kind: 'not'; operand: FilterNode } | { kind: 'cmp'; property: string; op: string; value: string | number | boolean | null };

const OPERATORS = new Set(['eq', 'ne', 'gt', 'ge', 'lt', 'le', 'like', 'notlike', 'contains']);

type Token = { t: 'word' | 'op' | 'str' | 'lp' | 'rp'; v: string; pos: number };

export function filterError(filter: string, detail: string): CmdletError {
  return new CmdletError(`Cannot bind parameter 'Filter' to the target. Exception setting "Filter": "${detail} ${JSON.stringify(filter)}"`, {
    category: 'InvalidArgument',
    reason: 'ParameterBindingException',
    parameter: 'Filter',
  });
}

function tokenize(s: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const syntax = (pos: number) => filterError(s, `Invalid filter syntax. For a description of the filter parameter syntax see the command help. Position ${pos + 1}:`);
  while (i < s.length) {
    const c = s[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '(') {
      out.push({ t: 'lp', v: c, pos: i++ });
      continue;
    }
    if (c === ')') {
      out.push({ t: 'rp', v: c, pos: i++ });
      continue;
    }
    if (c === "'" || c === '"') {
      const start = i++;
      let v = '';
      for (;;) {
        if (i >= s.length) throw syntax(start);
        if (s[i] === c) {
          if (s[i + 1] === c) {
            v += c;
            i += 2;
            continue;
          }
          i++;
          break;
        }
        v += s[i++];
      }
      out.push({ t: 'str', v, pos: start });
      continue;
    }
    const start = i;
    while (i < s.length && !/[\s()'"]/.test(s[i])) i++;
    const w = s.slice(start, i);
    if (w.startsWith('-') && /^-[a-z]+$/i.test(w) && (OPERATORS.has(w.slice(1).toLowerCase()) || ['and', 'or', 'not'].includes(w.slice(1).toLowerCase()))) out.push({ t: 'op', v: w.slice(1).toLowerCase(), pos: start });
    else out.push({ t: 'word', v: w, pos: start });
  }
  return out;
}

/** Parses a filter; throws a CmdletError in Exchange's words for bad syntax. */
export function parseFilter(filter: string): FilterNode {
  const tokens = tokenize(filter);
  let p = 0;
  const syntax = (tok?: Token) => filterError(filter, `Invalid filter syntax. For a description of the filter parameter syntax see the command help. Position ${(tok?.pos ?? filter.length) + 1}:`);
  const peek = () => tokens[p];
  const orExpr = (): FilterNode => {
    let left = andExpr();
    while (peek()?.t === 'op' && peek().v === 'or') {
      p++;
      left = { kind: 'or', left, right: andExpr() };
    }
    return left;
  };
  const andExpr = (): FilterNode => {
    let left = unary();
    while (peek()?.t === 'op' && peek().v === 'and') {
      p++;
      left = { kind: 'and', left, right: unary() };
    }
    return left;
  };
  const unary = (): FilterNode => {
    const tok = peek();
    if (!tok) throw syntax();
    if (tok.t === 'op' && tok.v === 'not') {
      p++;
      return { kind: 'not', operand: unary() };
    }
    if (tok.t === 'lp') {
      p++;
      const inner = orExpr();
      if (peek()?.t !== 'rp') throw syntax(peek());
      p++;
      return inner;
    }
    if (tok.t !== 'word' || !/^[A-Za-z][A-Za-z0-9]*$/.test(tok.v)) throw syntax(tok);
    p++;
    const op = peek();
    if (!op || op.t !== 'op' || !OPERATORS.has(op.v)) throw syntax(op);
    p++;
    const val = peek();
    if (!val || (val.t !== 'word' && val.t !== 'str')) throw syntax(val);
    p++;
    let value: string | number | boolean | null = val.v;
    if (val.t === 'word') {
      const w = val.v.toLowerCase();
      if (w === '$true') value = true;
      else if (w === '$false') value = false;
      else if (w === '$null') value = null;
      else if (/^-?\d+(\.\d+)?$/.test(val.v)) value = Number(val.v);
    }
    return { kind: 'cmp', property: tok.v, op: op.v, value };
  };
  const tree = orExpr();
  if (p < tokens.length) throw syntax(tokens[p]);
  return tree;
}

/** The properties a filter names (to check them against the filterable list). */
export function filterProperties(node: FilterNode): string[] {
  if (node.kind === 'cmp') return [node.property];
  if (node.kind === 'not') return filterProperties(node.operand);
  return [...filterProperties(node.left), ...filterProperties(node.right)];
}

function wildcard(pattern: string): RegExp {
  return new RegExp('^' + pattern.replace(/[.+^${}()|[\]\\?]/g, '\\$&').replace(/\*/g, '.*') + '$', 'is');
}

const SIZE_UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3, tb: 1024 ** 4 };

function parseSize(v: string | number): number {
  if (typeof v === 'number') return v;
  const m = /^\s*([\d.,]+)\s*(b|kb|mb|gb|tb)?\s*$/i.exec(v);
  if (!m) return Number.NaN;
  return Number(m[1].replace(/,/g, '')) * SIZE_UNITS[(m[2] ?? 'b').toLowerCase()];
}

function compare(actual: unknown, op: string, expected: string | number | boolean | null, filter: string, property: string): boolean {
  if (op === 'like' || op === 'notlike' || op === 'contains') {
    const text = actual === null || actual === undefined ? '' : String(actual);
    const pattern = expected === null ? '' : String(expected);
    const hit = op === 'contains' ? text.toLowerCase().includes(pattern.toLowerCase()) : wildcard(pattern).test(text);
    return op === 'notlike' ? !hit : hit;
  }
  let a: number | string | null;
  let b: number | string | null;
  if (expected === null || actual === null || actual === undefined) {
    a = actual === null || actual === undefined || actual === '' ? null : 1;
    b = expected === null || expected === '' ? null : 1;
    if (op === 'eq') return a === b;
    if (op === 'ne') return a !== b;
    return false;
  }
  if (actual instanceof Date) {
    a = actual.getTime();
    b = typeof expected === 'number' ? expected : Date.parse(String(expected));
    if (Number.isNaN(b)) throw filterError(filter, `The value "${String(expected)}" of property ${property} could not be converted to type System.DateTime.`);
  } else if (typeof actual === 'number') {
    a = actual;
    b = typeof expected === 'number' ? expected : Number(expected);
    if (Number.isNaN(b)) throw filterError(filter, `The value "${String(expected)}" of property ${property} could not be converted to a number.`);
  } else if (typeof actual === 'boolean') {
    a = actual ? 1 : 0;
    b = expected === true || String(expected).toLowerCase() === 'true' ? 1 : 0;
  } else if (actual !== null && typeof actual === 'object' && typeof (actual as { bytes?: unknown }).bytes === 'number') {
    a = (actual as { bytes: number }).bytes;
    b = parseSize(expected as string | number);
    if (Number.isNaN(b)) throw filterError(filter, `The value "${String(expected)}" of property ${property} could not be converted to type ByteQuantifiedSize.`);
  } else {
    a = String(actual).toLowerCase();
    b = String(expected).toLowerCase();
  }
  switch (op) {
    case 'eq':
      return a === b;
    case 'ne':
      return a !== b;
    case 'gt':
      return a > b;
    case 'ge':
      return a >= b;
    case 'lt':
      return a < b;
    case 'le':
      return a <= b;
    default:
      return false;
  }
}

/** Whether the object matches; properties absent from the object are an error (check first with checkFilter). */
export function matchesFilter(node: FilterNode, obj: PSObject, filter: string): boolean {
  switch (node.kind) {
    case 'and':
      return matchesFilter(node.left, obj, filter) && matchesFilter(node.right, obj, filter);
    case 'or':
      return matchesFilter(node.left, obj, filter) || matchesFilter(node.right, obj, filter);
    case 'not':
      return !matchesFilter(node.operand, obj, filter);
    case 'cmp':
      return compare(obj.get(node.property), node.op, node.value, filter, node.property);
  }
}

/** Parses and checks that every property named is filterable. */
export function compileFilter(filter: string, filterable: readonly string[]): (obj: PSObject) => boolean {
  const tree = parseFilter(filter);
  const known = new Set(filterable.map((p) => p.toLowerCase()));
  for (const p of filterProperties(tree)) {
    if (!known.has(p.toLowerCase())) throw filterError(filter, `The property ${p} is not a recognized filterable property. Filterable properties: ${filterable.join(', ')}. Filter:`);
  }
  return (obj) => matchesFilter(tree, obj, filter);
}

/** -SortOrder: "+Prop" ascending, "-Prop" descending, several keys; then the default key. */
export function sortObjects(objects: PSObject[], order: string[] | undefined, fallback: (a: PSObject, b: PSObject) => number, sortable: readonly string[]): PSObject[] {
  const keys = (order ?? [])
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      const desc = s.startsWith('-');
      const name = s.replace(/^[+-]/, '');
      if (!sortable.some((p) => p.toLowerCase() === name.toLowerCase())) {
        throw new CmdletError(`Cannot bind parameter 'SortOrder'. "${s}" is not a valid sort order entry: use +Property or -Property with one of ${sortable.join(', ')}.`, {
          category: 'InvalidArgument',
          reason: 'ParameterBindingException',
          parameter: 'SortOrder',
        });
      }
      return { name, desc };
    });
  const value = (v: unknown): number | string => {
    if (v instanceof Date) return v.getTime();
    if (typeof v === 'number') return v;
    if (v !== null && typeof v === 'object' && typeof (v as { bytes?: unknown }).bytes === 'number') return (v as { bytes: number }).bytes;
    return v === null || v === undefined ? '' : String(v).toLowerCase();
  };
  return [...objects].sort((a, b) => {
    for (const k of keys) {
      const x = value(a.get(k.name));
      const y = value(b.get(k.name));
      if (x < y) return k.desc ? 1 : -1;
      if (x > y) return k.desc ? -1 : 1;
    }
    return fallback(a, b);
  });
}
