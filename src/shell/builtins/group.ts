// Group-Object: objects grouped by the values of properties (or script
// blocks), as GroupInfo objects (Count, Name, Group, Values) in the order
// each value first appears; -NoElement, -AsHashTable, -AsString and
// -CaseSensitive.

import { collapse, isNull, toStr } from '../conversion.js';
import { formatValue } from '../format/value.js';
import { getMember } from '../members.js';
import { ConversionError } from '../command.js';
import { ScriptBlock } from '../scriptblock.js';
import { Hashtable, PSObject, type ObjectView } from '../values.js';
import { builtin, flag, objectParam, switchParam } from './define.js';

export const GROUP_INFO_TYPE = 'Microsoft.PowerShell.Commands.GroupInfo';

export const groupInfoView: ObjectView = {
  typeName: GROUP_INFO_TYPE,
  display: 'table',
  table: [{ property: 'Count', width: 5, align: 'right' }, { property: 'Name', width: 25 }, { property: 'Group' }],
};

type Key = string | ScriptBlock;

function convertKeys(v: unknown): Key[] {
  const items = Array.isArray(v) ? v : [v];
  return items.map((x) => {
    if (x instanceof ScriptBlock) return x;
    if (x instanceof Hashtable) {
      const e = x.get('Expression') ?? x.get('e');
      if (e instanceof ScriptBlock) return e;
      if (typeof e === 'string') return e;
      throw new ConversionError('The hash table of -Property needs an Expression key.');
    }
    return toStr(x);
  });
}

export const groupObject = builtin('Utility', {
  name: 'Group-Object',
  aliases: ['group'],
  synopsis: 'Groups objects that contain the same value for specified properties.',
  parameters: [objectParam('Property', { position: 0, typeName: 'Object[]', convert: convertKeys }), switchParam('NoElement'), switchParam('AsHashTable'), switchParam('AsString'), switchParam('CaseSensitive'), objectParam('InputObject')],
  examples: [{ code: 'Get-Queue | Group-Object Status | Select-Object Name,Count', remarks: 'How many queues are in each status.' }],
  async invoke(args, ctx) {
    const keys = (args.get('Property') as Key[] | undefined) ?? [];
    const items = args.has('InputObject') ? [args.get('InputObject')] : ctx.input;
    const cs = flag(args, 'CaseSensitive');
    const groups = new Map<string, { name: string; values: unknown[]; group: unknown[] }>();
    for (const o of items) {
      const values: unknown[] = [];
      if (keys.length === 0) values.push(o);
      for (const k of keys) {
        if (k instanceof ScriptBlock) values.push(collapse(await ctx.invokeScriptBlock(k, o)));
        else values.push(getMember(o, k));
      }
      const name = values.map((v) => (isNull(v) ? '' : typeof v === 'string' ? v : formatValue(v))).join(', ');
      const id = cs ? name : name.toLowerCase();
      const g = groups.get(id);
      if (g) g.group.push(o);
      else groups.set(id, { name, values, group: [o] });
    }
    if (flag(args, 'AsHashTable')) {
      const h = new Hashtable();
      for (const g of groups.values()) h.set(flag(args, 'AsString') || g.values.length !== 1 ? g.name : g.values[0], g.group.length === 1 ? g.group[0] : g.group);
      return [h];
    }
    return [...groups.values()].map((g) => {
      const props: [string, unknown][] = [
        ['Count', g.group.length],
        ['Name', g.name],
      ];
      if (!flag(args, 'NoElement')) props.push(['Group', g.group]);
      props.push(['Values', g.values]);
      return new PSObject([GROUP_INFO_TYPE], props);
    });
  },
});
