// New-/Get-/Remove-MailboxDatabase: a mailbox database is a folder on one
// Mailbox server (<server DataPath>/Mailbox/<database name>) holding the
// Maildir folders of its mailboxes. Exchange's EDB file and transaction logs
// do not exist in Gatehouse: -EdbFilePath and -LogFolderPath are refused.

import { join } from 'node:path';
import { mailboxDatabaseSchema, mailboxSchema } from '../config/model/recipient.js';
import { serverSchema } from '../config/model/server.js';
import { newModelObject } from '../store/repository.js';
import type { CommandSpec } from '../shell/command.js';
import { CmdletError } from '../shell/values.js';
import { invalidOperation, notFound } from './errors.js';
import { insertObject, nameParameter, tableView } from './object-commands.js';
import { findObject, findObjects, identityParameter } from './object-identity.js';
import { defaultValues } from './object-parameters.js';
import { toPSObject } from './object-output.js';
import { organizationCommand } from './recipient-common.js';
import { defaultContext, type ServerContext } from './server-context.js';

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
    throw new CmdletError(`The server ${server.values.Name} is an Edge Transport server; mailbox databases can only be created on Mailbox servers.`, { category: 'InvalidOperation', reason: 'InvalidOperationException', parameter: 'Server' });
  }
  return server;
}

export function mailboxDatabaseCommands(ctx: ServerContext): CommandSpec[] {
  return [
    organizationCommand(ctx, {
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
      examples: [{ code: 'New-MailboxDatabase -Name DB01 -Server MBX01', remarks: 'Creates DB01; its mailboxes are kept under MBX01\'s data folder, in Mailbox/DB01.' }],
    }, async (args, inv) => {
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
    }),
    organizationCommand(ctx, {
      name: 'Get-MailboxDatabase',
      synopsis: 'Lists mailbox databases.',
      parameters: [
        identityParameter('DatabaseIdParameter', false),
        { name: 'Server', typeName: 'ServerIdParameter', description: 'Only the databases of this Mailbox server.', convert: (v) => String(v) },
      ],
    }, async (args) => {
      let found = findObjects(ctx, schema, args.get('Identity') as string | null | undefined);
      if (args.has('Server')) {
        const server = resolveServer(ctx, String(args.get('Server')));
        found = found.filter((d) => String(d.values.Server).toLowerCase() === String(server.values.Name).toLowerCase());
      }
      return found.map((d) => toPSObject(d));
    }),
    organizationCommand(ctx, {
      name: 'Remove-MailboxDatabase',
      synopsis: 'Removes an empty mailbox database (its folder is left on disk).',
      supportsShouldProcess: true,
      confirmImpact: 'High',
      parameters: [identityParameter('DatabaseIdParameter', true)],
    }, async (args, inv) => {
      const db = findObject(ctx, schema, String(args.get('Identity')));
      const count = ctx.repo.list(mailboxSchema).filter((m) => String(m.values.Database).toLowerCase() === String(db.values.Name).toLowerCase()).length;
      if (count > 0) throw invalidOperation(`This mailbox database contains ${count} mailbox(es). Move or remove them (Remove-Mailbox) before removing the database.`);
      if (!(await inv.shouldProcess(String(db.values.Name), 'Removing mailbox database'))) return [];
      ctx.repo.remove(db);
      return [];
    }),
  ];
}

export const mailboxDatabaseViews = [tableView('MailboxDatabase', ['Name', 'Server', 'Recovery', 'ReplicationType'])];
