// ConvertTo-Json and ConvertFrom-Json as Windows PowerShell 5.1 writes and
// reads JSON: four-space indentation with two spaces after the colon,
// -Compress for one line, -Depth (default 2; deeper objects become their
// string form), dates as "\/Date(ms)\/", and <, >, ', & escaped as \u00XX.
// ConvertFrom-Json makes PSCustomObjects and writes a top-level array as one
// object, as 5.1 does.

import { ConversionError } from '../command.js';
import { enumerate, isEnumerable, isNull, toArray, toStr } from '../conversion.js';
import { LocalCommandError } from '../errors.js';
import { getMember, propertyNames } from '../members.js';
import { Hashtable, PSObject, SecureString } from '../values.js';
import { TimeSpan } from '../timespan.js';
import { arg, builtin, flag, objectParam, switchParam } from './define.js';

function jsonString(s: string): string {
  return JSON.stringify(s).replace(/[<>'&]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

/**
 * A value type of the product (a size, an enhanced time span, an address
 * space...): a class with its own text form. Exchange's remote session hands
 * these to scripts as their text, so JSON carries the text.
 */
function isValueObject(v: unknown): boolean {
  if (v === null || typeof v !== 'object' || v instanceof PSObject || v instanceof Hashtable || v instanceof TimeSpan) return false;
  const proto = Object.getPrototypeOf(v);
  return proto !== null && proto !== Object.prototype && Object.prototype.hasOwnProperty.call(proto, 'toString');
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json } | Map<string, Json>;

/** The JSON tree of a value, objects cut at `depth` (their string form beyond it). */
function toTree(v: unknown, depth: number): Json {
  if (isNull(v)) return null;
  if (typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : toStr(v);
  if (v instanceof Date) return `\\/Date(${v.getTime()})\\/`;
  if (v instanceof SecureString) return 'System.Security.SecureString';
  if (isEnumerable(v)) {
    if (depth < 0) return toStr(v);
    return toArray(v).map((x) => toTree(x, depth - 1));
  }
  if (typeof v === 'object' && (v as { kind?: unknown }).kind === 'scriptblock') return toStr(v);
  if (depth < 0) return toStr(v);
  if (isValueObject(v)) return toStr(v);
  const m = new Map<string, Json>();
  if (v instanceof Hashtable) {
    for (const [k, x] of v.pairs()) m.set(toStr(k), toTree(x, depth - 1));
    return m;
  }
  const names = propertyNames(v);
  if (names.length === 0) return toStr(v);
  for (const n of names) m.set(n, toTree(getMember(v, n), depth - 1));
  return m;
}

/**
 * JSON text. Indented as 5.1 indents it: the members of an object or array
 * start four columns right of the column where its bracket stands, and a
 * value's bracket stands where the value starts (after `"key":  `).
 */
function render(j: Json, compress: boolean, column: number): string {
  if (j === null) return 'null';
  if (typeof j === 'boolean') return j ? 'true' : 'false';
  if (typeof j === 'number') return String(j);
  if (typeof j === 'string') return j.startsWith('\\/Date(') ? `"${j}"` : jsonString(j);
  const pad = ' '.repeat(column);
  const inner = ' '.repeat(column + 4);
  if (Array.isArray(j)) {
    if (compress) return '[' + j.map((x) => render(x, true, 0)).join(',') + ']';
    if (j.length === 0) return '[\n\n' + pad + ']';
    return '[\n' + j.map((x) => inner + render(x, false, column + 4)).join(',\n') + '\n' + pad + ']';
  }
  const entries = j instanceof Map ? [...j.entries()] : Object.entries(j);
  if (compress) return '{' + entries.map(([k, x]) => jsonString(k) + ':' + render(x, true, 0)).join(',') + '}';
  if (entries.length === 0) return '{\n\n' + pad + '}';
  return (
    '{\n' +
    entries
      .map(([k, x]) => {
        const head = jsonString(k) + ':  ';
        return inner + head + render(x, false, column + 4 + head.length);
      })
      .join(',\n') +
    '\n' +
    pad +
    '}'
  );
}

/** ConvertTo-Json's text for the objects it received. */
export function toJson(items: unknown[], depth: number, compress: boolean): string {
  const value = items.length === 1 ? items[0] : items;
  return render(toTree(value, depth), compress, 0);
}

function depthParam() {
  return {
    name: 'Depth',
    typeName: 'Int32',
    convert: (v: unknown) => {
      const n = Number(Array.isArray(v) && v.length === 1 ? v[0] : v);
      if (!Number.isInteger(n)) throw new ConversionError(`Cannot convert value "${toStr(v)}" to type "System.Int32". Error: "Input string was not in a correct format."`);
      if (n < 1 || n > 100) {
        throw new ConversionError(
          `The ${n} argument is ${n < 1 ? 'less than the minimum allowed range of 1' : 'greater than the maximum allowed range of 100'}. Supply an argument that is ${n < 1 ? 'greater than or equal to 1' : 'less than or equal to 100'} and then try the command again.`,
        );
      }
      return n;
    },
  };
}

export const convertToJson = builtin('Utility', {
  name: 'ConvertTo-Json',
  synopsis: 'Converts an object to a JSON-formatted string.',
  description: 'Writes the objects (an array when there are several) as JSON. -Depth (1 to 100, default 2) limits how deep objects are written; deeper values are written as their string form. -Compress writes one line.',
  parameters: [objectParam('InputObject', { position: 0 }), depthParam(), switchParam('Compress')],
  examples: [{ code: 'Get-AcceptedDomain | Select-Object Name,DomainName | ConvertTo-Json', remarks: 'The accepted domains as JSON.' }],
  invoke(args, ctx) {
    const items = args.has('InputObject') ? [args.get('InputObject')] : ctx.input;
    if (items.length === 0) return [];
    return [toJson(items, arg<number>(args, 'Depth') ?? 2, flag(args, 'Compress'))];
  },
});

const DATE_RE = /^\/Date\((-?\d+)(?:[+-]\d{4})?\)\/$/;

function fromTree(v: unknown): unknown {
  if (v === null || typeof v !== 'object') {
    if (typeof v === 'string') {
      const m = DATE_RE.exec(v);
      if (m) return new Date(Number(m[1]));
    }
    return v;
  }
  if (Array.isArray(v)) return v.map(fromTree);
  return new PSObject(
    'System.Management.Automation.PSCustomObject',
    Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, fromTree(x)]),
  );
}

export const convertFromJson = builtin('Utility', {
  name: 'ConvertFrom-Json',
  synopsis: 'Converts a JSON-formatted string to a custom object.',
  description: 'Reads JSON text (all input lines joined) into custom objects. A top-level array is written as one array, as Windows PowerShell 5.1 does; wrap the command in parentheses to enumerate it.',
  parameters: [objectParam('InputObject', { position: 0, typeName: 'String' })],
  examples: [{ code: '$settings = Get-Content .\\settings.json -Raw | ConvertFrom-Json', remarks: 'Reads a settings file.' }],
  invoke(args, ctx) {
    const parts = ctx.hasInput ? ctx.input : enumerate(args.get('InputObject'));
    const text = parts.map((x) => toStr(x)).join('\n');
    if (text.trim() === '') return [];
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      throw new LocalCommandError(`Invalid JSON primitive: ${(e as Error).message}`, { errorId: 'System.ArgumentException', category: 'NotSpecified', reason: 'ArgumentException' });
    }
    return [fromTree(parsed)];
  },
});
