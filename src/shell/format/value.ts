// Text of a single value inside formatted output: $null is empty, Booleans
// True/False, collections `{a, b, c...}` cut at $FormatEnumerationLimit,
// dates in the en-US display form, other objects their ToString().

import { formatDateDisplay, formatNumber, isEnumerable, isNull, toArray } from '../conversion.js';
import { valueTypeOf } from '../members.js';
import { Hashtable, PSCredential, SecureString } from '../values.js';

export const DEFAULT_ENUMERATION_LIMIT = 16;

export function formatScalar(v: unknown): string {
  if (isNull(v)) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return formatNumber(v);
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Date) return formatDateDisplay(v);
  if (Array.isArray(v)) return 'System.Object[]';
  return String(v);
}

export function formatValue(v: unknown, enumerationLimit = DEFAULT_ENUMERATION_LIMIT): string {
  if (typeof v !== 'string' && isEnumerable(v)) {
    const items = toArray(v);
    const limit = enumerationLimit < 0 ? items.length : enumerationLimit;
    const shown = items.slice(0, limit).map((x) => formatScalar(x));
    return '{' + shown.join(', ') + (items.length > limit ? '...' : '') + '}';
  }
  return formatScalar(v);
}

/** Values shown right-aligned in a table column (numbers, Booleans, SecureString). */
export function isRightAligned(v: unknown): boolean {
  return typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint' || v instanceof SecureString;
}

/** Values Out-Default prints one per line instead of as a table or list. */
export function isScalarForOutput(v: unknown): boolean {
  return (
    ((isNull(v) || typeof v !== 'object' || v instanceof Date || v instanceof SecureString || (v as { kind?: unknown }).kind === 'scriptblock') && !(v instanceof PSCredential) && !(v instanceof Hashtable)) ||
    valueTypeOf(v)?.properties.length === 0
  );
}
