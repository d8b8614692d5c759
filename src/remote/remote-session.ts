// One remote shell session on the management endpoint: a shell whose commands
// are the built-in ones that touch no file and the server's cmdlets the
// caller's role groups hold (the others are "not recognized"), with its own
// variables kept from one script to the next. Every state-changing cmdlet is
// recorded in the administrator audit log under the caller's account and the
// client's address. Output comes back as objects, not text.

import { adminAuditRecorder } from '../cmdlets/admin-audit-log.js';
import { serverCommands, serverViews } from '../cmdlets/index.js';
import { callerName, permittedCommands, type Caller } from '../cmdlets/rbac.js';
import type { ServerContext } from '../cmdlets/server-context.js';
import { builtinCommands } from '../shell/builtins/index.js';
import type { CommandSpec } from '../shell/command.js';
import type { ShellHost } from '../shell/host.js';
import { ShellSession } from '../shell/session.js';
import { errorToWire, toWire, type StreamEntry, type WireCommand } from './protocol.js';

/**
 * Built-in commands a remote session leaves out: they read or write the server's files, or read
 * its console (the client has its own, where the same commands run on the results).
 */
const LOCAL_ONLY = new Set(['export-csv', 'import-csv', 'out-file', 'set-content', 'get-content', 'test-path', 'tee-object', 'new-item', 'remove-item', 'get-credential', 'read-host', 'clear-host', 'invoke-history']);

export const remoteBuiltins: CommandSpec[] = builtinCommands.filter((c) => !LOCAL_ONLY.has(c.name.toLowerCase()));

/** The console of a remote session: what it writes joins the stream sent back; it has no input. */
class StreamingHost implements ShellHost {
  readonly interactive = false;
  readonly width = 119;
  constructor(private readonly sink: (e: StreamEntry) => void) {}
  write(text: string): void {
    this.sink({ kind: 'host', text });
  }
  writeError(text: string): void {
    this.sink({ kind: 'host', text });
  }
  readLine(): Promise<string | null> {
    return Promise.resolve(null);
  }
  readSecret(): Promise<string | null> {
    return Promise.resolve(null);
  }
}

export class RemoteSession {
  private readonly shell: ShellSession;
  private stream: StreamEntry[] = [];
  private running: Promise<unknown> = Promise.resolve();
  readonly commands: CommandSpec[];
  readonly caller: Caller;
  lastUsed = Date.now();
  /** Scripts running or waiting: a session at work never expires. */
  private busy = 0;

  /**
   * `ctx` is the server's context for this caller (its `caller` and, when the session may reach the
   * other servers of the organization, its `peers`).
   */
  constructor(
    readonly id: string,
    ctx: ServerContext & { caller: Caller },
    readonly origin: string,
    readonly idleTimeoutMs: number,
  ) {
    this.caller = ctx.caller;
    this.commands = permittedCommands(ctx, ctx.caller, serverCommands(ctx));
    const host = new StreamingHost((e) => this.stream.push(e));
    this.shell = new ShellSession(
      {
        commands: [...remoteBuiltins, ...this.commands],
        views: serverViews,
        computerName: ctx.fqdn,
        fileSystem: false,
        commandObserver: adminAuditRecorder(ctx, { caller: callerName(ctx.caller), origin }),
      },
      host,
      {
        builtins: remoteBuiltins,
        output: (items) => {
          for (const v of items) this.stream.push({ kind: 'output', value: toWire(v) });
        },
      },
    );
  }

  /** The cmdlets as the client needs them to bind and complete its proxies. */
  describe(): WireCommand[] {
    return this.commands.map((c) => ({
      name: c.name,
      synopsis: c.synopsis,
      ...(c.defaultParameterSet && { defaultParameterSet: c.defaultParameterSet }),
      ...(c.supportsShouldProcess && { supportsShouldProcess: true }),
      ...(c.confirmImpact && { confirmImpact: c.confirmImpact }),
      parameters: c.parameters.map((p) => ({
        name: p.name,
        typeName: p.typeName,
        ...(p.switch && { switch: true }),
        ...(p.mandatory === true && { mandatory: true }),
        ...(p.position !== undefined && { position: p.position }),
        ...(p.aliases && { aliases: p.aliases }),
        ...(p.sets && { sets: p.sets }),
        ...(p.valueFromPipeline && { valueFromPipeline: true }),
        ...(p.valueFromPipelineByPropertyName && { valueFromPipelineByPropertyName: true }),
      })),
    }));
  }

  /** Runs a script; one at a time per session, in the order they came. */
  run(script: string): Promise<StreamEntry[]> {
    this.busy++;
    const next = this.running
      .then(async () => {
        this.stream = [];
        const sink = (record: Parameters<typeof errorToWire>[0]) => this.stream.push({ kind: 'error', record: errorToWire(record) });
        await this.shell.runtime.withErrorSink(sink, () => this.shell.runScript(script));
        return this.stream;
      })
      .finally(() => {
        this.busy--;
        this.lastUsed = Date.now();
      });
    this.running = next.catch(() => undefined);
    return next;
  }

  expired(now: number): boolean {
    return this.busy === 0 && now - this.lastUsed > this.idleTimeoutMs;
  }
}

/** How the logs and the audit log name a caller: DOMAIN\\account, or the local shell's user on its server. */
