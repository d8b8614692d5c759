// New-/Set-/Get-/Remove-RemoteDomain: how mail to domains outside the
// organization is treated (automatic replies and forwards, delivery reports,
// NDRs). The Default remote domain ("*") always exists and cannot be
// removed; it is stored the first time it is changed.

import { DEFAULT_REMOTE_DOMAIN, remoteDomainSchema } from '../config/model/remote-domain.js';
import type { SmtpDomainWithSubdomains } from '../config/types/index.js';
import type { Problem } from '../config/validate.js';
import { newModelObject, type ModelObject } from '../store/repository.js';
import type { CommandSpec } from '../shell/command.js';
import { invalidOperation } from './errors.js';
import { checkAndWrite, getCommand, insertObject, nameParameter, removeCommand, setCommand, tableView, throwIfProblems } from './object-commands.js';
import { findObjects } from './object-identity.js';
import { missingDefaults, toPSObject } from './object-output.js';
import { applyParameters, schemaParameters } from './object-parameters.js';
import { defaultValues } from '../config/schema.js';
import { defaultContext, type ServerContext } from './server-context.js';

const schema = remoteDomainSchema;

function defaultDomain(ctx: ServerContext): ModelObject {
  const values = defaultValues(schema, defaultContext(ctx));
  values.Name = DEFAULT_REMOTE_DOMAIN;
  values.DomainName = schema.properties.find((p) => p.name === 'DomainName')!.parse('*');
  return newModelObject(schema, '', values);
}

function isDefault(obj: ModelObject): boolean {
  return (obj.values.DomainName as SmtpDomainWithSubdomains | null)?.isStar === true;
}

/** Stores the Default remote domain when it is not there yet (Exchange always has it). */
function ensureDefault(ctx: ServerContext): void {
  if (ctx.repo.list(schema).some(isDefault)) return;
  ctx.repo.transaction(() => {
    if (!ctx.repo.list(schema).some(isDefault)) ctx.repo.insert(defaultDomain(ctx));
  });
}

function validate(values: Record<string, unknown>, others: ModelObject[]): Problem[] {
  const domain = String(values.DomainName ?? '').toLowerCase();
  const clash = others.find((o) => String(o.values.DomainName ?? '').toLowerCase() === domain);
  return clash ? [{ property: 'DomainName', message: `The domain ${String(values.DomainName)} is already configured as remote domain "${clash.values.Name}".` }] : [];
}

export function remoteDomainCommands(ctx: ServerContext): CommandSpec[] {
  const get = getCommand(ctx, { schema, synopsis: 'Lists the remote domains (Default, "*", always among them).', extra: (obj) => missingDefaults(obj, defaultContext(ctx)) });
  const getWithDefault: CommandSpec = {
    ...get,
    examples: [{ code: 'Get-RemoteDomain | Format-Table Name,DomainName,AutoReplyEnabled,NDREnabled', remarks: 'Shows what may go to each remote domain.' }],
    invoke(args, inv) {
      if (ctx.repo.list(schema).some(isDefault)) return get.invoke(args, inv);
      // Not stored yet: shown with its defaults.
      const all = [...ctx.repo.list(schema), defaultDomain(ctx)];
      const identity = args.get('Identity') as string | null | undefined;
      const wanted =
        identity === undefined || identity === null
          ? all
          : all.filter((o) => {
              const re = new RegExp(
                `^${String(identity)
                  .replace(/[.+^${}()|\\[\]]/g, '\\$&')
                  .replace(/\*/g, '.*')
                  .replace(/\?/g, '.')}$`,
                'i',
              );
              return re.test(String(o.values.Name)) || o.guid === identity;
            });
      if (wanted.length === 0 && identity !== null && identity !== undefined && !/[*?]/.test(String(identity))) findObjects(ctx, schema, String(identity));
      return wanted.map((o) => toPSObject(o));
    },
  };
  const set = setCommand(ctx, {
    schema,
    synopsis: 'Changes what may go to a remote domain: automatic replies and forwards, delivery reports, NDRs.',
    parameters: schemaParameters(schema, 'set'),
    validate: (values, obj) =>
      validate(
        values,
        ctx.repo.list(schema).filter((o) => o.guid !== obj.guid),
      ),
    defaults: () => defaultContext(ctx),
  });
  const setWithDefault: CommandSpec = {
    ...set,
    examples: [
      { code: 'Set-RemoteDomain Default -AutoForwardEnabled $false', remarks: 'Messages forwarded automatically no longer leave the organization.' },
      { code: 'Set-RemoteDomain Fabrikam -NDREnabled $false -DeliveryReportEnabled $false', remarks: 'No NDRs and no delivery reports go to fabrikam.com.' },
    ],
    invoke(args, inv) {
      ensureDefault(ctx);
      return set.invoke(args, inv);
    },
  };
  const newCommand: CommandSpec = {
    name: 'New-RemoteDomain',
    synopsis: "Adds a remote domain, whose settings then apply to mail to that domain instead of Default's.",
    supportsShouldProcess: true,
    confirmImpact: 'Medium',
    parameters: [nameParameter(schema, { position: 0, mandatory: true }), ...schemaParameters(schema, 'new', [], defaultContext(ctx)).map((p) => (p.name === 'DomainName' ? { ...p, mandatory: true } : p))],
    examples: [{ code: 'New-RemoteDomain -Name Fabrikam -DomainName fabrikam.com', remarks: 'Creates settings for mail to fabrikam.com (change them with Set-RemoteDomain Fabrikam).' }],
    async invoke(args, inv) {
      ensureDefault(ctx);
      const values = defaultValues(schema, defaultContext(ctx));
      values.Name = args.get('Name');
      applyParameters(schema, values, args, 'new', ctx, defaultContext(ctx));
      if ((values.DomainName as SmtpDomainWithSubdomains).isStar) throw invalidOperation('The domain "*" belongs to the Default remote domain. Change it with Set-RemoteDomain Default.', 'DomainName');
      throwIfProblems(validate(values, ctx.repo.list(schema)));
      if (!(await inv.shouldProcess(String(values.Name), 'Creating remote domain'))) return [];
      const obj = newModelObject(schema, '', values);
      checkAndWrite(
        ctx,
        () => validate(values, ctx.repo.list(schema)),
        () => insertObject(ctx, obj),
      );
      return [toPSObject(obj)];
    },
  };
  return [
    newCommand,
    setWithDefault,
    getWithDefault,
    removeCommand(ctx, schema, 'Removes a remote domain (mail to it then follows Default).', (obj) => {
      if (isDefault(obj)) throw invalidOperation('The Default remote domain cannot be removed. Change its settings with Set-RemoteDomain Default.');
    }),
  ];
}

export const remoteDomainViews = [tableView('RemoteDomain', ['Name', 'DomainName', 'AllowedOOFType'])];
