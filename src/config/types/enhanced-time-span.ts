// EnhancedTimeSpan: a signed duration with 100-nanosecond precision, as
// Exchange's EnhancedTimeSpan (ConnectionTimeout, MessageExpirationTimeout,
// TarpitInterval...), which parses and prints like .NET TimeSpan.
//
// Input: "[-][d.]hh:mm[:ss[.fffffff]]" or "[-]d" (a bare integer is a number
// of DAYS, as TimeSpan.Parse reads it: "5" = 5 days, "00:05" = 5 minutes);
// hours 0-23, minutes and seconds 0-59, at most 7 fraction digits; a JS
// integer (the shell hands a bare 5 over as a number) is also days.
// Invariants: the duration is a whole number of ticks (100 ns) within
// .NET TimeSpan's range (|ticks| <= 2^63 - 1).
// Display (toString, also the storage form): "[-][d.]hh:mm:ss[.fffffff]",
// e.g. "00:05:00", "1.00:00:00", "00:00:05", "00:00:00.5000000".

import { ValueError, inputText } from './value-error.js';

const TICKS_PER_SECOND = 10_000_000n;
const TICKS_PER_MINUTE = 60n * TICKS_PER_SECOND;
const TICKS_PER_HOUR = 60n * TICKS_PER_MINUTE;
const TICKS_PER_DAY = 24n * TICKS_PER_HOUR;
const MAX_TICKS = 9_223_372_036_854_775_807n;

const SPAN_RE = /^(-)?(?:(\d+)|(?:(\d+)\.)?(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,7}))?)?)$/;

const FORMAT_HINT = 'Use [-][d.]hh:mm[:ss[.fffffff]], for example 00:05:00 (5 minutes), 1.00:00:00 (1 day) or 00:00:30 (30 seconds); a number alone is a number of days.';

function invalid(input: unknown, detail = FORMAT_HINT): ValueError {
  return new ValueError(`The value "${inputText(input)}" is not a valid EnhancedTimeSpan. ${detail}`, input);
}

function pad2(n: bigint): string {
  return n.toString().padStart(2, '0');
}

/**
 * A range bound: an EnhancedTimeSpan, its text ("00:00:01"), or a number of
 * MILLISECONDS (unlike parse(), where a bare number is days).
 */
export type SpanBound = EnhancedTimeSpan | string | number;

export class EnhancedTimeSpan {
  /** The duration in ticks of 100 ns. */
  readonly ticks: bigint;

  private constructor(ticks: bigint) {
    this.ticks = ticks;
    Object.freeze(this);
  }

  static readonly zero = new EnhancedTimeSpan(0n);

  static fromTicks(ticks: bigint): EnhancedTimeSpan {
    if (ticks > MAX_TICKS || ticks < -MAX_TICKS) throw invalid(ticks, 'The duration is too long.');
    return new EnhancedTimeSpan(ticks);
  }

  static fromMilliseconds(ms: number): EnhancedTimeSpan {
    if (!Number.isFinite(ms)) throw invalid(ms);
    return EnhancedTimeSpan.fromTicks(BigInt(Math.round(ms * 10_000)));
  }

  static fromSeconds(s: number): EnhancedTimeSpan {
    return EnhancedTimeSpan.fromMilliseconds(s * 1000);
  }

  static fromMinutes(m: number): EnhancedTimeSpan {
    return EnhancedTimeSpan.fromMilliseconds(m * 60_000);
  }

  static fromHours(h: number): EnhancedTimeSpan {
    return EnhancedTimeSpan.fromMilliseconds(h * 3_600_000);
  }

  static fromDays(d: number): EnhancedTimeSpan {
    return EnhancedTimeSpan.fromMilliseconds(d * 86_400_000);
  }

  static parse(input: unknown): EnhancedTimeSpan {
    if (input instanceof EnhancedTimeSpan) return input;
    if (typeof input === 'number') {
      if (!Number.isInteger(input)) throw invalid(input);
      return EnhancedTimeSpan.parseDays(BigInt(input), input);
    }
    if (typeof input !== 'string') throw invalid(input);
    const m = SPAN_RE.exec(input.trim());
    if (!m) throw invalid(input);
    const [, minus, daysOnly, days, hh, mm, ss, frac] = m;
    const sign = minus ? -1n : 1n;
    if (daysOnly !== undefined) return EnhancedTimeSpan.parseDays(sign * BigInt(daysOnly), input);
    const h = BigInt(hh);
    const min = BigInt(mm);
    const s = BigInt(ss ?? '0');
    if (h > 23n || min > 59n || s > 59n) {
      throw invalid(input, `Hours must be between 0 and 23, minutes and seconds between 0 and 59. ${FORMAT_HINT}`);
    }
    const ticks = BigInt(days ?? '0') * TICKS_PER_DAY + h * TICKS_PER_HOUR + min * TICKS_PER_MINUTE + s * TICKS_PER_SECOND + BigInt((frac ?? '').padEnd(7, '0'));
    if (ticks > MAX_TICKS) throw invalid(input, 'The duration is too long.');
    return new EnhancedTimeSpan(sign * ticks);
  }

  private static parseDays(days: bigint, input: unknown): EnhancedTimeSpan {
    const ticks = days * TICKS_PER_DAY;
    if (ticks > MAX_TICKS || ticks < -MAX_TICKS) throw invalid(input, 'The duration is too long.');
    return new EnhancedTimeSpan(ticks);
  }

  /**
   * parse() plus a range check (bounds inclusive; see SpanBound):
   * `The value 00:00:00 is not valid for ConnectionTimeout. Valid values are between 00:00:01 and 1.00:00:00.`
   */
  static parseInRange(input: unknown, min: SpanBound, max: SpanBound, paramName: string): EnhancedTimeSpan {
    return EnhancedTimeSpan.parse(input).checkRange(min, max, paramName);
  }

  /** Returns this value when min <= this <= max, otherwise throws the range error. */
  checkRange(min: SpanBound, max: SpanBound, paramName: string): this {
    const lo = EnhancedTimeSpan.bound(min);
    const hi = EnhancedTimeSpan.bound(max);
    if (this.ticks < lo.ticks || this.ticks > hi.ticks) {
      throw new ValueError(`The value ${this} is not valid for ${paramName}. Valid values are between ${lo} and ${hi}.`, this);
    }
    return this;
  }

  private static bound(b: SpanBound): EnhancedTimeSpan {
    return typeof b === 'number' ? EnhancedTimeSpan.fromMilliseconds(b) : EnhancedTimeSpan.parse(b);
  }

  /** Total duration in milliseconds (fractional below 1 ms). */
  get milliseconds(): number {
    return Number(this.ticks) / 10_000;
  }

  /** Total duration in seconds (fractional below 1 s). */
  get seconds(): number {
    return Number(this.ticks) / 10_000_000;
  }

  compareTo(other: EnhancedTimeSpan): number {
    return this.ticks < other.ticks ? -1 : this.ticks > other.ticks ? 1 : 0;
  }

  equals(other: unknown): boolean {
    return other instanceof EnhancedTimeSpan && other.ticks === this.ticks;
  }

  toString(): string {
    const neg = this.ticks < 0n;
    let t = neg ? -this.ticks : this.ticks;
    const days = t / TICKS_PER_DAY;
    t %= TICKS_PER_DAY;
    const h = t / TICKS_PER_HOUR;
    t %= TICKS_PER_HOUR;
    const m = t / TICKS_PER_MINUTE;
    t %= TICKS_PER_MINUTE;
    const s = t / TICKS_PER_SECOND;
    const frac = t % TICKS_PER_SECOND;
    return (neg ? '-' : '') + (days > 0n ? `${days}.` : '') + `${pad2(h)}:${pad2(m)}:${pad2(s)}` + (frac > 0n ? `.${frac.toString().padStart(7, '0')}` : '');
  }

  toJSON(): string {
    return this.toString();
  }
}
