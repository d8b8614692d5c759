// Format-List, Format-Table, Out-String, Out-Null, Out-Host: the commands
// that turn objects into text with the formatters of ../format.

import { collapse, isNull } from '../conversion.js';
import { listEntries, renderOutDefault, tableFromObjects, FormattedText, findView, typeNamesOf } from '../format/out-default.js';
import { renderList, type ListEntry } from '../format/list.js';
import { renderTable, type TableColumn } from '../format/table.js';
import { parsePropertySelectors, resolveProperties, type PropertySelector } from '../format/properties.js';
import { formatScalar, formatValue, isRightAligned, isScalarForOutput } from '../format/value.js';
import { propertyNames } from '../members.js';
import { ConversionError, type InvocationContext } from '../command.js';
import { ScriptBlock } from '../scriptblock.js';
import { ErrorRecordValue } from '../errors.js';
import { renderErrorRecord } from '../format/error-view.js';
import { getMember } from '../members.js';
import { toStr } from '../conversion.js';
import { Hashtable, PSObject } from '../values.js';
import { arg, builtin, flag, intParam, objectParam, switchParam } from './define.js';
import { shellContext } from './types.js';

function selectorsParam(name: string, position: number) {
  return objectParam(name, {
    position,
    typeName: 'Object[]',
    convert: (v: unknown) => {
      try {
        return parsePropertySelectors(v);
      } catch (e) {
        throw new ConversionError((e as Error).message);
      }
    },
  });
}

function inputOf(args: Map<string, unknown>, ctx: InvocationContext): unknown[] {
  const explicit = args.get('InputObject');
  const items = explicit !== undefined ? [explicit] : ctx.input;
  const out: unknown[] = [];
  for (const o of items) {
    if (isNull(o)) continue;
    if (o instanceof Hashtable) {
      for (const [k, v] of o.pairs())
        out.push(
          new PSObject('System.Collections.DictionaryEntry', [
            ['Name', k],
            ['Key', k],
            ['Value', v],
          ]),
        );
    } else out.push(o);
  }
  return out;
}

function evaluator(ctx: InvocationContext) {
  return async (block: ScriptBlock, input: unknown): Promise<unknown> => collapse(await ctx.invokeScriptBlock(block, input));
}

export const formatList = builtin('Utility', {
  name: 'Format-List',
  aliases: ['fl'],
  synopsis: 'Formats the output as a list of properties in which each property appears on a new line.',
  description: 'The Format-List cmdlet formats the output of a command as a list of properties in which each property is displayed on a separate line. Property names may contain wildcards; names that an object does not have are left out.',
  parameters: [selectorsParam('Property', 0), switchParam('Force'), objectParam('InputObject')],
  examples: [{ code: 'Get-SendConnector | Format-List Name,AddressSpaces', remarks: 'Shows two properties of every Send connector.' }],
  async invoke(args, ctx) {
    const sh = shellContext(ctx);
    const env = sh.runtime.formatEnvironment();
    const selectors = arg<PropertySelector[]>(args, 'Property');
    const objects = inputOf(args, ctx);
    const blocks: ListEntry[][] = [];
    let out = '';
    const flush = (): void => {
      if (blocks.length) out += renderList(blocks.splice(0), env.width);
    };
    for (const o of objects) {
      // an error record keeps its error view unless -Force asks for its properties
      if (o instanceof ErrorRecordValue && !flag(args, 'Force')) {
        flush();
        out += renderErrorRecord(o.record, env.width);
        continue;
      }
      if (isScalarForOutput(o) || (propertyNames(o).length === 0 && !selectors)) {
        flush();
        out += formatScalar(o) + '\n';
        continue;
      }
      if (selectors) {
        const props = await resolveProperties(o, selectors, evaluator(ctx), false);
        blocks.push(props.map((p) => ({ name: p.name, value: formatValue(p.value, env.enumerationLimit) })));
      } else {
        const view = findView(o, env.views);
        blocks.push(listEntries(o, view?.display === 'list' ? view.list : undefined, env));
      }
    }
    flush();
    return out ? [new FormattedText(out)] : [];
  },
});

export const formatTable = builtin('Utility', {
  name: 'Format-Table',
  aliases: ['ft'],
  synopsis: 'Formats the output as a table.',
  description: 'The Format-Table cmdlet formats the output of a command as a table with the selected properties of the object in each column. A property the objects do not have keeps an empty column.',
  parameters: [selectorsParam('Property', 0), switchParam('AutoSize'), switchParam('Wrap'), switchParam('HideTableHeaders'), objectParam('GroupBy', { convert: convertGroupBy }), objectParam('InputObject')],
  examples: [
    { code: 'Get-ReceiveConnector | Format-Table Name,Bindings -AutoSize', remarks: 'Shows a table of names and bindings.' },
    { code: 'Get-SendConnector | Sort-Object Enabled | Format-Table Name,AddressSpaces -GroupBy Enabled', remarks: 'One table per value of Enabled.' },
  ],
  async invoke(args, ctx) {
    const groupBy = arg<GroupBy>(args, 'GroupBy');
    const all = inputOf(args, ctx);
    if (!groupBy) return [new FormattedText(await tableText(args, ctx, all))];
    // a new group (and table) each time the value changes, as Format-Table -GroupBy does
    let out = '';
    let i = 0;
    while (i < all.length) {
      const key = await groupValue(groupBy, all[i], ctx);
      let j = i + 1;
      while (j < all.length && (await groupValue(groupBy, all[j], ctx)) === key) j++;
      out += `\n   ${groupBy.label}: ${key}\n` + (await tableText(args, ctx, all.slice(i, j)));
      i = j;
    }
    return out ? [new FormattedText(out)] : [];
  },
});

type GroupBy = { label: string; property?: string; block?: ScriptBlock };

function convertGroupBy(v: unknown): GroupBy {
  const one = Array.isArray(v) && v.length === 1 ? v[0] : v;
  if (one instanceof ScriptBlock) return { label: one.text.trim(), block: one };
  if (one instanceof Hashtable) {
    const e = one.get('Expression') ?? one.get('e');
    const label = toStr(one.get('Label') ?? one.get('Name') ?? one.get('l') ?? one.get('n') ?? (e instanceof ScriptBlock ? e.text.trim() : e));
    if (e instanceof ScriptBlock) return { label, block: e };
    if (typeof e === 'string') return { label, property: e };
    throw new ConversionError('The hash table of -GroupBy needs an Expression key.');
  }
  const name = toStr(one);
  return { label: name, property: name };
}

async function groupValue(g: GroupBy, o: unknown, ctx: InvocationContext): Promise<string> {
  const v = g.block ? collapse(await ctx.invokeScriptBlock(g.block, o)) : getMember(o, g.property as string);
  return formatValue(v);
}

async function tableText(args: Map<string, unknown>, ctx: InvocationContext, objects: unknown[]): Promise<string> {
  {
    const sh = shellContext(ctx);
    const env = sh.runtime.formatEnvironment();
    const selectors = arg<PropertySelector[]>(args, 'Property');
    const options = { wrap: flag(args, 'Wrap'), autoSize: flag(args, 'AutoSize'), hideHeaders: flag(args, 'HideTableHeaders') };
    let out = '';
    let i = 0;
    while (i < objects.length) {
      const first = objects[i];
      if (isScalarForOutput(first)) {
        out += formatScalar(first) + '\n';
        i++;
        continue;
      }
      let j = i;
      const key = typeNamesOf(first)[0];
      while (j < objects.length && !isScalarForOutput(objects[j]) && (selectors || typeNamesOf(objects[j])[0] === key)) j++;
      const group = objects.slice(i, j);
      i = j;
      if (selectors) {
        const rows: { name: string; value: unknown; width?: number; align?: 'left' | 'right' }[][] = [];
        for (const o of group) rows.push(await resolveProperties(o, selectors, evaluator(ctx), true));
        // columns: the first object's resolved names
        const names = rows[0].map((p) => p.name);
        const columns: TableColumn[] = rows[0].map((p) => ({
          label: p.name,
          width: options.autoSize ? undefined : p.width,
          align: p.align ?? (isRightAligned(p.value) ? 'right' : 'left'),
        }));
        const cells = rows.map((r) =>
          names.map((n) => {
            const hit = r.find((p) => p.name.toLowerCase() === n.toLowerCase());
            return hit ? formatValue(hit.value, env.enumerationLimit) : '';
          }),
        );
        out += renderTable(columns, cells, { width: env.width, wrap: options.wrap, hideHeaders: flag(args, 'HideTableHeaders') });
      } else {
        const view = findView(first, env.views);
        const columns = view?.table ?? propertyNames(first).map((p) => ({ property: p }));
        out += tableFromObjects(group, columns, env, options);
      }
    }
    return out;
  }
}

export const outString = builtin('Utility', {
  name: 'Out-String',
  synopsis: 'Sends objects to the host as a series of strings.',
  parameters: [intParam('Width'), switchParam('Stream'), objectParam('InputObject')],
  invoke(args, ctx) {
    const sh = shellContext(ctx);
    const width = arg<number>(args, 'Width');
    const env = sh.runtime.formatEnvironment(width !== undefined ? width - 1 : sh.runtime.host.width);
    const explicit = args.get('InputObject');
    const text = renderOutDefault(explicit !== undefined ? [explicit] : ctx.input, env);
    if (flag(args, 'Stream')) return text.replace(/\n$/, '').split('\n');
    return [text];
  },
});

export const outNull = builtin('Core', {
  name: 'Out-Null',
  synopsis: 'Hides the output instead of sending it down the pipeline or displaying it.',
  parameters: [objectParam('InputObject')],
  invoke() {
    return [];
  },
});

export const outHost = builtin('Core', {
  name: 'Out-Host',
  aliases: ['oh'],
  synopsis: 'Sends output to the command line.',
  parameters: [objectParam('InputObject')],
  invoke(args, ctx) {
    const sh = shellContext(ctx);
    const explicit = args.get('InputObject');
    const text = renderOutDefault(explicit !== undefined ? [explicit] : ctx.input, sh.runtime.formatEnvironment());
    if (text) ctx.host.write(text);
    return [];
  },
});
