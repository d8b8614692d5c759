// Syntax tree of the PowerShell subset: statements, pipelines, commands and
// expressions. Every node carries its extent (offsets into the source text) so
// error records can point at the offending characters.

export interface Source {
  text: string;
  /** Script path for "At <path>:L char:C"; undefined for typed input ("At line:L char:C"). */
  name?: string;
}

export interface Extent {
  start: number;
  end: number;
}

export interface ScriptAst {
  kind: 'script';
  source: Source;
  /** A script's own `param( )` block, at its start. */
  parameters?: ParameterAst[];
  statements: StatementAst[];
  extent: Extent;
}

export type StatementAst = PipelineAst | AssignmentAst | IfAst | ForeachAst | WhileAst | DoAst | ForAst | SwitchAst | FunctionAst | TryAst | TrapAst | FlowAst;

export interface PipelineAst {
  kind: 'pipeline';
  /** The first element may be an expression; the others are commands. */
  elements: (CommandAst | CommandExpressionAst)[];
  extent: Extent;
}

/** `> file`, `>> file`, `2> file`, `2>&1`, `*> file` on a pipeline element. */
export interface RedirectionAst {
  /** Stream redirected: 1 = output, 2 = error, '*' = all. */
  from: '1' | '2' | '3' | '4' | '5' | '6' | '*';
  /** `2>&1`: merged into the output stream (no file). */
  merge: boolean;
  append: boolean;
  target?: ExpressionAst;
  extent: Extent;
}

export interface WhileAst {
  kind: 'while';
  label?: string;
  condition: StatementAst;
  body: StatementAst[];
  extent: Extent;
}

/** `do { } while ( )` and `do { } until ( )`. */
export interface DoAst {
  kind: 'do';
  label?: string;
  until: boolean;
  condition: StatementAst;
  body: StatementAst[];
  extent: Extent;
}

export interface ForAst {
  kind: 'for';
  label?: string;
  init?: StatementAst;
  condition?: StatementAst;
  iterator?: StatementAst;
  body: StatementAst[];
  extent: Extent;
}

export interface SwitchClauseAst {
  /** A value, or a script block condition; undefined for `default`. */
  pattern?: ExpressionAst;
  body: StatementAst[];
}

export interface SwitchAst {
  kind: 'switch';
  label?: string;
  mode: 'exact' | 'wildcard' | 'regex';
  caseSensitive: boolean;
  /** `-File`: the value is a path whose lines are the input. */
  file: boolean;
  value: StatementAst;
  clauses: SwitchClauseAst[];
  extent: Extent;
}

export interface AttributeAst {
  name: string;
  positional: ExpressionAst[];
  named: { name: string; value?: ExpressionAst }[];
}

export interface ParameterAst {
  name: string;
  /** Type constraint (`[int]`), when given. */
  typeName?: string;
  attributes: AttributeAst[];
  defaultValue?: ExpressionAst;
  extent: Extent;
}

export interface FunctionAst {
  kind: 'function';
  name: string;
  /** `filter Name { }`: the body is a process block. */
  filter: boolean;
  /** `[CmdletBinding()]` or a `[Parameter()]` attribute makes an advanced function. */
  advanced: boolean;
  parameters: ParameterAst[];
  begin?: StatementAst[];
  process?: StatementAst[];
  end?: StatementAst[];
  extent: Extent;
}

export interface CatchClauseAst {
  /** Exception type names; empty = any error. */
  types: string[];
  body: StatementAst[];
}

export interface TryAst {
  kind: 'try';
  body: StatementAst[];
  catches: CatchClauseAst[];
  finallyBody?: StatementAst[];
  extent: Extent;
}

export interface TrapAst {
  kind: 'trap';
  typeName?: string;
  body: StatementAst[];
  extent: Extent;
}

/** `break`, `continue` (optional label), `return`, `throw`, `exit` (optional value). */
export interface FlowAst {
  kind: 'flow';
  keyword: 'break' | 'continue' | 'return' | 'throw' | 'exit';
  label?: string;
  value?: StatementAst;
  extent: Extent;
}

export interface AssignmentAst {
  kind: 'assignment';
  target: ExpressionAst;
  operator: '=' | '+=' | '-=' | '*=' | '/=' | '%=';
  value: StatementAst;
  extent: Extent;
}

export interface IfAst {
  kind: 'if';
  clauses: { condition: StatementAst; body: StatementAst[] }[];
  elseBody?: StatementAst[];
  extent: Extent;
}

export interface ForeachAst {
  kind: 'foreach';
  label?: string;
  variable: string;
  collection: StatementAst;
  body: StatementAst[];
  extent: Extent;
}

export interface CommandExpressionAst {
  kind: 'command-expression';
  expression: ExpressionAst;
  redirections?: RedirectionAst[];
  extent: Extent;
}

export interface CommandAst {
  kind: 'command';
  /** Command name as typed (alias, full name), or an expression after `&`. */
  name: string | ExpressionAst;
  nameExtent: Extent;
  elements: CommandElementAst[];
  redirections?: RedirectionAst[];
  extent: Extent;
}

export type CommandElementAst = CommandParameterAst | ExpressionAst;

export interface CommandParameterAst {
  kind: 'parameter';
  /** Name without the dash, as typed. */
  name: string;
  /** The argument given with the colon form `-Name:value`. */
  argument?: ExpressionAst;
  /** `-Name:` form (colon present). */
  colon: boolean;
  extent: Extent;
}

export type ExpressionAst =
  | ConstantAst
  | ExpandableStringAst
  | VariableAst
  | MemberAst
  | InvokeMemberAst
  | IndexAst
  | UnaryAst
  | BinaryAst
  | ArrayLiteralAst
  | ParenAst
  | SubExpressionAst
  | ArrayExpressionAst
  | HashtableAst
  | ScriptBlockAst
  | CastAst
  | TypeLiteralAst
  | IncrementAst;

/** `++$i`, `$i++`, `--$i`, `$i--`. */
export interface IncrementAst {
  kind: 'increment';
  op: '++' | '--';
  prefix: boolean;
  operand: ExpressionAst;
  extent: Extent;
}

export interface ConstantAst {
  kind: 'constant';
  value: string | number | boolean | null;
  /** True for bare words and quoted strings (string constants). */
  extent: Extent;
}

export type StringPart = string | ExpressionAst;

export interface ExpandableStringAst {
  kind: 'expandable';
  parts: StringPart[];
  extent: Extent;
}

export interface VariableAst {
  kind: 'variable';
  /** Name without `$` and scope prefix; `env:NAME` kept for environment variables. */
  name: string;
  /** `@name` splatting. */
  splat?: boolean;
  extent: Extent;
}

export interface MemberAst {
  kind: 'member';
  target: ExpressionAst;
  member: string | ExpressionAst;
  static: boolean;
  extent: Extent;
}

export interface InvokeMemberAst {
  kind: 'invoke-member';
  target: ExpressionAst;
  member: string;
  args: ExpressionAst[];
  static: boolean;
  extent: Extent;
}

export interface IndexAst {
  kind: 'index';
  target: ExpressionAst;
  index: ExpressionAst;
  extent: Extent;
}

export type UnaryOperator = '-not' | '!' | '-' | '+' | ',' | '-join' | '-split' | '-bnot';

export interface UnaryAst {
  kind: 'unary';
  op: UnaryOperator;
  operand: ExpressionAst;
  extent: Extent;
}

export interface BinaryAst {
  kind: 'binary';
  /** Lower-case operator: '+', '-eq', '-ceq', '-and', '..', '-f' ... */
  op: string;
  left: ExpressionAst;
  right: ExpressionAst;
  opExtent: Extent;
  extent: Extent;
}

export interface ArrayLiteralAst {
  kind: 'array';
  elements: ExpressionAst[];
  extent: Extent;
}

export interface ParenAst {
  kind: 'paren';
  statement: StatementAst;
  extent: Extent;
}

export interface SubExpressionAst {
  kind: 'subexpression';
  statements: StatementAst[];
  extent: Extent;
}

export interface ArrayExpressionAst {
  kind: 'array-expression';
  statements: StatementAst[];
  extent: Extent;
}

export interface HashtableAst {
  kind: 'hashtable';
  entries: { key: ExpressionAst; value: StatementAst }[];
  extent: Extent;
}

export interface ScriptBlockAst {
  kind: 'scriptblock';
  statements: StatementAst[];
  /** Text between the braces. */
  text: string;
  extent: Extent;
}

export interface CastAst {
  kind: 'cast';
  typeName: string;
  operand: ExpressionAst;
  extent: Extent;
}

export interface TypeLiteralAst {
  kind: 'type';
  typeName: string;
  extent: Extent;
}
