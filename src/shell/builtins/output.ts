// Write-Output, Write-Host, Write-Warning, Write-Verbose and Clear-Host.

import { convertDate, enumerate, isEnumerable, toArray, toStr } from '../conversion.js';
import { formatDate } from '../dotnet-format.js';
import { formatScalar } from '../format/value.js';
import { builtin, flag, objectParam, stringParam, switchParam } from './define.js';
import { shellContext } from './types.js';

export const writeOutput = builtin('Utility', {
  name: 'Write-Output',
  aliases: ['echo', 'write'],
  synopsis: 'Sends the specified objects to the next command in the pipeline.',
  parameters: [objectParam('InputObject', { position: 0, typeName: 'PSObject[]' }), switchParam('NoEnumerate')],
  invoke(args, ctx) {
    const out = ctx.input.slice();
    if (args.has('InputObject')) {
      const v = args.get('InputObject');
      if (flag(args, 'NoEnumerate')) out.push(v);
      else out.push(...enumerate(v));
    }
    return out;
  },
});

export const writeHost = builtin('Utility', {
  name: 'Write-Host',
  synopsis: 'Writes customized output to a host.',
  parameters: [objectParam('Object', { position: 0, valueFromRemainingArguments: true }), switchParam('NoNewline'), objectParam('Separator'), stringParam('ForegroundColor'), stringParam('BackgroundColor')],
  invoke(args, ctx) {
    const sep = args.has('Separator') ? toStr(args.get('Separator')) : ' ';
    const items: unknown[] = [];
    const add = (v: unknown): void => {
      if (isEnumerable(v)) for (const x of toArray(v)) add(x);
      else items.push(v);
    };
    if (args.has('Object')) {
      const v = args.get('Object');
      // the remaining-arguments list holds one entry per argument
      for (const x of Array.isArray(v) ? v : [v]) add(x);
    }
    for (const x of ctx.input) add(x);
    ctx.host.write(items.map((x) => formatScalar(x)).join(sep) + (flag(args, 'NoNewline') ? '' : '\n'));
    return [];
  },
});

export const writeWarning = builtin('Utility', {
  name: 'Write-Warning',
  synopsis: 'Writes a warning message.',
  parameters: [stringParam('Message', { position: 0, mandatory: true, valueFromPipeline: true })],
  invoke(args, ctx) {
    ctx.warn(toStr(args.get('Message')));
    return [];
  },
});

export const writeVerbose = builtin('Utility', {
  name: 'Write-Verbose',
  synopsis: 'Writes text to the verbose message stream.',
  parameters: [stringParam('Message', { position: 0, mandatory: true, valueFromPipeline: true })],
  invoke(args, ctx) {
    // shown when $VerbosePreference is Continue (a function called with -Verbose sets it)
    const rt = shellContext(ctx).runtime;
    if (rt.preference('VerbosePreference', 'SilentlyContinue') === 'Continue') ctx.host.write(`VERBOSE: ${toStr(args.get('Message'))}\n`);
    return [];
  },
});

export const clearHost = builtin('Core', {
  name: 'Clear-Host',
  aliases: ['cls', 'clear'],
  className: 'Clear-Host',
  synopsis: 'Clears the display in the host program.',
  parameters: [],
  invoke(_args, ctx) {
    if (ctx.host.interactive) ctx.host.write('\x1b[2J\x1b[H');
    return [];
  },
});

export const getDate = builtin('Utility', {
  name: 'Get-Date',
  synopsis: 'Gets the current date and time.',
  parameters: [objectParam('Date', { position: 0, typeName: 'DateTime', convert: convertDate }), stringParam('Format')],
  invoke(args) {
    const d = (args.get('Date') as Date | undefined) ?? new Date();
    const format = args.get('Format') as string | undefined;
    if (format === undefined) return [d];
    const text = formatDate(d, format);
    return [text];
  },
});
