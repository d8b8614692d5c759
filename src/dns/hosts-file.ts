// Hosts file (BSD /etc/hosts format) for smart host names: a parser and a
// cache that re-reads the file when its modification time or size changes.
//
// Format: "address name [alias ...]" per line; "#" starts a comment; blank
// lines and lines whose first field is not an IPv4/IPv6 address are ignored.
// Invariants:
// - Names are compared case-insensitively and without a trailing dot.
// - First match wins, per address family: the first line that names a host
//   with an IPv4 address gives its IPv4 address, and likewise for IPv6 (as
//   glibc does without "multi on"). So a name has at most one address of
//   each family; lookup() returns IPv4 first, then IPv6.
// - A missing or unreadable file is an empty table, not an error.

import { readFile, stat } from 'node:fs/promises';
import { isIP } from 'node:net';

export interface HostsEntry {
  v4?: string;
  v6?: string;
}

export type HostsTable = Map<string, HostsEntry>;

export function normalizeHostName(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, '');
}

export function parseHostsFile(text: string): HostsTable {
  const table: HostsTable = new Map();
  for (const rawLine of text.split(/\r?\n/)) {
    const hash = rawLine.indexOf('#');
    const line = hash < 0 ? rawLine : rawLine.slice(0, hash);
    const fields = line.split(/\s+/).filter((f) => f.length > 0);
    if (fields.length < 2) continue;
    const address = fields[0];
    const family = isIP(address);
    if (family === 0) continue;
    for (const field of fields.slice(1)) {
      const name = normalizeHostName(field);
      if (name === '') continue;
      const entry = table.get(name) ?? {};
      if (family === 4 && entry.v4 === undefined) entry.v4 = address;
      if (family === 6 && entry.v6 === undefined) entry.v6 = address;
      table.set(name, entry);
    }
  }
  return table;
}

/** Addresses for `name` in the table: IPv4 first, then IPv6; empty when absent. */
export function hostsLookup(table: HostsTable, name: string): string[] {
  const entry = table.get(normalizeHostName(name));
  if (!entry) return [];
  return [entry.v4, entry.v6].filter((a): a is string => a !== undefined);
}

/** A hosts file read lazily and re-read when its mtime or size changes. */
export class HostsFile {
  private table: HostsTable = new Map();
  private stamp: string | null = null;

  constructor(readonly path: string) {}

  async lookup(name: string): Promise<string[]> {
    await this.refresh();
    return hostsLookup(this.table, name);
  }

  private async refresh(): Promise<void> {
    let stamp: string;
    try {
      const s = await stat(this.path);
      stamp = `${s.mtimeMs}:${s.size}:${s.ino}`;
    } catch {
      this.table = new Map();
      this.stamp = null;
      return;
    }
    if (stamp === this.stamp) return;
    try {
      this.table = parseHostsFile(await readFile(this.path, 'utf8'));
      this.stamp = stamp;
    } catch {
      this.table = new Map();
      this.stamp = null;
    }
  }
}
