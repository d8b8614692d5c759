// The contract between the shell language and the commands it runs.
//
// The shell knows no mail: a cmdlet is a CommandSpec (its parameters, parameter
// sets and an invoke function). The binder turns the parsed arguments of a
// command into a BoundArguments map by using only this metadata: names
// (case-insensitive, unambiguous prefixes, aliases), positions, switches,
// mandatory flags, parameter sets and the per-parameter convert function.
// Get-Help and Get-Command render the same metadata.

import type { ShellHost } from './host.js';

/** Raised by a ParameterSpec.convert function: the binder wraps it in
 *  "Cannot process argument transformation on parameter 'X'. <message>". */
export class ConversionError extends Error {
  override name = 'ConversionError';
}

/** Raised by a ParameterSpec.validate function: the binder wraps it in
 *  "Cannot validate argument on parameter 'X'. <message>". */
export class ValidationError extends Error {
  override name = 'ValidationError';
}

export interface ParameterSpec {
  /** Canonical name, as displayed: "AddressSpaces". */
  name: string;
  aliases?: string[];
  /** 0-based position for unnamed arguments; undefined = named only. */
  position?: number;
  /** true = mandatory in every set this parameter belongs to; a list = mandatory in those sets only. */
  mandatory?: boolean | string[];
  /** Parameter sets this parameter belongs to; undefined = all sets. */
  sets?: string[];
  /** A switch: true when present, or -Name:$false / -Name:$true. */
  switch?: boolean;
  /** Type name shown in errors and help: "MultiValuedProperty", "Boolean", "PSCredential". */
  typeName: string;
  /** Bind the whole pipeline input object to this parameter (per object). */
  valueFromPipeline?: boolean;
  /** Bind the property of the same name of each pipeline input object. */
  valueFromPipelineByPropertyName?: boolean;
  /** Collect every positional argument left over after the others are bound (Write-Host a b c). */
  valueFromRemainingArguments?: boolean;
  description?: string;
  /** The value used when the parameter is not given, as shown by Get-Help ("25", "00:10:00", "{}"). */
  defaultValue?: string;
  /** Turn the shell value into the command's value; throw ConversionError with a readable message. */
  convert?(value: unknown): unknown;
  /** The values Tab completes for this parameter: an enumeration's names, the names of existing objects. */
  completions?(): readonly string[];
}

/** Bound parameters, keyed by canonical parameter name. Absent = not given. */
export type BoundArguments = Map<string, unknown>;

export type ConfirmImpact = 'None' | 'Low' | 'Medium' | 'High';

export interface InvocationContext {
  host: ShellHost;
  /** Pipeline input objects (all of them) when the command is not bound per object. */
  input: unknown[];
  /** True when the command received pipeline input at all. */
  hasInput: boolean;
  /** Name as typed (alias or full name), for error records. */
  invocationName: string;
  /**
   * ShouldProcess: honours -WhatIf, -Confirm and the command's ConfirmImpact.
   * Returns true when the action must be performed. `target` and `action`
   * form the lines "What if: ..." and the Confirm prompt: the sentence is
   * `<action> "<target>".` (Exchange style), e.g. action 'Removing Send connector'
   * and target 'To Internet' give `What if: Removing Send connector "To Internet".`
   * An empty target gives `<action>.` (no quotes); a trailing period in
   * `action` is not doubled.
   */
  shouldProcess(target: string, action: string): Promise<boolean>;
  /** Write a warning line ("WARNING: ...") to the host. */
  warn(message: string): void;
  /** Report a non-terminating error for one object and go on. */
  writeError(error: Error): void;
  /** Evaluate a script block with $_ set to the given object (Where-Object, ForEach-Object, calculated properties). */
  invokeScriptBlock(block: ScriptBlockValue, dollarUnderscore: unknown): Promise<unknown[]>;
  /** All registered commands, for Get-Command and Get-Help. */
  commands(): CommandSpec[];
}

/** A script block value (`{ $_.Name -eq 'x' }`) as seen by commands. */
export interface ScriptBlockValue {
  readonly kind: 'scriptblock';
  readonly text: string;
}

export interface CommandSpec {
  /** Verb-Noun, canonical casing. */
  name: string;
  aliases?: string[];
  synopsis: string;
  description?: string;
  parameters: ParameterSpec[];
  defaultParameterSet?: string;
  /** Adds -WhatIf and -Confirm. */
  supportsShouldProcess?: boolean;
  /** High = asks for confirmation by default (Remove-*): at a terminal, or from the next line of a script's input. */
  confirmImpact?: ConfirmImpact;
  /**
   * Optional full class name shown at the end of the FullyQualifiedErrorId of
   * errors thrown by invoke (remote layout). Default:
   * `Microsoft.Exchange.Management.SystemConfigurationTasks.<Verb><Noun>`.
   */
  taskClass?: string;
  /** Example command lines for Get-Help -Examples. */
  examples?: { code: string; remarks: string }[];
  /**
   * Run the command once. Returns the objects written to the pipeline.
   * When a parameter has valueFromPipeline / ByPropertyName and the command
   * receives input, the shell calls invoke once per input object with that
   * parameter bound; otherwise once with ctx.input holding all input.
   * Throw a CmdletError (or any Error) for a terminating error of this call.
   */
  invoke(args: BoundArguments, ctx: InvocationContext): Promise<unknown[] | void> | unknown[] | void;
}

/** How one run of a command ended, for a CommandObserver. */
export interface CommandOutcome {
  /** No terminating error and no error written for any object. */
  succeeded: boolean;
  /** The first error (terminating or not). */
  error?: Error;
  /** The command asked ShouldProcess and was answered no every time (-WhatIf, a "No"): it did nothing. */
  declined: boolean;
}

/** Hears about every run of a command that is not part of the language (the server's audit log). */
export interface CommandObserver {
  completed(spec: CommandSpec, args: BoundArguments, outcome: CommandOutcome): void;
}
