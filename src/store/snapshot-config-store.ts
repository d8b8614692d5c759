// A ConfigStore held in memory: the running service's view of an
// organization kept in PostgreSQL. The service reads it on every message and
// every SMTP command without a network round trip; organization-feed.ts
// replaces its content when the organization changes. It is read-only: the
// service does not write configuration, the shell does (on the store itself).

import type { ConfigStore, StoredObject } from './config-store.js';

export interface OrganizationSnapshot {
  objects: StoredObject[];
  meta: Record<string, string>;
}

export class SnapshotConfigStore implements ConfigStore {
  private byGuid = new Map<string, StoredObject>();
  private byType = new Map<string, StoredObject[]>();
  private meta: Record<string, string> = {};

  constructor(
    readonly location: string,
    snapshot: OrganizationSnapshot,
  ) {
    this.replace(snapshot);
  }

  /** Puts a newer snapshot in place (objects keep the store's list order). */
  replace(snapshot: OrganizationSnapshot): void {
    const byGuid = new Map<string, StoredObject>();
    const byType = new Map<string, StoredObject[]>();
    for (const o of snapshot.objects) {
      byGuid.set(o.guid.toLowerCase(), o);
      let list = byType.get(o.type);
      if (!list) byType.set(o.type, (list = []));
      list.push(o);
    }
    this.byGuid = byGuid;
    this.byType = byType;
    this.meta = { ...snapshot.meta };
  }

  /** What the snapshot holds, to hand to another thread. */
  content(): OrganizationSnapshot {
    return { objects: [...this.byGuid.values()], meta: { ...this.meta } };
  }

  list(type: string, server?: string): StoredObject[] {
    const all = this.byType.get(type) ?? [];
    if (server === undefined) return [...all];
    const s = server.toLowerCase();
    return all.filter((o) => o.server.toLowerCase() === s);
  }

  all(): StoredObject[] {
    return [...this.byGuid.values()];
  }

  get(guid: string): StoredObject | undefined {
    return this.byGuid.get(guid.toLowerCase());
  }

  findByName(type: string, server: string, name: string): StoredObject | undefined {
    const s = server.toLowerCase();
    const n = name.toLowerCase();
    return (this.byType.get(type) ?? []).find((o) => o.server.toLowerCase() === s && o.name.toLowerCase() === n);
  }

  insert(): void {
    this.readOnly();
  }

  update(): void {
    this.readOnly();
  }

  remove(): void {
    this.readOnly();
  }

  transaction<T>(fn: () => T): T {
    return fn();
  }

  changeCounter(): number {
    return Number(this.meta.change_counter ?? 0);
  }

  getMeta(key: string): string | undefined {
    return this.meta[key];
  }

  setMeta(): void {
    this.readOnly();
  }

  close(): void {
    // nothing held
  }

  private readOnly(): never {
    throw new Error(`the running service reads ${this.location} from a snapshot and does not change it; change the configuration with gatehouse shell`);
  }
}
