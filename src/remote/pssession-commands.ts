// PowerShell's remoting cmdlets, as Exchange admins use them against a
// server's management endpoint: New-PSSessionOption, New-PSSession,
// Get-PSSession, Remove-PSSession, Invoke-Command -Session and
// Import-PSSession (which adds a local proxy for each cmdlet the remote
// session offers). Results come back as deserialized objects and are
// formatted here with the same default views; errors keep the server's
// record; warnings are shown as warnings.

import { ConversionError, type BoundArguments, type CommandSpec, type InvocationContext, type ParameterSpec } from '../shell/command.js';
import type { Runtime } from '../shell/runtime.js';
import { CmdletError, PSCredential, PSObject, type ObjectView } from '../shell/values.js';
import { RemoteConnection, RemoteConnectionError } from './client.js';
import { replayStream, type StreamEntry, type WireCommand, type WireParameter } from './protocol.js';
import { commandLine } from './script-arguments.js';

const SESSION_TYPE = 'System.Management.Automation.Runspaces.PSSession';
const OPTION_TYPE = 'System.Management.Automation.Remoting.PSSessionOption';

interface SessionEntry {
  id: number;
  name: string;
  connection: RemoteConnection;
  object: PSObject;
  state: 'Opened' | 'Closed' | 'Broken';
}

export interface RemotingOptions {
  /** Certificates (PEM) a local server folder trusts, for the server certificate check. */
  trusted?: () => string[];
}

/** What an identity parameter's type names: QueueIdentity -> queue, SendConnectorIdParameter -> sendconnector. */
function stem(typeName: string): string {
  return typeName.replace(/(IdParameter|Identity|Id)(\[\])?$/i, '').toLowerCase();
}

/**
 * An object from the server given to one of several pipeline parameters (Get-Message's -Identity
 * and -Queue): it goes to the parameter whose type its own type names (a queue to -Queue), as the
 * server's typed binding would do. Other values pass as they are.
 */
function pipedObject(v: unknown, p: WireParameter, piped: WireParameter[]): unknown {
  if (!(v instanceof PSObject) || !v.typeNames[0]?.startsWith('Deserialized.')) return v;
  const type = v.typeNames[0].toLowerCase();
  const matches = (q: WireParameter) => stem(q.typeName) !== '' && type.includes(stem(q.typeName));
  if (!matches(p) && piped.some((q) => q !== p && matches(q))) throw new ConversionError(`A ${v.typeNames[0].slice('Deserialized.'.length)} object is not a ${p.typeName}.`);
  return v;
}

function failure(message: string, reason: string): CmdletError {
  return new CmdletError(message, { category: 'OpenError', reason });
}

/** The remoting cmdlets of one shell session; attach() gives them the runtime Import-PSSession adds proxies to. */
export class Remoting {
  private runtime?: Runtime;
  private readonly sessions: SessionEntry[] = [];
  private nextId = 1;
  /** The proxies and the remoting cmdlets: what the server's audit log records is run there, not here. */
  private readonly own = new WeakSet<CommandSpec>();

  constructor(private readonly options: RemotingOptions = {}) {}

  attach(runtime: Runtime): void {
    this.runtime = runtime;
  }

  /** Opens a session (New-PSSession, gatehouse shell --connect). */
  async open(url: string, username: string, password: string, skip: { ca: boolean; cn: boolean }, warn: (m: string) => void, name?: string, idleTimeoutSeconds?: number): Promise<SessionEntry> {
    if (skip.ca) warn("The server certificate's issuer is not checked (SkipCACheck): anyone on the network path could pose as the server and read the password.");
    if (skip.cn) warn("The server certificate's name is not checked against the host (SkipCNCheck).");
    const connection = await RemoteConnection.open({
      url,
      username,
      password,
      skipCaCheck: skip.ca,
      skipCnCheck: skip.cn,
      trusted: this.options.trusted?.() ?? [],
      ...(idleTimeoutSeconds !== undefined && { idleTimeoutSeconds }),
    });
    const id = this.nextId++;
    const entry: SessionEntry = { id, name: name ?? `Session${id}`, connection, object: new PSObject(SESSION_TYPE), state: 'Opened' };
    this.refresh(entry);
    this.sessions.push(entry);
    return entry;
  }

  private refresh(e: SessionEntry): void {
    const o = e.object;
    o.set('Id', e.id);
    o.set('Name', e.name);
    o.set('ComputerName', e.connection.fqdn);
    o.set('ComputerType', 'RemoteMachine');
    o.set('State', e.state);
    o.set('ConfigurationName', 'Microsoft.Exchange');
    o.set('Availability', e.state === 'Opened' ? 'Available' : 'None');
    o.set('ConnectionUri', e.connection.url.href);
    o.set('IdleTimeout', e.connection.idleTimeoutSeconds * 1000);
  }

  private entryOf(v: unknown): SessionEntry {
    const e = this.sessions.find((s) => s.object === v);
    if (!e) throw new ConversionError('The value is not a PSSession of this shell: give one that New-PSSession returned (or Get-PSSession lists).');
    return e;
  }

  /** Runs script text in a session and writes its stream to this shell: objects returned, errors and warnings shown. */
  async run(entry: SessionEntry, script: string, inv: InvocationContext): Promise<unknown[]> {
    if (entry.state !== 'Opened') {
      throw failure(`The session ${entry.name} (${entry.connection.fqdn}) is ${entry.state}: it cannot run commands. Remove it (Remove-PSSession) and open a new one (New-PSSession).`, 'PSSessionStateBroken');
    }
    let stream: StreamEntry[];
    try {
      stream = await entry.connection.run(script);
    } catch (err) {
      if (err instanceof RemoteConnectionError) {
        if (err.reason === 'PSSessionStateBroken') {
          entry.state = 'Broken';
          this.refresh(entry);
        }
        throw failure(err.message, err.reason);
      }
      throw err;
    }
    return replayStream(stream, inv);
  }

  /** A local command that runs the remote one: same name and parameters, bound here, run there. */
  proxy(entry: SessionEntry, c: WireCommand): CommandSpec {
    const switches = new Set(c.parameters.filter((p) => p.switch).map((p) => p.name.toLowerCase()));
    // Bound here as the cmdlet binds there (names, positions, sets, pipeline input); mandatory ones the server asks for.
    const piped = c.parameters.filter((p) => p.valueFromPipeline || p.valueFromPipelineByPropertyName);
    const spec: CommandSpec = {
      name: c.name,
      synopsis: `${c.synopsis} (runs on ${entry.connection.server})`,
      ...(c.defaultParameterSet && { defaultParameterSet: c.defaultParameterSet }),
      parameters: c.parameters.map((p): ParameterSpec => ({
        name: p.name,
        typeName: p.typeName,
        ...(p.switch && { switch: true }),
        ...(p.position !== undefined && { position: p.position }),
        ...(p.aliases && { aliases: p.aliases }),
        ...(p.sets && { sets: p.sets }),
        ...(p.valueFromPipeline && { valueFromPipeline: true }),
        ...(p.valueFromPipelineByPropertyName && { valueFromPipelineByPropertyName: true }),
        ...(piped.length > 1 && piped.includes(p) && { convert: (v: unknown) => pipedObject(v, p, piped) }),
      })),
      // -WhatIf and -Confirm are answered here, where the admin is; the server then runs without asking.
      ...(c.supportsShouldProcess && { supportsShouldProcess: true, ...(c.confirmImpact && { confirmImpact: c.confirmImpact }) }),
      invoke: async (args, inv) => {
        const one = async (bound: ReadonlyMap<string, unknown>): Promise<unknown[]> => {
          if (c.supportsShouldProcess) {
            const target = bound.has('Identity') ? String(bound.get('Identity')) : entry.connection.server;
            if (!(await inv.shouldProcess(target, `Running ${c.name} on ${entry.connection.server}`))) return [];
            return this.run(entry, commandLine(c.name, bound, switches) + ' -Confirm:$false', inv);
          }
          return this.run(entry, commandLine(c.name, bound, switches), inv);
        };
        return one(args);
      },
    };
    this.own.add(spec);
    return spec;
  }

  /**
   * Whether a command is a proxy or a remoting cmdlet: the local audit log leaves them out (a
   * proxied cmdlet is recorded by the server that runs it, under the session's account).
   */
  isRemoting(spec: CommandSpec): boolean {
    return this.own.has(spec);
  }

  /** Adds proxies for the session's cmdlets; returns the names added and those this shell already had. */
  importSession(entry: SessionEntry, names: string[] | undefined, clobber: boolean): { added: string[]; kept: string[] } {
    if (!this.runtime) throw new Error('the remoting commands are not attached to a shell');
    const wanted = names?.map(
      (n) =>
        new RegExp(
          '^' +
            n
              .replace(/[.+^${}()|[\]\\]/g, '\\$&')
              .replace(/\*/g, '.*')
              .replace(/\?/g, '.') +
            '$',
          'i',
        ),
    );
    const added: string[] = [];
    const kept: string[] = [];
    for (const c of entry.connection.commands) {
      if (wanted && !wanted.some((w) => w.test(c.name))) continue;
      (this.runtime.addCommand(this.proxy(entry, c), clobber) ? added : kept).push(c.name);
    }
    return { added, kept };
  }

  private async remove(entry: SessionEntry): Promise<void> {
    const i = this.sessions.indexOf(entry);
    if (i >= 0) this.sessions.splice(i, 1);
    const was = entry.state;
    entry.state = 'Closed';
    entry.object.set('State', 'Closed');
    entry.object.set('Availability', 'None');
    if (was === 'Opened') await entry.connection.close().catch(() => undefined);
  }

  /** Closes every open session (the shell is ending). */
  async closeAll(): Promise<void> {
    for (const e of [...this.sessions]) await this.remove(e);
  }

  commands(): CommandSpec[] {
    const sessionParam = (extra: Partial<ParameterSpec>): ParameterSpec => ({
      name: 'Session',
      typeName: 'PSSession',
      convert: (v) => {
        this.entryOf(v);
        return v;
      },
      ...extra,
    });
    const specs: CommandSpec[] = [
      {
        name: 'New-PSSessionOption',
        synopsis: 'Creates an object with advanced options for a remote session (New-PSSession -SessionOption).',
        examples: [
          {
            code: '$s = New-PSSession -ConfigurationName Microsoft.Exchange -ConnectionUri https://192.0.2.10/PowerShell/ -Authentication Basic -Credential (Get-Credential) -SessionOption (New-PSSessionOption -SkipCNCheck)',
            remarks: 'Connects by address to a server whose certificate names only its FQDN (a warning says the name is not checked).',
          },
        ],
        parameters: [
          { name: 'SkipCACheck', typeName: 'SwitchParameter', switch: true, description: "Do not check that a trusted certification authority issued the server's certificate (prints a warning when the session opens)." },
          { name: 'SkipCNCheck', typeName: 'SwitchParameter', switch: true, description: "Do not check that the server certificate's name matches the host (prints a warning when the session opens)." },
          {
            name: 'IdleTimeout',
            typeName: 'Int32',
            description: 'How long the session stays open on the server without use, in milliseconds (at least 1000; the server caps it at 12 hours; default 15 minutes).',
            convert: (v) => {
              const n = Number(v);
              if (!Number.isInteger(n) || n < 1000) throw new ConversionError(`The IdleTimeout value ${String(v)} is not valid: give milliseconds, at least 1000.`);
              return n;
            },
          },
        ],
        invoke: (args) => [
          new PSObject(OPTION_TYPE, [
            ['SkipCACheck', args.get('SkipCACheck') === true],
            ['SkipCNCheck', args.get('SkipCNCheck') === true],
            ['IdleTimeout', args.has('IdleTimeout') ? args.get('IdleTimeout') : -1],
          ]),
        ],
      },
      {
        name: 'New-PSSession',
        synopsis: "Opens a session to a server's management endpoint (-ConfigurationName Microsoft.Exchange -ConnectionUri https://<server>/PowerShell/ -Authentication Basic -Credential).",
        parameters: [
          { name: 'ConfigurationName', typeName: 'String', description: 'Microsoft.Exchange (the only configuration the endpoint serves).' },
          { name: 'ConnectionUri', typeName: 'Uri', mandatory: true, aliases: ['URI', 'CU'], description: 'The endpoint: https://<server FQDN>/PowerShell/ (Get-PowerShellVirtualDirectory shows it).' },
          { name: 'Authentication', typeName: 'AuthenticationMechanism', description: 'Basic (the only method the endpoint accepts; always over TLS).' },
          { name: 'Credential', typeName: 'PSCredential', description: 'The account: $cred = Get-Credential CONTOSO\\admin.' },
          { name: 'SessionOption', typeName: 'PSSessionOption', description: 'New-PSSessionOption -SkipCACheck -SkipCNCheck.' },
          { name: 'Name', typeName: 'String', description: 'A friendly name for the session (default SessionN).' },
        ],
        examples: [
          {
            code: '$s = New-PSSession -ConfigurationName Microsoft.Exchange -ConnectionUri https://mbx01.contoso.com/PowerShell/ -Authentication Basic -Credential (Get-Credential)',
            remarks: 'Opens a session to MBX01 with the account you type.',
          },
        ],
        invoke: async (args, inv) => {
          const config = args.has('ConfigurationName') ? String(args.get('ConfigurationName')) : 'Microsoft.Exchange';
          if (config.toLowerCase() !== 'microsoft.exchange') throw failure(`The configuration "${config}" is not served here: the management endpoint serves Microsoft.Exchange only.`, 'PSSessionOpenFailed');
          const auth = args.has('Authentication') ? String(args.get('Authentication')) : 'Basic';
          if (auth.toLowerCase() !== 'basic') throw failure(`The authentication method ${auth} is not available: the management endpoint accepts Basic authentication over TLS only. Use -Authentication Basic.`, 'PSSessionOpenFailed');
          const cred = args.get('Credential');
          if (!(cred instanceof PSCredential)) throw failure('The endpoint needs an account: give -Credential (Get-Credential).', 'PSSessionOpenFailed');
          const option = args.get('SessionOption');
          if (option !== undefined && !(option instanceof PSObject && option.typeNames[0] === OPTION_TYPE)) throw failure('-SessionOption takes an object made by New-PSSessionOption.', 'PSSessionOpenFailed');
          const idle = option instanceof PSObject && Number(option.get('IdleTimeout')) > 0 ? Math.ceil(Number(option.get('IdleTimeout')) / 1000) : undefined;
          try {
            const entry = await this.open(
              String(args.get('ConnectionUri')),
              cred.UserName,
              cred.Password.reveal(),
              {
                ca: option instanceof PSObject && option.get('SkipCACheck') === true,
                cn: option instanceof PSObject && option.get('SkipCNCheck') === true,
              },
              (m) => inv.warn(m),
              args.has('Name') ? String(args.get('Name')) : undefined,
              idle,
            );
            return [entry.object];
          } catch (err) {
            if (err instanceof RemoteConnectionError) throw failure(err.message, err.reason);
            throw err;
          }
        },
      },
      {
        name: 'Get-PSSession',
        synopsis: 'Lists the remote sessions this shell opened.',
        examples: [{ code: 'Get-PSSession | Where-Object { $_.State -ne "Opened" } | Remove-PSSession', remarks: 'Removes the sessions that can no longer run commands (expired or broken).' }],
        parameters: [
          { name: 'Name', typeName: 'String[]', position: 0, description: 'Only the sessions with these names (wildcards allowed).' },
          { name: 'Id', typeName: 'Int32[]', description: 'Only the sessions with these ids.' },
        ],
        invoke: (args) => {
          const names = args.has('Name')
            ? ([] as unknown[]).concat(args.get('Name')).map(
                (n) =>
                  new RegExp(
                    '^' +
                      String(n)
                        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
                        .replace(/\*/g, '.*') +
                      '$',
                    'i',
                  ),
              )
            : null;
          const ids = args.has('Id') ? ([] as unknown[]).concat(args.get('Id')).map(Number) : null;
          return this.sessions.filter((s) => (!names || names.some((r) => r.test(s.name))) && (!ids || ids.includes(s.id))).map((s) => s.object);
        },
      },
      {
        name: 'Remove-PSSession',
        synopsis: 'Closes remote sessions: the server ends them and frees what they hold.',
        examples: [{ code: 'Remove-PSSession $s', remarks: 'Closes the session in $s on its server.' }],
        parameters: [
          sessionParam({ position: 0, valueFromPipeline: true, typeName: 'PSSession[]' }),
          { name: 'Id', typeName: 'Int32[]', description: 'The sessions with these ids.' },
          { name: 'Name', typeName: 'String[]', description: 'The sessions with these names.' },
        ],
        invoke: async (args) => {
          const chosen: SessionEntry[] = [];
          if (args.has('Session')) for (const v of ([] as unknown[]).concat(args.get('Session'))) chosen.push(this.entryOf(v));
          if (args.has('Id')) for (const id of ([] as unknown[]).concat(args.get('Id')).map(Number)) chosen.push(...this.sessions.filter((s) => s.id === id));
          if (args.has('Name')) for (const n of ([] as unknown[]).concat(args.get('Name')).map(String)) chosen.push(...this.sessions.filter((s) => s.name.toLowerCase() === n.toLowerCase()));
          for (const e of chosen) await this.remove(e);
          return [];
        },
      },
      {
        name: 'Invoke-Command',
        synopsis: 'Runs a script block in a remote session; the results come back as deserialized objects.',
        parameters: [
          sessionParam({ position: 0, mandatory: true, description: 'The session (New-PSSession).' }),
          { name: 'ScriptBlock', typeName: 'ScriptBlock', position: 1, mandatory: true, description: 'The commands to run there: { Get-Queue }.' },
        ],
        examples: [{ code: '$q = Invoke-Command -Session $s { Get-Queue }; $q[0].MessageCount', remarks: "The queues of the session's server, as objects." }],
        invoke: async (args: BoundArguments, inv) => {
          const block = args.get('ScriptBlock') as { kind?: string; text?: string };
          if (block?.kind !== 'scriptblock') throw new CmdletError('-ScriptBlock takes a script block: { Get-Queue }.', { category: 'InvalidArgument', reason: 'ArgumentException' });
          const sessions = ([] as unknown[]).concat(args.get('Session')).map((v) => this.entryOf(v));
          const out: unknown[] = [];
          for (const e of sessions) out.push(...(await this.run(e, String(block.text), inv)));
          return out;
        },
      },
      {
        name: 'Import-PSSession',
        synopsis: "Makes the cmdlets of a remote session available in this shell: each runs on the session's server.",
        examples: [{ code: 'Import-PSSession $s -CommandName Get-Queue,Get-Message -AllowClobber', remarks: "Get-Queue and Get-Message now run on the session's server." }],
        parameters: [
          sessionParam({ position: 0, mandatory: true, description: 'The session (New-PSSession).' }),
          { name: 'CommandName', typeName: 'String[]', position: 2, description: 'Only these cmdlets (wildcards allowed).' },
          { name: 'AllowClobber', typeName: 'SwitchParameter', switch: true, description: 'Also import cmdlets whose names this shell already has (the remote ones then win).' },
          { name: 'DisableNameChecking', typeName: 'SwitchParameter', switch: true, description: "Accepted as Exchange's instructions give it: Gatehouse's cmdlet names all use approved verbs, so there is no warning to suppress." },
        ],
        invoke: (args, inv) => {
          const entry = this.entryOf(args.get('Session'));
          const names = args.has('CommandName') ? ([] as unknown[]).concat(args.get('CommandName')).map(String) : undefined;
          const { added, kept } = this.importSession(entry, names, args.get('AllowClobber') === true);
          if (kept.length > 0) {
            inv.warn(
              `${added.length === 0 ? 'No command proxies have been created, because all of the requested remote commands' : `${kept.length} of the requested remote commands (${kept.slice(0, 5).join(', ')}${kept.length > 5 ? ', ...' : ''})`} would shadow existing local commands. Use the AllowClobber parameter if you want to shadow existing local commands.`,
            );
          }
          return [
            new PSObject('System.Management.Automation.PSModuleInfo', [
              ['ModuleType', 'Script'],
              ['Version', '1.0'],
              ['Name', `tmp_${entry.connection.server.toLowerCase()}_${entry.id}`],
              ['ExportedCommands', added],
            ]),
          ];
        },
      },
    ];
    for (const spec of specs) this.own.add(spec);
    return specs;
  }
}

export const remotingViews: ObjectView[] = [
  {
    typeName: SESSION_TYPE,
    display: 'table',
    table: [{ property: 'Id' }, { property: 'Name' }, { property: 'ComputerName' }, { property: 'ComputerType' }, { property: 'State' }, { property: 'ConfigurationName' }, { property: 'Availability' }],
  },
  { typeName: 'System.Management.Automation.PSModuleInfo', display: 'table', table: [{ property: 'ModuleType' }, { property: 'Version' }, { property: 'Name' }, { property: 'ExportedCommands' }] },
];
