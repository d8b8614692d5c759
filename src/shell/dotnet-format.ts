// .NET format strings in the en-US culture, as `-f`, ToString('...') and
// Get-Date -Format apply them: composite formats ("{0,-10} {1:N2}"), standard
// and custom numeric formats (N2, D5, X, P1, C, 0.00, #,##0), standard and
// custom date formats (d, G, s, u, o, yyyy-MM-dd HH:mm) and TimeSpan formats
// (c, g, hh\:mm\:ss).

import { formatDateDisplay, formatNumber, isNull, primitiveOf, toStr } from './conversion.js';
import { RuntimeError } from './errors.js';
import { TimeSpan } from './timespan.js';

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

function pad(n: number, w: number): string {
  const s = String(Math.abs(Math.trunc(n))).padStart(w, '0');
  return n < 0 ? '-' + s : s;
}

function group(intDigits: string): string {
  return intDigits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Rounds half away from zero, as .NET's numeric formatting does. */
function fixed(n: number, digits: number): string {
  const f = 10 ** digits;
  const r = (Math.sign(n) * Math.round(Math.abs(n) * f + 1e-9)) / f;
  return Math.abs(r).toFixed(digits);
}

function standardNumber(n: number, letter: string, digits: number | undefined): string | undefined {
  const neg = n < 0;
  const sign = (s: string): string => (neg && Number(s.replace(/[^0-9.]/g, '')) !== 0 ? '-' + s : s);
  switch (letter.toUpperCase()) {
    case 'N': {
      const [i, f] = fixed(n, digits ?? 2).split('.');
      return sign(group(i) + (f ? '.' + f : ''));
    }
    case 'F':
      return sign(fixed(n, digits ?? 2));
    case 'D':
      if (!Number.isInteger(n)) return undefined;
      return pad(n, digits ?? 0);
    case 'X': {
      if (!Number.isInteger(n)) return undefined;
      const hex = (n < 0 ? n >>> 0 : n).toString(16).padStart(digits ?? 0, '0');
      return letter === 'X' ? hex.toUpperCase() : hex;
    }
    case 'P': {
      const [i, f] = fixed(n * 100, digits ?? 2).split('.');
      return sign(group(i) + (f ? '.' + f : '')) + ' %';
    }
    case 'C': {
      const [i, f] = fixed(n, digits ?? 2).split('.');
      const body = '$' + group(i) + (f ? '.' + f : '');
      return neg ? `(${body})` : body;
    }
    case 'E': {
      const s = Math.abs(n).toExponential(digits ?? 6);
      const [mant, exp] = s.split('e');
      const e = Number(exp);
      return (neg ? '-' : '') + mant + (letter === 'e' ? 'e' : 'E') + (e < 0 ? '-' : '+') + pad(Math.abs(e), 3);
    }
    case 'G':
    case 'R':
      return formatNumber(n);
  }
  return undefined;
}

/** Custom numeric format: 0 and # digits, '.', ',' grouping, '%', literals; sections split by ';'. */
function customNumber(n: number, format: string): string {
  const sections = format.split(';');
  let fmt = sections[0];
  let value = n;
  if (n < 0 && sections.length > 1 && sections[1] !== '') {
    fmt = sections[1];
    value = -n;
  } else if (n === 0 && sections.length > 2 && sections[2] !== '') fmt = sections[2];
  const first = fmt.search(/[0#]/);
  if (first < 0) return fmt;
  let last = first;
  for (let i = first; i < fmt.length; i++) if (/[0#.,]/.test(fmt[i])) last = i;
  const prefix = fmt.slice(0, first);
  const suffix = fmt.slice(last + 1);
  let pattern = fmt.slice(first, last + 1);
  if ((prefix + suffix).includes('%')) value *= 100;
  const grouping = /[0#],[0#]/.test(pattern);
  pattern = pattern.replace(/,/g, '');
  const [intPart, fracPart = ''] = pattern.split('.');
  const minInt = (intPart.match(/0/g) ?? []).length;
  const maxFrac = fracPart.length;
  const minFrac = (fracPart.match(/0/g) ?? []).length === 0 ? 0 : fracPart.lastIndexOf('0') + 1;
  const neg = value < 0;
  let [i, f = ''] = fixed(value, maxFrac).split('.');
  while (f.length > minFrac && f.endsWith('0')) f = f.slice(0, -1);
  if (i === '0' && minInt === 0) i = '';
  i = i.padStart(minInt, '0');
  if (grouping) i = group(i);
  const body = i + (f ? '.' + f : '');
  const negSign = neg && sections.length === 1 && Number(body.replace(/[^0-9]/g, '') || '0') !== 0 ? '-' : '';
  return negSign + prefix.replace(/'([^']*)'|"([^"]*)"/g, '$1$2') + body + suffix.replace(/'([^']*)'|"([^"]*)"/g, '$1$2');
}

export function formatNumberWith(n: number, spec: string): string {
  const m = /^([CcDdEeFfGgNnPpRrXx])(\d{0,2})$/.exec(spec);
  if (m) {
    const r = standardNumber(n, m[1], m[2] === '' ? undefined : Number(m[2]));
    if (r !== undefined) return r;
    throw new RuntimeError('Format specifier was invalid.', 'FormatException', 'NotSpecified', 'FormatException');
  }
  return customNumber(n, spec);
}

const STANDARD_DATE: Record<string, string> = {
  d: 'M/d/yyyy',
  D: 'dddd, MMMM d, yyyy',
  f: 'dddd, MMMM d, yyyy h:mm tt',
  F: 'dddd, MMMM d, yyyy h:mm:ss tt',
  g: 'M/d/yyyy h:mm tt',
  G: 'M/d/yyyy h:mm:ss tt',
  M: 'MMMM d',
  m: 'MMMM d',
  s: "yyyy'-'MM'-'dd'T'HH':'mm':'ss",
  t: 'h:mm tt',
  T: 'h:mm:ss tt',
  Y: 'MMMM yyyy',
  y: 'MMMM yyyy',
  o: "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffffK",
  O: "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffffK",
};

function utcAsLocal(d: Date): Date {
  return new Date(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds());
}

function offset(d: Date, colon: boolean, hoursOnly = false, twoDigits = true): string {
  const off = -d.getTimezoneOffset();
  const sign = off < 0 ? '-' : '+';
  const h = Math.trunc(Math.abs(off) / 60);
  const m = Math.abs(off) % 60;
  const hh = twoDigits ? pad(h, 2) : String(h);
  return hoursOnly ? sign + hh : sign + hh + (colon ? ':' : '') + pad(m, 2);
}

/** A date in a standard or custom .NET format (en-US). */
export function formatDate(d: Date, format: string): string {
  if (format === '') return formatDateDisplay(d);
  if (format.length === 1) {
    if (format === 'u') return formatDate(utcAsLocal(d), "yyyy'-'MM'-'dd HH':'mm':'ss'Z'");
    if (format === 'U') return formatDate(utcAsLocal(d), STANDARD_DATE.F);
    if (format === 'r' || format === 'R') return formatDate(utcAsLocal(d), "ddd, dd MMM yyyy HH':'mm':'ss 'GMT'");
    const std = STANDARD_DATE[format];
    if (!std) throw new RuntimeError('Input string was not in a correct format.', 'FormatException', 'NotSpecified', 'FormatException');
    return formatDate(d, std);
  }
  let out = '';
  let i = 0;
  const f = format.startsWith('%') ? format.slice(1) : format;
  while (i < f.length) {
    const c = f[i];
    if (c === "'" || c === '"') {
      const end = f.indexOf(c, i + 1);
      out += f.slice(i + 1, end < 0 ? f.length : end);
      i = end < 0 ? f.length : end + 1;
      continue;
    }
    if (c === '\\') {
      out += f[i + 1] ?? '';
      i += 2;
      continue;
    }
    let run = 1;
    while (f[i + run] === c) run++;
    i += run;
    switch (c) {
      case 'y':
        out += run === 1 ? String(d.getFullYear() % 100) : run === 2 ? pad(d.getFullYear() % 100, 2) : pad(d.getFullYear(), run);
        break;
      case 'M':
        out += run >= 4 ? MONTHS[d.getMonth()] : run === 3 ? MONTHS[d.getMonth()].slice(0, 3) : pad(d.getMonth() + 1, run);
        break;
      case 'd':
        out += run >= 4 ? DAYS[d.getDay()] : run === 3 ? DAYS[d.getDay()].slice(0, 3) : pad(d.getDate(), run);
        break;
      case 'H':
        out += pad(d.getHours(), Math.min(run, 2));
        break;
      case 'h':
        out += pad(d.getHours() % 12 === 0 ? 12 : d.getHours() % 12, Math.min(run, 2));
        break;
      case 'm':
        out += pad(d.getMinutes(), Math.min(run, 2));
        break;
      case 's':
        out += pad(d.getSeconds(), Math.min(run, 2));
        break;
      case 'f':
      case 'F': {
        const digits = (pad(d.getMilliseconds(), 3) + '0000').slice(0, Math.min(run, 7));
        out += c === 'F' ? digits.replace(/0+$/, '') : digits;
        break;
      }
      case 't':
        out += (d.getHours() < 12 ? 'AM' : 'PM').slice(0, run === 1 ? 1 : 2);
        break;
      case 'z':
        out += run === 1 ? offset(d, false, true, false) : run === 2 ? offset(d, false, true) : offset(d, true);
        break;
      case 'K':
        out += offset(d, true);
        break;
      case 'g':
        out += 'A.D.';
        break;
      case ':':
        out += ':'.repeat(run);
        break;
      case '/':
        out += '/'.repeat(run);
        break;
      default:
        out += c.repeat(run);
    }
  }
  return out;
}

/** A TimeSpan in a standard (c, g, G) or custom (hh\:mm\:ss) format. */
export function formatTimeSpan(t: TimeSpan, format: string): string {
  const neg = t.valueOf() < 0;
  const a = t.Duration();
  const ticks = Math.round((a.valueOf() % 1000) * 10_000);
  if (format === '' || format === 'c' || format === 't' || format === 'T') return t.toString();
  if (format === 'g' || format === 'G') {
    const fraction = format === 'G' ? '.' + pad(ticks, 7) : ticks ? '.' + pad(ticks, 7).replace(/0+$/, '') : '';
    const days = format === 'G' || a.Days ? `${a.Days}:` : '';
    return `${neg ? '-' : ''}${days}${format === 'G' ? pad(a.Hours, 2) : a.Hours}:${pad(a.Minutes, 2)}:${pad(a.Seconds, 2)}${fraction}`;
  }
  let out = '';
  let i = 0;
  while (i < format.length) {
    const c = format[i];
    if (c === "'" || c === '"') {
      const end = format.indexOf(c, i + 1);
      out += format.slice(i + 1, end < 0 ? format.length : end);
      i = end < 0 ? format.length : end + 1;
      continue;
    }
    if (c === '\\') {
      out += format[i + 1] ?? '';
      i += 2;
      continue;
    }
    let run = 1;
    while (format[i + run] === c) run++;
    i += run;
    switch (c) {
      case 'd':
        out += pad(a.Days, run);
        break;
      case 'h':
        out += pad(a.Hours, Math.min(run, 2));
        break;
      case 'm':
        out += pad(a.Minutes, Math.min(run, 2));
        break;
      case 's':
        out += pad(a.Seconds, Math.min(run, 2));
        break;
      case 'f':
        out += pad(ticks, 7).slice(0, run);
        break;
      case 'F':
        out += pad(ticks, 7).slice(0, run).replace(/0+$/, '');
        break;
      default:
        throw new RuntimeError('Input string was not in a correct format.', 'FormatException', 'NotSpecified', 'FormatException');
    }
  }
  return out;
}

/** One value with a format specifier (the part after ':' in a composite item). */
export function formatWith(v: unknown, spec: string): string {
  if (v instanceof Date) return formatDate(v, spec);
  if (v instanceof TimeSpan) return formatTimeSpan(v, spec);
  const p = primitiveOf(v);
  if (typeof p === 'number') return formatNumberWith(p, spec);
  return toStr(v);
}

/** Text of a composite item without a format: dates and numbers as .NET's ToString() shows them. */
function plain(v: unknown): string {
  if (isNull(v)) return '';
  if (v instanceof Date) return formatDateDisplay(v);
  return toStr(v);
}

/** String.Format: `{index[,alignment][:format]}`, `{{` and `}}`. */
export function compositeFormat(format: string, args: unknown[]): string {
  let out = '';
  let i = 0;
  while (i < format.length) {
    const c = format[i];
    if (c === '{' && format[i + 1] === '{') {
      out += '{';
      i += 2;
      continue;
    }
    if (c === '}' && format[i + 1] === '}') {
      out += '}';
      i += 2;
      continue;
    }
    if (c === '}') throw badFormat();
    if (c !== '{') {
      out += c;
      i++;
      continue;
    }
    const close = format.indexOf('}', i);
    if (close < 0) throw badFormat();
    const m = /^\s*(\d+)\s*(?:,\s*(-?\d+)\s*)?(?::(.*))?$/s.exec(format.slice(i + 1, close));
    if (!m) throw badFormat();
    const index = Number(m[1]);
    if (index >= args.length) {
      throw new RuntimeError('Error formatting a string: Index (zero based) must be greater than or equal to zero and less than the size of the argument list..', 'FormatError', 'InvalidOperation', 'RuntimeException');
    }
    const v = args[index];
    let s = m[3] !== undefined ? formatWith(v, m[3]) : plain(v);
    if (m[2] !== undefined) {
      const w = Number(m[2]);
      s = w < 0 ? s.padEnd(-w) : s.padStart(w);
    }
    out += s;
    i = close + 1;
  }
  return out;
}

function badFormat(): RuntimeError {
  return new RuntimeError('Error formatting a string: Input string was not in a correct format..', 'FormatError', 'InvalidOperation', 'RuntimeException');
}

/** DateTime.ParseExact with a custom format (yyyy, MM, dd, HH, hh, mm, ss, fff, tt, MMM and literals); local time. */
export function parseExactDate(text: string, format: string): Date {
  const groups: string[] = [];
  let re = '';
  let i = 0;
  while (i < format.length) {
    const c = format[i];
    if (c === "'" || c === '"') {
      const end = format.indexOf(c, i + 1);
      const lit = format.slice(i + 1, end < 0 ? format.length : end);
      re += lit.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      i = end < 0 ? format.length : end + 1;
      continue;
    }
    if (c === '\\') {
      re += (format[i + 1] ?? '').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      i += 2;
      continue;
    }
    let run = 1;
    while (format[i + run] === c) run++;
    i += run;
    const token = c + run;
    const digits = (n: number, max = n): string => `(\\d{${n},${max}})`;
    switch (c) {
      case 'y':
        re += run <= 2 ? digits(run === 1 ? 1 : 2, 2) : digits(4, Math.max(4, run));
        groups.push(token);
        break;
      case 'M':
        re += run === 4 ? `(${MONTHS.join('|')})` : run === 3 ? `(${MONTHS.map((m) => m.slice(0, 3)).join('|')})` : digits(run, 2);
        groups.push(token);
        break;
      case 'd':
        if (run >= 3) {
          re += `(?:${DAYS.join('|')}|${DAYS.map((d) => d.slice(0, 3)).join('|')})`;
          break;
        }
        re += digits(run, 2);
        groups.push(token);
        break;
      case 'H':
      case 'h':
      case 'm':
      case 's':
        re += digits(run, 2);
        groups.push(token);
        break;
      case 'f':
      case 'F':
        re += digits(c === 'F' ? 0 : run, run);
        groups.push('f' + run);
        break;
      case 't':
        re += '(AM|PM|A|P)';
        groups.push('t');
        break;
      default:
        re += c.repeat(run).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    }
  }
  const m = new RegExp('^' + re + '$', 'i').exec(text.trim());
  if (!m) {
    throw new RuntimeError(`Exception calling "ParseExact" with "3" argument(s): "String was not recognized as a valid DateTime."`, 'FormatException', 'NotSpecified', 'MethodInvocationException');
  }
  let year = 1;
  let month = 1;
  let day = 1;
  let hour = 0;
  let minute = 0;
  let second = 0;
  let ms = 0;
  let pm: boolean | undefined;
  groups.forEach((g, k) => {
    const v = m[k + 1];
    const n = Number(v);
    switch (g[0]) {
      case 'y':
        year = g === 'y1' || g === 'y2' ? 2000 + n : n;
        break;
      case 'M':
        month = g === 'M4' ? MONTHS.findIndex((x) => x.toLowerCase() === v.toLowerCase()) + 1 : g === 'M3' ? MONTHS.findIndex((x) => x.slice(0, 3).toLowerCase() === v.toLowerCase()) + 1 : n;
        break;
      case 'd':
        day = n;
        break;
      case 'H':
        hour = n;
        break;
      case 'h':
        hour = n % 12;
        break;
      case 'm':
        minute = n;
        break;
      case 's':
        second = n;
        break;
      case 'f':
        ms = v ? Number('0.' + v) * 1000 : 0;
        break;
      case 't':
        pm = v.toUpperCase().startsWith('P');
        break;
    }
  });
  if (pm !== undefined && pm && hour < 12) hour += 12;
  const d = new Date(year, month - 1, day, hour, minute, second, ms);
  if (d.getMonth() !== month - 1 || d.getDate() !== day) {
    throw new RuntimeError(`Exception calling "ParseExact" with "3" argument(s): "String was not recognized as a valid DateTime."`, 'FormatException', 'NotSpecified', 'MethodInvocationException');
  }
  return d;
}
