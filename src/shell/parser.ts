// Recursive-descent parser for the PowerShell subset: statement lists,
// pipelines with redirections, commands in argument mode, assignments, the
// keyword statements (if, foreach, for, while, do, switch, function/filter
// with param() and attributes, try/catch/finally, trap, throw, return,
// break, continue, exit, loop labels), a script's own param(), and the
// expression grammar with PowerShell's precedence (logical < bitwise <
// comparison < additive < multiplicative < format < range < comma < unary).
// parseScript throws ParseError; `incomplete` is set when the input stopped
// where more was expected (open quote/bracket, trailing pipe, comma, operator
// or backtick), so a line reader can ask for another line.

import type {
  ArrayLiteralAst,
  AttributeAst,
  CatchClauseAst,
  CommandAst,
  CommandElementAst,
  CommandExpressionAst,
  DoAst,
  ExpressionAst,
  Extent,
  FlowAst,
  ForAst,
  ForeachAst,
  FunctionAst,
  HashtableAst,
  IfAst,
  ParameterAst,
  RedirectionAst,
  ScriptAst,
  ScriptBlockAst,
  StatementAst,
  StringPart,
  SwitchAst,
  SwitchClauseAst,
  TrapAst,
  TryAst,
  WhileAst,
} from './ast.js';
import { ParseError } from './errors.js';
import { Lexer, isIdentifierStart, type RawPart, type Token } from './lexer.js';

export interface ParseOptions {
  /** Script path shown in error positions. */
  sourceName?: string;
  /** The input may continue on another line: a trailing backtick is incomplete, not ignored. */
  partial?: boolean;
}

export function parseScript(text: string, options: ParseOptions = {}): ScriptAst {
  const parser = new Parser(text, 0, text.length, options.partial ?? false);
  const parameters = parser.scriptParameters();
  const statements = parser.statementList('eof');
  return { kind: 'script', source: { text, name: options.sourceName }, parameters, statements, extent: { start: 0, end: text.length } };
}

/** True when `text` is a complete input (parses, or fails for a reason other than missing input). */
export function isIncomplete(text: string): boolean {
  try {
    parseScript(text, { partial: true });
    return false;
  } catch (e) {
    return e instanceof ParseError && e.incomplete;
  }
}

const ASSIGNMENT_OPS = new Set(['=', '+=', '-=', '*=', '/=', '%=']);
const LOGICAL = new Set(['-and', '-or', '-xor']);
const BITWISE = new Set(['-band', '-bor', '-bxor', '-shl', '-shr']);
const COMPARISON_BASE = ['eq', 'ne', 'gt', 'ge', 'lt', 'le', 'like', 'notlike', 'match', 'notmatch', 'contains', 'notcontains', 'in', 'notin', 'replace', 'split'];
const COMPARISON = new Set([...COMPARISON_BASE.map((o) => '-' + o), ...COMPARISON_BASE.map((o) => '-c' + o), ...COMPARISON_BASE.map((o) => '-i' + o), '-join', '-is', '-isnot', '-as']);
const ADDITIVE = new Set(['+', '-']);
const MULTIPLICATIVE = new Set(['*', '/', '%']);
const UNARY = new Set(['-not', '!', '-bnot', '-', '+', '-join', '-split']);
const KEYWORDS = new Set(['if', 'foreach', 'for', 'while', 'do', 'switch', 'function', 'filter', 'try', 'trap', 'throw', 'return', 'break', 'continue', 'exit']);
const BLOCK_STATEMENTS = new Set(['if', 'foreach', 'while', 'do', 'for', 'switch', 'function', 'try', 'trap']);
const LOOPS = new Set(['foreach', 'for', 'while', 'do', 'switch']);

/** `-ieq` is `-eq`; the case-sensitive `-c` forms stay. */
function normalizeOperator(op: string): string {
  const lower = op.toLowerCase();
  if (lower.startsWith('-i') && COMPARISON_BASE.includes(lower.slice(2))) return '-' + lower.slice(2);
  return lower;
}

class Parser {
  readonly lx: Lexer;

  constructor(
    readonly text: string,
    start: number,
    end: number,
    readonly partial: boolean,
  ) {
    this.lx = new Lexer(text, start, end, partial);
  }

  private error(message: string, errorId: string, extent: Extent, incomplete = false): ParseError {
    return new ParseError(message, errorId, extent, incomplete);
  }

  private unexpected(t: Token): ParseError {
    if (t.kind === 'eof') return this.error('Unexpected end of input.', 'UnexpectedEndOfInput', { start: t.start, end: t.start }, true);
    const text = this.text.slice(t.start, t.end);
    return this.error(`Unexpected token '${text}' in expression or statement.`, 'UnexpectedToken', { start: t.start, end: t.end });
  }

  private endOf(kind: 'eof' | 'rbrace' | 'rparen', t: Token): boolean {
    return t.kind === kind;
  }

  /** Statements up to (not including) the closing token. */
  statementList(close: 'eof' | 'rbrace' | 'rparen'): StatementAst[] {
    const statements: StatementAst[] = [];
    for (;;) {
      this.skipSeparators();
      const t = this.lx.peekExpression();
      if (this.endOf(close, t)) return statements;
      if (t.kind === 'eof') return statements; // the caller reports the missing closer
      if (t.kind === 'rparen' || t.kind === 'rbrace') throw this.unexpected(t);
      const statement = this.statement();
      statements.push(statement);
      this.lx.skipSpace();
      const after = this.lx.peekExpression();
      if (after.kind === 'newline' || after.kind === 'semi') {
        this.lx.nextExpression();
        continue;
      }
      if (this.endOf(close, after) || after.kind === 'eof') continue;
      // a statement that ends with its own block needs no separator before the next one
      if (BLOCK_STATEMENTS.has(statement.kind)) continue;
      throw this.unexpected(after);
    }
  }

  private skipSeparators(): void {
    for (;;) {
      this.lx.skipSpaceAndNewlines();
      if (this.lx.charAt(this.lx.pos) === ';') this.lx.pos++;
      else return;
    }
  }

  private keywordAt(): string | undefined {
    const m = /^([A-Za-z]+)(?![A-Za-z0-9_\-.:\\])/.exec(this.text.slice(this.lx.pos, Math.min(this.lx.end, this.lx.pos + 10)));
    if (!m) return undefined;
    const kw = m[1].toLowerCase();
    if (!KEYWORDS.has(kw)) return undefined;
    const after = this.lx.charAt(this.lx.pos + m[1].length);
    if (after !== undefined && !/[\s(){};]/.test(after)) return undefined;
    if (kw === 'foreach') {
      // `foreach (` is the statement; `foreach {` is the ForEach-Object alias
      let j = this.lx.pos + m[1].length;
      while (j < this.lx.end && /[ \t]/.test(this.text[j])) j++;
      if (this.text[j] !== '(') return undefined;
    }
    return kw;
  }

  /** A script's `[CmdletBinding()] param( ... )` at its start, if any. */
  scriptParameters(): ParameterAst[] | undefined {
    this.skipSeparators();
    const save = this.lx.pos;
    while (this.lx.charAt(this.lx.pos) === '[') {
      const a = this.attributeOrType();
      if (!a.attribute) {
        this.lx.pos = save;
        return undefined;
      }
      this.skipSeparators();
    }
    if (!/^param\s*\(/i.test(this.text.slice(this.lx.pos, this.lx.pos + 40))) {
      this.lx.pos = save;
      return undefined;
    }
    this.lx.pos += 5;
    this.lx.skipSpace();
    return this.parameterList();
  }

  /** Consumes a keyword known to be at the cursor. */
  private takeWord(word: string): void {
    this.lx.pos += word.length;
  }

  statement(): StatementAst {
    this.lx.skipSpace();
    let label: string | undefined;
    const lm = /^:([A-Za-z_][A-Za-z0-9_]*)[ \t]+/.exec(this.text.slice(this.lx.pos, Math.min(this.lx.end, this.lx.pos + 200)));
    if (lm) {
      const save = this.lx.pos;
      this.lx.pos += lm[0].length;
      const kw = this.keywordAt();
      if (kw && LOOPS.has(kw)) label = lm[1];
      else this.lx.pos = save;
    }
    const kw = this.keywordAt();
    let s: StatementAst;
    switch (kw) {
      case 'if':
        return this.ifStatement();
      case 'foreach':
        s = this.foreachStatement();
        break;
      case 'while':
        s = this.whileStatement();
        break;
      case 'do':
        s = this.doStatement();
        break;
      case 'for':
        s = this.forStatement();
        break;
      case 'switch':
        s = this.switchStatement();
        break;
      case 'function':
      case 'filter':
        return this.functionStatement(kw);
      case 'try':
        return this.tryStatement();
      case 'trap':
        return this.trapStatement();
      case 'break':
      case 'continue':
      case 'return':
      case 'throw':
      case 'exit':
        return this.flowStatement(kw);
      default:
        return this.pipeline();
    }
    if (label !== undefined) (s as { label?: string }).label = label;
    return s;
  }

  /** `( statement )` after a keyword. */
  private parenCondition(keyword: string): StatementAst {
    this.expect('lparen', `Missing '(' after '${keyword}' in ${keyword} statement.`, 'MissingOpenParenthesisAfterKeyword', false);
    this.lx.skipSpaceAndNewlines();
    const t = this.lx.peekExpression();
    if (t.kind === 'rparen') throw this.error(`Missing condition in ${keyword} statement after '${keyword} ('.`, 'MissingConditionInStatement', { start: t.start, end: t.end });
    if (t.kind === 'eof') throw this.error(`Missing condition in ${keyword} statement after '${keyword} ('.`, 'MissingConditionInStatement', { start: t.start, end: t.start }, true);
    const condition = this.statement();
    this.expect('rparen', `Missing closing ')' after expression in '${keyword}' statement.`, 'MissingEndParenthesisAfterStatement');
    return condition;
  }

  private whileStatement(): WhileAst {
    const start = this.lx.pos;
    this.takeWord('while');
    const condition = this.parenCondition('while');
    const body = this.block('while ( condition )');
    return { kind: 'while', condition, body: body.statements, extent: { start, end: body.end } };
  }

  private doStatement(): DoAst {
    const start = this.lx.pos;
    this.takeWord('do');
    const body = this.block('do');
    this.lx.skipSpaceAndNewlines();
    const m = /^(while|until)(?![A-Za-z0-9_-])/i.exec(this.text.slice(this.lx.pos, this.lx.pos + 6));
    if (!m) {
      throw this.error('Missing while or until keyword in do loop.', 'MissingWhileOrUntilInDoWhile', { start: this.lx.pos, end: this.lx.pos }, this.lx.atEnd());
    }
    const word = m[1].toLowerCase();
    this.lx.pos += word.length;
    const condition = this.parenCondition(word);
    return { kind: 'do', until: word === 'until', condition, body: body.statements, extent: { start, end: this.lx.pos } };
  }

  private forStatement(): ForAst {
    const start = this.lx.pos;
    this.takeWord('for');
    this.expect('lparen', "Missing opening '(' after keyword 'for'.", 'MissingOpenParenthesisAfterKeyword', false);
    const parts: (StatementAst | undefined)[] = [];
    for (let i = 0; i < 3; i++) {
      this.lx.skipSpaceAndNewlines();
      const t = this.lx.peekExpression();
      if (t.kind === 'eof') throw this.error("Missing closing ')' after expression in 'for' statement.", 'MissingEndParenthesisAfterStatement', { start: t.start, end: t.start }, true);
      let part: StatementAst | undefined;
      if (t.kind !== 'semi' && t.kind !== 'rparen') part = this.statement();
      parts.push(part);
      this.lx.skipSpace();
      const sep = this.lx.peekExpression();
      if (i < 2 && (sep.kind === 'semi' || sep.kind === 'newline')) {
        this.lx.nextExpression();
        continue;
      }
      if (sep.kind === 'rparen') break;
      if (i === 2) break;
      throw this.unexpected(sep);
    }
    this.expect('rparen', "Missing closing ')' after expression in 'for' statement.", 'MissingEndParenthesisAfterStatement');
    const body = this.block('for ( ... )');
    return { kind: 'for', init: parts[0], condition: parts[1], iterator: parts[2], body: body.statements, extent: { start, end: body.end } };
  }

  private switchStatement(): SwitchAst {
    const start = this.lx.pos;
    this.takeWord('switch');
    let mode: SwitchAst['mode'] = 'exact';
    let caseSensitive = false;
    let file = false;
    for (;;) {
      this.lx.skipSpace();
      if (this.lx.charAt(this.lx.pos) !== '-') break;
      const s = this.lx.pos;
      this.lx.pos++;
      const word = this.lx.scanName().toLowerCase();
      const opt = ['regex', 'wildcard', 'exact', 'casesensitive', 'file'].find((o) => o.startsWith(word) && word.length > 0);
      if (!opt) throw this.error(`Unrecognized switch parameter '-${word}'. Use -Regex, -Wildcard, -Exact, -CaseSensitive or -File.`, 'InvalidSwitchFlag', { start: s, end: this.lx.pos });
      if (opt === 'casesensitive') caseSensitive = true;
      else if (opt === 'file') file = true;
      else mode = opt as SwitchAst['mode'];
    }
    let value: StatementAst;
    this.lx.skipSpace();
    if (this.lx.charAt(this.lx.pos) === '(') value = this.parenCondition('switch');
    else if (file) {
      const el = this.argumentElement();
      value = { kind: 'pipeline', elements: [{ kind: 'command-expression', expression: el, extent: el.extent }], extent: el.extent };
    } else {
      throw this.error("Missing '(' after 'switch' in switch statement.", 'PipelineValueRequired', { start: this.lx.pos, end: this.lx.pos }, this.lx.atEnd());
    }
    this.expect('lbrace', 'Missing condition in switch statement clause.', 'MissingSwitchStatementClause');
    const clauses: SwitchClauseAst[] = [];
    for (;;) {
      this.skipSeparators();
      const t = this.lx.peekExpression();
      if (t.kind === 'rbrace') {
        this.lx.nextExpression();
        break;
      }
      if (t.kind === 'eof') throw this.error("Missing closing '}' in statement block or type definition.", 'MissingEndCurlyBrace', { start: t.start, end: t.start }, true);
      let pattern: ExpressionAst | undefined;
      const dm = /^default(?=[\s{])/i.exec(this.text.slice(this.lx.pos, this.lx.pos + 8));
      if (dm) this.lx.pos += 7;
      else if (t.kind === 'lbrace') pattern = this.scriptBlock(this.lx.nextExpression());
      else pattern = this.argumentElement();
      const body = this.block('switch clause');
      clauses.push({ pattern, body: body.statements });
    }
    return { kind: 'switch', mode, caseSensitive, file, value, clauses, extent: { start, end: this.lx.pos } };
  }

  private functionStatement(kw: string): FunctionAst {
    const start = this.lx.pos;
    this.takeWord(kw);
    this.lx.skipSpace();
    const ns = this.lx.pos;
    while (this.lx.pos < this.lx.end && !/[\s(){};]/.test(this.text[this.lx.pos])) this.lx.pos++;
    let name = this.text.slice(ns, this.lx.pos);
    if (!name) throw this.error('Missing name after function keyword.', 'MissingNameAfterKeyword', { start: ns, end: ns }, this.lx.atEnd());
    const scope = /^(global|script|local|private):/i.exec(name);
    if (scope) name = name.slice(scope[0].length);
    let parameters: ParameterAst[] = [];
    this.lx.skipSpace();
    let advanced = false;
    if (this.lx.charAt(this.lx.pos) === '(') parameters = this.parameterList();
    this.expect('lbrace', 'Missing function body in function declaration.', 'MissingFunctionBody');
    this.skipSeparators();
    // [CmdletBinding()] and param( )
    const save = this.lx.pos;
    const attrs: AttributeAst[] = [];
    while (this.lx.charAt(this.lx.pos) === '[') {
      const a = this.attributeOrType();
      if (!a.attribute) break;
      attrs.push(a.attribute);
      this.skipSeparators();
    }
    if (/^param\s*\(/i.test(this.text.slice(this.lx.pos, this.lx.pos + 40))) {
      this.lx.pos += 5;
      this.lx.skipSpace();
      parameters = this.parameterList();
      if (attrs.some((a) => a.name.toLowerCase() === 'cmdletbinding')) advanced = true;
    } else this.lx.pos = save;
    if (parameters.some((p) => p.attributes.some((a) => a.name.toLowerCase() === 'parameter'))) advanced = true;
    this.skipSeparators();
    const fn: FunctionAst = { kind: 'function', name, filter: kw === 'filter', advanced, parameters, extent: { start, end: start } };
    if (/^(begin|process|end)\s*\{/i.test(this.text.slice(this.lx.pos, this.lx.pos + 20))) {
      for (;;) {
        this.skipSeparators();
        const m = /^(begin|process|end)(?=\s*\{)/i.exec(this.text.slice(this.lx.pos, this.lx.pos + 20));
        if (!m) break;
        this.lx.pos += m[1].length;
        const body = this.block(m[1]);
        const which = m[1].toLowerCase() as 'begin' | 'process' | 'end';
        fn[which] = body.statements;
      }
      const close = this.expect('rbrace', "Missing closing '}' in statement block or type definition.", 'MissingEndCurlyBrace');
      fn.extent.end = close.end;
    } else {
      const statements = this.statementList('rbrace');
      const close = this.expect('rbrace', "Missing closing '}' in statement block or type definition.", 'MissingEndCurlyBrace');
      if (kw === 'filter') fn.process = statements;
      else fn.end = statements;
      fn.extent.end = close.end;
    }
    return fn;
  }

  /** `[Name(args)]` (an attribute) or `[type]` at the cursor. */
  private attributeOrType(): { attribute?: AttributeAst; typeName?: string } {
    const open = this.lx.pos;
    this.lx.pos++;
    this.lx.skipSpace();
    const ns = this.lx.pos;
    while (/[A-Za-z0-9_.]/.test(this.lx.charAt(this.lx.pos) ?? '')) this.lx.pos++;
    let name = this.text.slice(ns, this.lx.pos);
    while (this.lx.charAt(this.lx.pos) === '[' && this.lx.charAt(this.lx.pos + 1) === ']') {
      name += '[]';
      this.lx.pos += 2;
    }
    if (!name) throw this.error("Missing type name after '['.", 'MissingTypename', { start: open, end: this.lx.pos }, this.lx.atEnd());
    this.lx.skipSpace();
    if (this.lx.charAt(this.lx.pos) === '(') {
      this.lx.pos++;
      const attribute: AttributeAst = { name, positional: [], named: [] };
      for (;;) {
        this.lx.skipSpaceAndNewlines();
        const c = this.lx.charAt(this.lx.pos);
        if (c === ')') {
          this.lx.pos++;
          break;
        }
        if (c === undefined) throw this.error("Missing ')' in attribute.", 'MissingEndParenthesisInExpression', { start: open, end: open + 1 }, true);
        const nm = /^([A-Za-z_][A-Za-z0-9_]*)\s*(=|,|\))/.exec(this.text.slice(this.lx.pos, this.lx.pos + 80));
        if (nm && nm[2] === '=') {
          this.lx.pos += nm[0].length;
          this.lx.skipSpaceAndNewlines();
          attribute.named.push({ name: nm[1], value: this.expressionNoComma() });
        } else if (nm) {
          this.lx.pos += nm[1].length;
          attribute.named.push({ name: nm[1] });
        } else {
          attribute.positional.push(this.expressionNoComma());
        }
        this.lx.skipSpaceAndNewlines();
        if (this.lx.charAt(this.lx.pos) === ',') this.lx.pos++;
      }
      this.lx.skipSpace();
      if (this.lx.charAt(this.lx.pos) !== ']') throw this.error('Missing closing bracket in attribute.', 'EndSquareBracketExpectedAtEndOfAttribute', { start: open, end: this.lx.pos }, this.lx.atEnd());
      this.lx.pos++;
      return { attribute };
    }
    if (this.lx.charAt(this.lx.pos) !== ']') throw this.error('Missing ] at end of type token.', 'EndSquareBracketExpectedAtEndOfType', { start: open, end: this.lx.pos }, this.lx.atEnd());
    this.lx.pos++;
    return { typeName: name };
  }

  /** `( [attr][type]$name = default, ... )` at the cursor. */
  private parameterList(): ParameterAst[] {
    const open = this.lx.pos;
    this.lx.pos++;
    const out: ParameterAst[] = [];
    for (;;) {
      this.lx.skipSpaceAndNewlines();
      const c = this.lx.charAt(this.lx.pos);
      if (c === ')') {
        this.lx.pos++;
        return out;
      }
      if (c === undefined) throw this.error("Missing ')' in function parameter list.", 'MissingEndParenthesisInFunctionParameterList', { start: open, end: open + 1 }, true);
      const start = this.lx.pos;
      const attributes: AttributeAst[] = [];
      let typeName: string | undefined;
      while (this.lx.charAt(this.lx.pos) === '[') {
        const a = this.attributeOrType();
        if (a.attribute) attributes.push(a.attribute);
        else typeName = a.typeName;
        this.lx.skipSpaceAndNewlines();
      }
      const v = this.lx.nextExpression();
      if (v.kind !== 'variable') throw this.error("Missing ')' in function parameter list.", 'MissingEndParenthesisInFunctionParameterList', { start: v.start, end: v.end }, v.kind === 'eof');
      const p: ParameterAst = { name: v.text, typeName, attributes, extent: { start, end: v.end } };
      this.lx.skipSpace();
      if (this.lx.charAt(this.lx.pos) === '=') {
        this.lx.pos++;
        this.lx.skipSpaceAndNewlines();
        p.defaultValue = this.expressionNoComma();
        p.extent.end = p.defaultValue.extent.end;
      }
      out.push(p);
      this.lx.skipSpaceAndNewlines();
      const d = this.lx.charAt(this.lx.pos);
      if (d === ',') {
        this.lx.pos++;
        continue;
      }
      if (d === ')') continue;
      throw this.error("Missing ')' in function parameter list.", 'MissingEndParenthesisInFunctionParameterList', { start: this.lx.pos, end: this.lx.pos + 1 }, d === undefined);
    }
  }

  private tryStatement(): TryAst {
    const start = this.lx.pos;
    this.takeWord('try');
    const body = this.block('try');
    let end = body.end;
    const catches: CatchClauseAst[] = [];
    let finallyBody: StatementAst[] | undefined;
    for (;;) {
      const save = this.lx.pos;
      this.lx.skipSpaceAndNewlines();
      const m = /^(catch|finally)(?![A-Za-z0-9_-])/i.exec(this.text.slice(this.lx.pos, this.lx.pos + 8));
      if (!m) {
        this.lx.pos = save;
        break;
      }
      this.lx.pos += m[1].length;
      if (m[1].toLowerCase() === 'finally') {
        const b = this.block('finally');
        finallyBody = b.statements;
        end = b.end;
        break;
      }
      const types: string[] = [];
      for (;;) {
        this.lx.skipSpaceAndNewlines();
        if (this.lx.charAt(this.lx.pos) !== '[') break;
        const t = this.attributeOrType();
        if (t.typeName) types.push(t.typeName);
        this.lx.skipSpaceAndNewlines();
        if (this.lx.charAt(this.lx.pos) === ',') this.lx.pos++;
        else break;
      }
      const b = this.block('catch');
      catches.push({ types, body: b.statements });
      end = b.end;
    }
    if (catches.length === 0 && finallyBody === undefined) {
      throw this.error('The Try statement is missing its Catch or Finally block.', 'MissingCatchOrFinally', { start: end, end }, this.lx.atEnd() || this.text.slice(end, this.lx.end).trim() === '');
    }
    return { kind: 'try', body: body.statements, catches, finallyBody, extent: { start, end } };
  }

  private trapStatement(): TrapAst {
    const start = this.lx.pos;
    this.takeWord('trap');
    this.lx.skipSpace();
    let typeName: string | undefined;
    if (this.lx.charAt(this.lx.pos) === '[') typeName = this.attributeOrType().typeName;
    const body = this.block('trap');
    return { kind: 'trap', typeName, body: body.statements, extent: { start, end: body.end } };
  }

  private flowStatement(kw: string): FlowAst {
    const start = this.lx.pos;
    this.takeWord(kw);
    this.lx.skipSpace();
    const keyword = kw as FlowAst['keyword'];
    const t = this.lx.peekExpression();
    const ends = t.kind === 'newline' || t.kind === 'semi' || t.kind === 'rbrace' || t.kind === 'rparen' || t.kind === 'eof' || t.kind === 'pipe';
    if (ends) return { kind: 'flow', keyword, extent: { start, end: start + kw.length } };
    if (keyword === 'break' || keyword === 'continue') {
      const s = this.lx.pos;
      if (this.lx.charAt(s) === ':') this.lx.pos++;
      const label = this.lx.scanName();
      if (!label) throw this.unexpected(t);
      return { kind: 'flow', keyword, label, extent: { start, end: this.lx.pos } };
    }
    const value = this.statement();
    return { kind: 'flow', keyword, value, extent: { start, end: value.extent.end } };
  }

  private expect(kind: Token['kind'], message: string, errorId: string, newlines = true): Token {
    if (newlines) this.lx.skipSpaceAndNewlines();
    else this.lx.skipSpace();
    const t = this.lx.peekExpression();
    if (t.kind === kind) return this.lx.nextExpression();
    if (t.kind === 'eof') throw this.error(message, errorId, { start: t.start, end: t.start }, true);
    throw this.error(message, errorId, { start: t.start, end: t.end });
  }

  private block(keyword: string): { statements: StatementAst[]; end: number } {
    this.expect('lbrace', `Missing statement block after ${keyword}.`, 'MissingStatementBlock');
    const statements = this.statementList('rbrace');
    const close = this.expect('rbrace', "Missing closing '}' in statement block or type definition.", 'MissingEndCurlyBrace');
    return { statements, end: close.end };
  }

  private ifStatement(): IfAst {
    const start = this.lx.pos;
    const clauses: IfAst['clauses'] = [];
    let elseBody: StatementAst[] | undefined;
    this.lx.pos += 2;
    let end: number;
    for (;;) {
      this.expect('lparen', "Missing '(' after 'if' in if statement.", 'MissingOpenParenthesisInIfStatement', false);
      this.lx.skipSpaceAndNewlines();
      const condition = this.statement();
      this.expect('rparen', "Missing closing ')' after expression in 'if' statement.", 'MissingEndParenthesisAfterStatement');
      const body = this.block('if ( condition )');
      clauses.push({ condition, body: body.statements });
      end = body.end;
      const save = this.lx.pos;
      this.lx.skipSpaceAndNewlines();
      const m = /^(elseif|else)(?![A-Za-z0-9_-])/i.exec(this.text.slice(this.lx.pos, this.lx.pos + 7));
      if (!m) {
        this.lx.pos = save;
        break;
      }
      this.lx.pos += m[1].length;
      if (m[1].toLowerCase() === 'else') {
        const b = this.block('else');
        elseBody = b.statements;
        end = b.end;
        break;
      }
    }
    return { kind: 'if', clauses, elseBody, extent: { start, end } };
  }

  private foreachStatement(): ForeachAst {
    const start = this.lx.pos;
    this.lx.pos += 7;
    this.expect('lparen', "Missing opening '(' after keyword 'foreach'.", 'MissingOpenParenthesisAfterKeyword', false);
    this.lx.skipSpaceAndNewlines();
    const v = this.lx.nextExpression();
    if (v.kind !== 'variable') {
      if (v.kind === 'eof') throw this.error('Missing variable name after foreach.', 'MissingVariableNameAfterForeach', { start: v.start, end: v.start }, true);
      throw this.error('Missing variable name after foreach.', 'MissingVariableNameAfterForeach', { start: v.start, end: v.end });
    }
    this.lx.skipSpace();
    const kin = this.lx.nextExpression();
    if (kin.kind !== 'identifier' || kin.text.toLowerCase() !== 'in') {
      throw this.error("Missing 'in' after variable in foreach loop.", 'MissingInInForeach', { start: kin.start, end: kin.end }, kin.kind === 'eof');
    }
    this.lx.skipSpaceAndNewlines();
    const collection = this.statement();
    this.expect('rparen', "Missing closing ')' after expression in 'foreach' statement.", 'MissingEndParenthesisAfterForeach');
    const body = this.block('foreach ( ... )');
    return { kind: 'foreach', variable: v.text, collection, body: body.statements, extent: { start, end: body.end } };
  }

  /** Whether the statement at the cursor is a command (not an expression). */
  private startsCommand(): boolean {
    const c = this.lx.charAt(this.lx.pos);
    const n = this.lx.charAt(this.lx.pos + 1);
    if (c === undefined) return false;
    if (c === '&') return true;
    if ('$@(\'"[!+,{0123456789'.includes(c) || '\u2018\u2019\u201a\u201b\u201c\u201d\u201e'.includes(c)) return false;
    if (c === '.' && n !== undefined && /[0-9]/.test(n)) return false;
    if (c === '-') {
      if (n !== undefined && /[0-9.]/.test(n)) return false;
      const t = this.lx.peekExpression();
      if (t.kind === 'operator') return false;
      return true;
    }
    return true;
  }

  pipeline(): StatementAst {
    this.lx.skipSpace();
    const start = this.lx.pos;
    const elements: (CommandAst | CommandExpressionAst)[] = [];
    if (this.startsCommand()) {
      elements.push(this.command());
    } else {
      const expr = this.expression();
      this.lx.skipSpace();
      const t = this.lx.peekExpression();
      if (t.kind === 'operator' && ASSIGNMENT_OPS.has(t.text)) {
        if (expr.kind !== 'variable' && expr.kind !== 'member' && expr.kind !== 'index') {
          throw this.error('The assignment expression is not valid. The input to an assignment operator must be an object that is able to accept assignments, such as a variable or a property.', 'InvalidLeftHandSide', expr.extent);
        }
        this.lx.nextExpression();
        this.lx.skipSpaceAndNewlines();
        const next = this.lx.peekExpression();
        if (next.kind === 'eof') {
          throw this.error(`You must provide a value expression following the '${t.text}' operator.`, 'ExpectedValueExpression', { start: t.start, end: t.end }, true);
        }
        const value = this.statement();
        return { kind: 'assignment', target: expr, operator: t.text as '=', value, extent: { start, end: value.extent.end } };
      }
      const ce: CommandExpressionAst = { kind: 'command-expression', expression: expr, extent: expr.extent };
      for (;;) {
        this.lx.skipSpace();
        const r = this.lx.peekExpression();
        if (r.kind !== 'redirection') break;
        this.lx.nextExpression();
        (ce.redirections ??= []).push(this.redirection(r));
        ce.extent = { start: ce.extent.start, end: this.lx.pos };
      }
      elements.push(ce);
    }
    for (;;) {
      this.lx.skipSpace();
      const t = this.lx.peekExpression();
      if (t.kind !== 'pipe') break;
      this.lx.nextExpression();
      this.lx.skipSpaceAndNewlines();
      const next = this.lx.peekExpression();
      if (next.kind === 'eof' || next.kind === 'pipe' || next.kind === 'semi' || next.kind === 'rparen' || next.kind === 'rbrace') {
        throw this.error('An empty pipe element is not allowed.', 'EmptyPipeElement', { start: t.start, end: t.end }, next.kind === 'eof');
      }
      if (!this.startsCommand()) {
        const expr = this.expression();
        throw this.error('Expressions are only allowed as the first element of a pipeline.', 'ExpressionsMustBeFirstInPipeline', expr.extent);
      }
      elements.push(this.command());
    }
    const end = elements[elements.length - 1].extent.end;
    return { kind: 'pipeline', elements, extent: { start, end } };
  }

  private isArgumentEnd(t: Token): boolean {
    return t.kind === 'newline' || t.kind === 'semi' || t.kind === 'pipe' || t.kind === 'rparen' || t.kind === 'rbrace' || t.kind === 'eof';
  }

  command(): CommandAst {
    this.lx.skipSpace();
    const start = this.lx.pos;
    let name: string | ExpressionAst;
    let nameExtent: Extent;
    if (this.lx.charAt(start) === '&') {
      this.lx.pos++;
      this.lx.skipSpace();
      const el = this.argumentElement();
      name = el.kind === 'constant' && typeof el.value === 'string' ? el.value : el;
      nameExtent = el.extent;
    } else {
      const t = this.lx.nextArgument();
      nameExtent = { start: t.start, end: t.end };
      if (t.kind === 'generic') name = t.text;
      else if (t.kind === 'number') name = this.text.slice(t.start, t.end);
      else if (t.kind === 'expandable') name = this.expandable(t);
      else if (t.kind === 'parameter') name = this.text.slice(t.start, t.end);
      else throw this.unexpected(t);
    }
    const elements: CommandElementAst[] = [];
    let redirections: RedirectionAst[] | undefined;
    let end = nameExtent.end;
    for (;;) {
      this.lx.skipSpace();
      const t = this.lx.peekArgument();
      if (this.isArgumentEnd(t)) break;
      if (t.kind === 'redirection') {
        this.lx.nextArgument();
        (redirections ??= []).push(this.redirection(t));
        end = this.lx.pos;
        continue;
      }
      if (t.kind === 'ampersand') {
        throw this.error('The ampersand (&) character is not allowed. The & operator is reserved for future use; wrap an ampersand in double quotation marks ("&") to pass it as part of a string.', 'AmpersandNotAllowed', {
          start: t.start,
          end: t.end,
        });
      }
      if (t.kind === 'comma') {
        throw this.error('Missing argument in parameter list.', 'MissingArgument', { start: t.start, end: t.end });
      }
      if (t.kind === 'parameter') {
        this.lx.nextArgument();
        if (t.colon) {
          this.lx.skipSpace();
          const a = this.lx.peekArgument();
          if (this.isArgumentEnd(a) || a.kind === 'comma') {
            throw this.error('Missing argument in parameter list.', 'MissingArgument', { start: t.start, end: t.end }, a.kind === 'eof');
          }
          const argument = this.argumentList();
          elements.push({ kind: 'parameter', name: t.text, colon: true, argument, extent: { start: t.start, end: argument.extent.end } });
          end = argument.extent.end;
        } else {
          elements.push({ kind: 'parameter', name: t.text, colon: false, extent: { start: t.start, end: t.end } });
          end = t.end;
        }
        continue;
      }
      const arg = this.argumentList();
      elements.push(arg);
      end = arg.extent.end;
    }
    return { kind: 'command', name, nameExtent, elements, redirections, extent: { start, end } };
  }

  /** The redirection whose operator token was just read; reads the file argument. */
  private redirection(t: Token): RedirectionAst {
    if (t.text === '<') {
      throw this.error("The '<' operator is reserved for future use.", 'RedirectionNotSupported', { start: t.start, end: t.end });
    }
    const m = /^([1-6*])?(>>?)(?:&([12]))?$/.exec(t.text) as RegExpExecArray;
    const from = (m[1] ?? '1') as RedirectionAst['from'];
    if (m[3] !== undefined) {
      if (m[3] !== '1' || from === '1') {
        throw this.error(`The '${t.text}' operator is reserved for future use.`, 'RedirectionNotSupported', { start: t.start, end: t.end });
      }
      return { from, merge: true, append: false, extent: { start: t.start, end: t.end } };
    }
    this.lx.skipSpace();
    const a = this.lx.peekArgument();
    if (this.isArgumentEnd(a) || a.kind === 'redirection') {
      throw this.error('Missing file specification after redirection operator.', 'MissingFileSpecification', { start: t.start, end: t.end }, a.kind === 'eof');
    }
    const target = this.argumentElement();
    return { from, merge: false, append: m[2] === '>>', target, extent: { start: t.start, end: target.extent.end } };
  }

  /** An argument and any comma-separated followers (`a,b,c`). */
  private argumentList(): ExpressionAst {
    const first = this.argumentElement();
    const elements = [first];
    for (;;) {
      const save = this.lx.pos;
      this.lx.skipSpace();
      if (this.lx.charAt(this.lx.pos) !== ',') {
        this.lx.pos = save;
        break;
      }
      const commaPos = this.lx.pos;
      this.lx.pos++;
      this.lx.skipSpaceAndNewlines();
      const t = this.lx.peekArgument();
      if (this.isArgumentEnd(t) || t.kind === 'comma' || t.kind === 'parameter') {
        throw this.error('Missing argument in parameter list.', 'MissingArgument', { start: commaPos, end: commaPos + 1 }, t.kind === 'eof');
      }
      elements.push(this.argumentElement());
    }
    if (elements.length === 1) return first;
    const arr: ArrayLiteralAst = { kind: 'array', elements, extent: { start: first.extent.start, end: elements[elements.length - 1].extent.end } };
    return arr;
  }

  /** One argument-mode value. */
  private argumentElement(): ExpressionAst {
    const t = this.lx.nextArgument();
    const extent = { start: t.start, end: t.end };
    switch (t.kind) {
      case 'number':
        return { kind: 'constant', value: t.number ?? 0, extent };
      case 'generic':
      case 'string':
        return { kind: 'constant', value: t.text, extent };
      case 'expandable':
        return this.expandable(t);
      case 'variable':
        return this.postfix({ kind: 'variable', name: t.text, extent });
      case 'splat':
        return { kind: 'variable', name: t.text, splat: true, extent };
      case 'parameter':
        return { kind: 'constant', value: this.text.slice(t.start, t.end), extent };
      default:
        return this.postfix(this.opening(t));
    }
  }

  /** Constructs that open with ( $( @( @{ { – the same in both modes. */
  private opening(t: Token): ExpressionAst {
    switch (t.kind) {
      case 'lparen': {
        this.lx.skipSpaceAndNewlines();
        const inner = this.lx.peekExpression();
        if (inner.kind === 'rparen') {
          throw this.error("An expression was expected after '('.", 'ExpectedExpression', { start: inner.start, end: inner.end });
        }
        if (inner.kind === 'eof') throw this.error("Missing closing ')' in expression.", 'MissingEndParenthesisInExpression', { start: t.start, end: t.end }, true);
        const statement = this.statement();
        const close = this.expect('rparen', "Missing closing ')' in expression.", 'MissingEndParenthesisInExpression');
        return { kind: 'paren', statement, extent: { start: t.start, end: close.end } };
      }
      case 'subexpr':
      case 'arrayexpr': {
        const statements = this.statementList('rparen');
        const close = this.expect('rparen', "Missing closing ')' in subexpression.", 'MissingEndParenthesisInSubexpression');
        const extent = { start: t.start, end: close.end };
        return t.kind === 'subexpr' ? { kind: 'subexpression', statements, extent } : { kind: 'array-expression', statements, extent };
      }
      case 'hashstart':
        return this.hashtable(t);
      case 'lbrace':
        return this.scriptBlock(t);
      default:
        throw this.unexpected(t);
    }
  }

  private scriptBlock(open: Token): ScriptBlockAst {
    const statements = this.statementList('rbrace');
    const close = this.expect('rbrace', "Missing closing '}' in statement block or type definition.", 'MissingEndCurlyBrace');
    return { kind: 'scriptblock', statements, text: this.text.slice(open.end, close.start), extent: { start: open.start, end: close.end } };
  }

  private hashtable(open: Token): HashtableAst {
    const entries: HashtableAst['entries'] = [];
    for (;;) {
      this.skipSeparators();
      const t = this.lx.peekExpression();
      if (t.kind === 'eof') throw this.error("Missing closing '}' in hash literal.", 'MissingEndCurlyBrace', { start: open.start, end: open.end }, true);
      if (t.kind === 'rbrace') {
        this.lx.nextExpression();
        return { kind: 'hashtable', entries, extent: { start: open.start, end: t.end } };
      }
      let key: ExpressionAst;
      const c = this.lx.charAt(this.lx.pos);
      if (isIdentifierStart(c) || (c !== undefined && /[0-9]/.test(c) && t.kind !== 'number')) {
        const s = this.lx.pos;
        const name = this.lx.scanName(true);
        key = { kind: 'constant', value: name, extent: { start: s, end: this.lx.pos } };
      } else if (t.kind === 'number' || t.kind === 'string' || t.kind === 'expandable' || t.kind === 'variable' || t.kind === 'lparen' || t.kind === 'subexpr') {
        key = this.unary();
      } else {
        throw this.error("Missing '=' operator after key in hash literal.", 'MissingEqualsInHashLiteral', { start: t.start, end: t.end });
      }
      this.lx.skipSpace();
      const eq = this.lx.peekExpression();
      if (eq.kind !== 'operator' || eq.text !== '=') {
        throw this.error("Missing '=' operator after key in hash literal.", 'MissingEqualsInHashLiteral', { start: eq.start, end: eq.end }, eq.kind === 'eof');
      }
      this.lx.nextExpression();
      this.lx.skipSpaceAndNewlines();
      const v = this.lx.peekExpression();
      if (v.kind === 'eof') throw this.error("Missing statement after '=' in hash literal.", 'MissingStatementInHashLiteral', { start: eq.start, end: eq.end }, true);
      if (v.kind === 'rbrace' || v.kind === 'semi') throw this.error("Missing statement after '=' in hash literal.", 'MissingStatementInHashLiteral', { start: eq.start, end: eq.end });
      const value = this.statement();
      entries.push({ key, value });
      this.lx.skipSpace();
      const after = this.lx.peekExpression();
      if (after.kind === 'newline' || after.kind === 'semi') {
        this.lx.nextExpression();
        continue;
      }
      if (after.kind === 'rbrace' || after.kind === 'eof') continue;
      throw this.error('The hash literal was incomplete.', 'IncompleteHashLiteral', { start: after.start, end: after.end });
    }
  }

  private expandable(t: Token): ExpressionAst {
    const extent = { start: t.start, end: t.end };
    const raw = t.parts ?? [];
    const parts: StringPart[] = raw.map((p: RawPart): StringPart => {
      if (p.kind === 'text') return p.text;
      if (p.kind === 'variable') return { kind: 'variable', name: p.name, extent: { start: p.start, end: p.end } };
      const sub = new Parser(this.text, p.innerStart, p.innerEnd, this.partial);
      const statements = sub.statementList('eof');
      return { kind: 'subexpression', statements, extent: { start: p.start, end: p.end } };
    });
    if (parts.length === 1 && typeof parts[0] === 'string') return { kind: 'constant', value: parts[0], extent };
    return { kind: 'expandable', parts, extent };
  }

  // ---- expressions ----

  expression(): ExpressionAst {
    return this.binaryLevel(LOGICAL, () =>
      this.binaryLevel(BITWISE, () =>
        this.binaryLevel(COMPARISON, () => this.binaryLevel(ADDITIVE, () => this.binaryLevel(MULTIPLICATIVE, () => this.binaryLevel(new Set(['-f']), () => this.binaryLevel(new Set(['..']), () => this.arrayLiteral()))))),
      ),
    );
  }

  /** An expression without the comma operator (method arguments). */
  private expressionNoComma(): ExpressionAst {
    const save = this.noComma;
    this.noComma = true;
    try {
      return this.expression();
    } finally {
      this.noComma = save;
    }
  }

  private noComma = false;

  private binaryLevel(ops: Set<string>, next: () => ExpressionAst): ExpressionAst {
    let left = next();
    for (;;) {
      this.lx.skipSpace();
      const t = this.lx.peekExpression();
      if (t.kind !== 'operator') return left;
      const op = normalizeOperator(t.text);
      if (!ops.has(op)) return left;
      this.lx.nextExpression();
      this.lx.skipSpaceAndNewlines();
      const n = this.lx.peekExpression();
      if (n.kind === 'eof' || this.isArgumentEnd(n)) {
        throw this.error(`You must provide a value expression following the '${t.text}' operator.`, 'ExpectedValueExpression', { start: t.start, end: t.end }, n.kind === 'eof');
      }
      const right = next();
      left = { kind: 'binary', op, left, right, opExtent: { start: t.start, end: t.end }, extent: { start: left.extent.start, end: right.extent.end } };
    }
  }

  private arrayLiteral(): ExpressionAst {
    const first = this.unary();
    if (this.noComma) return first;
    const elements = [first];
    for (;;) {
      this.lx.skipSpace();
      const t = this.lx.peekExpression();
      if (t.kind !== 'comma') break;
      this.lx.nextExpression();
      this.lx.skipSpaceAndNewlines();
      const n = this.lx.peekExpression();
      if (n.kind === 'eof' || this.isArgumentEnd(n) || n.kind === 'comma') {
        throw this.error("Missing expression after ','.", 'MissingExpressionAfterToken', { start: t.start, end: t.end }, n.kind === 'eof');
      }
      elements.push(this.unary());
    }
    if (elements.length === 1) return first;
    return { kind: 'array', elements, extent: { start: first.extent.start, end: elements[elements.length - 1].extent.end } };
  }

  private unary(): ExpressionAst {
    this.lx.skipSpace();
    const t = this.lx.peekExpression();
    if ((t.kind === 'operator' && UNARY.has(t.text)) || t.kind === 'comma') {
      this.lx.nextExpression();
      this.lx.skipSpaceAndNewlines();
      const n = this.lx.peekExpression();
      if (n.kind === 'eof' || this.isArgumentEnd(n)) {
        throw this.error(`Missing expression after unary operator '${t.text}'.`, 'MissingExpressionAfterOperator', { start: t.start, end: t.end }, n.kind === 'eof');
      }
      const operand = this.unary();
      return { kind: 'unary', op: (t.kind === 'comma' ? ',' : t.text) as ',', operand, extent: { start: t.start, end: operand.extent.end } };
    }
    if (t.kind === 'operator' && (t.text === '++' || t.text === '--')) {
      this.lx.nextExpression();
      this.lx.skipSpace();
      const operand = this.unary();
      if (operand.kind !== 'variable' && operand.kind !== 'member' && operand.kind !== 'index') {
        throw this.error(`The '${t.text}' operator works only on variables or on properties.`, 'OperatorRequiresVariableOrProperty', operand.extent);
      }
      return { kind: 'increment', op: t.text as '++', prefix: true, operand, extent: { start: t.start, end: operand.extent.end } };
    }
    if (t.kind === 'lbracket') {
      this.lx.nextExpression();
      const typeName = this.typeName(t);
      const end = this.lx.pos;
      if (this.lx.charAt(end) === ':' && this.lx.charAt(end + 1) === ':') {
        return this.postfix({ kind: 'type', typeName, extent: { start: t.start, end } });
      }
      this.lx.skipSpace();
      const n = this.lx.peekExpression();
      const operandStarts = ['number', 'string', 'expandable', 'variable', 'lparen', 'subexpr', 'arrayexpr', 'hashstart', 'lbrace', 'lbracket'].includes(n.kind) || (n.kind === 'operator' && UNARY.has(n.text));
      if (!operandStarts) return { kind: 'type', typeName, extent: { start: t.start, end } };
      const operand = this.unary();
      return { kind: 'cast', typeName, operand, extent: { start: t.start, end: operand.extent.end } };
    }
    return this.postfix(this.primary());
  }

  private typeName(open: Token): string {
    let depth = 1;
    const s = this.lx.pos;
    while (this.lx.pos < this.lx.end) {
      const c = this.text[this.lx.pos];
      if (c === '[') depth++;
      else if (c === ']') {
        depth--;
        if (depth === 0) break;
      } else if (c === '\n') break;
      this.lx.pos++;
    }
    if (this.lx.charAt(this.lx.pos) !== ']') {
      throw this.error('Missing ] at end of type token.', 'EndSquareBracketExpectedAtEndOfType', { start: open.start, end: this.lx.pos }, this.lx.atEnd());
    }
    const name = this.text.slice(s, this.lx.pos).trim();
    this.lx.pos++;
    if (!name) throw this.error("Missing type name after '['.", 'MissingTypename', { start: open.start, end: this.lx.pos });
    return name;
  }

  private primary(): ExpressionAst {
    const t = this.lx.nextExpression();
    const extent = { start: t.start, end: t.end };
    switch (t.kind) {
      case 'number':
        return { kind: 'constant', value: t.number ?? 0, extent };
      case 'string':
        return { kind: 'constant', value: t.text, extent };
      case 'expandable':
        return this.expandable(t);
      case 'variable':
        return { kind: 'variable', name: t.text, extent };
      case 'lparen':
      case 'subexpr':
      case 'arrayexpr':
      case 'hashstart':
      case 'lbrace':
        return this.opening(t);
      case 'eof':
        throw this.error('An expression was expected.', 'ExpectedExpression', extent, true);
      default:
        throw this.unexpected(t);
    }
  }

  /** Member access, method calls and indexing written directly after a value. */
  private postfix(expr: ExpressionAst): ExpressionAst {
    for (;;) {
      const p = this.lx.pos;
      const c = this.lx.charAt(p);
      const n = this.lx.charAt(p + 1);
      if ((c === '.' && n !== '.') || (c === ':' && n === ':')) {
        const isStatic = c === ':';
        const nameStart = isStatic ? p + 2 : p + 1;
        const nc = this.lx.charAt(nameStart);
        let member: string | ExpressionAst;
        if (isIdentifierStart(nc) || (nc !== undefined && /[0-9]/.test(nc) && !isStatic)) {
          this.lx.pos = nameStart;
          member = this.lx.scanName();
        } else if (nc === '$' || nc === "'" || nc === '"') {
          this.lx.pos = nameStart;
          const t = this.lx.nextExpression();
          if (t.kind === 'variable') member = { kind: 'variable', name: t.text, extent: { start: t.start, end: t.end } };
          else if (t.kind === 'string') member = t.text;
          else if (t.kind === 'expandable') member = this.expandable(t);
          else throw this.unexpected(t);
        } else {
          return expr;
        }
        if (typeof member === 'string' && this.lx.charAt(this.lx.pos) === '(') {
          const open = this.lx.pos;
          this.lx.pos++;
          const args: ExpressionAst[] = [];
          this.lx.skipSpaceAndNewlines();
          if (this.lx.charAt(this.lx.pos) === ')') this.lx.pos++;
          else {
            for (;;) {
              this.lx.skipSpaceAndNewlines();
              if (this.lx.atEnd()) throw this.error("Missing ')' in method call.", 'MissingEndParenthesisInMethodCall', { start: open, end: open + 1 }, true);
              args.push(this.expressionNoComma());
              this.lx.skipSpaceAndNewlines();
              const d = this.lx.charAt(this.lx.pos);
              if (d === ',') {
                this.lx.pos++;
                continue;
              }
              if (d === ')') {
                this.lx.pos++;
                break;
              }
              throw this.error("Missing ')' in method call.", 'MissingEndParenthesisInMethodCall', { start: open, end: open + 1 }, d === undefined);
            }
          }
          expr = { kind: 'invoke-member', target: expr, member, args, static: isStatic, extent: { start: expr.extent.start, end: this.lx.pos } };
        } else {
          expr = { kind: 'member', target: expr, member, static: isStatic, extent: { start: expr.extent.start, end: this.lx.pos } };
        }
        continue;
      }
      if (c === '[') {
        const open = p;
        this.lx.pos++;
        this.lx.skipSpaceAndNewlines();
        if (this.lx.atEnd()) throw this.error("Missing ']' after array index expression.", 'MissingEndSquareBracket', { start: open, end: open + 1 }, true);
        if (this.lx.charAt(this.lx.pos) === ']') throw this.error('Array index expression is missing or not valid.', 'MissingArrayIndexExpression', { start: open, end: open + 2 });
        const index = this.expression();
        this.lx.skipSpaceAndNewlines();
        if (this.lx.charAt(this.lx.pos) !== ']') {
          throw this.error("Missing ']' after array index expression.", 'MissingEndSquareBracket', { start: open, end: open + 1 }, this.lx.atEnd());
        }
        this.lx.pos++;
        expr = { kind: 'index', target: expr, index, extent: { start: expr.extent.start, end: this.lx.pos } };
        continue;
      }
      if ((c === '+' && n === '+') || (c === '-' && n === '-')) {
        if (expr.kind === 'variable' || expr.kind === 'member' || expr.kind === 'index') {
          this.lx.pos += 2;
          return { kind: 'increment', op: (c + n) as '++', prefix: false, operand: expr, extent: { start: expr.extent.start, end: this.lx.pos } };
        }
      }
      return expr;
    }
  }
}
