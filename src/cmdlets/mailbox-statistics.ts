// Get-MailboxStatistics: what a mailbox holds, read from its Maildir folder
// (ItemCount, TotalItemSize, the time of the last delivery) by the server
// that owns its database (another server answers through its endpoint). LastLogonTime is
// not known: Gatehouse does not serve the mailbox to clients (Dovecot or any
// Maildir reader does), so it is always empty.

import { mailboxDatabaseSchema, mailboxSchema } from '../config/model/recipient.js';
import { ByteQuantifiedSize } from '../config/types/index.js';
import { maildirStatistics } from '../mailbox/index.js';
import type { CommandSpec } from '../shell/command.js';
import { CmdletError, PSObject } from '../shell/values.js';
import { findRecipients } from './recipient-common.js';
import { isThisServer, organizationServer, runOnServer } from './cross-server.js';
import type { ServerContext } from './server-context.js';
import { tableView } from './object-commands.js';
import { typeNamesFor } from './object-output.js';

export function mailboxStatisticsCommands(ctx: ServerContext): CommandSpec[] {
  return [
    {
      name: 'Get-MailboxStatistics',
      synopsis: 'Shows how many items a mailbox holds and how much space they take (from its Maildir folder).',
      parameters: [
        {
          name: 'Identity',
          typeName: 'GeneralMailboxIdParameter',
          position: 0,
          valueFromPipeline: true,
          valueFromPipelineByPropertyName: true,
          description: 'The mailbox: name, alias, address, GUID or UPN; all mailboxes when omitted.',
          convert: (v) => (v === null ? null : String((v as { get?: (n: string) => unknown }).get?.('Guid') ?? v)),
        },
      ],
      async invoke(args, inv) {
        if (ctx.role !== 'Mailbox') throw new CmdletError('Get-MailboxStatistics needs a Mailbox server: an Edge Transport server has no mailboxes.', { reason: 'InvalidOperationException' });
        const databases = new Map(ctx.repo.list(mailboxDatabaseSchema).map((d) => [String(d.values.Name).toLowerCase(), d]));
        const out: unknown[] = [];
        for (const m of findRecipients(ctx, [mailboxSchema], args.get('Identity') as string | null | undefined)) {
          const db = databases.get(String(m.values.Database).toLowerCase());
          if (!db) throw new CmdletError(`The database ${m.values.Database} of mailbox ${m.values.Name} no longer exists.`, { reason: 'ManagementObjectNotFoundException' });
          if (!isThisServer(ctx, String(db.values.Server))) {
            // The Maildir is on the database's server: that server reads it.
            out.push(...(await runOnServer(ctx, organizationServer(ctx, String(db.values.Server)), { name: 'Get-MailboxStatistics', parameters: [] }, new Map([['Identity', m.guid]]), inv)));
            continue;
          }
          let stats;
          try {
            stats = maildirStatistics(String(db.values.FolderPath), m.guid);
          } catch (err) {
            throw new CmdletError(`The mailbox folder of ${m.values.Name} cannot be read (${(err as Error).message}): check that ${String(db.values.FolderPath)} exists and that this user may read it.`, { reason: 'MapiExceptionNotFound' });
          }
          out.push(
            new PSObject(typeNamesFor('MailboxStatistics'), [
              ['DisplayName', m.values.DisplayName ?? m.values.Name],
              ['ItemCount', stats.itemCount],
              ['TotalItemSize', ByteQuantifiedSize.fromBytes(stats.totalItemSize)],
              ['LastLogonTime', null],
              ['LastDeliveryTime', stats.lastDeliveryTime],
              ['Database', db.values.Name],
              ['ServerName', db.values.Server],
              ['MailboxGuid', m.guid],
              ['Identity', m.guid],
            ]),
          );
        }
        return out;
      },
    },
  ];
}

export const mailboxStatisticsViews = [tableView('MailboxStatistics', ['DisplayName', 'ItemCount', 'LastLogonTime'])];
