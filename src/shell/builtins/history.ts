// Get-History, Invoke-History (r) and Clear-History: the commands run in
// this session, numbered from 1, as PowerShell keeps them. Invoke-History
// shows the command line it runs again and records it under its own text.

import { LocalCommandError } from '../errors.js';
import { executeStatement } from '../evaluator.js';
import { sessionHistory, type HistoryEntry } from '../history.js';
import { parseScript } from '../parser.js';
import { PSObject, type ObjectView } from '../values.js';
import { wildcardToRegExp } from '../wildcard.js';
import { convertInt, convertString } from '../conversion.js';
import { arg, builtin, flag, intParam, objectParam, stringArrayParam, switchParam } from './define.js';
import { shellContext } from './types.js';

const TYPE = 'Microsoft.PowerShell.Commands.HistoryInfo';

export const historyInfoView: ObjectView = {
  typeName: TYPE,
  display: 'table',
  table: [{ property: 'Id', width: 4, align: 'right' }, { property: 'CommandLine' }],
};

function historyInfo(e: HistoryEntry): PSObject {
  return new PSObject(
    [TYPE, 'System.Object'],
    [
      ['Id', e.id],
      ['CommandLine', e.commandLine],
      ['ExecutionStatus', e.status],
      ['StartExecutionTime', e.start],
      ['EndExecutionTime', e.end],
    ],
  );
}

function notFound(what: string, errorId: string): LocalCommandError {
  return new LocalCommandError(`Cannot locate history for ${what}.`, { errorId, category: 'ObjectNotFound', reason: 'ArgumentException' });
}

function idList(v: unknown): number[] {
  const list = Array.isArray(v) ? v : [v];
  return list.map((x) => convertInt(x));
}

export const getHistory = builtin('Core', {
  name: 'Get-History',
  aliases: ['h', 'history', 'ghy'],
  synopsis: 'Gets a list of the commands entered during the current session.',
  description: "Lists the commands run in this session (Id, CommandLine, ExecutionStatus, StartExecutionTime, EndExecutionTime). The terminal's line history (Up arrow, Ctrl+R) is kept per server in ~/.gatehouse/history.",
  parameters: [objectParam('Id', { position: 0, typeName: 'Int64[]', convert: idList }), intParam('Count', { position: 1 })],
  examples: [
    { code: 'Get-History', remarks: 'Lists the commands of this session.' },
    { code: 'Get-History -Count 5', remarks: 'The last five commands.' },
  ],
  invoke(args, ctx) {
    const entries = sessionHistory(shellContext(ctx).runtime).list();
    const ids = arg<number[]>(args, 'Id');
    let out: HistoryEntry[] = entries;
    if (ids) {
      out = [];
      for (const id of ids) {
        const e = entries.find((x) => x.id === id);
        if (!e) ctx.writeError(notFound(`Id ${id}`, 'GetHistoryObjectNotFound'));
        else out.push(e);
      }
    }
    const count = arg<number>(args, 'Count');
    if (count !== undefined) out = out.slice(Math.max(0, out.length - count));
    return out.map(historyInfo);
  },
});

let invoking = 0;

export const invokeHistory = builtin('Core', {
  name: 'Invoke-History',
  aliases: ['r', 'ihy'],
  synopsis: 'Runs commands from the session history.',
  description: 'Runs again the command with the given Id, or the most recent one that starts with the given text; without -Id, the last command. The command line is shown before it runs.',
  parameters: [{ name: 'Id', typeName: 'String', position: 0, convert: convertString }],
  examples: [
    { code: 'r', remarks: 'Runs the last command again.' },
    { code: 'Invoke-History 3', remarks: 'Runs command 3 of Get-History again.' },
    { code: 'r Get-Q', remarks: 'Runs the last command that starts with Get-Q again.' },
  ],
  async invoke(args, ctx) {
    const rt = shellContext(ctx).runtime;
    const history = sessionHistory(rt);
    const entries = history.list();
    const id = arg<string>(args, 'Id');
    let entry: HistoryEntry | undefined;
    if (id === undefined) {
      entry = entries[entries.length - 1];
      if (!entry) throw new LocalCommandError('Cannot locate most recent history.', { errorId: 'InvokeHistoryNoLastHistoryEntryFound', category: 'ObjectNotFound', reason: 'InvalidOperationException' });
    } else if (/^\s*\d+\s*$/.test(id)) {
      entry = history.byId(Number(id));
      if (!entry) throw notFound(`Id ${id.trim()}`, 'InvokeHistoryNoHistoryForId');
    } else {
      entry = [...entries].reverse().find((e) => e.commandLine.toLowerCase().startsWith(id.toLowerCase()));
      if (!entry) throw notFound(`commandline ${id}`, 'InvokeHistoryNoHistoryForCommandline');
    }
    if (invoking > 0) {
      throw new LocalCommandError('Invoke-History cannot run a command that runs Invoke-History itself.', { errorId: 'InvokeHistoryLoopDetected', category: 'InvalidOperation', reason: 'InvalidOperationException' });
    }
    ctx.host.write(entry.commandLine + '\n');
    history.replacement = entry.commandLine;
    const script = parseScript(entry.commandLine);
    const source = rt.source;
    const output: unknown[] = [];
    invoking++;
    try {
      rt.source = script.source;
      for (const statement of script.statements) output.push(...(await executeStatement(rt, statement)));
    } finally {
      invoking--;
      rt.source = source;
    }
    return output;
  },
});

export const clearHistory = builtin('Core', {
  name: 'Clear-History',
  aliases: ['clhy'],
  synopsis: 'Deletes entries from the session history.',
  description:
    "Deletes all commands of the session history, or those with the given Ids, or those matching -CommandLine (wildcards allowed); -Count limits how many (the oldest, or the newest with -Newest). The terminal's line history file (~/.gatehouse/history/<server>.txt) is not changed: delete that file to forget it.",
  defaultParameterSet: 'IDParameter',
  supportsShouldProcess: true,
  confirmImpact: 'Medium',
  parameters: [objectParam('Id', { position: 0, typeName: 'Int32[]', sets: ['IDParameter'], convert: idList }), stringArrayParam('CommandLine', { sets: ['CommandLineParameter'] }), intParam('Count', { position: 1 }), switchParam('Newest')],
  examples: [
    { code: 'Clear-History', remarks: 'Forgets every command of this session.' },
    { code: 'Clear-History -CommandLine *Credential*', remarks: 'Forgets the commands that mention a credential.' },
  ],
  async invoke(args, ctx) {
    const history = sessionHistory(shellContext(ctx).runtime);
    let chosen = history.list();
    const ids = arg<number[]>(args, 'Id');
    const count = arg<number>(args, 'Count');
    const newest = flag(args, 'Newest');
    if (ids) {
      if (count !== undefined && ids.length === 1) {
        // with -Count, the entries ending at (or, with -Newest, starting at) the Id
        const at = chosen.findIndex((e) => e.id === ids[0]);
        if (at < 0) throw notFound(`Id ${ids[0]}`, 'ClearHistoryNoHistoryForId');
        chosen = newest ? chosen.slice(at, at + count) : chosen.slice(Math.max(0, at - count + 1), at + 1);
      } else {
        for (const id of ids) if (!chosen.some((e) => e.id === id)) ctx.writeError(notFound(`Id ${id}`, 'ClearHistoryNoHistoryForId'));
        chosen = chosen.filter((e) => ids.includes(e.id));
      }
    } else {
      const patterns = arg<string[]>(args, 'CommandLine');
      if (patterns) chosen = chosen.filter((e) => patterns.some((p) => wildcardToRegExp(p).test(e.commandLine)));
      if (count !== undefined) chosen = newest ? chosen.slice(Math.max(0, chosen.length - count)) : chosen.slice(0, count);
    }
    if (chosen.length === 0) return [];
    const what = chosen.length === 1 ? `entry ${chosen[0].id}` : `${chosen.length} entries`;
    if (!(await ctx.shouldProcess('', `Deleting ${what} from the session history`))) return [];
    const gone = new Set(chosen.map((e) => e.id));
    history.remove((e) => gone.has(e.id));
    return [];
  },
});
