// New-/Get-/Set-/Remove-MailboxDatabase: a mailbox database is a folder on one
// Mailbox server (<server DataPath>/Mailbox/<database name>) holding the
// Maildir folders of its mailboxes. Exchange's EDB file and transaction logs
// do not exist in Gatehouse: -EdbFilePath and -LogFolderPath are refused.
// The database carries the default quotas of its mailboxes (Set-MailboxDatabase).
// Get-MailboxDatabase -Status adds what only the folder can tell: its size,
// the space left on its volume, and whether the owning server's service runs.

import { existsSync, readdirSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import { DATABASE_QUOTA_DEFAULTS, QUOTA_PROPERTIES, quotaOrderProblem } from '../config/model/recipient.js';
import { ByteQuantifiedSize, Unlimited } from '../config/types/index.js';
import { maildirStatistics } from '../mailbox/index.js';
import type { ModelObject } from '../store/repository.js';
import { mailboxDatabaseSchema, mailboxSchema } from '../config/model/recipient.js';
import { serverSchema } from '../config/model/server.js';
import { newModelObject } from '../store/repository.js';
import type { CommandSpec, InvocationContext } from '../shell/command.js';
import { CmdletError, PSObject } from '../shell/values.js';
import { isThisServer, organizationServer, runOnServer } from './cross-server.js';
import { invalidOperation, notFound } from './errors.js';
import { assertUnchanged, insertObject, nameParameter, tableView, updateObject } from './object-commands.js';
import { findObject, findObjects, identityParameter, objectNames } from './object-identity.js';
import { applyParameters, schemaParameters } from './object-parameters.js';
import { defaultValues } from '../config/schema.js';
import { toPSObject } from './object-output.js';
import { isSystemMailbox, organizationCommand } from './recipient-common.js';
import { defaultContext, serviceRunning, type ServerContext } from './server-context.js';

const schema = mailboxDatabaseSchema;

const NOT_GATEHOUSE: Record<string, string> = {
  EdbFilePath: 'Gatehouse keeps no database file: a mailbox database is the folder <server DataPath>/Mailbox/<database name>, holding one Maildir folder per mailbox.',
  LogFolderPath: 'Gatehouse keeps no transaction logs for mailbox databases: each message is written to its Maildir folder and synced before it is acknowledged.',
};

function refusedParameter(name: string) {
  return { name, typeName: name === 'EdbFilePath' ? 'EdbFilePath' : 'NonRootLocalLongFullPath', description: `Not used by Gatehouse (refused): ${NOT_GATEHOUSE[name]}` };
}

/** The Mailbox server record an admin names (name, FQDN or GUID). */
function resolveServer(ctx: ServerContext, given: string) {
  const id = given.toLowerCase();
  const server = ctx.repo.list(serverSchema).find((x) => String(x.values.Name).toLowerCase() === id || String(x.values.Fqdn).toLowerCase() === id || x.guid.toLowerCase() === id);
  if (!server) throw notFound(given, ctx.fqdn);
  if (server.values.ServerRole !== 'Mailbox') {
    throw new CmdletError(`The server ${server.values.Name} is an Edge Transport server; mailbox databases can only be created on Mailbox servers.`, {
      category: 'InvalidOperation',
      reason: 'InvalidOperationException',
      parameter: 'Server',
    });
  }
  return server;
}

/** Quotas of a database stored before they existed: Exchange's defaults. */
function withQuotaDefaults(values: Record<string, unknown>): Record<string, unknown> {
  const out = { ...values };
  for (const q of QUOTA_PROPERTIES) if (out[q] === undefined) out[q] = Unlimited.of(ByteQuantifiedSize.fromBytes(DATABASE_QUOTA_DEFAULTS[q]));
  return out;
}

/** Bytes of every mailbox folder of the database (what its Maildir files take). */
function databaseSize(folder: string): number {
  if (!existsSync(folder)) return 0;
  let total = 0;
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    if (entry.isDirectory()) total += maildirStatistics(folder, entry.name).totalItemSize;
  }
  return total;
}

/** The state -Status reads, on the server that owns the database. */
const STATUS_PROPERTIES = ['Mounted', 'DatabaseSize', 'AvailableNewMailboxSpace'] as const;

/**
 * The database as Get-MailboxDatabase shows it; with -Status, its size, free space and whether it
 * is mounted: read here for this server's databases, asked of the owning server for the others
 * (its management endpoint; an unreachable server leaves them empty, with the error written).
 */
async function databaseOutput(ctx: ServerContext, d: ModelObject, status: boolean, inv: InvocationContext) {
  const extra: Record<string, unknown> = { Mounted: null, DatabaseSize: null, AvailableNewMailboxSpace: null };
  if (status && isThisServer(ctx, String(d.values.Server))) {
    const folder = String(d.values.FolderPath);
    extra.Mounted = serviceRunning(ctx);
    try {
      extra.DatabaseSize = ByteQuantifiedSize.fromBytes(databaseSize(folder));
      const fs = statfsSync(existsSync(folder) ? folder : ctx.dataDir);
      extra.AvailableNewMailboxSpace = ByteQuantifiedSize.fromBytes(Number(fs.bavail) * Number(fs.bsize));
    } catch (err) {
      throw new CmdletError(`The folder of mailbox database ${d.values.Name} (${folder}) cannot be read: ${(err as Error).message}. Check that it exists and that this user may read it.`, { reason: 'MapiExceptionNotFound' });
    }
  } else if (status) {
    const owner = organizationServer(ctx, String(d.values.Server));
    const [there] = await runOnServer(
      ctx,
      owner,
      { name: 'Get-MailboxDatabase', parameters: [{ name: 'Status', typeName: 'SwitchParameter', switch: true }] },
      new Map<string, unknown>([
        ['Identity', String(d.values.Name)],
        ['Status', true],
      ]),
      inv,
    );
    if (there instanceof PSObject) for (const p of STATUS_PROPERTIES) extra[p] = there.get(p) ?? null;
  }
  return toPSObject({ ...d, values: withQuotaDefaults(d.values) }, extra);
}

export function mailboxDatabaseCommands(ctx: ServerContext): CommandSpec[] {
  return [
    organizationCommand(
      ctx,
      {
        name: 'New-MailboxDatabase',
        synopsis: 'Creates a mailbox database (a folder of Maildir mailboxes) on a Mailbox server.',
        supportsShouldProcess: true,
        confirmImpact: 'Medium',
        parameters: [
          nameParameter(schema, { position: 0, mandatory: true }),
          { name: 'Server', typeName: 'ServerIdParameter', mandatory: true, description: 'The Mailbox server that holds the database (name or FQDN).', convert: (v) => String(v) },
          refusedParameter('EdbFilePath'),
          refusedParameter('LogFolderPath'),
        ],
        examples: [{ code: 'New-MailboxDatabase -Name DB01 -Server MBX01', remarks: "Creates DB01; its mailboxes are kept under MBX01's data folder, in Mailbox/DB01." }],
      },
      async (args, inv) => {
        for (const p of Object.keys(NOT_GATEHOUSE)) if (args.has(p)) throw invalidOperation(`The parameter ${p} is not supported: ${NOT_GATEHOUSE[p]}`, p);
        const server = resolveServer(ctx, String(args.get('Server')));
        const values = defaultValues(schema, defaultContext(ctx));
        values.Name = args.get('Name');
        values.Server = String(server.values.Name);
        values.FolderPath = join(String(server.values.DataPath), 'Mailbox', String(values.Name));
        if (!(await inv.shouldProcess(String(values.Name), `Creating mailbox database on server ${server.values.Name}`))) return [];
        const obj = newModelObject(schema, '', values);
        insertObject(ctx, obj);
        return [toPSObject(ctx.repo.get(schema, obj.guid) ?? obj)];
      },
    ),
    organizationCommand(
      ctx,
      {
        name: 'Get-MailboxDatabase',
        synopsis: 'Lists mailbox databases.',
        parameters: [
          identityParameter('DatabaseIdParameter', false, objectNames(ctx, schema)),
          { name: 'Server', typeName: 'ServerIdParameter', description: 'Only the databases of this Mailbox server.', convert: (v) => String(v) },
          {
            name: 'Status',
            typeName: 'SwitchParameter',
            switch: true,
            description:
              "Also read the database's state: Mounted (the owning server's service is running), DatabaseSize (what its mailboxes' Maildir files take) and AvailableNewMailboxSpace (free space on its volume), each read on the database's server (another server answers through its management endpoint).",
          },
        ],
        examples: [
          { code: 'Get-MailboxDatabase -Status | Format-Table Name,Server,Mounted,DatabaseSize,AvailableNewMailboxSpace', remarks: "Shows each database's size, free space and whether it is mounted." },
          { code: 'Get-MailboxDatabase DB01 | Format-List *Quota', remarks: "Shows the default quotas of DB01's mailboxes." },
        ],
      },
      async (args, inv) => {
        let found = findObjects(ctx, schema, args.get('Identity') as string | null | undefined);
        if (args.has('Server')) {
          const server = resolveServer(ctx, String(args.get('Server')));
          found = found.filter((d) => String(d.values.Server).toLowerCase() === String(server.values.Name).toLowerCase());
        }
        const out: unknown[] = [];
        for (const d of found) out.push(await databaseOutput(ctx, d, args.get('Status') === true, inv));
        return out;
      },
    ),
    organizationCommand(
      ctx,
      {
        name: 'Set-MailboxDatabase',
        synopsis: 'Changes a mailbox database: the default quotas of its mailboxes.',
        supportsShouldProcess: true,
        confirmImpact: 'Medium',
        parameters: [identityParameter('DatabaseIdParameter', true, objectNames(ctx, schema)), ...schemaParameters(schema, 'set')],
        examples: [{ code: 'Set-MailboxDatabase DB01 -IssueWarningQuota 9GB -ProhibitSendQuota 9.5GB -ProhibitSendReceiveQuota 10GB', remarks: 'Sets the quotas of every DB01 mailbox that uses the database defaults.' }],
      },
      async (args, inv) => {
        const db = findObject(ctx, schema, String(args.get('Identity')));
        const values = withQuotaDefaults(db.values);
        applyParameters(schema, values, args, 'set', ctx, defaultContext(ctx));
        const problem = quotaOrderProblem(values, () => Unlimited.unlimited());
        if (problem) throw invalidOperation(`${problem} Give the three quotas in increasing order: IssueWarningQuota, ProhibitSendQuota, ProhibitSendReceiveQuota.`, 'ProhibitSendReceiveQuota');
        if (!(await inv.shouldProcess(String(db.values.Name), 'Setting mailbox database'))) return [];
        ctx.repo.transaction(() => {
          assertUnchanged(ctx, db);
          db.values = values;
          updateObject(ctx, db);
        });
        return [];
      },
    ),
    organizationCommand(
      ctx,
      {
        name: 'Remove-MailboxDatabase',
        synopsis: 'Removes an empty mailbox database (its folder is left on disk).',
        supportsShouldProcess: true,
        confirmImpact: 'High',
        parameters: [identityParameter('DatabaseIdParameter', true, objectNames(ctx, schema))],
      },
      async (args, inv) => {
        const db = findObject(ctx, schema, String(args.get('Identity')));
        const inDatabase = () => ctx.repo.list(mailboxSchema).filter((m) => String(m.values.Database).toLowerCase() === String(db.values.Name).toLowerCase());
        const count = inDatabase().filter((m) => !isSystemMailbox(m)).length;
        if (count > 0) throw invalidOperation(`This mailbox database contains ${count} mailbox(es). Move or remove them (Remove-Mailbox) before removing the database.`);
        if (!(await inv.shouldProcess(String(db.values.Name), 'Removing mailbox database'))) return [];
        ctx.repo.transaction(() => {
          // Its system mailbox (Test-Mailflow's) goes with it.
          for (const m of inDatabase()) if (isSystemMailbox(m)) ctx.repo.remove(m);
          ctx.repo.remove(db);
        });
        return [];
      },
    ),
  ];
}

export const mailboxDatabaseViews = [tableView('MailboxDatabase', ['Name', 'Server', 'Recovery', 'ReplicationType'])];
