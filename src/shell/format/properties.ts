// Property selection shared by Format-List, Format-Table and Select-Object:
// names with wildcards (resolved per object, in the object's order and
// casing) and calculated properties `@{Name=...; Expression={...}}`.

import { ConversionError } from '../command.js';
import { isEnumerable, toArray, toStr } from '../conversion.js';
import { getMember, propertyNames, resolvePropertyName } from '../members.js';
import { ScriptBlock } from '../scriptblock.js';
import { Hashtable } from '../values.js';
import { hasWildcard, wildcardToRegExp } from '../wildcard.js';

export type PropertySelector = { kind: 'name'; pattern: string } | { kind: 'calculated'; name: string; expression: ScriptBlock | string; width?: number; align?: 'left' | 'right' };

export interface ResolvedProperty {
  name: string;
  value: unknown;
  /** From a calculated property. */
  width?: number;
  align?: 'left' | 'right';
}

const CALCULATED_KEYS = ['name', 'label', 'expression', 'width', 'alignment', 'formatstring'];

function calculatedKey(key: string, allowed: string[]): string {
  const k = key.toLowerCase();
  const matches = allowed.filter((a) => a.startsWith(k));
  if (matches.length === 1) return matches[0];
  if (matches.includes(k)) return k;
  if (matches.length > 1) throw new ConversionError(`The "${key}" key is not valid. Specify a key that is unique, such as "${matches.join('", "')}".`);
  throw new ConversionError(`The ${key} key is not valid.`);
}

/** -Property values: strings, script blocks (an expression column) and hashtables. */
export function parsePropertySelectors(value: unknown, forSelect = false): PropertySelector[] {
  const items = isEnumerable(value) ? toArray(value) : [value];
  const allowed = forSelect ? ['name', 'label', 'expression'] : CALCULATED_KEYS;
  return items.map((item): PropertySelector => {
    if (item instanceof ScriptBlock) return { kind: 'calculated', name: item.text.trim(), expression: item };
    if (item instanceof Hashtable) {
      let name: string | undefined;
      let expression: ScriptBlock | string | undefined;
      let width: number | undefined;
      let align: 'left' | 'right' | undefined;
      for (const [k, v] of item.pairs()) {
        const key = calculatedKey(toStr(k), allowed);
        if (key === 'name' || key === 'label') name = toStr(v);
        else if (key === 'expression') expression = v instanceof ScriptBlock ? v : toStr(v);
        else if (key === 'width') width = Number(v);
        else if (key === 'alignment') align = toStr(v).toLowerCase() === 'right' ? 'right' : 'left';
      }
      if (expression === undefined) throw new ConversionError('The Expression key is missing.');
      return { kind: 'calculated', name: name ?? (expression instanceof ScriptBlock ? expression.text.trim() : expression), expression, width, align };
    }
    return { kind: 'name', pattern: toStr(item) };
  });
}

/**
 * The properties of `obj` selected by `selectors`. A missing non-wildcard name
 * is dropped (`keepMissing` = false: Format-List) or kept empty (Format-Table,
 * Select-Object).
 */
export async function resolveProperties(obj: unknown, selectors: PropertySelector[], evaluate: (block: ScriptBlock, input: unknown) => Promise<unknown>, keepMissing: boolean): Promise<ResolvedProperty[]> {
  const out: ResolvedProperty[] = [];
  const seen = new Set<string>();
  const push = (p: ResolvedProperty): void => {
    const key = p.name.toLowerCase();
    if (seen.has(key)) return;
    seen.add(key);
    out.push(p);
  };
  for (const s of selectors) {
    if (s.kind === 'calculated') {
      const value = s.expression instanceof ScriptBlock ? await evaluate(s.expression, obj) : getMember(obj, s.expression);
      push({ name: s.name, value, width: s.width, align: s.align });
      continue;
    }
    if (hasWildcard(s.pattern)) {
      const re = wildcardToRegExp(s.pattern);
      for (const name of propertyNames(obj)) if (re.test(name)) push({ name, value: getMember(obj, name) });
      continue;
    }
    const real = resolvePropertyName(obj, s.pattern);
    if (real !== undefined) push({ name: real, value: getMember(obj, real) });
    else if (keepMissing) push({ name: s.pattern, value: null });
  }
  return out;
}
