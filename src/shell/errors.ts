// Error values of the shell: parse errors (with an "incomplete input" flag so a
// line reader can ask for more), and ErrorRecord, the data of one PowerShell
// error record (message, category, ids, position or remote origin) that
// format/error-view.ts renders in the local or the Exchange remote layout,
// and the record as a script sees it ($Error, `$_` in catch: Exception,
// CategoryInfo, FullyQualifiedErrorId, InvocationInfo) with the exception
// types a typed catch matches.

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
  /** Full .NET type of the exception when it is not derived from `reason` (typed catch). */
  exceptionType?: string;
  /** The object `throw` was given, when it was not a string. */
  targetObject?: unknown;
  /** Types of the exception the error wraps (a typed catch matches them too). */
  innerExceptionTypes?: string[];
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

/** An error that carries its whole record (Write-Error's, as the script wrote it). */
export class RecordedError extends Error {
  override name = 'RecordedError';
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
  constructor(message: string, options: { errorId: string; category: string; reason: string; targetName?: string; targetType?: string }) {
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
  /** The .NET exception it wraps and its bases (DivideByZeroException...), for typed catch. */
  innerTypes?: string[];
}

/** Base types of the exceptions the shell raises, most derived first (typed catch and trap). */
const EXCEPTION_BASES: Record<string, string[]> = {
  RuntimeException: ['System.Management.Automation.RuntimeException', 'System.SystemException'],
  ParameterBindingException: ['System.Management.Automation.ParameterBindingException', 'System.Management.Automation.RuntimeException', 'System.SystemException'],
  ParameterBindingValidationException: [
    'System.Management.Automation.ParameterBindingValidationException',
    'System.Management.Automation.ParameterBindingException',
    'System.Management.Automation.RuntimeException',
    'System.SystemException',
  ],
  ParameterBindingArgumentTransformationException: [
    'System.Management.Automation.ParameterBindingArgumentTransformationException',
    'System.Management.Automation.ParameterBindingException',
    'System.Management.Automation.RuntimeException',
    'System.SystemException',
  ],
  CommandNotFoundException: ['System.Management.Automation.CommandNotFoundException', 'System.Management.Automation.RuntimeException', 'System.SystemException'],
  ItemNotFoundException: ['System.Management.Automation.ItemNotFoundException', 'System.Management.Automation.SessionStateException', 'System.Management.Automation.RuntimeException', 'System.SystemException'],
  WriteErrorException: ['Microsoft.PowerShell.Commands.WriteErrorException', 'System.SystemException'],
  MethodInvocationException: ['System.Management.Automation.MethodInvocationException', 'System.Management.Automation.MethodException', 'System.Management.Automation.RuntimeException', 'System.SystemException'],
  ArgumentException: ['System.ArgumentException', 'System.SystemException'],
  IOException: ['System.IO.IOException', 'System.SystemException'],
  UnauthorizedAccessException: ['System.UnauthorizedAccessException', 'System.SystemException'],
  DirectoryNotFoundException: ['System.IO.DirectoryNotFoundException', 'System.IO.IOException', 'System.SystemException'],
  FileNotFoundException: ['System.IO.FileNotFoundException', 'System.IO.IOException', 'System.SystemException'],
  PSInvalidCastException: ['System.Management.Automation.PSInvalidCastException', 'System.InvalidCastException', 'System.Management.Automation.RuntimeException', 'System.SystemException'],
};

/** The exception's type and its bases, most derived first, ending with System.Exception. */
export function exceptionTypeChain(record: ErrorRecord): string[] {
  const out: string[] = [];
  if (record.exceptionType) out.push(record.exceptionType);
  const known = EXCEPTION_BASES[record.reason];
  if (known) out.push(...known);
  else if (record.remote) out.push(record.reason, 'System.Management.Automation.RemoteException', 'System.Management.Automation.RuntimeException', 'System.SystemException');
  else out.push(record.reason.includes('.') ? record.reason : 'System.Management.Automation.' + record.reason, 'System.Management.Automation.RuntimeException', 'System.SystemException');
  out.push(...(record.innerExceptionTypes ?? []));
  out.push('System.Exception');
  return [...new Set(out)];
}

/** Does `typeName` (as written in `catch [...]`) name the exception of `record` or one of its bases? */
export function exceptionMatches(record: ErrorRecord, typeName: string): boolean {
  const want = typeName.toLowerCase().replace(/^system\./, '');
  return exceptionTypeChain(record).some((t) => {
    const full = t.toLowerCase().replace(/^system\./, '');
    return full === want || full.split('.').pop() === want;
  });
}

/** What `.GetType()` returns: a type with Name and FullName. */
export class TypeInfoValue {
  constructor(readonly FullName: string) {}
  get Name(): string {
    return this.FullName.split('.').pop() as string;
  }
  toString(): string {
    return this.FullName;
  }
}

/** `$_.Exception`: the message and type of the error. */
export class ExceptionValue {
  constructor(private readonly _record: ErrorRecord) {}
  get Message(): string {
    return this._record.message;
  }
  get InnerException(): ExceptionValue | null {
    return null;
  }
  get Source(): string {
    return this._record.commandName ?? this._record.activity ?? '';
  }
  GetType(): TypeInfoValue {
    return new TypeInfoValue(exceptionTypeChain(this._record)[0]);
  }
  toString(): string {
    return `${exceptionTypeChain(this._record)[0]}: ${this._record.message}`;
  }
}

/** `$_.CategoryInfo`: Category, Activity, Reason, TargetName, TargetType; shows as the CategoryInfo line. */
export class CategoryInfoValue {
  constructor(
    private readonly _record: ErrorRecord,
    private readonly _text: string,
  ) {}
  get Category(): string {
    return this._record.category;
  }
  get Activity(): string {
    return this._record.activity ?? '';
  }
  get Reason(): string {
    return this._record.reason;
  }
  get TargetName(): string {
    return this._record.targetName ?? '';
  }
  get TargetType(): string {
    return this._record.targetType ?? '';
  }
  toString(): string {
    return this._text;
  }
}

/** `$_.InvocationInfo`: where the error happened. */
export class InvocationInfoValue {
  constructor(
    private readonly _record: ErrorRecord,
    private readonly _positionMessage: string,
  ) {}
  private get at(): { line: number; column: number; text: string } {
    const p = this._record.position;
    if (!p) return { line: 0, column: 0, text: '' };
    const text = p.source.text;
    const lineStart = text.lastIndexOf('\n', p.extent.start - 1) + 1;
    let lineEnd = text.indexOf('\n', p.extent.start);
    if (lineEnd < 0) lineEnd = text.length;
    return { line: text.slice(0, lineStart).split('\n').length, column: p.extent.start - lineStart + 1, text: text.slice(lineStart, lineEnd).replace(/\r$/, '') };
  }
  get ScriptLineNumber(): number {
    return this.at.line;
  }
  get OffsetInLine(): number {
    return this.at.column;
  }
  get Line(): string {
    return this.at.text;
  }
  get ScriptName(): string {
    return this._record.position?.source.name ?? '';
  }
  get PositionMessage(): string {
    return this._positionMessage;
  }
  get InvocationName(): string {
    return this._record.commandName ?? '';
  }
  get MyCommand(): string | null {
    return this._record.commandName ?? this._record.activity ?? null;
  }
  toString(): string {
    return 'System.Management.Automation.InvocationInfo';
  }
}

/** The texts an ErrorRecordValue shows, supplied by the formatter (kept out of this module). */
export interface ErrorRecordTexts {
  categoryInfo(r: ErrorRecord): string;
  fullyQualifiedErrorId(r: ErrorRecord): string;
  positionMessage(r: ErrorRecord): string;
}

let texts: ErrorRecordTexts = {
  categoryInfo: (r) => r.category,
  fullyQualifiedErrorId: (r) => r.errorId,
  positionMessage: () => '',
};

export function setErrorRecordTexts(t: ErrorRecordTexts): void {
  texts = t;
}

/** An error record as a value ($Error, -ErrorVariable, `$_` in catch); Out-Default shows the whole record. */
export class ErrorRecordValue {
  declare readonly record: ErrorRecord;
  constructor(record: ErrorRecord) {
    Object.defineProperty(this, 'record', { value: record, enumerable: false });
  }
  get PSMessageDetails(): null {
    return null;
  }
  get Exception(): ExceptionValue {
    return new ExceptionValue(this.record);
  }
  get TargetObject(): unknown {
    return this.record.targetObject ?? this.record.targetName ?? null;
  }
  get CategoryInfo(): CategoryInfoValue {
    return new CategoryInfoValue(this.record, texts.categoryInfo(this.record));
  }
  get FullyQualifiedErrorId(): string {
    return texts.fullyQualifiedErrorId(this.record);
  }
  get ErrorDetails(): null {
    return null;
  }
  get InvocationInfo(): InvocationInfoValue {
    return new InvocationInfoValue(this.record, texts.positionMessage(this.record));
  }
  get ScriptStackTrace(): string {
    const p = this.record.position;
    if (!p) return '';
    return `at <ScriptBlock>, ${p.source.name ?? '<No file>'}: line ${new InvocationInfoValue(this.record, '').ScriptLineNumber}`;
  }
  get PipelineIterationInfo(): number[] {
    return [];
  }
  GetType(): TypeInfoValue {
    return new TypeInfoValue('System.Management.Automation.ErrorRecord');
  }
  ToString(): string {
    return this.record.message;
  }
  toString(): string {
    return this.record.message;
  }
}

/** `$Error`: the session's error records, newest first (an ArrayList with Clear()). */
export class ErrorList extends Array<ErrorRecordValue> {
  static override get [Symbol.species](): ArrayConstructor {
    return Array;
  }
  Clear(): void {
    this.length = 0;
  }
  RemoveAt(i: number): void {
    this.splice(i, 1);
  }
}
