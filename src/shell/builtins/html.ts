// ConvertTo-Html: the objects as an XHTML table (or lists with -As List),
// with Windows PowerShell 5.1's page around it unless -Fragment.

import { collapse, convertEnum, isNull, toStr } from '../conversion.js';
import { formatValue } from '../format/value.js';
import { parsePropertySelectors, resolveProperties, type PropertySelector } from '../format/properties.js';
import { getMember, propertyNames } from '../members.js';
import { ConversionError } from '../command.js';
import type { ScriptBlock } from '../scriptblock.js';
import { arg, builtin, flag, objectParam, stringArrayParam, stringParam, switchParam } from './define.js';

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export const convertToHtml = builtin('Utility', {
  name: 'ConvertTo-Html',
  synopsis: 'Converts .NET objects into HTML that can be displayed in a Web browser.',
  description:
    'Writes the objects as an HTML table (one row per object) or, with -As List, a two-column table per object. -Fragment writes only the table; otherwise a whole XHTML page with -Title, -Head, -Body, -CssUri, -PreContent and -PostContent.',
  parameters: [
    objectParam('Property', {
      position: 0,
      typeName: 'Object[]',
      convert: (v: unknown) => {
        try {
          return parsePropertySelectors(v);
        } catch (e) {
          throw new ConversionError((e as Error).message);
        }
      },
    }),
    { name: 'As', typeName: 'String', convert: (v: unknown) => convertEnum(v, ['Table', 'List'], 'System.String') },
    stringParam('Title'),
    stringArrayParam('Head'),
    stringArrayParam('Body'),
    stringArrayParam('PreContent'),
    stringArrayParam('PostContent'),
    stringParam('CssUri'),
    switchParam('Fragment'),
    objectParam('InputObject'),
  ],
  examples: [{ code: 'Get-Queue | ConvertTo-Html -Property Identity,Status,MessageCount -Title "Queues" | Out-File .\\queues.html', remarks: 'A web page with a table of queues.' }],
  async invoke(args, ctx) {
    const items = (args.has('InputObject') ? [args.get('InputObject')] : ctx.input).filter((o) => !isNull(o));
    const selectors = arg<PropertySelector[]>(args, 'Property');
    const evaluate = async (block: ScriptBlock, input: unknown): Promise<unknown> => collapse(await ctx.invokeScriptBlock(block, input));
    const rows: { name: string; value: unknown }[][] = [];
    for (const o of items) {
      if (selectors) rows.push(await resolveProperties(o, selectors, evaluate, true));
      else if (typeof o !== 'object') rows.push([{ name: '*', value: o }]);
      else rows.push(propertyNames(o).map((n) => ({ name: n, value: getMember(o, n) })));
    }
    const cell = (v: unknown): string => esc(formatValue(v, -1));
    const lines: string[] = [];
    if (!flag(args, 'Fragment')) {
      lines.push('<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN"  "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">');
      lines.push('<html xmlns="http://www.w3.org/1999/xhtml">');
      lines.push('<head>');
      const head = arg<string[]>(args, 'Head');
      if (head) lines.push(...head);
      else lines.push(`<title>${esc(arg<string>(args, 'Title') ?? 'HTML TABLE')}</title>`);
      const css = arg<string>(args, 'CssUri');
      if (css) lines.push(`<link rel="stylesheet" type="text/css" href="${esc(css)}" />`);
      lines.push('</head><body>');
      const body = arg<string[]>(args, 'Body');
      if (body) lines.push(...body);
    }
    const pre = arg<string[]>(args, 'PreContent');
    if (pre) lines.push(...pre);
    if (rows.length) {
      if ((arg<string>(args, 'As') ?? 'Table') === 'List') {
        for (const r of rows) {
          lines.push('<table>');
          for (const p of r) lines.push(`<tr><td>${esc(p.name)}:</td><td>${cell(p.value)}</td></tr>`);
          lines.push('</table>');
        }
      } else {
        const names = rows[0].map((p) => p.name);
        lines.push('<table>');
        lines.push('<colgroup>' + names.map(() => '<col/>').join('') + '</colgroup>');
        lines.push('<tr>' + names.map((n) => `<th>${esc(n)}</th>`).join('') + '</tr>');
        for (const r of rows) {
          lines.push(
            '<tr>' +
              names
                .map((n) => {
                  const hit = r.find((p) => p.name.toLowerCase() === n.toLowerCase());
                  return `<td>${hit ? cell(hit.value) : ''}</td>`;
                })
                .join('') +
              '</tr>',
          );
        }
        lines.push('</table>');
      }
    }
    const post = arg<string[]>(args, 'PostContent');
    if (post) lines.push(...post);
    if (!flag(args, 'Fragment')) lines.push('</body></html>');
    return lines.map(toStr);
  },
});
