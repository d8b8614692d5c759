// New-/Set-/Get-/Remove-AcceptedDomain (spec exchange-connectors.md §7.3,
// §7.4). The first accepted domain becomes the default; the default cannot be
// removed until another one is made default (Set-AcceptedDomain -MakeDefault).

import { acceptedDomainSchema } from '../config/model/accepted-domain.js';
import { validateAcceptedDomain } from '../config/validate.js';
import { newModelObject, type ModelObject } from '../store/repository.js';
import type { CommandSpec } from '../shell/command.js';
import { invalidOperation } from './errors.js';
import { assertUnchanged, checkAndWrite, createdOutput, getCommand, insertObject, nameParameter, removeCommand, tableView, throwIfProblems, updateObject } from './object-commands.js';
import { findObject, identityParameter, objectNames } from './object-identity.js';
import { applyParameters, schemaParameters } from './object-parameters.js';
import { defaultValues } from '../config/schema.js';
import { defaultContext, type ServerContext } from './server-context.js';

const schema = acceptedDomainSchema;

function others(ctx: ServerContext, except?: string) {
  return ctx.repo
    .list(schema)
    .filter((o) => o.guid !== except)
    .map((o) => ({ name: String(o.values.Name), values: o.values }));
}

function addressBookDefault(domainType: unknown): boolean {
  return String(domainType) === 'Authoritative';
}

export function acceptedDomainCommands(ctx: ServerContext): CommandSpec[] {
  const newCommand: CommandSpec = {
    name: 'New-AcceptedDomain',
    synopsis: 'Adds a domain this organization (or this Edge server) accepts mail for.',
    supportsShouldProcess: true,
    confirmImpact: 'Medium',
    parameters: [nameParameter(schema, { position: 0, mandatory: true }), ...schemaParameters(schema, 'new', [], defaultContext(ctx)).map((p) => (p.name === 'DomainName' ? { ...p, mandatory: true } : p))],
    examples: [{ code: 'New-AcceptedDomain -Name Contoso -DomainName contoso.com -DomainType Authoritative', remarks: 'Accepts mail for contoso.com, whose mailboxes are in this organization.' }],
    async invoke(args, inv) {
      const defaults = defaultContext(ctx);
      const values = defaultValues(schema, defaults);
      values.Name = args.get('Name');
      applyParameters(schema, values, args, 'new', ctx, defaults);
      values.AddressBookEnabled = addressBookDefault(values.DomainType);
      const existing = others(ctx);
      values.Default = existing.length === 0;
      throwIfProblems(validateAcceptedDomain(values, existing));
      if (!(await inv.shouldProcess(String(values.Name), 'Creating accepted domain'))) return [];
      const obj = newModelObject(schema, '', values);
      checkAndWrite(
        ctx,
        () => {
          const current = others(ctx);
          values.Default = current.length === 0;
          return validateAcceptedDomain(values, current);
        },
        () => insertObject(ctx, obj),
      );
      return [createdOutput(ctx, obj)];
    },
  };

  const setCommand: CommandSpec = {
    name: 'Set-AcceptedDomain',
    synopsis: 'Changes an accepted domain (type, default domain, recipient lookup, subdomains).',
    supportsShouldProcess: true,
    confirmImpact: 'Medium',
    parameters: [
      identityParameter('AcceptedDomainIdParameter', true, objectNames(ctx, schema)),
      nameParameter(schema, {}),
      ...schemaParameters(schema, 'set'),
      { name: 'MakeDefault', typeName: 'Boolean', description: '$true makes this the default domain (the previous default stops being default).', convert: (v) => v === true || v === 1 },
    ],
    async invoke(args, inv) {
      const obj = findObject(ctx, schema, String(args.get('Identity')));
      const values = { ...obj.values };
      if (args.has('Name')) values.Name = args.get('Name');
      const typeBefore = values.DomainType;
      applyParameters(schema, values, args, 'set', ctx, defaultContext(ctx));
      if (args.has('DomainType') && !args.has('AddressBookEnabled') && values.DomainType !== typeBefore) values.AddressBookEnabled = addressBookDefault(values.DomainType);
      if (args.get('MakeDefault') === false && obj.values.Default === true) {
        throw invalidOperation(`${obj.values.Name} is the default domain. Make another domain default with Set-AcceptedDomain <name> -MakeDefault $true instead.`, 'MakeDefault');
      }
      throwIfProblems(validateAcceptedDomain(values, others(ctx, obj.guid)));
      if (!(await inv.shouldProcess(String(obj.values.Name), 'Setting accepted domain'))) return [];
      checkAndWrite(
        ctx,
        () => validateAcceptedDomain(values, others(ctx, obj.guid)),
        () => {
          assertUnchanged(ctx, obj);
          if (args.get('MakeDefault') === true) {
            for (const other of ctx.repo.list(schema)) {
              if (other.guid !== obj.guid && other.values.Default === true) {
                other.values.Default = false;
                updateObject(ctx, other);
              }
            }
            values.Default = true;
          }
          obj.values = values;
          updateObject(ctx, obj);
        },
      );
      return [];
    },
  };

  return [
    newCommand,
    setCommand,
    getCommand(ctx, { schema, synopsis: 'Lists accepted domains.' }),
    removeCommand(ctx, schema, 'Removes an accepted domain.', (obj: ModelObject) => {
      if (obj.values.Default === true && others(ctx, obj.guid).length > 0) {
        throw invalidOperation(`${obj.values.Name} is the default accepted domain and cannot be removed. Make another domain the default first: Set-AcceptedDomain <name> -MakeDefault $true.`);
      }
    }),
  ];
}

export const acceptedDomainViews = [tableView('AcceptedDomain', ['Name', 'DomainName', 'DomainType', 'Default'])];
