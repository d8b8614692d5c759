// One typed schema per configuration object type.
//
// A PropertyDef says, for one Exchange property: its type name (for help and
// errors), how a shell value is parsed into the model value (throwing
// ValueError with a readable message), its default (which may depend on the
// server role and the -Usage chosen at creation), whether it may be set at
// creation and/or later, whether the running service applies a change live,
// and a one-line description. The same schema drives parameter binding,
// validation, Get-* output, storage and Get-Help; nothing else lists the
// properties of an object.

import type { ServerRoleName } from './model/server.js';

/** Seals a secret for storage; `purpose` binds it to its object and property. */
export interface SecretSealer {
  seal(plain: string, purpose: string): string;
  /** Purpose string of the property being stored ("SendConnector/<guid>/AuthenticationCredential"). */
  readonly purpose: string;
}

export interface DefaultContext {
  /** Role of the server the object belongs to (or that runs the command). */
  role: ServerRoleName;
  /** -Usage chosen at creation, for objects that have one. */
  usage?: string;
  /** Name and FQDN of the server the object belongs to. */
  serverName: string;
  serverFqdn: string;
}

export interface PropertyDef<T = unknown> {
  /** Exchange property name, display casing. */
  name: string;
  /** Type name for help and errors: "ByteQuantifiedSize", "MultiValuedProperty", "Boolean". */
  typeName: string;
  description: string;
  /** Shell value -> model value. Throws ValueError. For multi-valued properties, one item. */
  parse(input: unknown): T;
  /** A flag set (AuthMechanism Tls,BasicAuth): a single value that is given as a list. */
  flags?: boolean;
  /** A MultiValuedProperty: the model value is T[]; accepts lists and @{Add=...; Remove=...}. */
  multi?: boolean;
  /** Value when not given at creation. */
  default?: T | T[] | null | ((ctx: DefaultContext) => T | T[] | null);
  /** Where the admin may set it: at creation (New-*), later (Set-*), both, or never (computed/read-only). */
  settable: 'new' | 'set' | 'both' | 'never';
  /** Accepted with $null (clears the value). */
  nullable?: boolean;
  /** The running service applies a change without restart. */
  runtime: boolean;
  /** Roles on which this property may be set; undefined = all. */
  roles?: ServerRoleName[];
  /** The parameter exists in Exchange but Gatehouse does not implement it: any value
   *  other than the default is refused with this explanation (never accepted and ignored). */
  unsupported?: string;
  /** Internal: stored with the object but not shown by Get-* (e.g. a server's own account credential). */
  hidden?: boolean;
  /** Secret material: never shown, never logged. */
  secret?: boolean;
  /** Model value -> stored JSON value; default: JSON of toJSON(). Secrets are sealed with `secrets`. */
  store?(value: T, secrets: SecretSealer): unknown;
  /** Stored JSON value -> model value; default: parse(). */
  load?(stored: unknown): T;
}

export interface ObjectSchema {
  /** Type name of the Get-* output objects, for views: "SendConnector". */
  typeName: string;
  /** Exchange noun: "SendConnector". */
  noun: string;
  /** Human name used in messages: "Send connector". */
  label: string;
  /** Objects of this type belong to one server (receive connectors) or to the organization (send connectors). */
  scope: 'server' | 'organization';
  properties: PropertyDef[];
}

export function findProperty(schema: ObjectSchema, name: string): PropertyDef | undefined {
  const lower = name.toLowerCase();
  return schema.properties.find((p) => p.name.toLowerCase() === lower);
}

export function resolveDefault(def: PropertyDef, ctx: DefaultContext): unknown {
  const d = def.default;
  const value = typeof d === 'function' ? (d as (c: DefaultContext) => unknown)(ctx) : d;
  if (value === undefined) return def.multi ? [] : null;
  return value;
}

/** Defaults of every property for a new object. */
export function defaultValues(schema: ObjectSchema, defaults: DefaultContext): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const def of schema.properties) {
    if (def.name === 'Name') continue;
    values[def.name] = resolveDefault(def, defaults);
  }
  return values;
}

/** Stored values, with each property the object lacks (or holds as $null) at its default. */
export function withDefaults(schema: ObjectSchema, stored: Record<string, unknown> | undefined, defaults: DefaultContext): Record<string, unknown> {
  const values: Record<string, unknown> = { ...stored };
  for (const def of schema.properties) {
    if (values[def.name] === null || values[def.name] === undefined) values[def.name] = resolveDefault(def, defaults);
  }
  return values;
}

/** Helper for property definitions: keeps the literal type of `parse`. */
export function prop<T>(def: PropertyDef<T>): PropertyDef<T> {
  return def;
}
