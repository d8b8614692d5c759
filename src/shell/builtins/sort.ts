// Sort-Object: stable sort by properties (or calculated keys), ascending or
// -Descending, optionally dropping duplicates (-Unique).

import { ConversionError } from '../command.js';
import { collapse, isEnumerable, toArray, toBool, toStr } from '../conversion.js';
import { getMember } from '../members.js';
import { compareValues } from '../operators.js';
import { ScriptBlock } from '../scriptblock.js';
import { Hashtable, PSObject } from '../values.js';
import { builtin, flag, objectParam, switchParam } from './define.js';

interface SortKey {
  expression: string | ScriptBlock;
  descending?: boolean;
}

function parseKeys(v: unknown): SortKey[] {
  return (isEnumerable(v) ? toArray(v) : [v]).map((item): SortKey => {
    if (item instanceof ScriptBlock) return { expression: item };
    if (item instanceof Hashtable) {
      let expression: string | ScriptBlock | undefined;
      let descending: boolean | undefined;
      for (const [k, x] of item.pairs()) {
        const key = toStr(k).toLowerCase();
        if ('expression'.startsWith(key)) expression = x instanceof ScriptBlock ? x : toStr(x);
        else if ('descending'.startsWith(key)) descending = toBool(x);
        else if ('ascending'.startsWith(key)) descending = !toBool(x);
        else throw new ConversionError(`The ${toStr(k)} key is not valid.`);
      }
      if (expression === undefined) throw new ConversionError('The Expression key is missing.');
      return { expression, descending };
    }
    return { expression: toStr(item) };
  });
}

export const sortObject = builtin('Utility', {
  name: 'Sort-Object',
  aliases: ['sort'],
  synopsis: 'Sorts objects by property values.',
  parameters: [objectParam('Property', { position: 0, typeName: 'Object[]', convert: parseKeys }), switchParam('Descending'), switchParam('Unique'), switchParam('CaseSensitive'), objectParam('InputObject')],
  examples: [{ code: 'Get-Queue | Sort-Object MessageCount -Descending', remarks: 'Queues with the most messages first.' }],
  async invoke(args, ctx) {
    const keys = (args.get('Property') as SortKey[] | undefined) ?? [];
    const descending = flag(args, 'Descending');
    const cs = flag(args, 'CaseSensitive');
    const explicit = args.get('InputObject');
    const items = explicit !== undefined ? [explicit] : ctx.input;
    const rows: { item: unknown; values: unknown[] }[] = [];
    for (const item of items) {
      const values: unknown[] = [];
      if (keys.length === 0) values.push(item instanceof PSObject ? toStr(item) : item);
      for (const k of keys) {
        values.push(k.expression instanceof ScriptBlock ? collapse(await ctx.invokeScriptBlock(k.expression, item)) : getMember(item, k.expression));
      }
      rows.push({ item, values });
    }
    const cmp = (a: unknown[], b: unknown[], caseSensitive: boolean): number => {
      for (let i = 0; i < a.length; i++) {
        const desc = keys[i]?.descending ?? descending;
        const c = compareValues(a[i], b[i], caseSensitive);
        if (c !== 0) return desc ? -c : c;
      }
      return 0;
    };
    rows.sort((a, b) => cmp(a.values, b.values, cs));
    let out = rows;
    if (flag(args, 'Unique')) out = rows.filter((r, i) => i === 0 || cmp(rows[i - 1].values, r.values, cs) !== 0);
    return out.map((r) => r.item);
  },
});
