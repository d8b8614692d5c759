// Parsers for the plain .NET types Exchange properties use (Boolean, Int32,
// String) and small combinators shared by the object schemas. Each throws
// ValueError with the message PowerShell or Exchange would give.

import { ValueError } from '../types/value-error.js';

export function parseBool(input: unknown): boolean {
  if (typeof input === 'boolean') return input;
  if (typeof input === 'number' && Number.isFinite(input)) return input !== 0;
  throw new ValueError(`Cannot convert value "${describe(input)}" to type "System.Boolean". Boolean parameters accept only Boolean values and numbers, such as $True, $False, 1 or 0.`);
}

export function parseInt32(input: unknown): number {
  let n: number;
  if (typeof input === 'number') n = input;
  else if (typeof input === 'string' && /^\s*[+-]?\d+\s*$/.test(input)) n = Number(input.trim());
  else throw new ValueError(`Cannot convert value "${describe(input)}" to type "System.Int32". Error: "Input string was not in a correct format."`);
  if (!Number.isInteger(n) || n < -2147483648 || n > 2147483647) {
    throw new ValueError(`Cannot convert value "${describe(input)}" to type "System.Int32". Error: "Value was either too large or too small for an Int32."`);
  }
  return n;
}

export function intRange(min: number, max: number, name: string): (input: unknown) => number {
  return (input) => {
    const n = parseInt32(input);
    if (n < min || n > max) {
      throw new ValueError(`The value ${n} is not valid for ${name}. Valid values are between ${min} and ${max}.`);
    }
    return n;
  };
}

export function parseString(input: unknown): string {
  if (typeof input === 'string') return input;
  if (typeof input === 'number' || typeof input === 'boolean') return String(input);
  if (Array.isArray(input)) {
    throw new ValueError(`Cannot convert "System.Object[]" to "System.String". Specify a single value.`);
  }
  if (input !== null && typeof input === 'object' && typeof (input as object).toString === 'function') return String(input);
  throw new ValueError(`Cannot convert value "${describe(input)}" to type "System.String".`);
}

export function stringMax(max: number, name: string): (input: unknown) => string {
  return (input) => {
    const s = parseString(input);
    if (s.length > max) throw new ValueError(`The length of the property is too long. The maximum length is ${max} and the length of the value provided is ${s.length}. (${name})`);
    return s;
  };
}

/** A non-empty name (object names, connector names). */
export function objectName(max: number): (input: unknown) => string {
  return (input) => {
    const s = parseString(input);
    if (s.trim() === '') throw new ValueError('The name cannot be empty.');
    if (s.length > max) throw new ValueError(`The length of the property is too long. The maximum length is ${max} and the length of the value provided is ${s.length}.`);
    if (/[\\\x00-\x1f]/.test(s)) throw new ValueError(`The name "${s}" contains characters that are not allowed (a backslash or a control character).`);
    return s;
  };
}

export function describe(input: unknown): string {
  if (input === null || input === undefined) return '';
  if (Array.isArray(input)) return 'System.Object[]';
  return String(input);
}
