// Get-* output: a PSObject per configuration object with its properties in
// Exchange's (alphabetical) order, then the identity block every Exchange
// object carries: Identity, Guid, WhenChanged, WhenCreated, their UTC twins,
// and IsValid. Secret properties print as their type name only.

import { PSObject } from '../shell/values.js';
import type { ModelObject } from '../store/repository.js';
import { displayIdentity } from './object-identity.js';
import { resolveDefault, type DefaultContext } from '../config/schema.js';

export function toPSObject(obj: ModelObject, extra: Record<string, unknown> = {}): PSObject {
  const props = new Map<string, unknown>();
  for (const def of obj.schema.properties) if (!def.hidden) props.set(def.name, obj.values[def.name] ?? (def.multi ? [] : null));
  for (const [k, v] of Object.entries(extra)) props.set(k, v);
  const names = [...props.keys()].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase()));
  const out = new PSObject(obj.schema.typeName, names.map((n) => [n, props.get(n)]));
  out.set('Identity', displayIdentity(obj));
  out.set('Guid', obj.guid);
  out.set('WhenChanged', obj.whenChanged);
  out.set('WhenCreated', obj.whenCreated);
  out.set('WhenChangedUTC', new UtcDate(obj.whenChanged));
  out.set('WhenCreatedUTC', new UtcDate(obj.whenCreated));
  out.set('IsValid', true);
  return out;
}

/** A date shown in UTC (en-US PowerShell format), whatever the local time zone. */
export class UtcDate {
  constructor(readonly date: Date) {}
  toString(): string {
    const d = this.date;
    const h = d.getUTCHours() % 12 === 0 ? 12 : d.getUTCHours() % 12;
    const pad = (n: number) => String(n).padStart(2, '0');
    return `${d.getUTCMonth() + 1}/${d.getUTCDate()}/${d.getUTCFullYear()} ${h}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} ${d.getUTCHours() < 12 ? 'AM' : 'PM'}`;
  }
  toJSON(): string {
    return this.date.toISOString();
  }
}

/**
 * The defaults of properties an object was stored without (the schema gained them later), for
 * Get-* output: a record written by an older version shows what the service applies.
 */
export function missingDefaults(obj: ModelObject, defaults: DefaultContext): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const def of obj.schema.properties) {
    if (def.hidden || def.name in obj.values) continue;
    out[def.name] = resolveDefault(def, defaults);
  }
  return out;
}
