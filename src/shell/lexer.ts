// Tokenizer for the PowerShell subset. PowerShell tokenizes in two modes and
// the parser picks the mode for each token: expression mode (operators,
// numbers, quoted strings) and argument mode (after a command name: bare words
// are strings, `-Name` is a parameter, `25MB` is still a number). Errors at
// the end of the input are flagged "incomplete" so a line reader can ask for
// more lines.

import { ParseError } from './errors.js';

export type TokenKind =
  | 'eof'
  | 'newline'
  | 'semi'
  | 'pipe'
  | 'comma'
  | 'lparen'
  | 'rparen'
  | 'lbrace'
  | 'rbrace'
  | 'lbracket'
  | 'rbracket'
  | 'subexpr' // $(
  | 'arrayexpr' // @(
  | 'hashstart' // @{
  | 'variable'
  | 'splat' // @name
  | 'number'
  | 'string' // verbatim string (single-quoted)
  | 'expandable' // double-quoted or bare word with $ expansions
  | 'generic' // argument-mode bare word without expansions
  | 'identifier' // expression-mode bare word
  | 'parameter' // -Name or -Name: (argument mode); unknown -word (expression mode)
  | 'operator'
  | 'ampersand'
  | 'redirection';

/** A piece of an expandable string: literal text, a variable, or a `$( )` range. */
export type RawPart = { kind: 'text'; text: string } | { kind: 'variable'; name: string; start: number; end: number } | { kind: 'sub'; start: number; end: number; innerStart: number; innerEnd: number };

export interface Token {
  kind: TokenKind;
  start: number;
  end: number;
  /** String value, variable name, parameter name, operator (lower-case). */
  text: string;
  number?: number;
  parts?: RawPart[];
  /** Parameter written `-Name:`. */
  colon?: boolean;
}

const WS = new Set([' ', '\t', '\f', '\v', '\r', '\u00a0', '\ufeff']);
const SINGLE_QUOTES = new Set(["'", '\u2018', '\u2019', '\u201a', '\u201b']);
const DOUBLE_QUOTES = new Set(['"', '\u201c', '\u201d', '\u201e']);
/** Characters that end an argument-mode bare word. */
const ARG_STOP = new Set([';', ',', '|', '(', ')', '{', '}', '&', '\n']);
const SCOPES = new Set(['global', 'local', 'script', 'private', 'env', 'variable', 'using']);

const COMPARISON = ['eq', 'ne', 'gt', 'ge', 'lt', 'le', 'like', 'notlike', 'match', 'notmatch', 'contains', 'notcontains', 'in', 'notin', 'replace', 'split'];
/** Every operator written as a dash and a word, lower-case without the dash. */
export const WORD_OPERATORS: ReadonlySet<string> = new Set([
  ...COMPARISON,
  ...COMPARISON.map((o) => 'c' + o),
  ...COMPARISON.map((o) => 'i' + o),
  'join',
  'is',
  'isnot',
  'as',
  'and',
  'or',
  'xor',
  'not',
  'band',
  'bor',
  'bxor',
  'bnot',
  'f',
  'shl',
  'shr',
]);

const NUMBER_RE = /^([+-]?)(?:0x([0-9a-f]+)|([0-9]+(?:\.[0-9]+)?(?:e[+-]?[0-9]+)?|\.[0-9]+(?:e[+-]?[0-9]+)?))([ld])?(kb|mb|gb|tb|pb)?$/i;
const NUMBER_STICKY = /(?:0x[0-9a-f]+|[0-9]+(?:\.[0-9]+)?(?:e[+-]?[0-9]+)?)(?:[ld])?(?:kb|mb|gb|tb|pb)?/iy;
const MULTIPLIERS: Record<string, number> = { kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3, tb: 1024 ** 4, pb: 1024 ** 5 };

/** The value of a PowerShell numeric literal (`25MB`, `0x10`, `1.5`, `-3`), or undefined. */
export function parseNumber(text: string): number | undefined {
  const m = NUMBER_RE.exec(text);
  if (!m) return undefined;
  let value = m[2] !== undefined ? parseInt(m[2], 16) : Number(m[3]);
  if (Number.isNaN(value)) return undefined;
  if (m[5]) value *= MULTIPLIERS[m[5].toLowerCase()];
  return m[1] === '-' ? -value : value;
}

export function isIdentifierStart(c: string | undefined): boolean {
  return c !== undefined && /[A-Za-z_\u00c0-\uffff]/.test(c) && !SINGLE_QUOTES.has(c) && !DOUBLE_QUOTES.has(c);
}

export function isIdentifierChar(c: string | undefined): boolean {
  return c !== undefined && (isIdentifierStart(c) || /[0-9]/.test(c));
}

function escapeChar(c: string): string {
  switch (c) {
    case 'n':
      return '\n';
    case 'r':
      return '\r';
    case 't':
      return '\t';
    case '0':
      return '\0';
    case 'a':
      return '\u0007';
    case 'b':
      return '\b';
    case 'f':
      return '\f';
    case 'v':
      return '\v';
    default:
      return c;
  }
}

export class Lexer {
  constructor(
    readonly text: string,
    public pos = 0,
    readonly end = text.length,
    /** Input may continue (line-by-line reading): a trailing backtick is "incomplete". */
    readonly partial = false,
  ) {}

  charAt(i: number): string | undefined {
    return i < this.end && i >= 0 ? this.text[i] : undefined;
  }

  atEnd(): boolean {
    return this.pos >= this.end;
  }

  private incomplete(message: string, errorId: string, start: number): ParseError {
    return new ParseError(message, errorId, { start, end: this.end }, true);
  }

  /** Skips blanks, comments and backtick line continuations; stops at a newline. */
  skipSpace(): void {
    for (;;) {
      const c = this.charAt(this.pos);
      if (c === undefined) return;
      if (WS.has(c)) {
        this.pos++;
      } else if (c === '`') {
        const n = this.charAt(this.pos + 1);
        if (n === '\n') this.pos += 2;
        else if (n === '\r' && this.charAt(this.pos + 2) === '\n') this.pos += 3;
        else if (n === undefined) {
          if (this.partial) throw this.incomplete('Incomplete line: a line ending with a backtick continues on the next line.', 'IncompleteLineContinuation', this.pos);
          this.pos++;
        } else return;
      } else if (c === '#') {
        while (this.pos < this.end && this.text[this.pos] !== '\n') this.pos++;
      } else if (c === '<' && this.charAt(this.pos + 1) === '#') {
        const close = this.text.indexOf('#>', this.pos + 2);
        if (close < 0 || close + 2 > this.end) {
          throw this.incomplete("The terminator '#>' is missing from the multiline comment.", 'MissingTerminatorMultiLineComment', this.pos);
        }
        this.pos = close + 2;
      } else return;
    }
  }

  /** Skips blanks, comments and newlines. */
  skipSpaceAndNewlines(): void {
    for (;;) {
      this.skipSpace();
      if (this.charAt(this.pos) === '\n') this.pos++;
      else return;
    }
  }

  peekExpression(): Token {
    const save = this.pos;
    try {
      return this.nextExpression();
    } finally {
      this.pos = save;
    }
  }

  peekArgument(): Token {
    const save = this.pos;
    try {
      return this.nextArgument();
    } finally {
      this.pos = save;
    }
  }

  private tok(kind: TokenKind, start: number, text: string, extra: Partial<Token> = {}): Token {
    return { kind, start, end: this.pos, text, ...extra };
  }

  /** Tokens common to both modes; undefined when the mode decides. */
  private common(): Token | undefined {
    const start = this.pos;
    const c = this.charAt(start);
    if (c === undefined) return this.tok('eof', start, '');
    const n = this.charAt(start + 1);
    const simple: Record<string, TokenKind> = {
      '\n': 'newline',
      ';': 'semi',
      ')': 'rparen',
      '{': 'lbrace',
      '}': 'rbrace',
      '(': 'lparen',
      ',': 'comma',
    };
    if (c === '|') {
      this.pos++;
      return this.tok('pipe', start, '|');
    }
    if (simple[c]) {
      this.pos++;
      return this.tok(simple[c], start, c);
    }
    if (SINGLE_QUOTES.has(c)) {
      const value = this.scanSingleQuoted();
      return this.tok('string', start, value);
    }
    if (DOUBLE_QUOTES.has(c)) {
      const parts = this.scanDoubleQuoted();
      return this.tok('expandable', start, this.text.slice(start, this.pos), { parts });
    }
    if (c === '@') {
      if (n === '(') {
        this.pos += 2;
        return this.tok('arrayexpr', start, '@(');
      }
      if (n === '{') {
        this.pos += 2;
        return this.tok('hashstart', start, '@{');
      }
      if (n !== undefined && SINGLE_QUOTES.has(n) && this.hereStringOpener(start + 2)) {
        const value = this.scanHereString(false) as string;
        return this.tok('string', start, value);
      }
      if (n !== undefined && DOUBLE_QUOTES.has(n) && this.hereStringOpener(start + 2)) {
        const parts = this.scanHereString(true) as RawPart[];
        return this.tok('expandable', start, this.text.slice(start, this.pos), { parts });
      }
      if (isIdentifierChar(n)) {
        this.pos++;
        const name = this.scanVariableName();
        return this.tok('splat', start, name);
      }
    }
    if (c === '$') {
      if (n === '(') {
        this.pos += 2;
        return this.tok('subexpr', start, '$(');
      }
      const name = this.tryVariable();
      if (name !== undefined) return this.tok('variable', start, name);
    }
    return undefined;
  }

  private hereStringOpener(i: number): boolean {
    let j = i;
    while (j < this.end && (this.text[j] === ' ' || this.text[j] === '\t' || this.text[j] === '\r')) j++;
    return j < this.end && this.text[j] === '\n';
  }

  /** At `$`: scans a variable reference and returns its name, or undefined when `$` is alone. */
  private tryVariable(): string | undefined {
    const start = this.pos;
    const n = this.charAt(start + 1);
    if (n === '{') {
      const close = this.text.indexOf('}', start + 2);
      if (close < 0 || close >= this.end) {
        throw this.incomplete("Missing closing '}' in variable name.", 'IncompleteDollarVariableReference', start);
      }
      this.pos = close + 1;
      return stripScope(this.text.slice(start + 2, close));
    }
    if (n === '$' || n === '?' || n === '^') {
      this.pos += 2;
      return n;
    }
    if (isIdentifierChar(n)) {
      this.pos++;
      return this.scanVariableName();
    }
    return undefined;
  }

  private scanVariableName(): string {
    let s = this.pos;
    while (isIdentifierChar(this.charAt(this.pos))) this.pos++;
    let name = this.text.slice(s, this.pos);
    if (this.charAt(this.pos) === ':' && SCOPES.has(name.toLowerCase()) && isIdentifierChar(this.charAt(this.pos + 1))) {
      const scope = name.toLowerCase();
      this.pos++;
      s = this.pos;
      while (isIdentifierChar(this.charAt(this.pos))) this.pos++;
      name = this.text.slice(s, this.pos);
      if (scope === 'env' || scope === 'global' || scope === 'script') name = scope + ':' + name;
    }
    return name;
  }

  private scanSingleQuoted(): string {
    const start = this.pos;
    this.pos++;
    let value = '';
    for (;;) {
      const c = this.charAt(this.pos);
      if (c === undefined) throw this.incomplete("The string is missing the terminator: '.", 'TerminatorExpectedAtEndOfString', start);
      if (SINGLE_QUOTES.has(c)) {
        if (SINGLE_QUOTES.has(this.charAt(this.pos + 1) ?? '')) {
          value += "'";
          this.pos += 2;
          continue;
        }
        this.pos++;
        return value;
      }
      value += c;
      this.pos++;
    }
  }

  /** Double-quoted string body (at the opening quote), with `$` expansions. */
  private scanDoubleQuoted(): RawPart[] {
    const start = this.pos;
    this.pos++;
    const parts: RawPart[] = [];
    let buf = '';
    for (;;) {
      const c = this.charAt(this.pos);
      if (c === undefined) throw this.incomplete('The string is missing the terminator: ".', 'TerminatorExpectedAtEndOfString', start);
      if (DOUBLE_QUOTES.has(c)) {
        if (DOUBLE_QUOTES.has(this.charAt(this.pos + 1) ?? '')) {
          buf += '"';
          this.pos += 2;
          continue;
        }
        this.pos++;
        break;
      }
      if (c === '`') {
        const e = this.charAt(this.pos + 1);
        if (e === undefined) throw this.incomplete('The string is missing the terminator: ".', 'TerminatorExpectedAtEndOfString', start);
        buf += escapeChar(e);
        this.pos += 2;
        continue;
      }
      if (c === '$') {
        const part = this.scanDollarPart();
        if (part) {
          if (buf) parts.push({ kind: 'text', text: buf });
          buf = '';
          parts.push(part);
          continue;
        }
      }
      buf += c;
      this.pos++;
    }
    if (buf || parts.length === 0) parts.push({ kind: 'text', text: buf });
    return parts;
  }

  /** At `$` inside an expandable text: a variable or `$( )` part, or undefined (literal `$`). */
  private scanDollarPart(): RawPart | undefined {
    const start = this.pos;
    if (this.charAt(start + 1) === '(') {
      const innerStart = start + 2;
      const innerEnd = this.findClosingParen(innerStart);
      this.pos = innerEnd + 1;
      return { kind: 'sub', start, end: this.pos, innerStart, innerEnd };
    }
    const name = this.tryVariable();
    if (name === undefined) return undefined;
    return { kind: 'variable', name, start, end: this.pos };
  }

  /** Position of the `)` closing a `(` whose content starts at `from`. */
  private findClosingParen(from: number): number {
    const inner = new Lexer(this.text, from, this.end, this.partial);
    let depth = 0;
    for (;;) {
      inner.skipSpaceAndNewlines();
      const t = inner.nextExpression();
      if (t.kind === 'eof') throw this.incomplete("Missing closing ')' in subexpression.", 'MissingEndParenthesisInSubexpression', from - 2);
      if (t.kind === 'lparen' || t.kind === 'subexpr' || t.kind === 'arrayexpr') depth++;
      else if (t.kind === 'rparen') {
        if (depth === 0) return t.start;
        depth--;
      }
    }
  }

  /** Here-string `@' ... '@` / `@" ... "@` (at `@`). */
  private scanHereString(expand: boolean): string | RawPart[] {
    const start = this.pos;
    const quote = expand ? '"' : "'";
    const bodyStart = this.text.indexOf('\n', start) + 1;
    // closer: a line starting with quote + @
    let i = bodyStart;
    let close = -1;
    while (i <= this.end) {
      const lineStart = i;
      if (this.text.startsWith(quote + '@', lineStart) && lineStart + 2 <= this.end) {
        close = lineStart;
        break;
      }
      const nl = this.text.indexOf('\n', lineStart);
      if (nl < 0 || nl >= this.end) break;
      i = nl + 1;
    }
    if (close < 0) {
      throw this.incomplete(`The string is missing the terminator: ${quote}@.`, 'TerminatorExpectedAtEndOfString', start);
    }
    let bodyEnd = close > bodyStart ? close - 1 : bodyStart;
    if (bodyEnd > bodyStart && this.text[bodyEnd - 1] === '\r') bodyEnd--;
    this.pos = close + 2;
    if (!expand) return this.text.slice(bodyStart, bodyEnd);
    const parts: RawPart[] = [];
    let buf = '';
    const save = this.pos;
    this.pos = bodyStart;
    while (this.pos < bodyEnd) {
      const c = this.text[this.pos];
      if (c === '`' && this.pos + 1 < bodyEnd) {
        buf += escapeChar(this.text[this.pos + 1]);
        this.pos += 2;
        continue;
      }
      if (c === '$') {
        const part = this.scanDollarPart();
        if (part) {
          if (buf) parts.push({ kind: 'text', text: buf });
          buf = '';
          parts.push(part);
          continue;
        }
      }
      buf += c;
      this.pos++;
    }
    this.pos = save;
    if (buf || parts.length === 0) parts.push({ kind: 'text', text: buf });
    return parts;
  }

  /** `>`, `>>`, `2>`, `2>>`, `2>&1`, `*>`... at the cursor, or undefined. */
  private redirection(): Token | undefined {
    const start = this.pos;
    const m = /^([1-6*])?(>>?)(&[12])?/.exec(this.text.slice(start, Math.min(this.end, start + 5)));
    if (!m) return undefined;
    if (m[3] && m[2] === '>>') return undefined;
    this.pos = start + m[0].length;
    return this.tok('redirection', start, m[0]);
  }

  /** Next token in expression mode. */
  nextExpression(): Token {
    this.skipSpace();
    const common = this.common();
    if (common) return common;
    const start = this.pos;
    const c = this.text[start];
    const n = this.charAt(start + 1);
    const op = (text: string, len = text.length): Token => {
      this.pos += len;
      return this.tok('operator', start, text);
    };
    if (c === '[') {
      this.pos++;
      return this.tok('lbracket', start, '[');
    }
    if (c === ']') {
      this.pos++;
      return this.tok('rbracket', start, ']');
    }
    if (c === '$') return op('$');
    if ((/[1-6*]/.test(c) && n === '>') || c === '>') {
      const r = this.redirection();
      if (r) return r;
    }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(n ?? ''))) {
      NUMBER_STICKY.lastIndex = start;
      const m = NUMBER_STICKY.exec(this.text);
      if (m && m[0].length > 0) {
        const text = m[0];
        const after = this.charAt(start + text.length);
        if (!isIdentifierChar(after)) {
          this.pos = start + text.length;
          return this.tok('number', start, text, { number: parseNumber(text) });
        }
      }
      // digits followed by letters: a bare word
      this.pos++;
      while (isIdentifierChar(this.charAt(this.pos)) || this.charAt(this.pos) === '.') this.pos++;
      return this.tok('identifier', start, this.text.slice(start, this.pos));
    }
    if (c === '-' || c === '\u2013' || c === '\u2014') {
      if (isIdentifierStart(n)) {
        let j = start + 1;
        while (isIdentifierChar(this.charAt(j)) || this.charAt(j) === '-') j++;
        // operator words end at the first non-letter
        let k = start + 1;
        while (/[A-Za-z]/.test(this.charAt(k) ?? '')) k++;
        const word = this.text.slice(start + 1, k).toLowerCase();
        if (WORD_OPERATORS.has(word) && !isIdentifierChar(this.charAt(k))) {
          this.pos = k;
          return this.tok('operator', start, '-' + word);
        }
        this.pos = j;
        const colon = this.charAt(this.pos) === ':';
        if (colon) this.pos++;
        return this.tok('parameter', start, this.text.slice(start + 1, j), { colon });
      }
      if (n === '-') return op('--', 2);
      if (n === '=') return op('-=', 2);
      return op('-', 1);
    }
    if (c === '+') return op(n === '=' ? '+=' : n === '+' ? '++' : '+');
    if (c === '*') return op(n === '=' ? '*=' : '*');
    if (c === '/') return op(n === '=' ? '/=' : '/');
    if (c === '%') return op(n === '=' ? '%=' : '%');
    if (c === '=') return op('=');
    if (c === '!') return op('!');
    if (c === '.') return op(n === '.' ? '..' : '.');
    if (c === ':' && n === ':') return op('::');
    if (c === '&') {
      this.pos++;
      return this.tok('ampersand', start, '&');
    }
    if (c === '<') {
      this.pos++;
      return this.tok('redirection', start, '<');
    }
    if (isIdentifierStart(c) || c === '?') {
      this.pos++;
      while (isIdentifierChar(this.charAt(this.pos)) || this.charAt(this.pos) === '-' || this.charAt(this.pos) === '.') this.pos++;
      return this.tok('identifier', start, this.text.slice(start, this.pos));
    }
    // any other character stands alone (the parser reports it as unexpected)
    this.pos++;
    return this.tok('identifier', start, c);
  }

  /** Next token in argument mode (after a command name). */
  nextArgument(): Token {
    this.skipSpace();
    const start = this.pos;
    const c = this.charAt(start);
    const n = this.charAt(start + 1);
    if (c === '-' || c === '\u2013' || c === '\u2014') {
      if (isIdentifierStart(n) || n === '?') {
        let j = start + 1;
        while (j < this.end) {
          const d = this.text[j];
          if (WS.has(d) || d === ':' || ARG_STOP.has(d) || SINGLE_QUOTES.has(d) || DOUBLE_QUOTES.has(d) || d === '`') break;
          j++;
        }
        this.pos = j;
        const name = this.text.slice(start + 1, j);
        const colon = this.charAt(this.pos) === ':';
        if (colon) this.pos++;
        return this.tok('parameter', start, name, { colon });
      }
    }
    if (c === '[') {
      // a bare word starting with [ is a string in argument mode
      return this.scanGeneric(start);
    }
    if (c === '&') {
      this.pos++;
      return this.tok('ampersand', start, '&');
    }
    if (c === '>' || (c !== undefined && /[1-6*]/.test(c) && n === '>')) {
      const r = this.redirection();
      if (r) return r;
    }
    if (c === '<') {
      this.pos++;
      return this.tok('redirection', start, '<');
    }
    const common = this.common();
    if (common) {
      // a quoted string directly followed by more characters joins them (a"b"c)
      if ((common.kind === 'string' || common.kind === 'expandable') && this.continuesWord()) {
        this.pos = start;
        return this.scanGeneric(start);
      }
      return common;
    }
    return this.scanGeneric(start);
  }

  private continuesWord(): boolean {
    const c = this.charAt(this.pos);
    return c !== undefined && !WS.has(c) && !ARG_STOP.has(c) && c !== '\n';
  }

  /** An argument-mode bare word: literal characters, quoted pieces and `$` expansions. */
  scanGeneric(start: number): Token {
    this.pos = start;
    const parts: RawPart[] = [];
    let buf = '';
    let expands = false;
    for (;;) {
      const c = this.charAt(this.pos);
      if (c === undefined || WS.has(c) || ARG_STOP.has(c)) break;
      if (c === '>' && this.pos > start) break;
      if (c === '`') {
        const e = this.charAt(this.pos + 1);
        if (e === undefined || e === '\n' || (e === '\r' && this.charAt(this.pos + 2) === '\n')) break;
        buf += escapeChar(e);
        this.pos += 2;
        continue;
      }
      if (SINGLE_QUOTES.has(c)) {
        buf += this.scanSingleQuoted();
        continue;
      }
      if (DOUBLE_QUOTES.has(c)) {
        for (const p of this.scanDoubleQuoted()) {
          if (p.kind === 'text') buf += p.text;
          else {
            if (buf) parts.push({ kind: 'text', text: buf });
            buf = '';
            parts.push(p);
            expands = true;
          }
        }
        continue;
      }
      if (c === '$' && this.pos > start) {
        const part = this.scanDollarPart();
        if (part) {
          if (buf) parts.push({ kind: 'text', text: buf });
          buf = '';
          parts.push(part);
          expands = true;
          continue;
        }
      }
      buf += c;
      this.pos++;
    }
    if (!expands) {
      const raw = this.text.slice(start, this.pos);
      const num = raw === buf ? parseNumber(buf) : undefined;
      if (num !== undefined) return this.tok('number', start, raw, { number: num });
      return this.tok('generic', start, buf);
    }
    if (buf) parts.push({ kind: 'text', text: buf });
    return this.tok('expandable', start, this.text.slice(start, this.pos), { parts });
  }

  /** A bare key or member name: letters, digits, `_` (and `-` when `dashes`). */
  scanName(dashes = false): string {
    const s = this.pos;
    while (isIdentifierChar(this.charAt(this.pos)) || (dashes && (this.charAt(this.pos) === '-' || this.charAt(this.pos) === '.'))) this.pos++;
    return this.text.slice(s, this.pos);
  }
}

function stripScope(name: string): string {
  const i = name.indexOf(':');
  if (i > 0 && SCOPES.has(name.slice(0, i).toLowerCase())) {
    const scope = name.slice(0, i).toLowerCase();
    return scope === 'env' || scope === 'global' || scope === 'script' ? scope + ':' + name.slice(i + 1) : name.slice(i + 1);
  }
  return name;
}
