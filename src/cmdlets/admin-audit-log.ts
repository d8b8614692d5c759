// The administrator audit log (spec exchange-management.md, 3): the recorder
// the shell tells of every cmdlet it ran, Search-AdminAuditLog, and
// Get-/Set-AdminAuditLogConfig.
//
// Recorded: every cmdlet that can change something (everything but Get-,
// Search- and Trace-; Test- only with TestCmdletLoggingEnabled), whether it
// succeeded or failed (with its error), unless ShouldProcess was answered no
// every time (-WhatIf, a "No" at the prompt): then nothing was done. Who and
// from where are given by whoever opens the session: a local shell names the
// operating-system user and 'local'; a remote session the account and the
// client's address. Secrets never reach the log: a SecureString shows as
// ******** and a credential as its user name and ********; certificate file
// contents (which may hold a private key) as their size only.
//
// The entries live in the configuration store beside the objects
// (store/admin-audit-store.ts), shared by the organization's servers, and
// never move the change counter. Entries older than AdminAuditLogAgeLimit are
// removed as new ones are written and when the limit is lowered.

import { ADMIN_AUDIT_CONFIG_NAME, adminAuditConfigSchema } from '../config/model/admin-audit-config.js';
import { EnhancedTimeSpan } from '../config/types/index.js';
import { ConversionError, type BoundArguments, type CommandObserver, type CommandSpec, type ParameterSpec } from '../shell/command.js';
import { convertBoolean, convertDate, convertInt, toStr } from '../shell/conversion.js';
import { Hashtable, PSObject, type ObjectView } from '../shell/values.js';
import { SqliteAdminAuditStore, type AdminAuditParameter, type AdminAuditRecord, type AdminAuditStore } from '../store/admin-audit-store.js';
import { PostgresAdminAuditStore } from '../store/postgres-admin-audit-store.js';
import { PostgresConfigStore } from '../store/postgres-config-store.js';
import { newModelObject, type ModelObject } from '../store/repository.js';
import { SqliteConfigStore } from '../store/sqlite-config-store.js';
import { invalidOperation } from './errors.js';
import { updateObject } from './object-commands.js';
import { toPSObject } from './object-output.js';
import { applyParameters, schemaParameters } from './object-parameters.js';
import { defaultValues } from '../config/schema.js';
import { runsElsewhere } from './cross-server.js';
import { defaultContext, type ServerContext } from './server-context.js';

/** Who runs the commands of a session, and from where. */
export interface AuditCaller {
  /** The operating-system user of a local shell ('root'), or DOMAIN\user of a remote session. */
  caller: string;
  /** 'local', or the client's address. */
  origin: string;
}

/** Always recorded, even with logging turned off (as in Exchange). */
const ALWAYS_RECORDED = new Set(['set-adminauditlogconfig']);

const MASK = '********';

/** The audit log of the store this shell manages; none for a store without one (the service's snapshot). */
export function auditStoreOf(ctx: ServerContext): AdminAuditStore {
  const store = ctx.repo.store;
  if (store instanceof SqliteConfigStore) return new SqliteAdminAuditStore(store.db);
  if (store instanceof PostgresConfigStore) return new PostgresAdminAuditStore(store.client);
  throw invalidOperation(`The administrator audit log is kept in the configuration store; ${store.location} is a read-only copy of it. Run the command in gatehouse shell.`);
}

/** The stored settings object, or one with Exchange's defaults (not yet stored). */
export function auditConfigObject(ctx: ServerContext): ModelObject {
  const stored = ctx.repo.findByName(adminAuditConfigSchema, '', ADMIN_AUDIT_CONFIG_NAME);
  if (stored) return stored;
  return newModelObject(adminAuditConfigSchema, '', { ...defaultValues(adminAuditConfigSchema, defaultContext(ctx)), Name: ADMIN_AUDIT_CONFIG_NAME });
}

function wildcard(pattern: string): RegExp {
  return new RegExp(
    '^' +
      pattern
        .replace(/[.+^${}()|\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.') +
      '$',
    'i',
  );
}

function listOf(v: unknown): string[] {
  return Array.isArray(v) ? v.map(String) : [];
}

/** Whether the settings ask for this run to be recorded. */
export function shouldRecord(config: Record<string, unknown>, cmdletName: string, parameterNames: string[]): boolean {
  const name = cmdletName.toLowerCase();
  if (ALWAYS_RECORDED.has(name)) return true;
  if (config.AdminAuditLogEnabled === false) return false;
  const verb = name.split('-')[0];
  if (verb === 'get' || verb === 'search' || verb === 'trace') return false;
  if (verb === 'test' && config.TestCmdletLoggingEnabled !== true) return false;
  if (!listOf(config.AdminAuditLogCmdlets).some((p) => wildcard(p).test(cmdletName))) return false;
  if (listOf(config.AdminAuditLogExcludedCmdlets).some((p) => wildcard(p).test(cmdletName))) return false;
  const params = listOf(config.AdminAuditLogParameters);
  return params.includes('*') || parameterNames.some((n) => params.some((p) => wildcard(p).test(n)));
}

function isSecret(v: unknown): boolean {
  return v !== null && typeof v === 'object' && typeof (v as { reveal?: unknown }).reveal === 'function';
}

/** The user name of a credential (a shell PSCredential or a credential being stored), or undefined. */
function credentialUser(v: unknown): string | undefined {
  if (v === null || typeof v !== 'object') return undefined;
  const c = v as { UserName?: unknown; userName?: unknown; Password?: unknown };
  if (typeof c.UserName === 'string' && isSecret(c.Password)) return c.UserName;
  if (typeof c.userName === 'string' && String(v) === 'System.Management.Automation.PSCredential') return c.userName;
  return undefined;
}

/** A parameter's value as the log shows it: never a secret. */
export function auditValue(v: unknown, typeName = ''): string {
  const type = typeName.toLowerCase();
  const user = credentialUser(v);
  if (user !== undefined) return `${user} ${MASK}`;
  if (isSecret(v) || type === 'securestring' || type.endsWith('.securestring')) return MASK;
  if (type === 'pscredential' || type.endsWith('.pscredential')) return MASK;
  if (v === null || v === undefined) return '';
  if (v instanceof Uint8Array) return `System.Byte[] (${v.length} bytes)`;
  if (typeof v === 'string' && /PRIVATE KEY/.test(v)) return `${MASK} (${v.length} characters holding a private key)`;
  if (v instanceof Date) return v.toISOString();
  if (v instanceof Hashtable)
    return v
      .pairs()
      .map(([k, x]) => `${toStr(k)}=${auditValue(x)}`)
      .join('; ');
  if (Array.isArray(v)) return v.map((x) => auditValue(x)).join(',');
  if (v instanceof PSObject) return String(v.get('Identity') ?? v.get('Name') ?? v);
  return toStr(v);
}

/** Parameters whose value is file content: only its size is recorded. */
const CONTENT_PARAMETERS = new Set(['filedata']);

function auditParameters(spec: CommandSpec, args: BoundArguments): AdminAuditParameter[] {
  return [...args.entries()].map(([name, value]) => {
    const def = spec.parameters.find((p) => p.name.toLowerCase() === name.toLowerCase());
    if (CONTENT_PARAMETERS.has(name.toLowerCase()) && value !== null && value !== undefined) {
      const size = value instanceof Uint8Array ? `${value.length} bytes` : `${toStr(value).length} characters`;
      return { name, value: `(file content, ${size})` };
    }
    return { name, value: auditValue(value, def?.typeName) };
  });
}

/** The object a run changed, as given: -Identity, else -Name, else -Thumbprint; '' when none names it. */
function objectModified(args: BoundArguments): string {
  for (const n of ['Identity', 'Name', 'Thumbprint']) if (args.has(n)) return auditValue(args.get(n));
  return '';
}

/** `net` changes something only with a switch (/lockoutthreshold:5, /active:no). */
function changesNothing(spec: CommandSpec, args: BoundArguments): boolean {
  if (spec.name.toLowerCase() !== 'net') return false;
  return ![...args.values()].flat().some((v) => typeof v === 'string' && v.startsWith('/'));
}

/**
 * The shell's observer that records each run in the audit log. `now` is the clock of the
 * entries (tests pin it). Each write also removes the entries past the age limit.
 */
export function adminAuditRecorder(ctx: ServerContext, who: AuditCaller, now: () => Date = () => new Date()): CommandObserver {
  let store: AdminAuditStore | undefined;
  return {
    completed(spec, args, outcome) {
      // A call that ran on another server is recorded there, under the caller this server acted for.
      if (outcome.declined || changesNothing(spec, args) || runsElsewhere(ctx, spec.name, args)) return;
      const config = auditConfigObject(ctx).values;
      if (!shouldRecord(config, spec.name, [...args.keys()])) return;
      const record: AdminAuditRecord = {
        runDate: now(),
        caller: who.caller,
        origin: who.origin,
        originatingServer: ctx.name,
        cmdletName: spec.name,
        parameters: auditParameters(spec, args),
        objectModified: objectModified(args),
        succeeded: outcome.succeeded,
        error: outcome.error ? outcome.error.message : null,
      };
      store ??= auditStoreOf(ctx);
      try {
        store.append(record);
        const limit = config.AdminAuditLogAgeLimit;
        if (limit instanceof EnhancedTimeSpan) store.removeOlderThan(new Date(record.runDate.getTime() - limit.milliseconds));
      } catch (err) {
        throw new Error(
          `The administrator audit log of ${ctx.repo.store.location} could not record ${spec.name}: ${(err as Error).message}. The command itself ${outcome.succeeded ? 'completed' : 'failed'}; check that the store is writable.`,
        );
      }
    },
  };
}

function eventOutput(r: AdminAuditRecord): PSObject {
  return new PSObject('AdminAuditLogEvent', [
    ['ObjectModified', r.objectModified],
    ['CmdletName', r.cmdletName],
    [
      'CmdletParameters',
      r.parameters.map(
        (p) =>
          new PSObject('AdminAuditLogCmdletParameter', [
            ['Name', p.name],
            ['Value', p.value],
          ]),
      ),
    ],
    ['ModifiedProperties', []],
    ['Caller', r.caller],
    ['Origin', r.origin],
    ['ExternalAccess', false],
    ['Succeeded', r.succeeded],
    ['Error', r.error],
    ['RunDate', r.runDate],
    ['OriginatingServer', r.originatingServer],
    ['Identity', `AdminAuditLog\\${r.id ?? ''}`],
    ['IsValid', true],
    ['ObjectState', 'Unchanged'],
  ]);
}

function stringList(name: string, description: string): ParameterSpec {
  return { name, typeName: 'MultiValuedProperty', description, convert: (v) => (Array.isArray(v) ? v : [v]).map((x) => toStr(x).trim()).filter((x) => x !== '') };
}

function int32(name: string, description: string, min: number, max: number, defaultValue: string): ParameterSpec {
  return {
    name,
    typeName: 'Int32',
    description,
    defaultValue,
    convert: (v) => {
      const n = convertInt(v);
      if (n < min || n > max) throw new ConversionError(`The value ${n} is not valid for ${name}. Valid values are between ${min} and ${max}.`);
      return n;
    },
  };
}

function matchesCaller(caller: string, wanted: string): boolean {
  const c = caller.toLowerCase();
  const w = wanted.toLowerCase();
  return c === w || c.endsWith(`\\${w}`) || c.endsWith(`/${w}`) || w.endsWith(`\\${c}`);
}

function matchesObject(object: string, wanted: string): boolean {
  const o = object.toLowerCase();
  const w = wanted.toLowerCase();
  return o === w || o.endsWith(`\\${w}`) || w.endsWith(`\\${o}`);
}

export function adminAuditLogCommands(ctx: ServerContext): CommandSpec[] {
  const settable = schemaParameters(adminAuditConfigSchema, 'set');
  return [
    {
      name: 'Search-AdminAuditLog',
      synopsis: 'Searches the administrator audit log: who ran which state-changing cmdlet, with which parameters, on which object, when, and whether it succeeded.',
      parameters: [
        stringList('Cmdlets', 'Only entries of these cmdlets (any of them).'),
        stringList('Parameters', 'Only entries that used one of these parameters (with -Cmdlets).'),
        { name: 'StartDate', typeName: 'ExDateTime', description: 'Entries on or after this time.', convert: convertDate },
        { name: 'EndDate', typeName: 'ExDateTime', description: 'Entries on or before this time.', convert: convertDate },
        stringList('UserIds', 'Only entries of these callers (the operating-system user of a local shell, or the account of a remote session).'),
        stringList('ObjectIds', 'Only entries that changed one of these objects (the identity given to the cmdlet).'),
        { name: 'IsSuccess', typeName: 'Boolean', description: '$true: only commands that succeeded; $false: only those that failed.', convert: convertBoolean },
        { name: 'ExternalAccess', typeName: 'Boolean', description: 'Whether the cmdlet was run by someone outside the organization: never in Gatehouse, so $true finds nothing.', convert: convertBoolean },
        int32('StartIndex', 'Skip this many matching entries (newest first) before returning any.', 0, 2147483647, '0'),
        int32('ResultSize', 'Most entries returned (default 1000, at most 250000).', 1, 250000, '1000'),
      ],
      examples: [
        { code: 'Search-AdminAuditLog -Cmdlets Set-SendConnector,New-SendConnector -StartDate (Get-Date).AddDays(-7)', remarks: 'Who changed the Send connectors this week.' },
        { code: 'Search-AdminAuditLog -IsSuccess $false | Format-Table RunDate,Caller,CmdletName,Error', remarks: 'The commands that failed.' },
      ],
      invoke: (args) => {
        const start = args.get('StartDate') as Date | undefined;
        const end = args.get('EndDate') as Date | undefined;
        if (start && end && start > end) throw invalidOperation(`The StartDate (${start.toISOString()}) is later than the EndDate (${end.toISOString()}).`, 'StartDate');
        if (args.get('ExternalAccess') === true) return [];
        const cmdlets = (args.get('Cmdlets') as string[] | undefined)?.map((c) => c.toLowerCase());
        const params = (args.get('Parameters') as string[] | undefined)?.map((p) => p.toLowerCase());
        const users = args.get('UserIds') as string[] | undefined;
        const objects = args.get('ObjectIds') as string[] | undefined;
        const found = auditStoreOf(ctx)
          .search({ ...(start && { start }), ...(end && { end }), ...(args.has('IsSuccess') && { isSuccess: args.get('IsSuccess') === true }) })
          .filter((r) => !cmdlets?.length || cmdlets.includes(r.cmdletName.toLowerCase()))
          .filter((r) => !params?.length || r.parameters.some((p) => params.includes(p.name.toLowerCase())))
          .filter((r) => !users?.length || users.some((u) => matchesCaller(r.caller, u)))
          .filter((r) => !objects?.length || objects.some((o) => matchesObject(r.objectModified, o)));
        const from = (args.get('StartIndex') as number | undefined) ?? 0;
        const size = (args.get('ResultSize') as number | undefined) ?? 1000;
        return found.slice(from, from + size).map(eventOutput);
      },
    },
    {
      name: 'Get-AdminAuditLogConfig',
      synopsis: 'Shows the administrator audit log settings: whether it records, how long it keeps entries, which cmdlets and parameters.',
      parameters: [],
      invoke: () => [toPSObject(auditConfigObject(ctx), { Name: ADMIN_AUDIT_CONFIG_NAME, AdminAuditLogMailbox: null })],
    },
    {
      name: 'Set-AdminAuditLogConfig',
      synopsis: 'Changes the administrator audit log settings; lowering AdminAuditLogAgeLimit removes the older entries at once.',
      supportsShouldProcess: true,
      confirmImpact: 'Medium',
      parameters: settable,
      examples: [
        { code: 'Set-AdminAuditLogConfig -AdminAuditLogAgeLimit 180.00:00:00', remarks: 'Keep entries for 180 days.' },
        { code: 'Set-AdminAuditLogConfig -AdminAuditLogEnabled $false', remarks: 'Stop recording (this change itself is recorded).' },
      ],
      invoke: async (args, inv) => {
        const obj = auditConfigObject(ctx);
        const values = { ...obj.values };
        applyParameters(adminAuditConfigSchema, values, args, 'set', ctx, defaultContext(ctx));
        if (!(await inv.shouldProcess(ADMIN_AUDIT_CONFIG_NAME, 'Setting admin audit log configuration'))) return [];
        ctx.repo.transaction(() => {
          const stored = ctx.repo.get(adminAuditConfigSchema, obj.guid);
          obj.values = values;
          if (stored) updateObject(ctx, obj);
          else ctx.repo.insert(obj);
        });
        const limit = values.AdminAuditLogAgeLimit;
        if (args.has('AdminAuditLogAgeLimit') && limit instanceof EnhancedTimeSpan) auditStoreOf(ctx).removeOlderThan(new Date(Date.now() - limit.milliseconds));
        return [];
      },
    },
  ];
}

export const adminAuditLogViews: ObjectView[] = [
  {
    typeName: 'AdminAuditLogEvent',
    display: 'list',
    list: ['ObjectModified', 'CmdletName', 'CmdletParameters', 'ModifiedProperties', 'Caller', 'Origin', 'ExternalAccess', 'Succeeded', 'Error', 'RunDate', 'OriginatingServer', 'Identity', 'IsValid', 'ObjectState'],
  },
  { typeName: 'AdminAuditLogConfig', display: 'list' },
  { typeName: 'AdminAuditLogCmdletParameter', display: 'table', table: [{ property: 'Name' }, { property: 'Value' }] },
];
