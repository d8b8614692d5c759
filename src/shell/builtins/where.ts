// Where-Object: keeps the input objects for which a script block is true, or
// (PowerShell 3.0 form) for which `Property -op Value` holds.

import { ConversionError, type ParameterSpec } from '../command.js';
import { convertString, toBool } from '../conversion.js';
import { getMember } from '../members.js';
import { binaryOperator } from '../operators.js';
import type { ScriptBlock } from '../scriptblock.js';
import { builtin, objectParam, scriptBlockParam, switchParam } from './define.js';

const OPERATORS = [
  'EQ',
  'NE',
  'GT',
  'GE',
  'LT',
  'LE',
  'Like',
  'NotLike',
  'Match',
  'NotMatch',
  'Contains',
  'NotContains',
  'In',
  'NotIn',
  'CEQ',
  'CNE',
  'CGT',
  'CGE',
  'CLT',
  'CLE',
  'CLike',
  'CNotLike',
  'CMatch',
  'CNotMatch',
  'CContains',
  'CNotContains',
  'CIn',
  'CNotIn',
  'Is',
  'IsNot',
  'Not',
];
const OPERATOR_SETS = OPERATORS.map((o) => (o === 'EQ' ? 'EqualSet' : o + 'Set'));

function propertyName(v: unknown): string {
  if (typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'scriptblock') {
    throw new ConversionError('Cannot convert the "System.Management.Automation.ScriptBlock" value of type "System.Management.Automation.ScriptBlock" to type "System.String".');
  }
  return convertString(v) ?? '';
}

export const whereObject = builtin('Core', {
  name: 'Where-Object',
  aliases: ['where', '?'],
  synopsis: 'Selects objects from a collection based on their property values.',
  description:
    'The Where-Object cmdlet selects objects that have particular property values from the collection of objects that are passed to it. Use a script block ({ $_.Status -eq "Ready" }) or the simplified form (Where-Object Status -eq Ready).',
  defaultParameterSet: 'EqualSet',
  parameters: [
    scriptBlockParam('FilterScript', { position: 0, sets: ['ScriptBlockSet'], mandatory: true }),
    { name: 'Property', typeName: 'String', position: 0, sets: OPERATOR_SETS, mandatory: true, convert: propertyName },
    objectParam('Value', { position: 1, sets: OPERATOR_SETS.filter((s) => s !== 'NotSet') }),
    objectParam('InputObject'),
    ...OPERATORS.map((o, i): ParameterSpec => switchParam(o, { sets: [OPERATOR_SETS[i]], mandatory: o !== 'EQ' })),
  ],
  examples: [
    { code: 'Get-Queue | Where-Object { $_.MessageCount -gt 100 }', remarks: 'Queues holding more than 100 messages.' },
    { code: 'Get-SendConnector | Where-Object Enabled -eq $true', remarks: 'The simplified form.' },
  ],
  async invoke(args, ctx) {
    const filter = args.get('FilterScript') as ScriptBlock | undefined;
    const explicit = args.get('InputObject');
    const items = explicit !== undefined ? [explicit] : ctx.input;
    const out: unknown[] = [];
    if (filter) {
      for (const o of items) if (toBool(await ctx.invokeScriptBlock(filter, o))) out.push(o);
      return out;
    }
    const property = args.get('Property') as string;
    const op = OPERATORS.find((o) => args.get(o) === true);
    const value = args.get('Value');
    for (const o of items) {
      const v = getMember(o, property);
      let keep: boolean;
      if (!op || (op === 'EQ' && !args.has('Value'))) keep = toBool(v);
      else if (op === 'Not') keep = !toBool(v);
      else if (op === 'Is' || op === 'IsNot') keep = (typeof v === String(value).toLowerCase()) === (op === 'Is');
      else keep = toBool(binaryOperator('-' + op.toLowerCase(), v, value));
      if (keep) out.push(o);
    }
    return out;
  },
});
