// OPATH, the -Filter language of the recipient cmdlets (Get-Mailbox,
// Get-Recipient): `Property -op value` terms joined with -and / -or, negated
// with -not, grouped with parentheses. Operators -eq, -ne, -like, -notlike.
// Values are 'single-quoted' or "double-quoted" strings, bare words, numbers,
// $true, $false or $null. The filter arrives as a string or a script block
// ({ Alias -like 'a*' }); in braces no variable is expanded, as in Exchange.
// Text compares case-insensitively; a multi-valued property (EmailAddresses)
// matches -eq/-like when any of its values does, and -ne/-notlike when none
// does; `-eq $null` matches an empty or absent value.

import { CmdletError } from '../shell/values.js';

export type OpathOperator = 'eq' | 'ne' | 'like' | 'notlike';
export type OpathValue = string | boolean | null;

export type OpathNode = { kind: 'and' | 'or'; left: OpathNode; right: OpathNode } | { kind: 'not'; operand: OpathNode } | { kind: 'cmp'; property: string; op: OpathOperator; value: OpathValue };

const COMPARISONS = new Set<string>(['eq', 'ne', 'like', 'notlike']);
const KNOWN_UNSUPPORTED = new Set(['gt', 'ge', 'lt', 'le', 'match', 'notmatch', 'contains', 'notcontains', 'in', 'notin', 'ceq', 'cne', 'clike', 'cnotlike']);

type Token = { t: 'word' | 'op' | 'str' | 'lp' | 'rp' | 'not'; v: string; pos: number };

/** Exchange's wording for a filter the parser refuses. */
export function opathError(detail: string): CmdletError {
  return new CmdletError(`Cannot bind parameter 'Filter' to the target. Exception setting "Filter": "${detail}"`, {
    category: 'InvalidArgument',
    reason: 'ParameterBindingException',
    parameter: 'Filter',
  });
}

function syntaxError(filter: string, pos: number, why?: string): CmdletError {
  return opathError(`Invalid filter syntax. For a description of the filter parameter syntax see the command help.\n"${filter}" at position ${pos + 1}.${why ? ` ${why}` : ''}`);
}

/** The filter text of a -Filter argument: a string, or a script block's text without its braces. */
export function filterText(value: unknown): string {
  if (value !== null && typeof value === 'object' && (value as { kind?: unknown }).kind === 'scriptblock') {
    const text = String((value as { text: unknown }).text).trim();
    return text.startsWith('{') && text.endsWith('}') ? text.slice(1, -1).trim() : text;
  }
  return String(value ?? '').trim();
}

function tokenize(s: string): Token[] {
  const out: Token[] = [];
  let i = 0;
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
    if (c === "'" || c === '"' || c === '\u2018' || c === '\u2019' || c === '\u201c' || c === '\u201d') {
      const close = c === '\u2018' || c === '\u2019' ? /['\u2018\u2019]/ : c === '\u201c' || c === '\u201d' ? /["\u201c\u201d]/ : new RegExp(c);
      const start = i++;
      let v = '';
      for (;;) {
        if (i >= s.length) throw syntaxError(s, start, 'The quoted string is not closed.');
        if (close.test(s[i])) {
          if (s[i + 1] === s[i]) {
            v += s[i];
            i += 2;
            continue;
          } // a doubled quote stands for itself
          i++;
          break;
        }
        v += s[i++];
      }
      out.push({ t: 'str', v, pos: start });
      continue;
    }
    const start = i;
    while (i < s.length && !/[\s()'"\u2018\u2019\u201c\u201d]/.test(s[i])) i++;
    const w = s.slice(start, i);
    const lower = w.toLowerCase();
    if (lower === '-and' || lower === '-or') out.push({ t: 'op', v: lower.slice(1), pos: start });
    else if (lower === '-not' || lower === '!') out.push({ t: 'not', v: 'not', pos: start });
    else if (/^-[a-z]+$/i.test(w) && (COMPARISONS.has(lower.slice(1)) || KNOWN_UNSUPPORTED.has(lower.slice(1)))) out.push({ t: 'op', v: lower.slice(1), pos: start });
    else out.push({ t: 'word', v: w, pos: start });
  }
  return out;
}

/** Parses an OPATH filter; throws a CmdletError in Exchange's words for bad syntax. */
export function parseOpath(filter: string): OpathNode {
  const tokens = tokenize(filter);
  if (tokens.length === 0) throw syntaxError(filter, 0, 'The filter is empty.');
  let p = 0;
  const peek = (): Token | undefined => tokens[p];
  const at = (tok: Token | undefined) => tok?.pos ?? filter.length;
  const orExpr = (): OpathNode => {
    let left = andExpr();
    while (peek()?.t === 'op' && peek()!.v === 'or') {
      p++;
      left = { kind: 'or', left, right: andExpr() };
    }
    return left;
  };
  const andExpr = (): OpathNode => {
    let left = unary();
    while (peek()?.t === 'op' && peek()!.v === 'and') {
      p++;
      left = { kind: 'and', left, right: unary() };
    }
    return left;
  };
  const unary = (): OpathNode => {
    const tok = peek();
    if (!tok) throw syntaxError(filter, filter.length, 'A comparison is missing after the last operator.');
    if (tok.t === 'not') {
      p++;
      return { kind: 'not', operand: unary() };
    }
    if (tok.t === 'lp') {
      p++;
      const inner = orExpr();
      if (peek()?.t !== 'rp') throw syntaxError(filter, at(peek()), 'A closing parenthesis is missing.');
      p++;
      return inner;
    }
    if (tok.t !== 'word' || !/^[A-Za-z][A-Za-z0-9]*$/.test(tok.v)) {
      if (tok.t === 'word' && tok.v.startsWith('$')) throw syntaxError(filter, tok.pos, 'A comparison starts with a property name, not a variable: write "Alias -eq \'value\'" rather than "$_.Alias -eq \'value\'".');
      throw syntaxError(filter, tok.pos);
    }
    p++;
    const op = peek();
    if (!op || op.t !== 'op' || op.v === 'and' || op.v === 'or') throw syntaxError(filter, at(op), `An operator (-eq, -ne, -like, -notlike) is expected after ${tok.v}.`);
    if (!COMPARISONS.has(op.v)) throw syntaxError(filter, op.pos, `The operator -${op.v} is not supported in a recipient filter: use -eq, -ne, -like or -notlike.`);
    p++;
    const val = peek();
    if (!val || (val.t !== 'word' && val.t !== 'str')) throw syntaxError(filter, at(val), `A value is expected after -${op.v}.`);
    p++;
    let value: OpathValue = val.v;
    if (val.t === 'word') {
      const w = val.v.toLowerCase();
      if (w === '$true') value = true;
      else if (w === '$false') value = false;
      else if (w === '$null') value = null;
      else if (w.startsWith('$')) {
        throw syntaxError(filter, val.pos, `The variable ${val.v} is not expanded here: give the filter in double quotes ("Alias -eq '$value'") so the shell expands it first.`);
      }
    }
    return { kind: 'cmp', property: tok.v, op: op.v as OpathOperator, value };
  };
  const tree = orExpr();
  if (p < tokens.length) throw syntaxError(filter, tokens[p].pos);
  return tree;
}

/** The properties a filter names. */
export function opathProperties(node: OpathNode): string[] {
  if (node.kind === 'cmp') return [node.property];
  if (node.kind === 'not') return opathProperties(node.operand);
  return [...opathProperties(node.left), ...opathProperties(node.right)];
}

function wildcard(pattern: string): RegExp {
  return new RegExp('^' + pattern.replace(/[.+^${}()|[\]\\?]/g, '\\$&').replace(/\*/g, '.*') + '$', 'is');
}

/** One value as OPATH compares it: text, lower-cased; booleans as True/False; proxy-address prefixes kept. */
function text(v: unknown): string {
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return String(v).toLowerCase();
}

function values(actual: unknown): unknown[] {
  if (actual === null || actual === undefined || actual === '') return [];
  return Array.isArray(actual) ? actual.filter((x) => x !== null && x !== undefined && x !== '') : [actual];
}

function compare(actual: unknown, op: OpathOperator, expected: OpathValue): boolean {
  const list = values(actual);
  if (expected === null) {
    const empty = list.length === 0;
    return op === 'eq' || op === 'like' ? empty : !empty;
  }
  const want = typeof expected === 'boolean' ? (expected ? 'true' : 'false') : expected.toLowerCase();
  const hit = (x: unknown) => {
    const have = text(x);
    if (op === 'like' || op === 'notlike') return wildcard(want).test(have);
    // An address compares with or without its proxy prefix (EmailAddresses -eq 'alice@contoso.com').
    return have === want || have.replace(/^smtp:/, '') === want.replace(/^smtp:/, '');
  };
  const any = list.some(hit);
  return op === 'eq' || op === 'like' ? any : !any;
}

export function matchesOpath(node: OpathNode, get: (property: string) => unknown): boolean {
  switch (node.kind) {
    case 'and':
      return matchesOpath(node.left, get) && matchesOpath(node.right, get);
    case 'or':
      return matchesOpath(node.left, get) || matchesOpath(node.right, get);
    case 'not':
      return !matchesOpath(node.operand, get);
    case 'cmp':
      return compare(get(node.property), node.op, node.value);
  }
}

/**
 * Parses a -Filter argument and checks every property it names against the
 * filterable ones (Exchange's error otherwise); returns the predicate over
 * an object's property getter.
 */
export function compileOpath(filter: unknown, filterable: readonly string[]): (get: (property: string) => unknown) => boolean {
  const text = filterText(filter);
  const tree = parseOpath(text);
  const known = new Map(filterable.map((p) => [p.toLowerCase(), p]));
  for (const p of opathProperties(tree)) {
    if (!known.has(p.toLowerCase())) {
      throw opathError(`"${p}" is not a recognized filterable property. Valid property names are: ${[...filterable].sort((a, b) => a.localeCompare(b)).join(', ')}.`);
    }
  }
  return (get) => matchesOpath(tree, (name) => get(known.get(name.toLowerCase())!));
}
