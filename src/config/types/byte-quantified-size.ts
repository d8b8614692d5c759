// ByteQuantifiedSize: a size in bytes, as Exchange's ByteQuantifiedSize type
// (MaxMessageSize, MaxHeaderSize, log size limits...).
//
// Input: a number of bytes (what the shell hands over for a bare `25MB`), a
// string "<number>[ ]<unit>" with unit B, KB, MB, GB or TB (case-insensitive,
// binary multiples, decimals allowed: "1.5MB"; no unit = bytes), the display
// form "25 MB (26,214,400 bytes)" (what remoting hands over), or an instance.
// Invariants: `bytes` is a whole number, 0 <= bytes <= Number.MAX_SAFE_INTEGER.
// Fractions of a byte produced by a unit multiple ("1.1KB" = 1126.4) are
// truncated; a fractional plain byte count ("1.5" or "1.5B") is refused.
// Display: the largest unit not exceeding the value, at most 4 significant
// digits, then the exact byte count with thousands separators:
// "25 MB (26,214,400 bytes)", "1.5 MB (1,572,864 bytes)", "0 B (0 bytes)".
// Storage form (toJSON): the byte count as a JSON number.

import { ValueError, inputText } from './value-error.js';

export type ByteUnit = 'B' | 'KB' | 'MB' | 'GB' | 'TB';

const UNIT_BYTES: Record<ByteUnit, number> = {
  B: 1,
  KB: 1024,
  MB: 1024 ** 2,
  GB: 1024 ** 3,
  TB: 1024 ** 4,
};
const UNITS_DESCENDING: ByteUnit[] = ['TB', 'GB', 'MB', 'KB', 'B'];

const SIZE_RE = /^(\d+(?:\.\d*)?|\.\d+)\s*(B|KB|MB|GB|TB)?$/i;
const DISPLAY_RE = /^(?:\d+(?:\.\d+)?)\s*(?:B|KB|MB|GB|TB)\s*\(\s*(\d{1,3}(?:,\d{3})*|\d+)\s*bytes\s*\)$/i;

const MAX_BYTES = Number.MAX_SAFE_INTEGER;

function formatGrouped(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

function invalid(input: unknown, detail?: string): ValueError {
  return new ValueError(
    `The value "${inputText(input)}" is not a valid ByteQuantifiedSize. ` + (detail ?? 'Use a number with an optional unit: B, KB, MB, GB, TB (for example 25MB or "10 MB"); a number without a unit is a count of bytes.'),
    input,
  );
}

function tooLarge(input: unknown): ValueError {
  return invalid(input, `The largest size allowed is ${formatGrouped(MAX_BYTES)} bytes.`);
}

export class ByteQuantifiedSize {
  /** The size in bytes (whole number, never negative). */
  readonly bytes: number;

  private constructor(bytes: number) {
    this.bytes = bytes;
    Object.freeze(this);
  }

  static readonly zero = new ByteQuantifiedSize(0);

  /** A size from a whole, non-negative byte count. */
  static fromBytes(bytes: number): ByteQuantifiedSize {
    if (!Number.isInteger(bytes) || bytes < 0) throw invalid(bytes, 'A byte count must be a whole number of 0 or more.');
    if (bytes > MAX_BYTES) throw tooLarge(bytes);
    return new ByteQuantifiedSize(bytes);
  }

  /** A size given in a unit, e.g. fromUnits(36, 'MB'); fractions of a byte are truncated. */
  static fromUnits(value: number, unit: ByteUnit): ByteQuantifiedSize {
    return ByteQuantifiedSize.parse(`${value}${unit}`);
  }

  static parse(input: unknown): ByteQuantifiedSize {
    if (input instanceof ByteQuantifiedSize) return input;
    if (typeof input === 'number') {
      if (!Number.isFinite(input) || input < 0) throw invalid(input);
      const whole = Math.trunc(input);
      if (whole > MAX_BYTES) throw tooLarge(input);
      return new ByteQuantifiedSize(whole);
    }
    if (typeof input === 'bigint') {
      if (input < 0n) throw invalid(input);
      if (input > BigInt(MAX_BYTES)) throw tooLarge(input);
      return new ByteQuantifiedSize(Number(input));
    }
    if (typeof input !== 'string') throw invalid(input);
    const text = input.trim();

    const display = DISPLAY_RE.exec(text);
    if (display) {
      const bytes = BigInt(display[1].replace(/,/g, ''));
      if (bytes > BigInt(MAX_BYTES)) throw tooLarge(input);
      return new ByteQuantifiedSize(Number(bytes));
    }

    const m = SIZE_RE.exec(text);
    if (!m) throw invalid(input);
    const [intPart, fracPart = ''] = m[1].split('.');
    const unit = (m[2] ?? 'B').toUpperCase() as ByteUnit;
    const mantissa = BigInt((intPart || '0') + fracPart);
    const scale = 10n ** BigInt(fracPart.length);
    const product = mantissa * BigInt(UNIT_BYTES[unit]);
    if (unit === 'B' && product % scale !== 0n) {
      throw invalid(input, 'A byte count must be a whole number; use a larger unit (KB, MB, GB, TB) for fractions.');
    }
    const bytes = product / scale;
    if (bytes > BigInt(MAX_BYTES)) throw tooLarge(input);
    return new ByteQuantifiedSize(Number(bytes));
  }

  /**
   * parse() plus a range check. The error names the parameter, e.g.
   * `The value "3 GB" is out of range for MaxMessageSize. Valid values are between 0 and 2147483647 bytes.`
   */
  static parseInRange(input: unknown, minBytes: number, maxBytes: number, paramName: string): ByteQuantifiedSize {
    const size = ByteQuantifiedSize.parse(input);
    if (size.bytes < minBytes || size.bytes > maxBytes) {
      throw ByteQuantifiedSize.rangeError(typeof input === 'string' ? input.trim() : size.toString(), minBytes, maxBytes, paramName, input);
    }
    return size;
  }

  /** Returns this size when minBytes <= bytes <= maxBytes, otherwise throws the range error. */
  checkRange(minBytes: number, maxBytes: number, paramName: string): this {
    if (this.bytes < minBytes || this.bytes > maxBytes) {
      throw ByteQuantifiedSize.rangeError(this.toString(), minBytes, maxBytes, paramName, this);
    }
    return this;
  }

  private static rangeError(shown: string, min: number, max: number, paramName: string, input: unknown): ValueError {
    return new ValueError(`The value "${shown}" is out of range for ${paramName}. Valid values are between ${min} and ${max} bytes.`, input);
  }

  /** The size rounded up to a whole number of kilobytes (some limits are kept in KB). */
  roundedUpToKilobytes(): ByteQuantifiedSize {
    const kb = Math.ceil(this.bytes / 1024) * 1024;
    return kb > MAX_BYTES ? this : new ByteQuantifiedSize(kb);
  }

  /** The size expressed in a unit (may be fractional). */
  in(unit: ByteUnit): number {
    return this.bytes / UNIT_BYTES[unit];
  }

  compareTo(other: ByteQuantifiedSize): number {
    return this.bytes - other.bytes;
  }

  equals(other: unknown): boolean {
    return other instanceof ByteQuantifiedSize && other.bytes === this.bytes;
  }

  /** The unit part of the display: "25 MB", "1.5 MB", "0 B". */
  toShortString(): string {
    const unit = UNITS_DESCENDING.find((u) => this.bytes >= UNIT_BYTES[u]) ?? 'B';
    const value = Number((this.bytes / UNIT_BYTES[unit]).toPrecision(4));
    return `${value} ${unit}`;
  }

  toString(): string {
    return `${this.toShortString()} (${formatGrouped(this.bytes)} bytes)`;
  }

  toJSON(): number {
    return this.bytes;
  }
}
