// Get-Member: the properties of the input objects, one table per type
// (TypeName header, then Name / MemberType / Definition).

import { isNull } from '../conversion.js';
import { FormattedText, typeNamesOf } from '../format/out-default.js';
import { renderTable } from '../format/table.js';
import { formatValue } from '../format/value.js';
import { getMember, memberTypeOf, propertyNames, typeNameOf, valueTypeOf } from '../members.js';
import { PSObject } from '../values.js';
import { LocalCommandError } from '../errors.js';
import { builtin, objectParam } from './define.js';
import { shellContext } from './types.js';

const SHORT_NAMES: Record<string, string> = {
  'System.String': 'string', 'System.Boolean': 'bool', 'System.Int32': 'int', 'System.Int64': 'long', 'System.Double': 'double', 'System.DateTime': 'datetime',
  'System.Security.SecureString': 'securestring',
};

function shortType(v: unknown): string {
  if (isNull(v)) return 'System.Object';
  return typeNameOf(v);
}

/** The type of a .NET property as Get-Member writes it: `bool`, `string`, `Microsoft.Exchange.Data.MultiValuedProperty[T]`. */
function propertyType(v: unknown, declared: string | undefined): string {
  if (declared !== undefined && (isNull(v) || (Array.isArray(v) && v.length === 0))) return declared;
  if (Array.isArray(v)) {
    const types = [...new Set(v.filter((x) => !isNull(x)).map((x) => SHORT_NAMES[typeNameOf(x)] ?? typeNameOf(x)))];
    return types.length === 1 ? `Microsoft.Exchange.Data.MultiValuedProperty[${types[0]}]` : 'System.Object[]';
  }
  const t = shortType(v);
  return SHORT_NAMES[t] ?? t;
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
      const typeName = o instanceof PSObject ? typeNamesOf(o)[0] : typeNameOf(o);
      if (seen.has(typeName)) continue;
      seen.add(typeName);
      const byName = (a: string[], b: string[]) => a[0].toLowerCase().localeCompare(b[0].toLowerCase());
      // the methods every object has, and those of a registered value type
      const methods = [
        ['Equals', 'Method', 'bool Equals(System.Object obj)'], ['GetHashCode', 'Method', 'int GetHashCode()'],
        ['GetType', 'Method', 'type GetType()'], ['ToString', 'Method', 'string ToString()'],
        ...(valueTypeOf(o)?.signatures ?? []).map((sig) => [/(\w+)\(/.exec(sig)?.[1] ?? sig, 'Method', sig]),
      ].filter((m, i, all) => all.findIndex((x) => x[0] === m[0]) === i).sort(byName);
      const rows = propertyNames(o).map((n) => {
        const v = getMember(o, n);
        const memberType = memberTypeOf(o);
        const def = memberType === 'NoteProperty' ? `${SHORT_NAMES[shortType(v)] ?? shortType(v)} ${n}=${formatValue(v, env.enumerationLimit)}` : `${propertyType(v, o instanceof PSObject ? o.declaredTypes.get(n.toLowerCase()) : undefined)} ${n} {get;${o instanceof PSObject ? 'set;' : ''}}`;
        return [n, memberType, def];
      });
      if (typeof o === 'string') rows.push(['Length', 'Property', 'int Length {get;}']);
      rows.sort(byName);
      rows.unshift(...methods);
      text += `\n\n   TypeName: ${typeName}\n` + renderTable(
        [{ label: 'Name', width: 20, align: 'left' }, { label: 'MemberType', width: Math.max(10, ...rows.map((r) => r[1].length)), align: 'left' }, { label: 'Definition', align: 'left' }],
        rows, { width: env.width },
      );
    }
    return [new FormattedText(text)];
  },
});
