// [timespan]: a signed duration as .NET's TimeSpan shows it to a script
// (Days, Hours, TotalMinutes..., "1.02:03:04.5000000"), made by casts,
// New-TimeSpan and date subtraction. Its valueOf is milliseconds, so it adds
// to dates and compares with other durations.

import { RuntimeError } from './errors.js';

const SPAN_RE = /^\s*(-)?(?:(\d+)|(?:(\d+)\.)?(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,7}))?)?)\s*$/;

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

export class TimeSpan {
  private readonly _ms: number;

  constructor(milliseconds: number) {
    this._ms = milliseconds;
  }

  static fromTicks(ticks: number): TimeSpan {
    return new TimeSpan(ticks / 10_000);
  }

  /** TimeSpan.Parse: "[-][d.]hh:mm[:ss[.fffffff]]" or a number of days. */
  static parse(text: string): TimeSpan {
    const m = SPAN_RE.exec(text);
    if (!m) {
      throw new RuntimeError(`Cannot convert value "${text}" to type "System.TimeSpan". Error: "String was not recognized as a valid TimeSpan."`, 'InvalidCastParseTargetInvocation', 'InvalidArgument', 'RuntimeException');
    }
    const sign = m[1] ? -1 : 1;
    if (m[2] !== undefined) return new TimeSpan(sign * Number(m[2]) * 86_400_000);
    const days = Number(m[3] ?? 0);
    const hours = Number(m[4]);
    const minutes = Number(m[5]);
    const seconds = Number(m[6] ?? 0);
    if (hours > 23 || minutes > 59 || seconds > 59) {
      throw new RuntimeError(
        `Cannot convert value "${text}" to type "System.TimeSpan". Error: "The TimeSpan could not be parsed because at least one of the numeric components is out of range or contains too many digits."`,
        'InvalidCastParseTargetInvocation',
        'InvalidArgument',
        'RuntimeException',
      );
    }
    const fraction = m[7] ? Number('0.' + m[7]) * 1000 : 0;
    return new TimeSpan(sign * (((days * 24 + hours) * 60 + minutes) * 60_000 + seconds * 1000 + fraction));
  }

  private part(unit: number, modulo: number): number {
    const v = Math.trunc(this._ms / unit) % modulo;
    return v === 0 ? 0 : v;
  }

  get Days(): number {
    const v = Math.trunc(this._ms / 86_400_000);
    return v === 0 ? 0 : v;
  }
  get Hours(): number {
    return this.part(3_600_000, 24);
  }
  get Minutes(): number {
    return this.part(60_000, 60);
  }
  get Seconds(): number {
    return this.part(1000, 60);
  }
  get Milliseconds(): number {
    return this.part(1, 1000);
  }
  get Ticks(): number {
    return Math.round(this._ms * 10_000);
  }
  get TotalDays(): number {
    return this._ms / 86_400_000;
  }
  get TotalHours(): number {
    return this._ms / 3_600_000;
  }
  get TotalMinutes(): number {
    return this._ms / 60_000;
  }
  get TotalSeconds(): number {
    return this._ms / 1000;
  }
  get TotalMilliseconds(): number {
    return this._ms;
  }

  Add(other: TimeSpan): TimeSpan {
    return new TimeSpan(this._ms + other.valueOf());
  }
  Subtract(other: TimeSpan): TimeSpan {
    return new TimeSpan(this._ms - other.valueOf());
  }
  Negate(): TimeSpan {
    return new TimeSpan(-this._ms);
  }
  Duration(): TimeSpan {
    return new TimeSpan(Math.abs(this._ms));
  }

  valueOf(): number {
    return this._ms;
  }

  /** The constant ("c") form: [-][d.]hh:mm:ss[.fffffff]. */
  toString(): string {
    const neg = this._ms < 0;
    const abs = new TimeSpan(Math.abs(this._ms));
    const ticksFraction = Math.round((Math.abs(this._ms) % 1000) * 10_000);
    const day = abs.Days ? `${abs.Days}.` : '';
    const fraction = ticksFraction ? '.' + pad(ticksFraction, 7) : '';
    return `${neg ? '-' : ''}${day}${pad(abs.Hours)}:${pad(abs.Minutes)}:${pad(abs.Seconds)}${fraction}`;
  }
}
