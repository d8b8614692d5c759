// Select-Object: new objects with chosen (or calculated) properties, or the
// values of one property (-ExpandProperty); -First, -Last, -Skip, -Unique.

import { ConversionError } from '../command.js';
import { collapse, enumerate, isNull, toStr } from '../conversion.js';
import { LocalCommandError } from '../errors.js';
import { parsePropertySelectors, resolveProperties, type PropertySelector } from '../format/properties.js';
import { formatValue } from '../format/value.js';
import { getMember, hasProperty, propertyNames } from '../members.js';
import type { ScriptBlock } from '../scriptblock.js';
import { PSObject } from '../values.js';
import { arg, builtin, flag, intParam, objectParam, stringArrayParam, stringParam, switchParam } from './define.js';
import { typeNamesOf } from '../format/out-default.js';

function identity(o: unknown): string {
  if (o instanceof PSObject)
    return propertyNames(o)
      .map((n) => n + '=' + formatValue(o.get(n), -1))
      .join('\u0001');
  return toStr(o);
}

export const selectObject = builtin('Utility', {
  name: 'Select-Object',
  aliases: ['select'],
  synopsis: 'Selects objects or object properties.',
  description: 'The Select-Object cmdlet selects specified properties of an object or set of objects. It can also select unique objects, a specified number of objects, or objects in a specified position in an array.',
  parameters: [
    objectParam('Property', {
      position: 0,
      typeName: 'Object[]',
      convert: (v) => {
        try {
          return parsePropertySelectors(v, true);
        } catch (e) {
          throw new ConversionError((e as Error).message);
        }
      },
    }),
    stringArrayParam('ExcludeProperty'),
    stringParam('ExpandProperty'),
    intParam('First'),
    intParam('Last'),
    intParam('Skip'),
    switchParam('Unique'),
    objectParam('InputObject'),
  ],
  examples: [{ code: 'Get-SendConnector | Select-Object Name,Enabled -First 2', remarks: 'The name and state of the first two Send connectors.' }],
  async invoke(args, ctx) {
    const explicit = args.get('InputObject');
    let items = explicit !== undefined ? enumerate(explicit) : ctx.input.slice();
    const skip = arg<number>(args, 'Skip');
    const first = arg<number>(args, 'First');
    const last = arg<number>(args, 'Last');
    if (skip !== undefined) items = items.slice(skip);
    if (first !== undefined || last !== undefined) {
      const head = first !== undefined ? items.slice(0, first) : [];
      const tail = last !== undefined ? items.slice(Math.max(head.length, items.length - last)) : [];
      items = [...head, ...tail];
    }
    const selectors = arg<PropertySelector[]>(args, 'Property');
    const expand = arg<string>(args, 'ExpandProperty');
    const exclude = (arg<string[]>(args, 'ExcludeProperty') ?? []).map((x) => x.toLowerCase());
    const evaluate = async (block: ScriptBlock, input: unknown): Promise<unknown> => collapse(await ctx.invokeScriptBlock(block, input));
    let out: unknown[] = [];
    for (const o of items) {
      if (selectors) {
        const props = (await resolveProperties(o, selectors, evaluate, true)).filter((p) => !exclude.includes(p.name.toLowerCase()));
        const typeName = 'Selected.' + (isNull(o) ? 'System.Object' : typeNamesOf(o)[0]);
        const obj = new PSObject(
          typeName,
          props.map((p) => [p.name, p.value]),
        );
        if (expand !== undefined) {
          const v = obj.has(expand) ? obj.get(expand) : getMember(o, expand);
          out.push(...enumerate(v));
        } else out.push(obj);
        continue;
      }
      if (expand !== undefined) {
        if (!hasProperty(o, expand)) {
          ctx.writeError(
            new LocalCommandError(`Property "${expand}" cannot be found.`, {
              errorId: 'ExpandPropertyNotFound',
              category: 'InvalidArgument',
              reason: 'PSArgumentException',
              targetName: toStr(o),
              targetType: 'PSObject',
            }),
          );
          continue;
        }
        const v = getMember(o, expand);
        if (!isNull(v)) out.push(...enumerate(v));
        continue;
      }
      out.push(o);
    }
    if (flag(args, 'Unique')) {
      const seen = new Set<string>();
      out = out.filter((o) => {
        const k = identity(o);
        if (seen.has(k)) return false;
        seen.add(k);
        return true;
      });
    }
    return out;
  },
});
