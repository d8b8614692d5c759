// Get-Member: the members of the input objects, one table per type
// (TypeName header, then Name / MemberType / Definition): methods, then
// properties, each sorted by name; -MemberType and -Name select among them.

import { BindingError } from '../binder.js';
import { ConversionError } from '../command.js';
import { convertEnum, isNull, toArray } from '../conversion.js';
import { FormattedText, typeNamesOf } from '../format/out-default.js';
import { renderTable } from '../format/table.js';
import { formatValue } from '../format/value.js';
import { getMember, memberTypeOf, propertyNames, typeNameOf, valueTypeOf } from '../members.js';
import { PSObject } from '../values.js';
import { LocalCommandError } from '../errors.js';
import { arg, builtin, objectParam, stringArrayParam } from './define.js';
import { matchWildcard } from '../wildcard.js';
import { shellContext } from './types.js';

const MEMBER_TYPES = [
  'AliasProperty',
  'CodeProperty',
  'Property',
  'NoteProperty',
  'ScriptProperty',
  'Properties',
  'PropertySet',
  'Method',
  'CodeMethod',
  'ScriptMethod',
  'Methods',
  'ParameterizedProperty',
  'MemberSet',
  'Event',
  'Dynamic',
  'All',
];

/** -MemberType: one or more PSMemberTypes names ("Property", "Method,NoteProperty"). */
function convertMemberTypes(v: unknown): string[] {
  const names = toArray(v)
    .flatMap((x) => String(x).split(','))
    .map((x) => x.trim())
    .filter((x) => x !== '');
  if (names.length === 0) throw new ConversionError('Cannot convert null to type "System.Management.Automation.PSMemberTypes".');
  try {
    return names.map((n) => convertEnum(n, MEMBER_TYPES, 'System.Management.Automation.PSMemberTypes'));
  } catch (e) {
    throw new BindingError(`Cannot bind parameter 'MemberType'. ${(e as Error).message}`, 'CannotConvertArgumentNoMessage');
  }
}

function memberTypeWanted(kind: string, wanted: string[] | undefined): boolean {
  if (!wanted) return true;
  return wanted.some((w) => w === 'All' || w === kind || (w === 'Properties' && /Property$/.test(kind) && kind !== 'ParameterizedProperty') || (w === 'Methods' && /Method$/.test(kind)));
}

const SHORT_NAMES: Record<string, string> = {
  'System.String': 'string',
  'System.Boolean': 'bool',
  'System.Int32': 'int',
  'System.Int64': 'long',
  'System.Double': 'double',
  'System.DateTime': 'datetime',
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
  parameters: [
    stringArrayParam('Name', { position: 0, description: 'Only the members with these names (wildcards allowed).' }),
    { name: 'MemberType', aliases: ['Type'], typeName: 'PSMemberTypes', description: 'Only the members of these kinds: Property, NoteProperty, Method, Properties, Methods, All...', convert: convertMemberTypes },
    objectParam('InputObject'),
  ],
  invoke(args, ctx) {
    const sh = shellContext(ctx);
    const env = sh.runtime.formatEnvironment();
    const explicit = args.get('InputObject');
    const items = (explicit !== undefined ? [explicit] : ctx.input).filter((x) => !isNull(x));
    if (items.length === 0) {
      throw new LocalCommandError('You must specify an object for the Get-Member cmdlet.', {
        errorId: 'NoObjectInGetMember',
        category: 'CloseError',
        reason: 'InvalidOperationException',
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
        ['Equals', 'Method', 'bool Equals(System.Object obj)'],
        ['GetHashCode', 'Method', 'int GetHashCode()'],
        ['GetType', 'Method', 'type GetType()'],
        ['ToString', 'Method', 'string ToString()'],
        ...(valueTypeOf(o)?.signatures ?? []).map((sig) => [/(\w+)\(/.exec(sig)?.[1] ?? sig, 'Method', sig]),
      ]
        .filter((m, i, all) => all.findIndex((x) => x[0] === m[0]) === i)
        .sort(byName);
      const rows = propertyNames(o).map((n) => {
        const v = getMember(o, n);
        const memberType = memberTypeOf(o);
        const def =
          memberType === 'NoteProperty'
            ? `${SHORT_NAMES[shortType(v)] ?? shortType(v)} ${n}=${formatValue(v, env.enumerationLimit)}`
            : `${propertyType(v, o instanceof PSObject ? o.declaredTypes.get(n.toLowerCase()) : undefined)} ${n} {get;${o instanceof PSObject ? 'set;' : ''}}`;
        return [n, memberType, def];
      });
      if (typeof o === 'string') rows.push(['Length', 'Property', 'int Length {get;}']);
      rows.sort(byName);
      rows.unshift(...methods);
      const names = arg<string[]>(args, 'Name');
      const kinds = arg<string[]>(args, 'MemberType');
      const shown = rows.filter((r) => memberTypeWanted(r[1], kinds) && (!names || names.some((n) => matchWildcard(r[0], n))));
      if (shown.length === 0) continue;
      text +=
        `\n\n   TypeName: ${typeName}\n` +
        renderTable(
          [
            { label: 'Name', width: 20, align: 'left' },
            { label: 'MemberType', width: Math.max(10, ...shown.map((r) => r[1].length)), align: 'left' },
            { label: 'Definition', align: 'left' },
          ],
          shown,
          { width: env.width },
        );
    }
    return [new FormattedText(text)];
  },
});
