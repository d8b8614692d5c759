// Export-Csv, Import-Csv, ConvertTo-Csv and ConvertFrom-Csv with Windows
// PowerShell 5.1's text: a `#TYPE <type name>` line unless
// -NoTypeInformation, the first object's property names as the header, every
// field in double quotes (quotes doubled), $null as an empty unquoted field,
// collections as their .NET type name ("System.Object[]"), dates in en-US.

import { existsSync } from 'node:fs';
import { ConversionError } from '../command.js';
import { enumerate, formatDateDisplay, isEnumerable, isNull, toStr } from '../conversion.js';
import { LocalCommandError } from '../errors.js';
import { convertEncoding, readTextLines, resolvePath, type EncodingName } from '../files.js';
import { write } from './files.js';
import { getMember, propertyNames } from '../members.js';
import { Hashtable, PSObject } from '../values.js';
import { arg, builtin, flag, objectParam, stringArrayParam, stringParam, switchParam } from './define.js';
import { typeNamesOf } from '../format/out-default.js';

function delimiterParam() {
  return {
    name: 'Delimiter',
    typeName: 'Char',
    convert: (v: unknown) => {
      const s = toStr(v);
      if (s.length !== 1) throw new ConversionError(`Cannot convert value "${s}" to type "System.Char". Error: "String must be exactly one character long."`);
      return s;
    },
  };
}

function field(v: unknown): string {
  if (isNull(v)) return '';
  let s: string;
  if (v instanceof Date) s = formatDateDisplay(v);
  else if (typeof v !== 'string' && isEnumerable(v)) s = 'System.Object[]';
  else s = toStr(v);
  return '"' + s.replace(/"/g, '""') + '"';
}

function typeLine(o: unknown): string {
  const name = o instanceof PSObject ? o.typeNames[0] : typeNamesOf(o)[0];
  const shown = name === 'System.Collections.Hashtable' || o instanceof Hashtable ? 'System.Collections.Hashtable' : name;
  return `#TYPE ${shown === 'PSCustomObject' ? 'System.Management.Automation.PSCustomObject' : shown}`;
}

/** The CSV lines for objects; `header` false when appending under an existing header. */
export function csvLines(objects: unknown[], options: { delimiter: string; typeInformation: boolean; header?: string[] }): string[] {
  const items = objects.filter((o) => !isNull(o));
  if (items.length === 0) return [];
  const lines: string[] = [];
  let names = options.header;
  if (!names) {
    names = propertyNames(items[0]);
    if (options.typeInformation) lines.push(typeLine(items[0]));
    lines.push(names.map((n) => field(n)).join(options.delimiter));
  }
  for (const o of items) {
    const own = new Set(propertyNames(o).map((n) => n.toLowerCase()));
    lines.push((names as string[]).map((n) => (own.has(n.toLowerCase()) ? field(getMember(o, n)) : '')).join(options.delimiter));
  }
  return lines;
}

/** Splits CSV text into records of fields (quoted fields may hold delimiters, quotes and line breaks). */
export function parseCsv(text: string, delimiter: string): string[][] {
  const rows: string[][] = [];
  const n = text.length;
  let i = 0;
  const endOfField = (c: string | undefined): boolean => c === undefined || c === delimiter || c === '\n' || c === '\r';
  while (i < n) {
    const row: string[] = [];
    for (;;) {
      let value = '';
      if (text[i] === '"') {
        i++;
        while (i < n) {
          if (text[i] === '"') {
            if (text[i + 1] === '"') {
              value += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          value += text[i++];
        }
      }
      // text up to the delimiter joins the value, as 5.1 reads it
      while (i < n && !endOfField(text[i])) value += text[i++];
      row.push(value);
      if (text[i] === delimiter) {
        i++;
        continue;
      }
      if (text[i] === '\r') i++;
      if (text[i] === '\n') i++;
      break;
    }
    rows.push(row);
  }
  return rows;
}

/** Objects from CSV text: a `#TYPE` line names them, the first record (or -Header) names the properties. */
export function csvObjects(text: string, delimiter: string, header?: string[]): PSObject[] {
  let body = text.replace(/^\ufeff/, '');
  let typeName: string | undefined;
  const first = /^[ \t]*#TYPE[ \t]+([^\r\n]*)\r?\n?/i.exec(body);
  if (first) {
    typeName = first[1].trim();
    body = body.slice(first[0].length);
  }
  const rows = parseCsv(body, delimiter).filter((r) => !(r.length === 1 && r[0] === ''));
  let names = header;
  if (!names) {
    const h = rows.shift();
    if (!h) return [];
    names = h.map((x, i) => (x === '' ? `H${i + 1}` : x));
  }
  const typeNames = typeName ? [`CSV:${typeName}`, 'System.Management.Automation.PSCustomObject'] : ['System.Management.Automation.PSCustomObject'];
  return rows.map(
    (r) =>
      new PSObject(
        typeNames.slice(),
        (names as string[]).map((n, i) => [n, i < r.length ? r[i] : null]),
      ),
  );
}

function inputItems(args: Map<string, unknown>, input: unknown[]): unknown[] {
  return args.has('InputObject') ? enumerate(args.get('InputObject')) : input;
}

export const exportCsv = builtin('Utility', {
  name: 'Export-Csv',
  aliases: ['epcsv'],
  synopsis: 'Converts objects into a series of comma-separated value (CSV) strings and saves the strings to a file.',
  description: "Writes the objects as CSV: a #TYPE line (unless -NoTypeInformation), a header of the first object's property names, and one line per object, every field quoted. The default encoding is UTF-8 without a byte-order mark.",
  defaultParameterSet: 'ByPath',
  parameters: [
    stringParam('Path', { position: 0, aliases: ['FilePath'], mandatory: true, sets: ['ByPath'] }),
    stringParam('LiteralPath', { aliases: ['PSPath'], mandatory: true, sets: ['ByLiteralPath'] }),
    switchParam('NoTypeInformation', { aliases: ['NTI'] }),
    switchParam('Append'),
    switchParam('Force'),
    switchParam('NoClobber'),
    delimiterParam(),
    { name: 'Encoding', typeName: 'String', convert: convertEncoding },
    objectParam('InputObject'),
  ],
  examples: [{ code: 'Get-SendConnector | Select-Object Name,Enabled | Export-Csv .\\connectors.csv -NoTypeInformation', remarks: 'Saves two columns of every Send connector.' }],
  invoke(args, ctx) {
    const path = resolvePath(arg<string>(args, 'Path') ?? arg<string>(args, 'LiteralPath') ?? '');
    const append = flag(args, 'Append');
    const exists = existsSync(path);
    if (flag(args, 'NoClobber') && !append && exists) {
      throw new LocalCommandError(`The file '${path}' already exists.`, { errorId: 'NoClobber', category: 'ResourceExists', reason: 'IOException', targetName: path, targetType: 'String' });
    }
    const delimiter = arg<string>(args, 'Delimiter') ?? ',';
    let header: string[] | undefined;
    if (append && exists) {
      const lines = readTextLines(path, arg<EncodingName>(args, 'Encoding')).filter((l) => !/^#TYPE/i.test(l));
      if (lines.length) header = parseCsv(lines[0], delimiter)[0] ?? [];
    }
    const items = inputItems(args, ctx.input);
    const first = items.find((o) => !isNull(o));
    if (header && first !== undefined && !flag(args, 'Force')) {
      const own = new Set(propertyNames(first).map((n) => n.toLowerCase()));
      const missing = header.find((h) => !own.has(h.toLowerCase()));
      if (missing !== undefined) {
        throw new LocalCommandError(
          `Cannot append CSV content to the following file: ${path}. The appended object does not have a property that corresponds to the following column: ${missing}. To continue with mismatched properties, add the -Force parameter, and then retry the command.`,
          {
            errorId: 'CannotAppendCsvWithMismatchedPropertyName',
            category: 'InvalidData',
            reason: 'InvalidOperationException',
            targetName: missing,
            targetType: 'String',
          },
        );
      }
    }
    const lines = csvLines(items, { delimiter, typeInformation: !flag(args, 'NoTypeInformation'), header });
    write(path, lines.map((l) => l + '\n').join(''), arg<EncodingName>(args, 'Encoding'), append, flag(args, 'Force'));
    return [];
  },
});

export const convertToCsv = builtin('Utility', {
  name: 'ConvertTo-Csv',
  synopsis: 'Converts objects into a series of comma-separated value (CSV) strings.',
  parameters: [objectParam('InputObject', { position: 0 }), switchParam('NoTypeInformation', { aliases: ['NTI'] }), delimiterParam()],
  examples: [{ code: 'Get-AcceptedDomain | ConvertTo-Csv -NoTypeInformation', remarks: 'The accepted domains as CSV lines.' }],
  invoke(args, ctx) {
    return csvLines(inputItems(args, ctx.input), { delimiter: arg<string>(args, 'Delimiter') ?? ',', typeInformation: !flag(args, 'NoTypeInformation') });
  },
});

export const importCsv = builtin('Utility', {
  name: 'Import-Csv',
  aliases: ['ipcsv'],
  synopsis: 'Creates table-like custom objects from the items in a CSV file.',
  parameters: [stringArrayParam('Path', { position: 0, mandatory: true, valueFromPipeline: true }), delimiterParam(), stringArrayParam('Header'), { name: 'Encoding', typeName: 'String', convert: convertEncoding }],
  examples: [{ code: 'Import-Csv .\\domains.csv | ForEach-Object { New-AcceptedDomain -Name $_.Name -DomainName $_.DomainName }', remarks: 'Creates an accepted domain for each line of a CSV file.' }],
  invoke(args, ctx) {
    const out: unknown[] = [];
    for (const p of arg<string[]>(args, 'Path') ?? []) {
      const path = resolvePath(p);
      let lines: string[];
      try {
        lines = readTextLines(path, arg<EncodingName>(args, 'Encoding'));
      } catch (e) {
        ctx.writeError(e as Error);
        continue;
      }
      out.push(...csvObjects(lines.join('\n'), arg<string>(args, 'Delimiter') ?? ',', arg<string[]>(args, 'Header')));
    }
    return out;
  },
});

export const convertFromCsv = builtin('Utility', {
  name: 'ConvertFrom-Csv',
  synopsis: 'Converts object properties in comma-separated value (CSV) format into CSV versions of the original objects.',
  parameters: [objectParam('InputObject', { position: 0, typeName: 'PSObject[]' }), delimiterParam(), stringArrayParam('Header')],
  examples: [{ code: '"Name,Domain","Contoso,contoso.com" | ConvertFrom-Csv', remarks: 'Objects from CSV lines.' }],
  invoke(args, ctx) {
    const lines = inputItems(args, ctx.input).map((x) => toStr(x));
    return csvObjects(lines.join('\n'), arg<string>(args, 'Delimiter') ?? ',', arg<string[]>(args, 'Header'));
  },
});
