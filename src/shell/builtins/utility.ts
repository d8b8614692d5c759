// Small utility commands scripts use: Write-Error (a non-terminating error
// from a script or function), New-TimeSpan and Get-Alias; and the
// $PSVersionTable the shell answers to (the language level is Windows
// PowerShell 5.1's).

import { convertDate, isNull, toStr } from '../conversion.js';
import { LocalCommandError, RecordedError, TypeInfoValue, type ErrorRecord } from '../errors.js';
import type { ObjectView } from '../values.js';
import { Hashtable, PSObject } from '../values.js';
import { TimeSpan } from '../timespan.js';
import { hasWildcard, matchWildcard } from '../wildcard.js';
import { COMMAND_INFO_TYPE } from './get-command.js';
import { arg, builtin, intParam, objectParam, stringArrayParam, stringParam, switchParam } from './define.js';
import { shellContext } from './types.js';

export const writeError = builtin('Utility', {
  name: 'Write-Error',
  synopsis: 'Writes an object to the error stream.',
  description: 'Writes a non-terminating error record: the script goes on unless -ErrorAction Stop or $ErrorActionPreference = "Stop". Inside a function the record names the function and the line that called it.',
  parameters: [
    stringParam('Message', { position: 0, mandatory: true, aliases: ['Msg'], valueFromPipeline: true }),
    stringParam('Category'),
    stringParam('ErrorId'),
    objectParam('TargetObject'),
    stringParam('CategoryActivity', { aliases: ['Activity'] }),
    stringParam('CategoryReason', { aliases: ['Reason'] }),
    stringParam('CategoryTargetName', { aliases: ['TargetName'] }),
    stringParam('CategoryTargetType', { aliases: ['TargetType'] }),
  ],
  examples: [{ code: 'Write-Error "Queue $($q.Identity) has $($q.MessageCount) messages"', remarks: 'Reports a problem and goes on.' }],
  invoke(args, ctx) {
    const sh = shellContext(ctx);
    const rt = sh.runtime;
    const frame = rt.callStack[rt.callStack.length - 1];
    const message = toStr(args.get('Message'));
    const target = args.get('TargetObject');
    const record: ErrorRecord = {
      message,
      errorId: arg<string>(args, 'ErrorId') ?? 'Microsoft.PowerShell.Commands.WriteErrorException',
      category: arg<string>(args, 'Category') ?? 'NotSpecified',
      reason: arg<string>(args, 'CategoryReason') ?? 'WriteErrorException',
      activity: arg<string>(args, 'CategoryActivity') ?? 'Write-Error',
      targetName: arg<string>(args, 'CategoryTargetName') ?? (isNull(target) ? undefined : toStr(target)),
      targetType: arg<string>(args, 'CategoryTargetType'),
      targetObject: target,
      commandName: frame ? frame.name : 'Write-Error',
      commandType: frame ? frame.name : undefined,
      position: frame ? { source: frame.source, extent: frame.extent } : undefined,
      exceptionType: 'Microsoft.PowerShell.Commands.WriteErrorException',
    };
    if (!frame) {
      // at the top level the record points at the Write-Error command itself
      record.commandName = ctx.invocationName;
      const at = sh.currentExtent;
      if (at) record.position = { source: rt.source, extent: at };
    }
    ctx.writeError(new RecordedError(record));
    return [];
  },
});

export const newTimeSpan = builtin('Utility', {
  name: 'New-TimeSpan',
  synopsis: 'Creates a TimeSpan object.',
  defaultParameterSet: 'Date',
  parameters: [
    objectParam('Start', { position: 0, sets: ['Date'], typeName: 'DateTime', convert: convertDate, aliases: ['LastWriteTime'] }),
    objectParam('End', { position: 1, sets: ['Date'], typeName: 'DateTime', convert: convertDate }),
    intParam('Days', { sets: ['Time'] }),
    intParam('Hours', { sets: ['Time'] }),
    intParam('Minutes', { sets: ['Time'] }),
    intParam('Seconds', { sets: ['Time'] }),
  ],
  examples: [{ code: '(New-TimeSpan -Start $q.LastRetryTime).TotalMinutes', remarks: 'Minutes since the last retry.' }],
  invoke(args) {
    if (args.has('Days') || args.has('Hours') || args.has('Minutes') || args.has('Seconds')) {
      const n = (k: string): number => (args.get(k) as number | undefined) ?? 0;
      return [new TimeSpan(((n('Days') * 24 + n('Hours')) * 60 + n('Minutes')) * 60_000 + n('Seconds') * 1000)];
    }
    const start = (args.get('Start') as Date | undefined) ?? new Date();
    const end = (args.get('End') as Date | undefined) ?? new Date();
    return [new TimeSpan(end.getTime() - start.getTime())];
  },
});

export const getAlias = builtin('Utility', {
  name: 'Get-Alias',
  aliases: ['gal'],
  synopsis: 'Gets the aliases for the current session.',
  parameters: [stringArrayParam('Name', { position: 0 }), stringArrayParam('Definition')],
  examples: [{ code: 'Get-Alias -Definition Where-Object', remarks: 'The aliases of Where-Object (?, where).' }],
  invoke(args, ctx) {
    const names = arg<string[]>(args, 'Name');
    const definitions = arg<string[]>(args, 'Definition');
    const rows: PSObject[] = [];
    for (const spec of ctx.commands()) {
      for (const alias of spec.aliases ?? []) {
        if (names && !names.some((n) => matchWildcard(alias, n))) continue;
        if (definitions && !definitions.some((d) => matchWildcard(spec.name, d))) continue;
        rows.push(
          new PSObject(
            ['System.Management.Automation.AliasInfo', COMMAND_INFO_TYPE],
            [
              ['CommandType', 'Alias'],
              ['Name', `${alias} -> ${spec.name}`],
              ['Version', ''],
              ['Source', ''],
              ['Definition', spec.name],
              ['ResolvedCommandName', spec.name],
              ['DisplayName', `${alias} -> ${spec.name}`],
            ],
          ),
        );
      }
    }
    rows.sort((a, b) => String(a.get('Name')).localeCompare(String(b.get('Name')), 'en-US', { sensitivity: 'base' }));
    for (const n of names ?? []) {
      if (
        hasWildcard(n) ||
        rows.some((r) =>
          String(r.get('Name'))
            .toLowerCase()
            .startsWith(n.toLowerCase() + ' ->'),
        )
      )
        continue;
      ctx.writeError(
        new LocalCommandError(`This command cannot find a matching alias because an alias with the name '${n}' does not exist.`, {
          errorId: 'ItemNotFoundException',
          category: 'ObjectNotFound',
          reason: 'ItemNotFoundException',
          targetName: n,
          targetType: 'String',
        }),
      );
    }
    return rows;
  },
});

/** A [version] value: Major, Minor, Build, Revision. */
export class VersionValue {
  constructor(
    readonly Major: number,
    readonly Minor: number,
    readonly Build: number,
    readonly Revision: number,
  ) {}
  GetType(): TypeInfoValue {
    return new TypeInfoValue('System.Version');
  }
  toString(): string {
    return [this.Major, this.Minor, this.Build, this.Revision].filter((n) => n >= 0).join('.');
  }
}

/** $PSVersionTable: the language level this shell implements (Windows PowerShell 5.1). */
export function psVersionTable(): Hashtable {
  return new Hashtable([
    ['PSVersion', new VersionValue(5, 1, 17763, 1)],
    ['PSEdition', 'Desktop'],
    ['PSCompatibleVersions', [new VersionValue(1, 0, -1, -1), new VersionValue(2, 0, -1, -1), new VersionValue(3, 0, -1, -1), new VersionValue(4, 0, -1, -1), new VersionValue(5, 0, -1, -1), new VersionValue(5, 1, 17763, 1)]],
    ['BuildVersion', new VersionValue(10, 0, 17763, 1)],
    ['CLRVersion', new VersionValue(4, 0, 30319, 42000)],
    ['WSManStackVersion', new VersionValue(3, 0, -1, -1)],
    ['PSRemotingProtocolVersion', new VersionValue(2, 3, -1, -1)],
    ['SerializationVersion', new VersionValue(1, 1, 0, 1)],
  ]);
}

export const writeProgress = builtin('Utility', {
  name: 'Write-Progress',
  synopsis: 'Displays a progress bar within a PowerShell command window.',
  description:
    'On a terminal, draws one status line (activity, status, a bar for -PercentComplete, the current operation and the time left) that -Completed clears; bars with other -Id or -ParentId values share that line, the latest call showing. Nothing is drawn when the shell reads a script or piped input, or when $ProgressPreference is SilentlyContinue.',
  parameters: [
    stringParam('Activity', { position: 0, mandatory: true }),
    stringParam('Status', { position: 1 }),
    intParam('Id', { position: 2 }),
    intParam('PercentComplete'),
    intParam('SecondsRemaining'),
    stringParam('CurrentOperation'),
    intParam('ParentId'),
    switchParam('Completed'),
    intParam('SourceId'),
  ],
  examples: [{ code: '$i = 0; foreach ($q in $queues) { $i++; Write-Progress -Activity "Checking queues" -Status $q.Identity -PercentComplete ($i * 100 / $queues.Count) }', remarks: 'A progress line while a loop runs.' }],
  invoke(args, ctx) {
    const rt = shellContext(ctx).runtime;
    if (!ctx.host.interactive || rt.preference('ProgressPreference', 'Continue') !== 'Continue') return [];
    if (args.get('Completed') === true) {
      ctx.host.write('\r\x1b[2K');
      return [];
    }
    const parts = [`${toStr(args.get('Activity'))}: ${toStr(args.get('Status') ?? 'Processing')}`];
    const pct = args.get('PercentComplete') as number | undefined;
    if (pct !== undefined && pct >= 0) {
      const p = Math.min(100, pct);
      parts.push(`[${'o'.repeat(Math.round(p / 5)).padEnd(20)}] ${p}%`);
    }
    if (args.has('CurrentOperation')) parts.push(toStr(args.get('CurrentOperation')));
    const secs = args.get('SecondsRemaining') as number | undefined;
    if (secs !== undefined && secs >= 0) parts.push(`${secs}s left`);
    const line = parts.join(' ');
    ctx.host.write('\r\x1b[2K' + line.slice(0, Math.max(10, ctx.host.width)));
    return [];
  },
});

/** System.Version's table: four left-aligned columns. */
export const versionView: ObjectView = {
  typeName: 'VersionValue',
  display: 'table',
  table: [
    { property: 'Major', width: 6, align: 'left' },
    { property: 'Minor', width: 6, align: 'left' },
    { property: 'Build', width: 6, align: 'left' },
    { property: 'Revision', width: 8, align: 'left' },
  ],
};
