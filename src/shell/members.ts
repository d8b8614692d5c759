// Member access on shell values: properties (case-insensitive, PSObject,
// hashtables, plain objects, member enumeration over collections), the few
// .NET methods admins call on strings, dates, hashtables and credentials, and
// indexing. Value types registered by the commands (sizes, time spans, IP
// ranges...) show the .NET type name, properties and methods declared for
// them, as PowerShell's type adapter shows a .NET object's members.

import { dotNetTypeName, formatDateDisplay, isEnumerable, isNull, primitiveOf, toArray, toNumber, toStr } from './conversion.js';
import { formatWith } from './dotnet-format.js';
import { RuntimeError, TypeInfoValue } from './errors.js';
import { TimeSpan } from './timespan.js';
import { ScriptBlock } from './scriptblock.js';
import { Hashtable, PSCredential, PSObject, SecureString } from './values.js';

/**
 * A value type the commands hand to the shell (not a PSObject): the .NET type
 * name it stands for, its properties in display order and its methods (keys
 * in lower case). Registering a type whose name is already registered
 * replaces it.
 */
export interface ValueType {
  typeName: string;
  /** The name of one value when it depends on the value (generic types such as Unlimited`1[...]). */
  nameOf?(value: never): string;
  test(value: unknown): boolean;
  properties: readonly (readonly [string, (value: never) => unknown])[];
  methods?: Record<string, (value: never, args: unknown[]) => unknown>;
  /** The methods as Get-Member shows them: "uint64 ToMB()", one per method of `methods`. */
  signatures?: string[];
}

const valueTypes: ValueType[] = [];

export function registerValueType(t: ValueType): void {
  const i = valueTypes.findIndex((x) => x.typeName === t.typeName);
  if (i >= 0) valueTypes[i] = t;
  else valueTypes.push(t);
}

export function valueTypeOf(v: unknown): ValueType | undefined {
  if (v === null || typeof v !== 'object') return undefined;
  return valueTypes.find((t) => t.test(v));
}

/** The .NET type name of a value (GetType(), Get-Member), registered value types included. */
export function typeNameOf(v: unknown): string {
  const vt = valueTypeOf(v);
  if (!vt) return dotNetTypeName(v);
  return vt.nameOf ? vt.nameOf(v as never) : vt.typeName;
}

/**
 * Property (a .NET property of a typed object: cmdlet output, registered value
 * types) or NoteProperty (a property added to a PSCustomObject: Select-Object,
 * [pscustomobject] casts).
 */
export function memberTypeOf(obj: unknown): 'Property' | 'NoteProperty' {
  if (!(obj instanceof PSObject)) return 'Property';
  const first = obj.typeNames[0] ?? '';
  return first === 'System.Management.Automation.PSCustomObject' || first.startsWith('Selected.') || !first.includes('.') ? 'NoteProperty' : 'Property';
}

function isPlainValue(v: unknown): boolean {
  return v === null || typeof v !== 'object' || v instanceof Date || v instanceof SecureString || v instanceof ScriptBlock;
}

/** Property names of an object in display order. */
export function propertyNames(obj: unknown): string[] {
  if (obj instanceof PSObject) return obj.names();
  if (obj instanceof PSCredential) return ['UserName', 'Password'];
  if (obj instanceof Hashtable) return ['Keys', 'Values', 'Count'];
  const vt = valueTypeOf(obj);
  if (vt) return vt.properties.map(([n]) => n);
  if (isPlainValue(obj) || Array.isArray(obj)) return [];
  const names: string[] = [];
  const seen = new Set<string>();
  for (const k of Object.keys(obj as object)) {
    if (typeof (obj as Record<string, unknown>)[k] === 'function' || k.startsWith('_')) continue;
    seen.add(k.toLowerCase());
    names.push(k);
  }
  // getters declared on classes
  let proto = Object.getPrototypeOf(obj);
  while (proto && proto !== Object.prototype) {
    for (const [k, d] of Object.entries(Object.getOwnPropertyDescriptors(proto))) {
      if (d.get && !seen.has(k.toLowerCase()) && !k.startsWith('_')) {
        seen.add(k.toLowerCase());
        names.push(k);
      }
    }
    proto = Object.getPrototypeOf(proto);
  }
  return names;
}

/** The declared casing of a property, or undefined when the object has none of that name. */
export function resolvePropertyName(obj: unknown, name: string): string | undefined {
  if (obj instanceof PSObject) return obj.canonicalName(name);
  const lower = name.toLowerCase();
  return propertyNames(obj).find((n) => n.toLowerCase() === lower);
}

export function hasProperty(obj: unknown, name: string): boolean {
  return resolvePropertyName(obj, name) !== undefined;
}

/** `$x.Name`: null for a missing property (non-strict PowerShell). */
export function getMember(target: unknown, name: string): unknown {
  if (isNull(target)) return null;
  const lower = name.toLowerCase();
  if (target instanceof PSObject) {
    if (target.has(name)) return target.get(name) ?? null;
    if (lower === 'count' || lower === 'length') return 1;
    return null;
  }
  if (target instanceof Hashtable) {
    if (target.has(name)) return target.get(name) ?? null;
    if (lower === 'count') return target.size;
    if (lower === 'keys') return target.keys();
    if (lower === 'values') return target.pairs().map((p) => p[1]);
    return null;
  }
  if (typeof target === 'string') {
    if (lower === 'length') return target.length;
    if (lower === 'count') return 1;
    return null;
  }
  if (isEnumerable(target)) {
    const items = toArray(target);
    if (lower === 'count' || lower === 'length') return items.length;
    const values: unknown[] = [];
    for (const item of items) {
      const v = getMember(item, name);
      if (!isNull(v)) values.push(v);
    }
    return values.length === 0 ? null : values.length === 1 ? values[0] : values;
  }
  if (target instanceof Date) {
    const map: Record<string, () => unknown> = {
      year: () => target.getFullYear(),
      month: () => target.getMonth() + 1,
      day: () => target.getDate(),
      hour: () => target.getHours(),
      minute: () => target.getMinutes(),
      second: () => target.getSeconds(),
      millisecond: () => target.getMilliseconds(),
      date: () => new Date(target.getFullYear(), target.getMonth(), target.getDate()),
      dayofyear: () => Math.round((new Date(target.getFullYear(), target.getMonth(), target.getDate()).getTime() - new Date(target.getFullYear(), 0, 1).getTime()) / 86_400_000) + 1,
      timeofday: () => new TimeSpan(target.getTime() - new Date(target.getFullYear(), target.getMonth(), target.getDate()).getTime()),
      dayofweek: () => ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'][target.getDay()],
      ticks: () => target.getTime() * 10000 + 621355968000000000,
    };
    return map[lower]?.() ?? null;
  }
  if (target instanceof SecureString) return lower === 'length' ? target.length : null;
  const vt = valueTypeOf(target);
  if (vt) {
    const p = vt.properties.find(([n]) => n.toLowerCase() === lower);
    if (p) return p[1](target as never) ?? null;
    if (lower === 'count' || lower === 'length') return 1;
    return null;
  }
  if (typeof target === 'object') {
    const real = resolvePropertyName(target, name);
    if (real !== undefined) return (target as Record<string, unknown>)[real] ?? null;
    if (lower === 'count' || lower === 'length') return 1;
    return null;
  }
  if (lower === 'count' || lower === 'length') return 1;
  return null;
}

export function setMember(target: unknown, name: string, value: unknown): void {
  if (target instanceof PSObject) {
    target.set(target.canonicalName(name) ?? name, value);
    return;
  }
  if (target instanceof Hashtable) {
    target.set(name, value);
    return;
  }
  if (target !== null && typeof target === 'object' && !isPlainValue(target) && !Array.isArray(target) && !valueTypeOf(target)) {
    const real = resolvePropertyName(target, name);
    if (real !== undefined) {
      try {
        (target as Record<string, unknown>)[real] = value;
        return;
      } catch {
        // read-only: fall through to the error
      }
    }
  }
  throw new RuntimeError(`The property '${name}' cannot be found on this object. Verify that the property exists and can be set.`, 'PropertyAssignmentException', 'InvalidOperation', 'RuntimeException');
}

function typeLabel(v: unknown): string {
  return typeNameOf(v);
}

/** `$x.Method(args)` for the methods admins use. */
export function invokeMethod(target: unknown, name: string, args: unknown[]): unknown {
  if (isNull(target)) {
    throw new RuntimeError('You cannot call a method on a null-valued expression.', 'InvokeMethodOnNull', 'InvalidOperation', 'RuntimeException');
  }
  const m = name.toLowerCase();
  const a = (i: number): unknown => args[i];
  if (m === 'tostring' && args.length === 0) return target instanceof Date ? formatDateDisplay(target) : toStr(target);
  if (m === 'tostring' && args.length === 1 && (target instanceof Date || target instanceof TimeSpan || typeof primitiveOf(target) === 'number')) {
    return formatWith(target, toStr(args[0]));
  }
  if (m === 'gettype' && args.length === 0) {
    const own = (target as { GetType?: unknown }).GetType;
    return typeof own === 'function' ? (own as () => unknown).call(target) : new TypeInfoValue(typeLabel(target));
  }
  const vt = valueTypeOf(target);
  if (vt) {
    const method = vt.methods?.[m];
    if (method) return method(target as never, args);
    throw new RuntimeError(`Method invocation failed because [${typeNameOf(target)}] does not contain a method named '${name}'.`, 'MethodNotFound', 'InvalidOperation', 'RuntimeException');
  }
  if (typeof target === 'string') {
    const s = target;
    switch (m) {
      case 'toupper':
      case 'toupperinvariant':
        return s.toUpperCase();
      case 'tolower':
      case 'tolowerinvariant':
        return s.toLowerCase();
      case 'trim':
        return args.length ? trimChars(s, toStr(a(0)), true, true) : s.trim();
      case 'trimstart':
        return args.length ? trimChars(s, toStr(a(0)), true, false) : s.trimStart();
      case 'trimend':
        return args.length ? trimChars(s, toStr(a(0)), false, true) : s.trimEnd();
      case 'split': {
        const seps = args.length ? toArray(a(0)).map(toStr).join('') : ' ';
        const out: string[] = [];
        let cur = '';
        for (const ch of s) {
          if (seps.includes(ch)) {
            out.push(cur);
            cur = '';
          } else cur += ch;
        }
        out.push(cur);
        return out;
      }
      case 'replace':
        return s.split(toStr(a(0))).join(toStr(a(1)));
      case 'contains':
        return s.includes(toStr(a(0)));
      case 'startswith':
        return s.startsWith(toStr(a(0)));
      case 'endswith':
        return s.endsWith(toStr(a(0)));
      case 'indexof':
        return s.indexOf(toStr(a(0)));
      case 'lastindexof':
        return s.lastIndexOf(toStr(a(0)));
      case 'substring':
        return args.length > 1 ? s.substr(toNumber(a(0)), toNumber(a(1))) : s.substring(toNumber(a(0)));
      case 'padleft':
        return s.padStart(toNumber(a(0)), args.length > 1 ? toStr(a(1)) : ' ');
      case 'padright':
        return s.padEnd(toNumber(a(0)), args.length > 1 ? toStr(a(1)) : ' ');
      case 'equals':
        return s === toStr(a(0));
      case 'tochararray':
        return [...s];
    }
  }
  if (target instanceof PSCredential && m === 'getnetworkcredential') {
    const domainSplit = target.UserName.includes('\\') ? target.UserName.split('\\') : ['', target.UserName];
    return new PSObject('System.Net.NetworkCredential', [
      ['UserName', domainSplit[1]],
      ['Password', target.Password.reveal()],
      ['Domain', domainSplit[0]],
    ]);
  }
  if (target instanceof Hashtable) {
    switch (m) {
      case 'containskey':
      case 'contains':
        return target.has(a(0));
      case 'add':
        if (target.has(a(0)))
          throw new RuntimeError(
            `Exception calling "Add" with "2" argument(s): "Item has already been added. Key in dictionary: '${toStr(a(0))}'  Key being added: '${toStr(a(0))}'"`,
            'ArgumentException',
            'NotSpecified',
            'MethodInvocationException',
          );
        target.set(a(0), a(1));
        return undefined;
      case 'remove':
        target.delete(a(0));
        return undefined;
      case 'containsvalue':
        return target.pairs().some(([, v]) => v === a(0) || toStr(v) === toStr(a(0)));
      case 'clear':
        for (const k of target.keys()) target.delete(k);
        return undefined;
      case 'getenumerator':
        return target.pairs().map(
          ([k, v]) =>
            new PSObject('System.Collections.DictionaryEntry', [
              ['Name', k],
              ['Key', k],
              ['Value', v],
            ]),
        );
    }
  }
  if (Array.isArray(target) && m === 'contains' && typeof (target as { Contains?: unknown }).Contains !== 'function') return target.some((x) => toStr(x) === toStr(a(0)));
  if (target instanceof Date) {
    const add = (ms: number): Date => new Date(target.getTime() + ms);
    switch (m) {
      case 'adddays':
        return add(toNumber(a(0)) * 86400000);
      case 'addhours':
        return add(toNumber(a(0)) * 3600000);
      case 'addminutes':
        return add(toNumber(a(0)) * 60000);
      case 'addseconds':
        return add(toNumber(a(0)) * 1000);
      case 'addmilliseconds':
        return add(toNumber(a(0)));
      case 'addmonths':
      case 'addyears': {
        const d = new Date(target.getTime());
        const months = toNumber(a(0)) * (m === 'addyears' ? 12 : 1);
        const day = d.getDate();
        d.setDate(1);
        d.setMonth(d.getMonth() + months);
        const last = new Date(d.getFullYear(), d.getMonth() + 1, 0).getDate();
        d.setDate(Math.min(day, last));
        return d;
      }
      case 'add':
        return add(toNumber(a(0)));
      case 'subtract':
        return a(0) instanceof Date ? new TimeSpan(target.getTime() - (a(0) as Date).getTime()) : add(-toNumber(a(0)));
      case 'toshortdatestring':
        return formatWith(target, 'd');
      case 'tolongdatestring':
        return formatWith(target, 'D');
      case 'toshorttimestring':
        return formatWith(target, 't');
      case 'tolongtimestring':
        return formatWith(target, 'T');
      case 'touniversaltime':
        return new Date(target.getTime());
      case 'tolocaltime':
        return new Date(target.getTime());
    }
  }
  if (target !== null && typeof target === 'object') {
    let proto: unknown = target;
    while (proto && proto !== Object.prototype) {
      for (const k of Object.getOwnPropertyNames(proto)) {
        if (k.toLowerCase() === m && k !== 'constructor') {
          const fn = (target as Record<string, unknown>)[k];
          if (typeof fn === 'function') return (fn as (...x: unknown[]) => unknown).apply(target, args);
        }
      }
      proto = Object.getPrototypeOf(proto);
    }
  }
  throw new RuntimeError(`Method invocation failed because [${typeLabel(target)}] does not contain a method named '${name}'.`, 'MethodNotFound', 'InvalidOperation', 'RuntimeException');
}

function trimChars(s: string, chars: string, start: boolean, end: boolean): string {
  let i = 0;
  let j = s.length;
  if (start) while (i < j && chars.includes(s[i])) i++;
  if (end) while (j > i && chars.includes(s[j - 1])) j--;
  return s.slice(i, j);
}

/** `$x[i]`: arrays (negative from the end, a list of indexes), strings, hashtables. */
export function indexValue(target: unknown, index: unknown): unknown {
  if (isNull(target)) {
    throw new RuntimeError('Cannot index into a null array.', 'NullArray', 'InvalidOperation', 'RuntimeException');
  }
  if (target instanceof Hashtable) {
    if (Array.isArray(index)) return index.map((k) => target.get(k) ?? null);
    return target.get(index) ?? null;
  }
  if (target instanceof PSObject) return target.get(toStr(index)) ?? null;
  const items: unknown[] | string | undefined = typeof target === 'string' ? target : isEnumerable(target) ? toArray(target) : undefined;
  if (items === undefined) {
    const i = toNumber(index);
    return i === 0 || i === -1 ? target : null;
  }
  const pick = (i: unknown): unknown => {
    let n = toNumber(i);
    if (n < 0) n += items.length;
    if (n < 0 || n >= items.length) return null;
    return items[n];
  };
  if (Array.isArray(index)) return index.map(pick);
  return pick(index);
}
