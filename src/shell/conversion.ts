// How shell values convert, as PowerShell's LanguagePrimitives do: truthiness,
// string and number conversion, pipeline enumeration, .NET type names for
// messages, and ParameterSpec.convert helpers with PowerShell's own error texts
// (useful to commands declaring parameters).

import { ConversionError } from './command.js';
import { RuntimeError } from './errors.js';
import { parseNumber } from './lexer.js';
import { TimeSpan } from './timespan.js';
import { Hashtable, PSCredential, PSObject, SecureString } from './values.js';

export function isNull(v: unknown): v is null | undefined {
  return v === null || v === undefined;
}

/** Collections the pipeline enumerates: arrays and iterables other than strings and maps. */
export function isEnumerable(v: unknown): v is Iterable<unknown> {
  if (Array.isArray(v)) return true;
  if (v === null || typeof v !== 'object') return false;
  if (v instanceof Map || v instanceof Hashtable || v instanceof PSObject) return false;
  return typeof (v as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function';
}

export function toArray(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  if (isEnumerable(v)) return [...v];
  return [v];
}

/** What writing `v` to the pipeline sends: the elements of a collection, else v itself ($null included). */
export function enumerate(v: unknown): unknown[] {
  if (v === undefined) return [null];
  if (isEnumerable(v)) return Array.isArray(v) ? v.slice() : [...v];
  return [v];
}

/** Pipeline output collapsed to a value: none → $null, one → itself, more → array. */
export function collapse(items: unknown[]): unknown {
  if (items.length === 0) return null;
  if (items.length === 1) return items[0];
  return items;
}

/** PowerShell truthiness (LanguagePrimitives.IsTrue). */
export function toBool(v: unknown): boolean {
  if (isNull(v)) return false;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0 && !Number.isNaN(v);
  if (typeof v === 'bigint') return v !== 0n;
  if (typeof v === 'string') return v.length > 0;
  if (isEnumerable(v)) {
    const a = toArray(v);
    if (a.length === 0) return false;
    if (a.length === 1) return isEnumerable(a[0]) ? toArray(a[0]).length > 0 : toBool(a[0]);
    return true;
  }
  return true;
}

export function formatNumber(n: number): string {
  if (Number.isInteger(n)) return Math.abs(n) < 1e21 ? n.toFixed(0) : String(n).replace('e+', 'E+');
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? 'Infinity' : '-Infinity';
  // .NET Framework shows a Double with 15 significant digits (0.1 + 0.2 is 0.3)
  const s = String(Number(n.toPrecision(15)));
  return s.includes('e') ? s.replace('e', 'E') : s;
}

function pad2(n: number): string {
  return n < 10 ? '0' + n : String(n);
}

/** Invariant-culture date text used by string conversion: `11/27/2026 17:34:56`. */
export function formatDateInvariant(d: Date): string {
  return `${pad2(d.getMonth() + 1)}/${pad2(d.getDate())}/${d.getFullYear()} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

/** en-US display form used by Out-Default and formatters: `11/27/2026 5:34:56 PM`. */
export function formatDateDisplay(d: Date): string {
  const h = d.getHours() % 12 === 0 ? 12 : d.getHours() % 12;
  return `${d.getMonth() + 1}/${d.getDate()}/${d.getFullYear()} ${h}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())} ${d.getHours() < 12 ? 'AM' : 'PM'}`;
}

/** PowerShell string conversion ($OFS = ' ' between collection items). */
export function toStr(v: unknown): string {
  if (isNull(v)) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return formatNumber(v);
  if (v instanceof Date) return formatDateInvariant(v);
  if (isEnumerable(v)) return toArray(v).map(toStr).join(' ');
  return String(v);
}

/** Short .NET type name used in messages: "System.String", "System.Int32"... */
export function dotNetTypeName(v: unknown): string {
  if (isNull(v)) return 'null';
  if (typeof v === 'string') return 'System.String';
  if (typeof v === 'boolean') return 'System.Boolean';
  if (typeof v === 'number') return Number.isInteger(v) ? (Math.abs(v) <= 2147483647 ? 'System.Int32' : 'System.Int64') : 'System.Double';
  if (Array.isArray(v)) return (v as { typeName?: string }).typeName ?? 'System.Object[]';
  if (v instanceof Date) return 'System.DateTime';
  if (v instanceof TimeSpan) return 'System.TimeSpan';
  if (v instanceof Hashtable) return 'System.Collections.Hashtable';
  if (v instanceof SecureString) return 'System.Security.SecureString';
  if (v instanceof PSCredential) return 'System.Management.Automation.PSCredential';
  if (v instanceof PSObject) return v.typeNames[0] ?? 'System.Management.Automation.PSObject';
  if (typeof v === 'object' && (v as { kind?: unknown }).kind === 'scriptblock') return 'System.Management.Automation.ScriptBlock';
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'System.Object';
  return 'System.Object';
}

/** Number conversion for arithmetic and numeric comparison; throws RuntimeError on bad text. */
export function toNumber(v: unknown): number {
  if (isNull(v)) return 0;
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') {
    const t = v.trim();
    if (t === '') return 0;
    const n = parseNumber(t) ?? (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t) ? Number(t) : undefined);
    if (n === undefined || Number.isNaN(n)) {
      const type = /\./.test(t) ? 'System.Double' : 'System.Int32';
      throw new RuntimeError(`Cannot convert value "${v}" to type "${type}". Error: "Input string was not in a correct format."`, 'InvalidCastFromStringToInteger', 'InvalidArgument', 'RuntimeException');
    }
    return n;
  }
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'object' && v !== null) {
    const prim = (v as { valueOf(): unknown }).valueOf();
    if (typeof prim === 'number') return prim;
    if (typeof prim === 'string') return toNumber(prim);
  }
  throw new RuntimeError(`Cannot convert the "${toStr(v)}" value of type "${dotNetTypeName(v)}" to type "System.Int32".`, 'InvalidCastException', 'InvalidArgument', 'RuntimeException');
}

/** A primitive stand-in for an object with a meaningful valueOf (sizes, time spans...). */
export function primitiveOf(v: unknown): unknown {
  if (v !== null && typeof v === 'object' && !(v instanceof Date) && !Array.isArray(v)) {
    const prim = (v as { valueOf(): unknown }).valueOf();
    if (prim !== v && (typeof prim === 'number' || typeof prim === 'string' || typeof prim === 'boolean')) return prim;
  }
  return v;
}

// ---- ParameterSpec.convert helpers (PowerShell's messages) ----

function cannotConvertValue(v: unknown, type: string, detail?: string): ConversionError {
  if (detail !== undefined) return new ConversionError(`Cannot convert value "${toStr(v)}" to type "${type}". Error: "${detail}"`);
  return new ConversionError(`Cannot convert the "${toStr(v)}" value of type "${dotNetTypeName(v)}" to type "${type}".`);
}

/** [string]: scalars convert; a collection of several values is refused. */
export function convertString(v: unknown): string | null {
  if (isNull(v)) return null;
  if (isEnumerable(v)) {
    const a = toArray(v);
    if (a.length === 1) return convertString(a[0]);
    throw new ConversionError(`Cannot convert '${a.map(toStr).join(' ')}' to the type 'System.String' required by parameter. Specified method is not supported.`);
  }
  if (typeof v === 'object' && (v as { kind?: unknown }).kind === 'scriptblock') return String(v);
  return toStr(v);
}

/** [string[]]: every element as a string. */
export function convertStringArray(v: unknown): string[] | null {
  if (isNull(v)) return null;
  return toArray(v).map((x) => toStr(x));
}

/** [int]: numbers and numeric strings, rounded as .NET does (half to even). */
export function convertInt(v: unknown, typeName = 'System.Int32'): number {
  const one = Array.isArray(v) && v.length === 1 ? v[0] : v;
  if (typeof one === 'number') return roundHalfEven(one);
  if (typeof one === 'boolean') return one ? 1 : 0;
  if (typeof one === 'string') {
    const n = parseNumber(one.trim());
    if (n === undefined) throw cannotConvertValue(one, typeName, 'Input string was not in a correct format.');
    return roundHalfEven(n);
  }
  throw cannotConvertValue(one, typeName);
}

export function roundHalfEven(n: number): number {
  const f = Math.floor(n);
  const diff = n - f;
  if (diff > 0.5) return f + 1;
  if (diff < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** [bool] (not a switch): only Booleans and numbers, as PowerShell requires. */
export function convertBoolean(v: unknown): boolean {
  const one = Array.isArray(v) && v.length === 1 ? v[0] : v;
  if (typeof one === 'boolean') return one;
  if (typeof one === 'number') return one !== 0;
  throw new ConversionError(`Cannot convert value "${dotNetTypeName(one)}" to type "System.Boolean". Boolean parameters accept only Boolean values and numbers, such as $True, $False, 1 or 0.`);
}

/** [switch] with an explicit value. */
export function convertSwitch(v: unknown): boolean {
  return toBool(v);
}

export function convertSecureString(v: unknown): SecureString {
  if (v instanceof SecureString) return v;
  throw cannotConvertValue(v, 'System.Security.SecureString');
}

export function convertCredential(v: unknown): PSCredential {
  if (v instanceof PSCredential) return v;
  throw cannotConvertValue(v, 'System.Management.Automation.PSCredential');
}

/** One of a fixed set of names (case-insensitive), returned in canonical casing. */
export function convertEnum(v: unknown, names: readonly string[], typeName: string): string {
  const s = toStr(v);
  const hit = names.find((n) => n.toLowerCase() === s.trim().toLowerCase());
  if (hit) return hit;
  throw new ConversionError(
    `Cannot convert value "${s}" to type "${typeName}". Error: "Unable to match the identifier name ${s} to a valid enumerator name. Specify one of the following enumerator names and try again:\n${names.join(', ')}"`,
  );
}

const ISO_DATE = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?\s*(Z|[+-]\d{2}:?\d{2})?)?$/i;
const US_DATE = /^(\d{1,2})\/(\d{1,2})\/(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\s*([AP]M))?)?$/i;

/**
 * DateTime parsing with the invariant culture, as a [datetime] cast does:
 * ISO forms ("2026-01-15", "2026-01-15 10:30", "2026-01-15T10:30:00Z") and
 * "MM/dd/yyyy [h:mm[:ss] [AM|PM]]"; a time without a zone is local time.
 */
export function parseDateInvariant(text: string): Date | undefined {
  const t = text.trim();
  let m = ISO_DATE.exec(t);
  if (m) {
    const [y, mo, d, h, mi, s, f] = [m[1], m[2], m[3], m[4], m[5], m[6], m[7]].map((x) => (x === undefined ? 0 : Number(x)));
    const ms = m[7] ? Number('0.' + m[7]) * 1000 : 0;
    void f;
    if (m[8]) {
      let utc = Date.UTC(y, mo - 1, d, h, mi, s, ms);
      if (m[8].toUpperCase() !== 'Z') {
        const sign = m[8][0] === '-' ? -1 : 1;
        const digits = m[8].slice(1).replace(':', '');
        utc -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
      }
      return new Date(utc);
    }
    const local = new Date(y, mo - 1, d, h, mi, s, ms);
    return local.getMonth() === mo - 1 ? local : undefined;
  }
  m = US_DATE.exec(t);
  if (m) {
    let h = Number(m[4] ?? 0);
    if (m[7]) {
      const pm = m[7].toUpperCase() === 'PM';
      if (h === 12) h = pm ? 12 : 0;
      else if (pm) h += 12;
    }
    const local = new Date(Number(m[3]), Number(m[1]) - 1, Number(m[2]), h, Number(m[5] ?? 0), Number(m[6] ?? 0));
    return local.getMonth() === Number(m[1]) - 1 ? local : undefined;
  }
  const fallback = new Date(t);
  return Number.isNaN(fallback.getTime()) ? undefined : fallback;
}

/** Timestamps given as text or Date. */
export function convertDate(v: unknown): Date {
  if (v instanceof Date) return v;
  const d = parseDateInvariant(toStr(v));
  if (!d) throw cannotConvertValue(v, 'System.DateTime', `String '${toStr(v)}' was not recognized as a valid DateTime.`);
  return d;
}

/** en-US display form in UTC (error record time stamps). */
export function formatDateDisplayUtc(d: Date): string {
  const shifted = new Date(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds());
  return formatDateDisplay(shifted);
}
