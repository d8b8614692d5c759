// Identity parameters and their resolution: an object is named by its GUID,
// its name, or ServerName\Name for per-server objects and for Send
// connectors (Exchange documents ServerName\ConnectorName for them too: the
// server part must name a server of this store); Get-* also takes wildcards.
// Pipeline input (a Get-* result) binds by its Guid.

import type { ObjectSchema } from '../config/schema.js';
import { serverSchema } from '../config/model/server.js';
import type { ParameterSpec } from '../shell/command.js';
import { PSObject } from '../shell/values.js';
import type { ModelObject } from '../store/repository.js';
import { ambiguous, notFound } from './errors.js';
import type { ServerContext } from './server-context.js';

/** `names` lists the existing objects' names for Tab completion. */
export function identityParameter(typeName: string, mandatory: boolean, names?: () => string[]): ParameterSpec {
  return {
    name: 'Identity',
    typeName,
    position: 0,
    mandatory,
    valueFromPipeline: true,
    valueFromPipelineByPropertyName: true,
    completions: names,
    description: 'The object to act on: its name, GUID, or Server\\Name for per-server objects.',
    convert: (v) => {
      if (v instanceof PSObject) return String(v.get('Guid') ?? v.get('Identity') ?? v);
      if (v !== null && typeof v === 'object' && 'guid' in (v as object)) return String((v as { guid: unknown }).guid);
      return v === null ? null : String(v);
    },
  };
}

export function displayIdentity(obj: ModelObject): string {
  const name = String(obj.values.Name);
  return obj.schema.scope === 'server' && obj.server ? `${obj.server}\\${name}` : name;
}

function wildcardToRegExp(pattern: string): RegExp {
  const body = pattern
    .replace(/[.+^${}()|\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}

/** The objects of this schema in the store this shell manages (per-server objects of every server, as Exchange lists them). */
export function visibleObjects(ctx: ServerContext, schema: ObjectSchema): ModelObject[] {
  return ctx.repo.list(schema);
}

/** The names of the objects of a schema, for completing an identity. */
export function objectNames(ctx: ServerContext, schema: ObjectSchema): () => string[] {
  return () => visibleObjects(ctx, schema).map((o) => String(o.values.Name));
}

/** Organization objects that Exchange also names ServerName\\Name. */
const SERVER_QUALIFIED = new Set(['SendConnector']);

/** Whether `server` names a server of this store (name or FQDN). */
function isServerName(ctx: ServerContext, server: string): boolean {
  const s = server.toLowerCase();
  if (s === ctx.name.toLowerCase() || s === ctx.fqdn.toLowerCase()) return true;
  return ctx.repo.list(serverSchema).some((x) => String(x.values.Name).toLowerCase() === s || String(x.values.Fqdn).toLowerCase() === s);
}

function matches(ctx: ServerContext, obj: ModelObject, identity: string, wildcard: boolean): boolean {
  if (obj.guid.toLowerCase() === identity.toLowerCase()) return true;
  let name = identity;
  const slash = identity.indexOf('\\');
  if (slash >= 0 && obj.schema.scope === 'server') {
    const server = identity.slice(0, slash);
    if (server.toLowerCase() !== obj.server.toLowerCase()) return false;
    name = identity.slice(slash + 1);
  } else if (slash >= 0 && SERVER_QUALIFIED.has(obj.schema.noun)) {
    if (!isServerName(ctx, identity.slice(0, slash))) return false;
    name = identity.slice(slash + 1);
  }
  const objName = String(obj.values.Name);
  if (wildcard && /[*?]/.test(name)) return wildcardToRegExp(name).test(objName);
  return objName.toLowerCase() === name.toLowerCase();
}

/** All objects an identity names (Get-*: wildcards allowed; none given = all). */
export function findObjects(ctx: ServerContext, schema: ObjectSchema, identity: string | null | undefined): ModelObject[] {
  const all = visibleObjects(ctx, schema);
  if (identity === undefined || identity === null) return all;
  const found = all.filter((o) => matches(ctx, o, identity, true));
  if (found.length === 0 && !/[*?]/.test(identity)) throw notFound(identity, ctx.fqdn);
  return found;
}

/** Exactly one object (Set-*, Remove-*). */
export function findObject(ctx: ServerContext, schema: ObjectSchema, identity: string): ModelObject {
  const all = visibleObjects(ctx, schema);
  const found = all.filter((o) => matches(ctx, o, identity, false));
  if (found.length === 0) throw notFound(identity, ctx.fqdn);
  if (found.length > 1) throw ambiguous(identity);
  return found[0];
}
