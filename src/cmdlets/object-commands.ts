// Building blocks shared by the New-/Set-/Get-/Remove- cmdlets of every
// configuration noun: the common parameters, storing with name-uniqueness and
// validation errors in Exchange's words, and removal with confirmation.

import type { DefaultContext, ObjectSchema } from '../config/schema.js';
import type { Problem } from '../config/validate.js';
import { DuplicateObjectError } from '../store/config-store.js';
import type { ModelObject } from '../store/repository.js';
import { ConversionError, type BoundArguments, type CommandSpec, type ParameterSpec } from '../shell/command.js';
import type { ObjectView, PSObject } from '../shell/values.js';
import { alreadyExists, invalid } from './errors.js';
import { findObject, findObjects, identityParameter, objectNames } from './object-identity.js';
import { toPSObject } from './object-output.js';
import { applyParameters, convertForProperty } from './object-parameters.js';
import type { ServerContext } from './server-context.js';
import { findProperty } from '../config/schema.js';

export function nameParameter(schema: ObjectSchema, options: { position?: number; mandatory?: boolean }): ParameterSpec {
  const def = findProperty(schema, 'Name');
  if (!def) throw new Error(`${schema.typeName} has no Name property`);
  return { name: 'Name', typeName: 'String', position: options.position, mandatory: options.mandatory, description: def.description, convert: convertForProperty(def) };
}

/** Saves a new object, mapping a duplicate name to Exchange's error. */
export function insertObject(ctx: ServerContext, obj: ModelObject): void {
  try {
    ctx.repo.insert(obj);
  } catch (err) {
    if (err instanceof DuplicateObjectError) throw alreadyExists(obj.schema.label, err.objectName, ctx.fqdn);
    throw err;
  }
}

/**
 * What a New-* cmdlet writes: the object as stored (read back, so that it
 * shows what a Get-* shows), with the same extra properties as the Get-*.
 */
export function createdOutput(ctx: ServerContext, obj: ModelObject, extra: Record<string, unknown> = {}): PSObject {
  return toPSObject(ctx.repo.get(obj.schema, obj.guid) ?? obj, extra);
}

export function updateObject(ctx: ServerContext, obj: ModelObject): void {
  try {
    ctx.repo.update(obj);
  } catch (err) {
    if (err instanceof DuplicateObjectError) throw alreadyExists(obj.schema.label, err.objectName, ctx.fqdn);
    throw err;
  }
}

export function throwIfProblems(problems: Problem[]): void {
  if (problems.length > 0) throw invalid(problems);
}

/**
 * Checks the rules again and writes, in one write transaction: two shells on
 * the same store cannot both pass a rule that spans objects (one binding +
 * remote range per server, one name per domain). Callers check once before
 * asking for confirmation, so a bad command fails without a prompt.
 */
export function checkAndWrite(ctx: ServerContext, check: () => Problem[], write: () => void): void {
  ctx.repo.transaction(() => {
    throwIfProblems(check());
    write();
  });
}

/** Inside a transaction: fails when another session changed the object since this command read it. */
export function assertUnchanged(ctx: ServerContext, obj: ModelObject): void {
  const current = ctx.repo.get(obj.schema, obj.guid);
  if (!current) throw invalid([{ property: 'Identity', message: `The ${obj.schema.label} "${obj.values.Name}" was removed by another session while this command ran.` }]);
  if (current.whenChanged.getTime() !== obj.whenChanged.getTime()) {
    throw invalid([{ property: 'Identity', message: `The ${obj.schema.label} "${obj.values.Name}" was changed by another session while this command ran. Run the command again.` }]);
  }
}

export interface GetOptions {
  schema: ObjectSchema;
  synopsis: string;
  /** Extra computed properties for the output object. */
  extra?: (obj: ModelObject, ctx: ServerContext) => Record<string, unknown>;
  /** Order of the output (default: creation order). */
  sort?: (a: ModelObject, b: ModelObject) => number;
}

export function getCommand(ctx: ServerContext, o: GetOptions): CommandSpec {
  return {
    name: `Get-${o.schema.noun}`,
    synopsis: o.synopsis,
    parameters: [identityParameter(`${o.schema.noun}IdParameter`, false, objectNames(ctx, o.schema))],
    invoke(args) {
      const found = findObjects(ctx, o.schema, args.get('Identity') as string | null | undefined);
      if (o.sort) found.sort(o.sort);
      return found.map((obj) => toPSObject(obj, o.extra?.(obj, ctx)));
    },
  };
}

export interface SetOptions {
  schema: ObjectSchema;
  synopsis: string;
  parameters: ParameterSpec[];
  /** Cross-property rules on the result; `others` = the other objects of the same scope. */
  validate: (values: Record<string, unknown>, obj: ModelObject, ctx: ServerContext) => Problem[];
  /** Noun-specific steps after the schema parameters were applied (e.g. resolving server names). */
  prepare?: (values: Record<string, unknown>, args: BoundArguments, ctx: ServerContext) => void;
  defaults: (obj: ModelObject, ctx: ServerContext) => DefaultContext;
}

export function setCommand(ctx: ServerContext, o: SetOptions): CommandSpec {
  return {
    name: `Set-${o.schema.noun}`,
    synopsis: o.synopsis,
    supportsShouldProcess: true,
    confirmImpact: 'Medium',
    parameters: [identityParameter(`${o.schema.noun}IdParameter`, true, objectNames(ctx, o.schema)), nameParameter(o.schema, {}), ...o.parameters],
    async invoke(args, inv) {
      const obj = findObject(ctx, o.schema, String(args.get('Identity')));
      const values = { ...obj.values };
      if (args.has('Name')) values.Name = args.get('Name');
      applyParameters(o.schema, values, args, 'set', ctx, o.defaults(obj, ctx));
      o.prepare?.(values, args, ctx);
      throwIfProblems(o.validate(values, obj, ctx));
      if (!(await inv.shouldProcess(String(obj.values.Name), `Setting ${o.schema.label}`))) return [];
      checkAndWrite(
        ctx,
        () => o.validate(values, obj, ctx),
        () => {
          assertUnchanged(ctx, obj);
          obj.values = values;
          updateObject(ctx, obj);
        },
      );
      return [];
    },
  };
}

export function removeCommand(ctx: ServerContext, schema: ObjectSchema, synopsis: string, guard?: (obj: ModelObject) => void): CommandSpec {
  return {
    name: `Remove-${schema.noun}`,
    synopsis,
    supportsShouldProcess: true,
    confirmImpact: 'High',
    parameters: [identityParameter(`${schema.noun}IdParameter`, true, objectNames(ctx, schema))],
    async invoke(args, inv) {
      const obj = findObject(ctx, schema, String(args.get('Identity')));
      guard?.(obj);
      if (!(await inv.shouldProcess(String(obj.values.Name), `Removing ${schema.label}`))) return [];
      ctx.repo.remove(obj);
      return [];
    },
  };
}

/** A ConversionError-raising convert for a fixed set of names (the usage switches' -Usage twin). */
export function enumConvert(parse: (v: unknown) => unknown): (v: unknown) => unknown {
  return (v) => {
    try {
      return parse(v);
    } catch (err) {
      throw new ConversionError(err instanceof Error ? err.message : String(err));
    }
  };
}

export function tableView(typeName: string, columns: string[]): ObjectView {
  return { typeName, display: 'table', table: columns.map((property) => ({ property })) };
}
