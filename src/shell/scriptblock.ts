// The runtime value of a `{ ... }` literal: its syntax tree and the source it
// came from (for error positions when it runs later).

import type { ScriptBlockAst, Source } from './ast.js';
import type { ScriptBlockValue } from './command.js';

export class ScriptBlock implements ScriptBlockValue {
  readonly kind = 'scriptblock' as const;
  constructor(
    readonly ast: ScriptBlockAst,
    readonly source: Source,
  ) {}
  get text(): string {
    return this.ast.text;
  }
  toString(): string {
    return this.ast.text;
  }
}

export function isScriptBlock(v: unknown): v is ScriptBlock {
  return v instanceof ScriptBlock;
}
