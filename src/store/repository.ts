// Maps schema-described configuration objects to store rows and back.
// Values are parsed again on load (the schema's parse accepts what toJSON
// wrote), secrets are sealed on the way in and stay sealed on the way out.

import { randomUUID } from 'node:crypto';
import { findProperty, type ObjectSchema, type PropertyDef } from '../config/schema.js';
import type { SecretBox } from '../secrets/secret-box.js';
import type { ConfigStore, StoredObject } from './config-store.js';

export interface ModelObject {
  readonly schema: ObjectSchema;
  readonly guid: string;
  /** Owning server for per-server objects; '' for organization-wide ones. */
  server: string;
  /** Property values by canonical name (Name included). */
  values: Record<string, unknown>;
  whenCreated: Date;
  whenChanged: Date;
}

export function newModelObject(schema: ObjectSchema, server: string, values: Record<string, unknown>): ModelObject {
  const now = new Date();
  return { schema, guid: randomUUID(), server, values, whenCreated: now, whenChanged: now };
}

export function nameOf(obj: ModelObject): string {
  return String(obj.values.Name ?? '');
}

function storeValue(def: PropertyDef, value: unknown, box: SecretBox | null, purpose: string): unknown {
  if (value === null || value === undefined) return null;
  if (def.store) {
    if (def.secret && !box) throw new Error(`cannot store ${def.name}: this store has no master key`);
    const sealer = { purpose, seal: (plain: string, p: string) => box!.seal(plain, p) };
    return def.store(value, sealer);
  }
  const one = (v: unknown) => (v !== null && typeof v === 'object' && typeof (v as { toJSON?: unknown }).toJSON === 'function' ? (v as { toJSON(): unknown }).toJSON() : v);
  return Array.isArray(value) ? value.map(one) : one(value);
}

function loadValue(def: PropertyDef, stored: unknown): unknown {
  if (stored === null || stored === undefined) return def.multi ? [] : null;
  const one = (v: unknown) => (def.load ? def.load(v) : def.parse(v));
  if (def.multi) return Array.isArray(stored) ? stored.map(one) : [one(stored)];
  return one(stored);
}

export class Repository {
  constructor(
    readonly store: ConfigStore,
    private readonly box: SecretBox | null,
  ) {}

  list(schema: ObjectSchema, server?: string): ModelObject[] {
    return this.store.list(schema.typeName, server).map((row) => this.fromRow(schema, row));
  }

  get(schema: ObjectSchema, guid: string): ModelObject | undefined {
    const row = this.store.get(guid);
    return row && row.type === schema.typeName ? this.fromRow(schema, row) : undefined;
  }

  findByName(schema: ObjectSchema, server: string, name: string): ModelObject | undefined {
    const row = this.store.findByName(schema.typeName, server, name);
    return row && this.fromRow(schema, row);
  }

  insert(obj: ModelObject): void {
    this.store.insert(this.toRow(obj));
  }

  update(obj: ModelObject): void {
    obj.whenChanged = new Date();
    this.store.update(this.toRow(obj));
  }

  remove(obj: ModelObject): void {
    this.store.remove(obj.guid);
  }

  transaction<T>(fn: () => T): T {
    return this.store.transaction(fn);
  }

  /** Opens a sealed secret of an object (for the code that authenticates with it). */
  openSecret(sealed: string, purpose: string): string {
    if (!this.box) throw new Error('this store has no master key');
    return this.box.openText(sealed, purpose);
  }

  private fromRow(schema: ObjectSchema, row: StoredObject): ModelObject {
    const values: Record<string, unknown> = {};
    for (const def of schema.properties) {
      if (def.name in row.data) values[def.name] = loadValue(def, row.data[def.name]);
    }
    for (const [k, v] of Object.entries(row.data)) {
      if (!findProperty(schema, k)) values[k] = v; // extra stored fields (hashes, member lists) pass through as stored
    }
    values.Name = row.name;
    return { schema, guid: row.guid, server: row.server, values, whenCreated: new Date(row.whenCreated), whenChanged: new Date(row.whenChanged) };
  }

  private toRow(obj: ModelObject): StoredObject {
    const data: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(obj.values)) {
      if (k === 'Name') continue;
      const def = findProperty(obj.schema, k);
      data[k] = def ? storeValue(def, v, this.box, `${obj.schema.typeName}/${obj.guid}/${def.name}`) : v;
    }
    return { guid: obj.guid, type: obj.schema.typeName, server: obj.server, name: nameOf(obj), data, whenCreated: obj.whenCreated.toISOString(), whenChanged: obj.whenChanged.toISOString() };
  }
}
