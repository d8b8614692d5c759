// The management endpoint's protocol: JSON over HTTPS, one POST per call to
// the virtual directory's URL, with Basic authentication on every request.
//   {"op":"open"}                       -> {"sessionId", "server", "fqdn", "commands": [{name, parameters}]}
//   {"op":"run","sessionId","script"}   -> {"stream": [output | error | host entries, in order]}
//   {"op":"close","sessionId"}          -> {}
//   {"op":"exec","script"}              -> {"stream": [...]}: a session of one script (another
//                                          server running a cmdlet for its caller, server-trust.ts)
// A failed call answers a non-2xx status with {"error", "reason"}.
// Objects cross as deserialized objects (as PowerShell remoting sends them):
// their type names and properties, each value as plain JSON or as its
// display text; they come back as property bags without methods.

import type { InvocationContext } from '../shell/command.js';
import { RecordedError, type ErrorRecord, type RemoteOrigin } from '../shell/errors.js';
import { isEnumerable, toArray } from '../shell/conversion.js';
import { formatScalar } from '../shell/format/value.js';
import { FormattedText } from '../shell/format/out-default.js';
import { typeNameOf } from '../shell/members.js';
import { Hashtable, PSObject } from '../shell/values.js';

/** The value of a property as sent. */
export type WireValue =
  | null
  | string
  | number
  | boolean
  | { $: 'array'; items: WireValue[] }
  | { $: 'date'; iso: string }
  | { $: 'object'; typeNames: string[]; text: string; properties: [string, WireValue][] }
  /** Output of Format-Table / Format-List run remotely: the text, shown as it is. */
  | { $: 'formatted'; text: string }
  /** Any other value: its type, its display text and, when it has one, its number (sizes, time spans). */
  | { $: 'value'; typeName: string; text: string; number?: number };

export interface WireErrorRecord {
  message: string;
  errorId: string;
  category: string;
  reason: string;
  targetName?: string;
  targetType?: string;
  activity?: string;
  commandName?: string;
  commandType?: string;
  remote?: RemoteOrigin;
}

export type StreamEntry =
  | { kind: 'output'; value: WireValue }
  | { kind: 'error'; record: WireErrorRecord }
  /** Text the session wrote to its console: warnings, Write-Host. */
  | { kind: 'host'; text: string };

export interface WireParameter {
  name: string;
  typeName: string;
  switch?: boolean;
  mandatory?: boolean;
  position?: number;
  aliases?: string[];
  sets?: string[];
  valueFromPipeline?: boolean;
  valueFromPipelineByPropertyName?: boolean;
}
export interface WireCommand {
  name: string;
  synopsis: string;
  parameters: WireParameter[];
  defaultParameterSet?: string;
  supportsShouldProcess?: boolean;
  confirmImpact?: 'None' | 'Low' | 'Medium' | 'High';
}

export interface OpenReply {
  sessionId: string;
  server: string;
  fqdn: string;
  commands: WireCommand[];
  idleTimeoutSeconds: number;
}
export interface RunReply {
  stream: StreamEntry[];
}
export interface FailureReply {
  error: string;
  reason: string;
}

export type Request = { op: 'open' } | { op: 'run'; sessionId: string; script: string } | { op: 'close'; sessionId: string } | { op: 'exec'; script: string };

/** Deepest nesting of objects sent (PowerShell's default serialization depth is 1-2; deeper levels go as text). */
const MAX_DEPTH = 3;

/** A shell value as sent. */
export function toWire(v: unknown, depth = 0): WireValue {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : { $: 'value', typeName: 'System.Double', text: formatScalar(v) };
  if (typeof v === 'bigint') return { $: 'value', typeName: 'System.Int64', text: v.toString(), number: Number(v) };
  if (v instanceof Date) return { $: 'date', iso: v.toISOString() };
  if (v instanceof FormattedText) return { $: 'formatted', text: v.text };
  if (v instanceof PSObject) {
    if (depth >= MAX_DEPTH) return { $: 'value', typeName: v.typeNames[0] ?? 'System.Object', text: String(v) };
    return { $: 'object', typeNames: v.typeNames, text: String(v), properties: v.names().map((n) => [n, toWire(v.get(n), depth + 1)]) };
  }
  if (v instanceof Hashtable) {
    return { $: 'object', typeNames: ['System.Collections.Hashtable'], text: 'System.Collections.Hashtable', properties: v.pairs().map(([k, x]) => [String(k), toWire(x, depth + 1)]) };
  }
  if (Array.isArray(v) || (typeof v === 'object' && isEnumerable(v))) {
    if (depth >= MAX_DEPTH)
      return {
        $: 'value',
        typeName: 'System.Object[]',
        text: toArray(v)
          .map((x) => formatScalar(x))
          .join(' '),
      };
    return { $: 'array', items: toArray(v).map((x) => toWire(x, depth + 1)) };
  }
  const prim = typeof v === 'object' ? (v as { valueOf(): unknown }).valueOf() : undefined;
  return { $: 'value', typeName: typeNameOf(v), text: formatScalar(v), ...(typeof prim === 'number' && Number.isFinite(prim) && { number: prim }) };
}

/**
 * A value that crossed the network: shows its text, compares and sorts by its number when it had
 * one (a size, a time span), and has no methods.
 */
export class DeserializedValue {
  constructor(
    readonly typeName: string,
    private readonly text: string,
    private readonly number?: number,
  ) {}
  toString(): string {
    return this.text;
  }
  valueOf(): number | string {
    return this.number ?? this.text;
  }
  toJSON(): string {
    return this.text;
  }
}

/** A received value as a shell value: objects become Deserialized.* property bags. */
export function fromWire(w: WireValue): unknown {
  if (w === null || typeof w !== 'object') return w;
  switch (w.$) {
    case 'array':
      return w.items.map(fromWire);
    case 'date':
      return new Date(w.iso);
    case 'value':
      return new DeserializedValue(w.typeName, w.text, w.number);
    case 'formatted':
      return new FormattedText(w.text);
    case 'object': {
      const names = w.typeNames.map((t) => (t.startsWith('Deserialized.') ? t : `Deserialized.${t}`));
      const obj = new PSObject(
        names,
        w.properties.map(([k, x]) => [k, fromWire(x)] as [string, unknown]),
      );
      Object.defineProperty(obj, 'toString', { value: () => w.text, enumerable: false });
      return obj;
    }
  }
}

export function errorToWire(r: ErrorRecord): WireErrorRecord {
  return {
    message: r.message,
    errorId: r.errorId,
    category: r.category,
    reason: r.reason,
    ...(r.targetName !== undefined && { targetName: r.targetName }),
    ...(r.targetType !== undefined && { targetType: r.targetType }),
    ...(r.activity !== undefined && { activity: r.activity }),
    ...(r.commandName !== undefined && { commandName: r.commandName }),
    ...(r.commandType !== undefined && { commandType: r.commandType }),
    ...(r.remote !== undefined && { remote: r.remote }),
  };
}

/** A received error record; a record written by the language (not by a cmdlet) gets the remote origin it came from. */
export function errorFromWire(w: WireErrorRecord): ErrorRecord {
  return { ...w };
}

/**
 * What a remote run sent, played back in this shell: its objects returned, its errors written as
 * errors, its warnings as warnings and its other host output as is.
 */
export function replayStream(stream: readonly StreamEntry[], inv: InvocationContext): unknown[] {
  const out: unknown[] = [];
  for (const e of stream) {
    if (e.kind === 'output') out.push(fromWire(e.value));
    else if (e.kind === 'error') inv.writeError(new RecordedError(errorFromWire(e.record)));
    else {
      for (const line of e.text.replace(/\n$/, '').split('\n')) {
        if (line.startsWith('WARNING: ')) inv.warn(line.slice('WARNING: '.length));
        else inv.host.write(line + '\n');
      }
    }
  }
  return out;
}
