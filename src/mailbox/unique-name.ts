// Maildir file names: generation and parsing.
// Names have the form <sec>.M<usec>P<pid>Q<counter>.<host>,S=<size>[:2,<flags>].
// Invariants: within one process (one JavaScript thread) no two generated
// names are equal (the counter only grows); across processes on one host the
// pid differs; '/' ':' and ',' in the host name are escaped as \057 \072 \054
// so a name never holds a path separator, an info separator or a stray field.
// The filesystem has the last word: the writer opens with O_EXCL and links
// without overwriting, and generates a new name when one is taken.

import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';

let counter = 0;

/** The host part of a Maildir name, escaped as the Maildir conventions require. */
export function escapeHost(host: string): string {
  return host.replace(/\//g, '\\057').replace(/:/g, '\\072').replace(/,/g, '\\054');
}

/** Current wall-clock time in whole microseconds since the epoch. */
function nowMicros(): number {
  return Math.floor((performance.timeOrigin + performance.now()) * 1000);
}

export interface NameParts {
  micros?: number;
  pid?: number;
  host?: string;
  size: number;
}

/** A new unique base name (no info part) for a message file of `size` bytes. */
export function uniqueName(parts: NameParts): string {
  counter += 1;
  const micros = parts.micros ?? nowMicros();
  const sec = Math.floor(micros / 1_000_000);
  const usec = micros % 1_000_000;
  const pid = parts.pid ?? process.pid;
  const host = escapeHost(parts.host ?? hostname());
  return `${sec}.M${usec}P${pid}Q${counter}.${host},S=${parts.size}`;
}

export interface ParsedName {
  /** Delivery time encoded in the name, or null when the name does not start with <sec>. */
  time: Date | null;
  /** The S= size, or null when the name has none. */
  size: number | null;
}

/** Reads the delivery time and S= size from a Maildir file name (base name, info part optional). */
export function parseName(name: string): ParsedName {
  const colon = name.indexOf(':');
  const base = colon >= 0 ? name.slice(0, colon) : name;
  let time: Date | null = null;
  const t = /^(\d+)\.(?:M(\d{1,6})(?=[^0-9]))?/.exec(base);
  if (t) {
    const ms = Number(t[1]) * 1000 + (t[2] ? Math.floor(Number(t[2]) / 1000) : 0);
    if (Number.isSafeInteger(ms)) time = new Date(ms);
  }
  let size: number | null = null;
  const fields = base.split(',').slice(1);
  for (const f of fields) {
    const m = /^S=(\d+)$/.exec(f);
    if (m) {
      const n = Number(m[1]);
      if (Number.isSafeInteger(n)) size = n;
      break;
    }
  }
  return { time, size };
}
