// Error values of the shell: parse errors (with an "incomplete input" flag so a
// line reader can ask for more), and ErrorRecord, the data of one PowerShell
// error record (message, category, ids, position or remote origin) that
// format/error-view.ts renders in the local or the Exchange remote layout.

import type { Extent, Source } from './ast.js';

/** A syntax error. `incomplete` = the input ended where more was expected. */
export class ParseError extends Error {
  override name = 'ParseError';
  constructor(
    message: string,
    readonly errorId: string,
    readonly extent: Extent,
    readonly incomplete = false,
  ) {
    super(message);
  }
}

export interface RemoteOrigin {
  /** FQDN shown as PSComputerName. */
  computerName: string;
  /** Short server name shown as Server= in the FullyQualifiedErrorId. */
  server: string;
  requestId: string;
  timeStamp: string;
  /** 8 hex digits identifying the failure point. */
  hexId: string;
  /** Task class full name closing the FullyQualifiedErrorId. */
  taskClass: string;
}

export interface ErrorRecord {
  message: string;
  /** First part of FullyQualifiedErrorId (local layout) and FailureCategory (remote). */
  errorId: string;
  category: string;
  /** Exception type name in CategoryInfo. */
  reason: string;
  targetName?: string;
  targetType?: string;
  /** Activity in CategoryInfo; usually the command name. */
  activity?: string;
  /** Invocation name, giving the "<Cmd> : " prefix of the local layout. */
  commandName?: string;
  /** Closes the local FullyQualifiedErrorId: ",Microsoft.PowerShell.Commands.X" or ",<function name>". */
  commandType?: string;
  position?: { source: Source; extent: Extent };
  /** Parse errors put the position first and have no command prefix. */
  parserError?: boolean;
  remote?: RemoteOrigin;
  /** The error that caused the record, when there is one. */
  exception?: Error;
}

/** An error carrying its record through the runtime. */
export class ShellError extends Error {
  override name = 'ShellError';
  /** Set when -ErrorAction Stop / $ErrorActionPreference = 'Stop' made it stop the script. */
  stopsScript = false;
  /** The record has already been written (or suppressed) by the command that raised it. */
  reported = false;
  constructor(readonly record: ErrorRecord) {
    super(record.message);
  }
}

/** A terminating error raised by a built-in command: local layout, command extent. */
export class LocalCommandError extends Error {
  override name = 'LocalCommandError';
  readonly errorId: string;
  readonly category: string;
  readonly reason: string;
  readonly targetName?: string;
  readonly targetType?: string;
  constructor(
    message: string,
    options: { errorId: string; category: string; reason: string; targetName?: string; targetType?: string },
  ) {
    super(message);
    this.errorId = options.errorId;
    this.category = options.category;
    this.reason = options.reason;
    this.targetName = options.targetName;
    this.targetType = options.targetType;
  }
}

/** The runtime error of an expression (method on null, bad conversion...), PowerShell's RuntimeException. */
export class RuntimeError extends Error {
  override name = 'RuntimeError';
  constructor(
    message: string,
    readonly errorId: string,
    readonly category = 'InvalidOperation',
    readonly reason = 'RuntimeException',
    readonly extent?: Extent,
  ) {
    super(message);
  }
}

/** An error record as a value ($Error, -ErrorVariable); Out-Default shows the whole record. */
export class ErrorRecordValue {
  constructor(readonly record: ErrorRecord) {}
  toString(): string {
    return this.record.message;
  }
}
