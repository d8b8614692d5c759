// What the recipient cmdlets share (mailboxes and distribution groups):
// identity resolution (name, alias, any SMTP address, GUID, UPN), the rules on
// email addresses (accepted domains, one owner per proxy address, exactly one
// primary that PrimarySmtpAddress mirrors), and Get-Recipient. Recipients live
// in the organization store: on an Edge Transport server these commands say so.

import { acceptedDomainSchema } from '../config/model/accepted-domain.js';
import { distributionGroupSchema, isPrimaryProxy, mailboxDatabaseSchema, mailboxSchema, parseSmtpAddress, proxyAddressOf } from '../config/model/recipient.js';
import type { ObjectSchema } from '../config/schema.js';
import type { SmtpDomainWithSubdomains } from '../config/types/smtp-domain.js';
import { recipientAddresses } from '../directory/recipients.js';
import { Unlimited } from '../config/types/index.js';
import { ConversionError, type BoundArguments, type CommandSpec, type InvocationContext, type ParameterSpec } from '../shell/command.js';
import { CmdletError, PSObject } from '../shell/values.js';
import type { ModelObject } from '../store/repository.js';
import { ambiguous, notFound } from './errors.js';
import { assertUnchanged, tableView, updateObject } from './object-commands.js';
import { applyParameters } from './object-parameters.js';
import { identityParameter } from './object-identity.js';
import { compileOpath } from './opath.js';
import { defaultContext, type ServerContext } from './server-context.js';
import { typeNamesFor } from './object-output.js';

export const RECIPIENT_SCHEMAS: ObjectSchema[] = [mailboxSchema, distributionGroupSchema];

/** Wraps a command so that it refuses to run on an Edge Transport server. */
export function organizationCommand(ctx: ServerContext, spec: Omit<CommandSpec, 'invoke'>, run: (args: BoundArguments, inv: InvocationContext) => Promise<unknown[]>): CommandSpec {
  return {
    ...spec,
    invoke: async (args, inv) => {
      if (ctx.role !== 'Mailbox') {
        throw new CmdletError(`${spec.name} manages recipients and mailbox databases of the organization, which an Edge Transport server (${ctx.name}) does not hold. Run it in the shell of a Mailbox server.`, {
          category: 'InvalidOperation',
          reason: 'InvalidOperationException',
        });
      }
      return run(args, inv);
    },
  };
}

export function allRecipients(ctx: ServerContext): ModelObject[] {
  return RECIPIENT_SCHEMAS.flatMap((s) => ctx.repo.list(s));
}

function wildcard(pattern: string): RegExp {
  return new RegExp(
    `^${pattern
      .replace(/[.+^${}()|\\[\]]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    'i',
  );
}

/** Does `identity` name this recipient: GUID, name, alias, any SMTP address (with or without smtp:), UPN, or DOMAIN-less account name. */
export function recipientMatches(obj: ModelObject, identity: string, allowWildcards: boolean): boolean {
  const id = identity.trim();
  if (allowWildcards && /[*?]/.test(id)) return wildcard(id).test(String(obj.values.Name));
  const lower = id.toLowerCase().replace(/^smtp:/, '');
  const names = [obj.guid, obj.values.Name, obj.values.Alias, obj.values.UserPrincipalName, ...recipientAddresses(obj)];
  return names.some((n) => n !== null && n !== undefined && String(n).toLowerCase() === lower);
}

/** System mailboxes (Test-Mailflow's SystemMailbox{...}) are left out of listings; their identity still finds them. */
export function isSystemMailbox(obj: ModelObject): boolean {
  return obj.values.RecipientTypeDetails === 'SystemMailbox';
}

/** Recipients an identity names (none given = all but system mailboxes); wildcards on the name for Get-*. */
export function findRecipients(ctx: ServerContext, schemas: ObjectSchema[], identity: string | null | undefined): ModelObject[] {
  const all = schemas.flatMap((s) => ctx.repo.list(s));
  if (identity === null || identity === undefined) return all.filter((o) => !isSystemMailbox(o));
  const found = all.filter((o) => recipientMatches(o, identity, true) && (!/[*?]/.test(identity) || !isSystemMailbox(o)));
  if (found.length === 0 && !/[*?]/.test(identity)) throw notFound(identity, ctx.fqdn);
  return found;
}

/** Exactly one recipient. */
export function findRecipient(ctx: ServerContext, schemas: ObjectSchema[], identity: string): ModelObject {
  const found = schemas.flatMap((s) => ctx.repo.list(s)).filter((o) => recipientMatches(o, identity, false));
  if (found.length === 0) throw notFound(identity, ctx.fqdn);
  if (found.length > 1) throw ambiguous(identity);
  return found[0];
}

/** The default accepted domain's name (contoso.com), or null when the organization has none. */
export function defaultAcceptedDomain(ctx: ServerContext): string | null {
  const d = ctx.repo.list(acceptedDomainSchema).find((x) => x.values.Default === true) ?? ctx.repo.list(acceptedDomainSchema)[0];
  if (!d) return null;
  return String(d.values.DomainName).replace(/^\*\.?/, '') || null;
}

function inAcceptedDomain(ctx: ServerContext, domain: string): boolean {
  return ctx.repo.list(acceptedDomainSchema).some((d) => {
    const dn = d.values.DomainName as SmtpDomainWithSubdomains;
    if (dn.matches(domain)) return true;
    return d.values.MatchSubDomains === true && domain.toLowerCase().endsWith(`.${dn.domain.toLowerCase()}`);
  });
}

function addressError(message: string, parameter: string): CmdletError {
  return new CmdletError(message, { category: 'NotSpecified', reason: 'DataValidationException', parameter });
}

/**
 * Checks every proxy address of a recipient: in an accepted domain of the
 * organization, and not used by any other recipient. `selfGuid` is the
 * recipient itself (Set-*), excluded from the uniqueness check; `previous`
 * its addresses before the change (only new ones need an accepted domain).
 */
export function checkProxyAddresses(ctx: ServerContext, proxies: string[], selfGuid: string | null, parameter: string, previous: string[] = []): void {
  const had = new Set(previous.map((p) => proxyAddressOf(p).toLowerCase()));
  for (const proxy of proxies) {
    const address = proxyAddressOf(proxy);
    if (had.has(address.toLowerCase())) continue; // kept addresses stay valid even if their domain was removed since
    const domain = address.slice(address.lastIndexOf('@') + 1);
    if (!inAcceptedDomain(ctx, domain)) {
      throw addressError(
        `The email address "${address}" isn't valid: the domain "${domain}" isn't an accepted domain for your organization. Add it with New-AcceptedDomain, or use an address in an accepted domain (Get-AcceptedDomain).`,
        parameter,
      );
    }
  }
  for (const other of allRecipients(ctx)) {
    if (other.guid === selfGuid) continue;
    const used = new Set(recipientAddresses(other).map((a) => a.toLowerCase()));
    const clash = proxies.find((p) => used.has(proxyAddressOf(p).toLowerCase()));
    if (clash) {
      throw addressError(`The proxy address "${clash}" is already being used by the proxy addresses or LegacyExchangeDN of "${other.values.Name}". Please choose another proxy address.`, parameter);
    }
  }
}

/** Name and alias unique among recipients (an alias names a recipient, so two would make it ambiguous). */
export function checkNameAndAlias(ctx: ServerContext, values: Record<string, unknown>, selfGuid: string | null): void {
  for (const other of allRecipients(ctx)) {
    if (other.guid === selfGuid) continue;
    if (String(other.values.Name).toLowerCase() === String(values.Name).toLowerCase()) {
      throw new CmdletError(`The name "${values.Name}" is already used by the ${other.schema.label} "${other.values.Name}". Choose another name.`, { category: 'NotSpecified', reason: 'ADObjectAlreadyExistsException', parameter: 'Name' });
    }
    if (String(other.values.Alias).toLowerCase() === String(values.Alias).toLowerCase()) {
      throw new CmdletError(`The alias "${values.Alias}" is already used by the ${other.schema.label} "${other.values.Name}". Choose another alias.`, { category: 'NotSpecified', reason: 'DataValidationException', parameter: 'Alias' });
    }
  }
}

/**
 * Keeps PrimarySmtpAddress and EmailAddresses consistent after a change:
 * a new PrimarySmtpAddress becomes the one "SMTP:" entry (the old primary
 * stays as a secondary smtp: address); a changed EmailAddresses list decides
 * the primary by its "SMTP:" entry (an added SMTP: entry replaces the old
 * primary); a list without any is refused unless the old primary is still in it.
 */
export function reconcileAddresses(values: Record<string, unknown>, primaryGiven: boolean, addressesGiven: boolean, oldPrimary: string | null): void {
  let proxies = (Array.isArray(values.EmailAddresses) ? values.EmailAddresses : []).map(String);
  const same = (p: string, a: string) => proxyAddressOf(p).toLowerCase() === a.toLowerCase();
  if (primaryGiven) {
    const primary = String(values.PrimarySmtpAddress);
    proxies = [`SMTP:${primary}`, ...proxies.filter((p) => !same(p, primary)).map((p) => `smtp:${proxyAddressOf(p)}`)];
  } else if (addressesGiven) {
    let primaries = proxies.filter(isPrimaryProxy);
    if (primaries.length > 1 && oldPrimary) {
      proxies = proxies.map((p) => (isPrimaryProxy(p) && same(p, oldPrimary) ? `smtp:${proxyAddressOf(p)}` : p));
      primaries = proxies.filter(isPrimaryProxy);
    }
    if (primaries.length > 1) {
      throw addressError(`The email address list has more than one primary SMTP address (${primaries.join(', ')}). Only one address may have the upper-case SMTP: prefix.`, 'EmailAddresses');
    }
    if (primaries.length === 0) {
      const keep = oldPrimary ? proxies.find((p) => same(p, oldPrimary)) : undefined;
      if (!keep) throw addressError('The email address list has no primary SMTP address. Mark one address with the upper-case SMTP: prefix, or set -PrimarySmtpAddress.', 'EmailAddresses');
      proxies = proxies.map((p) => (p === keep ? `SMTP:${proxyAddressOf(p)}` : p));
    }
    const primary = proxyAddressOf(proxies.find(isPrimaryProxy)!);
    values.PrimarySmtpAddress = parseSmtpAddress(primary);
    proxies = [proxies.find(isPrimaryProxy)!, ...proxies.filter((p) => !isPrimaryProxy(p))];
  }
  values.EmailAddresses = proxies;
}

/** Exchange's ReducedRecipient: what Get-Recipient and Get-DistributionGroupMember show. */
export function reducedRecipient(obj: ModelObject): PSObject {
  return new PSObject(typeNamesFor('ReducedRecipient'), [
    ['Alias', obj.values.Alias ?? null],
    ['DisplayName', obj.values.DisplayName ?? null],
    ['EmailAddresses', obj.values.EmailAddresses ?? []],
    ['Name', obj.values.Name],
    ['PrimarySmtpAddress', obj.values.PrimarySmtpAddress ?? null],
    ['RecipientType', obj.values.RecipientType],
    ['RecipientTypeDetails', obj.values.RecipientTypeDetails],
    ['Identity', obj.values.Name],
    ['Guid', obj.guid],
  ]);
}

/** -ResultSize of the recipient Get-* cmdlets: a positive number or Unlimited (default 1000). */
export const resultSizeParameter: ParameterSpec = {
  name: 'ResultSize',
  typeName: 'Unlimited',
  description: 'How many objects to return: a number, or Unlimited (default 1000).',
  defaultValue: '1000',
  convert: (v) => {
    try {
      return Unlimited.parse(v, (x) => {
        const n = typeof x === 'number' ? x : Number(String(x).trim());
        if (!Number.isInteger(n) || n < 1) throw new Error(`The value "${String(x)}" is not valid for ResultSize: use a whole number of at least 1, or Unlimited.`);
        return n;
      });
    } catch (err) {
      throw new ConversionError((err as Error).message);
    }
  },
};

/** -Filter of the recipient Get-* cmdlets (OPATH, src/cmdlets/opath.ts). */
export function filterParameter(example: string): ParameterSpec {
  return {
    name: 'Filter',
    typeName: 'String',
    description: `OPATH filter: Property -eq/-ne/-like/-notlike value, joined with -and, -or, -not and parentheses; e.g. ${example}.`,
    convert: (v) => (v !== null && typeof v === 'object' && (v as { kind?: unknown }).kind === 'scriptblock' ? v : String(v)),
  };
}

export const DEFAULT_RESULT_SIZE_WARNING =
  'By default, only the first 1000 items are returned. Use the ResultSize parameter to specify the number of items returned. To return all items, specify "-ResultSize Unlimited". Be aware that, depending on the actual number of items, returning all items can take a long time and consume a large amount of memory. Also, we don\'t recommend storing the results in a variable. Instead, pipe the results to another task or script to perform batch changes.';
export const MORE_RESULTS_WARNING = 'There are more results available than are currently displayed. To view them, increase the value for the ResultSize parameter.';

/** Applies -Filter (over the output objects' properties) and then -ResultSize, with Exchange's warnings when results are cut. */
export function filterAndLimit(objects: PSObject[], args: BoundArguments, inv: InvocationContext, filterable: readonly string[]): PSObject[] {
  let out = objects;
  if (args.has('Filter')) {
    const test = compileOpath(args.get('Filter'), filterable);
    out = out.filter((o) => test((p) => o.get(p)));
  }
  const size = args.get('ResultSize') as Unlimited<number> | undefined;
  if (size?.isUnlimited) return out;
  const limit = size ? size.value : 1000;
  if (out.length <= limit) return out;
  inv.warn(size ? MORE_RESULTS_WARNING : DEFAULT_RESULT_SIZE_WARNING);
  return out.slice(0, limit);
}

/** What Get-Recipient -Filter can name. */
const RECIPIENT_FILTERABLE = [
  'Alias',
  'DisplayName',
  'EmailAddresses',
  'Name',
  'PrimarySmtpAddress',
  'RecipientType',
  'RecipientTypeDetails',
  'Guid',
  'Database',
  'ServerName',
  'UserPrincipalName',
  'RequireSenderAuthenticationEnabled',
  'ForwardingSmtpAddress',
];

export function recipientCommands(ctx: ServerContext): CommandSpec[] {
  return [
    organizationCommand(
      ctx,
      {
        name: 'Get-Recipient',
        synopsis: 'Lists the recipients of the organization (mailboxes and distribution groups).',
        parameters: [
          { ...identityParameter('RecipientIdParameter', false), description: 'Name (wildcards allowed), alias, email address, GUID or UPN.' },
          { name: 'RecipientType', typeName: 'RecipientType[]', description: 'Only these types: UserMailbox, MailUniversalDistributionGroup.', convert: (v) => (Array.isArray(v) ? v : [v]).map(String) },
          filterParameter(`"RecipientType -eq 'UserMailbox' -and EmailAddresses -like '*@contoso.com'"`),
          resultSizeParameter,
        ],
        examples: [
          { code: 'Get-Recipient -ResultSize Unlimited', remarks: 'Lists every recipient of the organization.' },
          { code: 'Get-Recipient -Filter "EmailAddresses -like \'*@fabrikam.com\'"', remarks: 'Lists the recipients with an address in fabrikam.com.' },
        ],
      },
      async (args, inv) => {
        if (args.has('Identity') && args.has('Filter'))
          throw new CmdletError('Parameter set cannot be resolved using the specified named parameters: -Identity and -Filter cannot be used together.', { category: 'InvalidArgument', reason: 'ParameterBindingException' });
        let found = findRecipients(ctx, RECIPIENT_SCHEMAS, args.get('Identity') as string | null | undefined);
        if (args.has('RecipientType')) {
          const types = (args.get('RecipientType') as string[]).map((t) => t.toLowerCase());
          found = found.filter((o) => types.includes(String(o.values.RecipientType).toLowerCase()));
        }
        const databases = new Map(ctx.repo.list(mailboxDatabaseSchema).map((d) => [String(d.values.Name).toLowerCase(), d]));
        const objects = found.map((o) => {
          const r = reducedRecipient(o);
          const db = o.values.Database ? databases.get(String(o.values.Database).toLowerCase()) : undefined;
          const hidden: [string, unknown][] = [
            ['Database', o.values.Database ?? null],
            ['ServerName', db ? String(db.values.Server).toLowerCase() : null],
            ['UserPrincipalName', o.values.UserPrincipalName ?? null],
            ['RequireSenderAuthenticationEnabled', o.values.RequireSenderAuthenticationEnabled ?? null],
            ['ForwardingSmtpAddress', o.values.ForwardingSmtpAddress ?? null],
          ];
          return { r, get: (p: string) => (r.has(p) ? r.get(p) : hidden.find(([n]) => n.toLowerCase() === p.toLowerCase())?.[1]) };
        });
        let chosen = objects;
        if (args.has('Filter')) {
          const test = compileOpath(args.get('Filter'), RECIPIENT_FILTERABLE);
          chosen = chosen.filter((o) => test(o.get));
        }
        const withoutFilter = new Map(args);
        withoutFilter.delete('Filter');
        return filterAndLimit(
          chosen.map((o) => o.r),
          withoutFilter,
          inv,
          RECIPIENT_FILTERABLE,
        );
      },
    ),
  ];
}

export const recipientViews = [tableView('ReducedRecipient', ['Name', 'RecipientType'])];

/**
 * Set-Mailbox and Set-DistributionGroup: apply the parameters, keep the
 * addresses consistent, check names and proxy addresses before confirming and
 * again inside the transaction; `prepare` adjusts the new values first,
 * `commit` writes related objects in the same transaction.
 */
export async function setRecipient(
  ctx: ServerContext,
  schema: ObjectSchema,
  args: BoundArguments,
  inv: InvocationContext,
  action: string,
  hooks: { prepare?: (values: Record<string, unknown>) => void; commit?: (values: Record<string, unknown>) => void } = {},
): Promise<[]> {
  const obj = findRecipient(ctx, [schema], String(args.get('Identity')));
  const values = { ...obj.values };
  if (args.has('Name')) values.Name = args.get('Name');
  applyParameters(schema, values, args, 'set', ctx, defaultContext(ctx));
  reconcileAddresses(values, args.has('PrimarySmtpAddress'), args.has('EmailAddresses'), String(obj.values.PrimarySmtpAddress));
  hooks.prepare?.(values);
  const previous = (obj.values.EmailAddresses as string[] | undefined) ?? [];
  const check = () => {
    checkNameAndAlias(ctx, values, obj.guid);
    checkProxyAddresses(ctx, values.EmailAddresses as string[], obj.guid, args.has('PrimarySmtpAddress') ? 'PrimarySmtpAddress' : 'EmailAddresses', previous);
  };
  check();
  if (!(await inv.shouldProcess(String(obj.values.Name), action))) return [];
  ctx.repo.transaction(() => {
    assertUnchanged(ctx, obj);
    check();
    obj.values = values;
    updateObject(ctx, obj);
    hooks.commit?.(values);
  });
  return [];
}
