// Measure-Object: counts input objects and, for -Property, the sum, average,
// maximum and minimum of a property.

import { isNull, toNumber } from '../conversion.js';
import { LocalCommandError } from '../errors.js';
import { getMember, hasProperty } from '../members.js';
import { compareValues } from '../operators.js';
import { PSObject } from '../values.js';
import { arg, builtin, flag, objectParam, stringArrayParam, switchParam } from './define.js';

export const measureObject = builtin('Utility', {
  name: 'Measure-Object',
  aliases: ['measure'],
  synopsis: 'Calculates the numeric properties of objects, and the characters, words, and lines in string objects.',
  parameters: [stringArrayParam('Property', { position: 0 }), switchParam('Sum'), switchParam('Average'), switchParam('Maximum'), switchParam('Minimum'), objectParam('InputObject')],
  examples: [{ code: 'Get-Queue | Measure-Object MessageCount -Sum', remarks: 'The number of queued messages.' }],
  invoke(args, ctx) {
    const explicit = args.get('InputObject');
    const items = (explicit !== undefined ? [explicit] : ctx.input).filter((x) => !isNull(x));
    const properties = arg<string[]>(args, 'Property');
    const want = { sum: flag(args, 'Sum'), average: flag(args, 'Average'), maximum: flag(args, 'Maximum'), minimum: flag(args, 'Minimum') };
    const measure = (values: unknown[], property: string | null): PSObject => {
      const nums = want.sum || want.average ? values.map((v) => toNumber(v)) : [];
      const sum = nums.reduce((a, b) => a + b, 0);
      let max: unknown = null;
      let min: unknown = null;
      for (const v of values) {
        if (max === null || compareValues(v, max) > 0) max = v;
        if (min === null || compareValues(v, min) < 0) min = v;
      }
      return new PSObject('Microsoft.PowerShell.Commands.GenericMeasureInfo', [
        ['Count', values.length],
        ['Average', want.average ? (values.length ? sum / values.length : null) : null],
        ['Sum', want.sum ? sum : null],
        ['Maximum', want.maximum ? max : null],
        ['Minimum', want.minimum ? min : null],
        ['Property', property],
      ]);
    };
    if (!properties) return [measure(items, null)];
    const out: PSObject[] = [];
    for (const p of properties) {
      const holders = items.filter((o) => hasProperty(o, p));
      if (holders.length === 0 && items.length > 0) {
        ctx.writeError(
          new LocalCommandError(`The property "${p}" cannot be found in the input for any objects.`, {
            errorId: 'GenericMeasurePropertyNotFound',
            category: 'InvalidArgument',
            reason: 'PSArgumentException',
          }),
        );
        continue;
      }
      out.push(
        measure(
          holders.map((o) => getMember(o, p)),
          p,
        ),
      );
    }
    return out;
  },
});
