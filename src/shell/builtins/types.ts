// What built-in commands add to a CommandSpec: the .NET class and module they
// stand for (error ids, Get-Command), and typed access to the shell runtime.

import type { CommandSpec, InvocationContext } from '../command.js';
import type { Runtime } from '../runtime.js';

export interface BuiltinCommandSpec extends CommandSpec {
  /** "Microsoft.PowerShell.Commands.FormatListCommand". */
  className: string;
  /** "Microsoft.PowerShell.Utility". */
  module: string;
  version: string;
}

export function isBuiltin(spec: CommandSpec): spec is BuiltinCommandSpec {
  return typeof (spec as BuiltinCommandSpec).className === 'string';
}

/** The invocation context the shell passes: InvocationContext plus the runtime. */
export interface ShellInvocationContext extends InvocationContext {
  runtime: Runtime;
  /** 1-based position of the command in its pipeline. */
  pipelinePosition: number;
  /** Set when the command's output goes straight to the console: commands that loop may show each result as it comes. */
  emitOutput?: (items: unknown[]) => void;
  /** Where the command stands in the source (error records). */
  currentExtent?: { start: number; end: number };
}

export function shellContext(ctx: InvocationContext): ShellInvocationContext {
  if (!(ctx as Partial<ShellInvocationContext>).runtime) throw new Error('built-in command invoked outside a shell session');
  return ctx as ShellInvocationContext;
}
