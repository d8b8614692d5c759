// The system mailbox of a mailbox database, as Exchange's SystemMailbox{GUID}:
// the mailbox Test-Mailflow sends its probe from and to. It is created the
// first time a test needs it, owns no directory account (nobody logs on to
// it), carries RecipientTypeDetails SystemMailbox and is left out of
// Get-Mailbox and Get-Recipient listings (its name still finds it). Its
// address is SystemMailbox{<database GUID>}@<default accepted domain>.

import { mailboxSchema, parseSmtpAddress } from '../config/model/recipient.js';
import { newModelObject, type ModelObject } from '../store/repository.js';
import { invalidOperation } from './errors.js';
import { insertObject } from './object-commands.js';
import { defaultValues } from '../config/schema.js';
import { defaultAcceptedDomain } from './recipient-common.js';
import { defaultContext, type ServerContext } from './server-context.js';

export function systemMailboxName(database: ModelObject): string {
  return `SystemMailbox{${database.guid}}`;
}

/** The database's system mailbox, created when missing. */
export function ensureSystemMailbox(ctx: ServerContext, database: ModelObject): ModelObject {
  const name = systemMailboxName(database);
  const find = () => ctx.repo.list(mailboxSchema).find((m) => String(m.values.Name).toLowerCase() === name.toLowerCase());
  const existing = find();
  if (existing) return existing;
  const domain = defaultAcceptedDomain(ctx);
  if (!domain) throw invalidOperation('The organization has no accepted domain to address the system mailbox in. Add one with New-AcceptedDomain.', 'TargetDatabase');
  const values = defaultValues(mailboxSchema, defaultContext(ctx));
  const address = parseSmtpAddress(`${name}@${domain}`);
  Object.assign(values, {
    Name: name,
    Alias: name,
    DisplayName: `Microsoft System Attendant (${database.values.Name})`,
    UserPrincipalName: address.toString(),
    PrimarySmtpAddress: address,
    EmailAddresses: [`SMTP:${address}`],
    Database: String(database.values.Name),
    RecipientType: 'UserMailbox',
    RecipientTypeDetails: 'SystemMailbox',
  });
  return ctx.repo.transaction(() => {
    const again = find(); // another shell created it meanwhile
    if (again) return again;
    const obj = newModelObject(mailboxSchema, '', values);
    insertObject(ctx, obj);
    return obj;
  });
}
