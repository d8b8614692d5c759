// Get-Member: the properties of the input objects, one table per type
// (TypeName header, then Name / MemberType / Definition).

import { dotNetTypeName, isNull } from '../conversion.js';
import { FormattedText, typeNamesOf } from '../format/out-default.js';
import { renderTable } from '../format/table.js';
import { formatValue } from '../format/value.js';
import { getMember, propertyNames } from '../members.js';
import { PSObject } from '../values.js';
import { LocalCommandError } from '../errors.js';
import { builtin, objectParam } from './define.js';
import { shellContext } from './types.js';

function shortType(v: unknown): string {
  if (isNull(v)) return 'System.Object';
  return dotNetTypeName(v);
}

export const getMemberCommand = builtin('Utility', {
  name: 'Get-Member',
  aliases: ['gm'],
  synopsis: 'Gets the properties and methods of objects.',
  parameters: [objectParam('InputObject')],
  invoke(args, ctx) {
    const sh = shellContext(ctx);
    const env = sh.runtime.formatEnvironment();
    const explicit = args.get('InputObject');
    const items = (explicit !== undefined ? [explicit] : ctx.input).filter((x) => !isNull(x));
    if (items.length === 0) {
      throw new LocalCommandError('You must specify an object for the Get-Member cmdlet.', {
        errorId: 'NoObjectInGetMember', category: 'CloseError', reason: 'InvalidOperationException',
      });
    }
    const seen = new Set<string>();
    let text = '';
    for (const o of items) {
      const typeName = typeof o === 'object' ? typeNamesOf(o)[0] : dotNetTypeName(o);
      if (seen.has(typeName)) continue;
      seen.add(typeName);
      const rows = propertyNames(o).map((n) => {
        const v = getMember(o, n);
        const def = o instanceof PSObject ? `${shortType(v)} ${n}=${formatValue(v, env.enumerationLimit)}` : `${shortType(v)} ${n} {get;}`;
        return [n, o instanceof PSObject ? 'NoteProperty' : 'Property', def];
      });
      if (typeof o === 'string') rows.push(['Length', 'Property', 'int Length {get;}']);
      text += `\n\n   TypeName: ${typeName}\n` + renderTable(
        [{ label: 'Name', width: 20, align: 'left' }, { label: 'MemberType', width: 10, align: 'left' }, { label: 'Definition', align: 'left' }],
        rows, { width: env.width },
      );
    }
    return [new FormattedText(text)];
  },
});
