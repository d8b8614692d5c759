// Cmdlet parameters generated from an object schema, and the step that applies
// bound values to an object: conversion through the schema's parse (a
// ValueError becomes the shell's transformation error), $null to clear,
// MultiValuedProperty lists and @{Add=...; Remove=...} edits, role
// restrictions and parameters Gatehouse refuses instead of ignoring.

import { resolveDefault, type DefaultContext, type ObjectSchema, type PropertyDef } from '../config/schema.js';
import { ValueError } from '../config/types/value-error.js';
import { ConversionError, type BoundArguments, type ParameterSpec } from '../shell/command.js';
import { Hashtable, PSObject } from '../shell/values.js';
import { invalidOperation } from './errors.js';
import type { ServerContext } from './server-context.js';

/** A parsed @{Add=...; Remove=...} edit of a multi-valued property. */
export class MultiValueEdit {
  constructor(
    readonly add: unknown[],
    readonly remove: unknown[],
  ) {}
}

/** A hashtable from the shell (Map or plain object), keys case-insensitive. */
export function asHashtable(v: unknown): Map<string, unknown> | null {
  if (v instanceof Hashtable) return new Map(v.pairs().map(([k, x]) => [String(k).toLowerCase(), x]));
  if (v instanceof Map) return new Map([...v.entries()].map(([k, x]) => [String(k).toLowerCase(), x]));
  if (v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof PSObject)) {
    const proto = Object.getPrototypeOf(v);
    if (proto === Object.prototype || proto === null) return new Map(Object.entries(v).map(([k, x]) => [k.toLowerCase(), x]));
  }
  return null;
}

function toList(v: unknown): unknown[] {
  if (v === null || v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

function parseWith(def: PropertyDef, v: unknown): unknown {
  try {
    return def.parse(v);
  } catch (err) {
    if (err instanceof ValueError) throw new ConversionError(err.message);
    throw err;
  }
}

/** The shell-side conversion of one property's argument. */
export function convertForProperty(def: PropertyDef): (v: unknown) => unknown {
  return (v) => {
    if (v === null) {
      if (def.multi || def.nullable) return null;
      throw new ConversionError(`The value $null is not valid for ${def.name}. Specify a value of type ${def.typeName}.`);
    }
    if (!def.multi) {
      if (Array.isArray(v) && !def.flags) {
        if (v.length === 1) return parseWith(def, v[0]);
        throw new ConversionError(`Cannot convert "System.Object[]" to the type "${def.typeName}" required by parameter '${def.name}'. Specify only one value.`);
      }
      return parseWith(def, v);
    }
    const table = asHashtable(v);
    if (table) {
      for (const k of table.keys()) {
        if (k !== 'add' && k !== 'remove') throw new ConversionError(`The key "${k}" is not valid for a multi-valued property: use @{Add="value1","value2"; Remove="value3"}.`);
      }
      return new MultiValueEdit(
        toList(table.get('add')).map((x) => parseWith(def, x)),
        toList(table.get('remove')).map((x) => parseWith(def, x)),
      );
    }
    return toList(v).map((x) => parseWith(def, x));
  };
}

/**
 * The names an enumeration-typed property accepts, for Tab completion: the
 * schema's parser refuses a name no enumeration has and lists the ones it
 * takes. Empty for any other type.
 */
export function enumerationNames(def: PropertyDef): readonly string[] {
  try {
    def.parse('\u0000');
  } catch (err) {
    if (err instanceof ValueError && err.accepted) return err.accepted;
  }
  return [];
}

export function isSettable(def: PropertyDef, mode: 'new' | 'set'): boolean {
  return def.settable === 'both' || def.settable === mode;
}

/** How Get-Help shows a default: `{a, b}` for lists, `$null` when there is none. */
function defaultText(def: PropertyDef, defaults: DefaultContext): string {
  const v = resolveDefault(def, defaults);
  if (Array.isArray(v)) return `{${v.map(String).join(', ')}}`;
  if (v === null || v === undefined) return '$null';
  if (typeof v === 'boolean') return v ? '$true' : '$false';
  return String(v);
}

/**
 * Parameter specs for the settable properties of a schema (Name excluded:
 * callers add it with its position). With `defaults` (New-* commands), help
 * shows each parameter's default on this server.
 */
export function schemaParameters(schema: ObjectSchema, mode: 'new' | 'set', skip: string[] = [], defaults?: DefaultContext): ParameterSpec[] {
  const skipped = new Set(['name', ...skip.map((s) => s.toLowerCase())]);
  return schema.properties
    .filter((def) => isSettable(def, mode) && !skipped.has(def.name.toLowerCase()))
    .map((def) => ({
      name: def.name,
      typeName: def.typeName,
      description: def.description,
      convert: convertForProperty(def),
      defaultValue: defaults ? defaultText(def, defaults) : undefined,
      completions: () => enumerationNames(def),
    }));
}

function sameValue(a: unknown, b: unknown): boolean {
  return String(a).toLowerCase() === String(b).toLowerCase();
}

/**
 * Applies the bound arguments that belong to schema properties to `values`.
 * `defaults` is the context used to compare unsupported parameters against
 * their defaults.
 */
export function applyParameters(schema: ObjectSchema, values: Record<string, unknown>, args: BoundArguments, mode: 'new' | 'set', ctx: ServerContext, defaults: DefaultContext): void {
  for (const def of schema.properties) {
    if (!isSettable(def, mode) || !args.has(def.name)) continue;
    const given = args.get(def.name);
    if (def.roles && !def.roles.includes(ctx.role)) {
      const roleName = ctx.role === 'EdgeTransport' ? 'an Edge Transport server' : 'a Mailbox server';
      throw invalidOperation(`The parameter ${def.name} is not valid on ${roleName} (${ctx.name}).`, def.name);
    }
    let next: unknown;
    if (given instanceof MultiValueEdit) {
      const current = toList(values[def.name]);
      const kept = current.filter((c) => !given.remove.some((r) => sameValue(c, r)));
      for (const a of given.add) if (!kept.some((k) => sameValue(k, a))) kept.push(a);
      next = kept;
    } else if (def.multi) {
      const seen: unknown[] = [];
      for (const x of toList(given)) if (!seen.some((s) => sameValue(s, x))) seen.push(x);
      next = seen;
    } else {
      next = given;
    }
    if (def.unsupported) {
      const dflt = resolveDefault(def, defaults);
      if (!sameValue(next, dflt)) throw invalidOperation(`The parameter ${def.name} cannot be set to ${String(next)}: ${def.unsupported}`, def.name);
    }
    values[def.name] = next;
  }
}
