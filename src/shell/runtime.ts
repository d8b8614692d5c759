// The state of a shell session: variables, the command table and the
// script's functions, the current source text (for error positions), the $_
// stack and call stack, and error reporting with $Error, redirected error
// streams and the hadErrors / $? bookkeeping.

import { randomUUID } from 'node:crypto';
import type { Source } from './ast.js';
import type { CommandObserver, CommandSpec } from './command.js';
import { formatDateDisplayUtc, toStr } from './conversion.js';
import { ErrorList, ErrorRecordValue, ShellError, type ErrorRecord, type RemoteOrigin } from './errors.js';
import type { Extent, FunctionAst } from './ast.js';
import { renderErrorRecord } from './format/error-view.js';
import type { FormatEnvironment } from './format/out-default.js';
import type { ShellHost } from './host.js';
import type { ObjectView } from './values.js';
import { Variables } from './variables.js';
import { psVersionTable } from './builtins/utility.js';
import type { ActionPreference } from './binder.js';

export interface ShellEnvironment {
  commands: CommandSpec[];
  views: ObjectView[];
  /** Server FQDN for PSComputerName and the FullyQualifiedErrorId. */
  computerName: string;
  /** Clock for error time stamps (tests pin it). */
  now?: () => Date;
  /** RequestId generator for remote error records (tests pin it). */
  newRequestId?: () => string;
  /** Source column of Get-Command for commands that are not built in. */
  commandSource?: string;
  /** Told of every run of a command that is not built in (the administrator audit log). */
  commandObserver?: CommandObserver;
  /** false: the session may not read or write files nor $env: (a remote session: they are the server's). */
  fileSystem?: boolean;
}

/** Thrown to stop the whole script after an error with ErrorAction Stop. */
export class ScriptHalted extends Error {
  override name = 'ScriptHalted';
}

/** A function defined by a script, with the source it was defined in. */
export interface FunctionDefinition {
  ast: FunctionAst;
  source: Source;
  spec: CommandSpec;
  /** Set for a .ps1 file run as a command ($PSScriptRoot inside it). */
  scriptPath?: string;
}

/** A running function call (for Write-Error's record and error positions). */
export interface CallFrame {
  name: string;
  /** The call site, in the caller's source. */
  source: Source;
  extent: Extent;
}

/** Where error records go while a `2>` / `2>&1` redirection is active. */
export type ErrorSink = (record: ErrorRecord, value: ErrorRecordValue) => void;

const PREFERENCE_NUMBERS: ActionPreference[] = ['SilentlyContinue', 'Stop', 'Continue', 'Inquire', 'Ignore', 'Suspend'];

export class Runtime {
  readonly variables: Variables;
  readonly commandList: CommandSpec[];
  private readonly commandTable = new Map<string, CommandSpec>();
  /** An error record was written since the session started. */
  hadErrors = false;
  /** $?: the last statement succeeded. */
  lastSuccess = true;
  /** The statement being run reported an error. */
  statementFailed = false;
  /** Error records written so far. */
  errorCount = 0;
  private readonly errorLog = new ErrorList();
  /** try blocks and trap scopes around the running statement: errors travel to them instead of being shown. */
  handlerDepth = 0;
  readonly functions = new Map<string, FunctionDefinition>();
  readonly callStack: CallFrame[] = [];
  /** Receives the output of statements that write straight to the console (see executeStatement's `direct`). */
  emit?: (items: unknown[]) => void;
  private readonly errorSinks: (ErrorSink | undefined)[] = [];
  private readonly underscore: unknown[] = [];
  source: Source = { text: '' };

  constructor(
    readonly env: ShellEnvironment,
    readonly host: ShellHost,
    builtins: CommandSpec[] = [],
    private readonly builtinViews: ObjectView[] = [],
  ) {
    this.variables = new Variables({
      currentObject: () => (this.underscore.length ? this.underscore[this.underscore.length - 1] : null),
      lastSuccess: () => this.lastSuccess,
      errors: () => this.errorLog,
    });
    const list: CommandSpec[] = [];
    for (const spec of [...env.commands, ...builtins]) {
      if (this.commandTable.has(spec.name.toLowerCase())) continue;
      list.push(spec);
      this.commandTable.set(spec.name.toLowerCase(), spec);
    }
    for (const spec of list) {
      for (const alias of spec.aliases ?? []) if (!this.commandTable.has(alias.toLowerCase())) this.commandTable.set(alias.toLowerCase(), spec);
    }
    this.commandList = list;
    this.variables.set('PSVersionTable', psVersionTable());
    this.variables.environment = env.fileSystem !== false;
  }

  /**
   * Adds a command to a running session (Import-PSSession's proxies). A name already taken is
   * kept unless `replace` (-AllowClobber); returns whether the command was added.
   */
  addCommand(spec: CommandSpec, replace = false): boolean {
    const key = spec.name.toLowerCase();
    if (this.commandTable.has(key) && !replace) return false;
    const i = this.commandList.findIndex((c) => c.name.toLowerCase() === key);
    if (i >= 0) this.commandList.splice(i, 1);
    this.commandList.push(spec);
    this.commandTable.set(key, spec);
    return true;
  }

  resolveCommand(name: string): CommandSpec | undefined {
    return this.functions.get(name.toLowerCase())?.spec ?? this.commandTable.get(name.toLowerCase());
  }

  /** The function of that name defined by a script, if any. */
  functionNamed(name: string): FunctionDefinition | undefined {
    return this.functions.get(name.toLowerCase());
  }

  /** Runs `f` with error records going to `sink` (undefined = the host again). */
  async withErrorSink<T>(sink: ErrorSink | undefined, f: () => Promise<T>): Promise<T> {
    this.errorSinks.push(sink);
    try {
      return await f();
    } finally {
      this.errorSinks.pop();
    }
  }

  get enumerationLimit(): number {
    const v = Number(this.variables.get('FormatEnumerationLimit'));
    return Number.isFinite(v) ? v : 16;
  }

  formatEnvironment(width = this.host.width): FormatEnvironment {
    return { views: [...this.env.views, ...this.builtinViews], width, enumerationLimit: this.enumerationLimit };
  }

  preference(name: string, fallback: ActionPreference): ActionPreference {
    const raw = this.variables.get(name);
    if (typeof raw === 'number' && PREFERENCE_NUMBERS[raw]) return PREFERENCE_NUMBERS[raw];
    const v = toStr(raw).trim();
    if (/^[0-5]$/.test(v)) return PREFERENCE_NUMBERS[Number(v)];
    return PREFERENCE_NUMBERS.find((k) => k.toLowerCase() === v.toLowerCase()) ?? fallback;
  }

  errorActionPreference(): ActionPreference {
    return this.preference('ErrorActionPreference', 'Continue');
  }

  pushCurrent(obj: unknown): void {
    this.underscore.push(obj);
  }

  popCurrent(): void {
    this.underscore.pop();
  }

  /** Writes an error record to the error stream. */
  writeError(record: ErrorRecord): void {
    const value = this.logError(record);
    this.hadErrors = true;
    this.errorCount++;
    this.statementFailed = true;
    const sink = this.errorSinks[this.errorSinks.length - 1];
    if (sink) sink(record, value);
    else this.host.writeError(renderErrorRecord(record, this.host.width));
  }

  /** Keeps the record in $Error without showing it (SilentlyContinue); returns its value. */
  logError(record: ErrorRecord): ErrorRecordValue {
    const existing = this.errorLog.find((v) => v.record === record);
    if (existing) return existing;
    const value = new ErrorRecordValue(record);
    this.errorLog.unshift(value);
    if (this.errorLog.length > 256) this.errorLog.pop();
    this.statementFailed = true;
    return value;
  }

  /** Reports a statement-terminating error; throws ScriptHalted when the script must stop. */
  reportTerminating(error: ShellError): void {
    if (!error.reported) this.writeError(error.record);
    error.reported = true;
    this.statementFailed = true;
    if (error.stopsScript || this.errorActionPreference() === 'Stop') throw new ScriptHalted();
  }

  remoteOrigin(spec: CommandSpec, reason: string): RemoteOrigin {
    const fqdn = this.env.computerName;
    const now = this.env.now ? this.env.now() : new Date();
    return {
      computerName: fqdn.toLowerCase(),
      server: fqdn.split('.')[0].toUpperCase(),
      requestId: this.env.newRequestId ? this.env.newRequestId() : randomUUID(),
      timeStamp: formatDateDisplayUtc(now),
      hexId: failureId(spec.name + ':' + reason),
      taskClass: spec.taskClass ?? `Microsoft.Exchange.Management.SystemConfigurationTasks.${spec.name.replace(/-/g, '')}`,
    };
  }
}

/** A stable 8-hex-digit id for a failure point (FNV-1a). */
export function failureId(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).toUpperCase().padStart(8, '0');
}
