// Int32 values (MaxHopCount, Port, MaxRecipientsPerMessage, address-space
// cost...) and the inner parser for Unlimited<number>.
//
// Input: a JS number (what the shell hands over for a bare 5000; fractional
// numbers are rounded half to even, as PowerShell converts a double to Int32)
// or a string holding a decimal integer with an optional sign (white space
// around it ignored; "0x" hexadecimal also accepted, as PowerShell does).
// Invariant: the result is an integer in [-2147483648, 2147483647].
// Errors use the PowerShell conversion wording:
// `Cannot convert value "abc" to type "System.Int32". Error: "Input string was not in a correct format."`

import { ValueError, inputText } from './value-error.js';

export const INT32_MIN = -2147483648;
export const INT32_MAX = 2147483647;

function roundHalfEven(n: number): number {
  const r = Math.round(n);
  return Math.abs(n % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function formatError(input: unknown): ValueError {
  return new ValueError(`Cannot convert value "${inputText(input)}" to type "System.Int32". Error: "Input string was not in a correct format."`, input);
}

function overflowError(input: unknown): ValueError {
  return new ValueError(`Cannot convert value "${inputText(input)}" to type "System.Int32". Error: "Value was either too large or too small for an Int32."`, input);
}

export function parseInt32(input: unknown): number {
  let n: number;
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) throw overflowError(input);
    n = roundHalfEven(input);
  } else if (typeof input === 'bigint') {
    if (input < BigInt(INT32_MIN) || input > BigInt(INT32_MAX)) throw overflowError(input);
    n = Number(input);
  } else if (typeof input === 'string') {
    const t = input.trim();
    if (/^[+-]?\d+$/.test(t)) n = Number(t);
    else if (/^0x[0-9a-f]+$/i.test(t)) n = Number.parseInt(t.slice(2), 16);
    else throw formatError(input);
  } else {
    throw formatError(input);
  }
  if (n < INT32_MIN || n > INT32_MAX) throw overflowError(input);
  return n === 0 ? 0 : n; // no negative zero
}

/**
 * parseInt32() plus a range check:
 * `The value 0 is not valid for MaxHopCount. Valid values are between 1 and 500.`
 */
export function parseIntInRange(input: unknown, min: number, max: number, paramName: string): number {
  const n = parseInt32(input);
  if (n < min || n > max) {
    throw new ValueError(`The value ${n} is not valid for ${paramName}. Valid values are between ${min} and ${max}.`, input);
  }
  return n;
}
