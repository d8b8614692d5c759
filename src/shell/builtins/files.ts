// The file cmdlets admins use in scripts: Out-File, Set-Content,
// Add-Content, Get-Content, Test-Path, Tee-Object, New-Item, Remove-Item,
// Join-Path and Split-Path. Paths resolve from the
// shell's working directory; files are written by this process (so they
// belong to the user running the shell) in the chosen -Encoding.

import { chmodSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ConversionError } from '../command.js';
import { convertEnum, enumerate, isNull, toArray, toStr } from '../conversion.js';
import { LocalCommandError } from '../errors.js';
import { PSObject } from '../values.js';
import { convertEncoding, fileError, readText, readTextLines, resolvePath, writeText, type EncodingName } from '../files.js';
import { renderOutDefault } from '../format/out-default.js';
import { hasWildcard, matchWildcard } from '../wildcard.js';
import { arg, builtin, flag, intParam, objectParam, stringArrayParam, stringParam, switchParam } from './define.js';
import { shellContext, type ShellInvocationContext } from './types.js';

function encodingParam(position?: number) {
  return { name: 'Encoding', typeName: 'FileSystemCmdletProviderEncoding', position, convert: convertEncoding };
}

/** Writes text, making a read-only file writable first when -Force is given. */
export function write(path: string, text: string, encoding: EncodingName | undefined, append: boolean, force: boolean): void {
  try {
    writeText(path, text, encoding, append);
  } catch (e) {
    if (!force || !existsSync(path) || !(e instanceof LocalCommandError) || e.reason !== 'UnauthorizedAccessException') throw e;
    chmodSync(path, statSync(path).mode | 0o200);
    writeText(path, text, encoding, append);
  }
}

function noClobber(path: string): LocalCommandError {
  return new LocalCommandError(`The file '${path}' already exists.`, { errorId: 'NoClobber', category: 'ResourceExists', reason: 'IOException', targetName: path, targetType: 'String' });
}

/** The text Out-File writes: the objects formatted as Out-Default shows them. */
function formattedText(sh: ShellInvocationContext, objects: unknown[], width: number | undefined): string {
  const env = sh.runtime.formatEnvironment(width !== undefined ? width - 1 : sh.runtime.host.width);
  return renderOutDefault(objects, env);
}

export const outFile = builtin('Utility', {
  name: 'Out-File',
  synopsis: 'Sends output to a file.',
  description:
    'Writes the objects to a file as they would appear in the console. Relative paths start at the current directory. The default encoding is UTF-8 without a byte-order mark; -Encoding Unicode writes UTF-16 as Windows PowerShell 5.1 does by default.',
  defaultParameterSet: 'ByPath',
  parameters: [
    stringParam('FilePath', { position: 0, mandatory: true, aliases: ['Path'], sets: ['ByPath'] }),
    stringParam('LiteralPath', { mandatory: true, aliases: ['PSPath'], sets: ['ByLiteralPath'] }),
    encodingParam(1),
    switchParam('Append'),
    switchParam('Force'),
    switchParam('NoClobber'),
    switchParam('NoNewline'),
    intParam('Width'),
    objectParam('InputObject', { valueFromPipeline: false }),
  ],
  examples: [{ code: 'Get-Queue | Out-File .\\queues.txt', remarks: 'Writes the queue table to queues.txt in the current directory.' }],
  invoke(args, ctx) {
    const sh = shellContext(ctx);
    const path = resolvePath(arg<string>(args, 'FilePath') ?? arg<string>(args, 'LiteralPath') ?? '');
    const append = flag(args, 'Append');
    if (flag(args, 'NoClobber') && !append && existsSync(path)) throw noClobber(path);
    const items = args.has('InputObject') ? enumerate(args.get('InputObject')) : ctx.input;
    const text = flag(args, 'NoNewline') ? items.map((o) => toStr(o)).join('') : formattedText(sh, items, arg<number>(args, 'Width'));
    write(path, text, arg<EncodingName>(args, 'Encoding'), append, flag(args, 'Force'));
    return [];
  },
});

function contentCommand(name: 'Set-Content' | 'Add-Content', append: boolean) {
  return builtin('Management', {
    name,
    aliases: append ? ['ac'] : ['sc'],
    synopsis: append ? 'Adds content to the specified items, such as adding words to a file.' : 'Writes new content or replaces existing content in a file.',
    description: `Writes each value as a line of text${append ? ' at the end of the file' : ', replacing what the file held'}. Relative paths start at the current directory; the default encoding is UTF-8 without a byte-order mark.`,
    parameters: [
      stringArrayParam('Path', { position: 0, mandatory: true }),
      objectParam('Value', { position: 1, typeName: 'Object[]', valueFromPipeline: true }),
      encodingParam(),
      switchParam('NoNewline'),
      switchParam('Force'),
      switchParam('PassThru'),
    ],
    examples: [{ code: `${name} -Path .\\report.txt -Value "Checked $(Get-Date)"`, remarks: append ? 'Adds a line to report.txt.' : 'Replaces report.txt with one line.' }],
    invoke(args) {
      const paths = (arg<string[]>(args, 'Path') ?? []).map(resolvePath);
      const values = args.has('Value') ? toArray(args.get('Value')) : [];
      const noNewline = flag(args, 'NoNewline');
      const text = noNewline ? values.map((v) => toStr(v)).join('') : values.map((v) => toStr(v) + '\n').join('');
      for (const path of paths) {
        write(path, text, arg<EncodingName>(args, 'Encoding'), append, flag(args, 'Force'));
      }
      return flag(args, 'PassThru') ? values : [];
    },
  });
}

export const setContent = contentCommand('Set-Content', false);
export const addContent = contentCommand('Add-Content', true);

/** The paths a -Path names: itself, or the files its wildcard (in the last part) matches. */
function expandPath(path: string): string[] {
  const full = resolvePath(path);
  const name = basename(full);
  if (!hasWildcard(name)) return [full];
  let entries: string[];
  try {
    entries = readdirSync(dirname(full));
  } catch {
    return [];
  }
  return entries
    .filter((e) => matchWildcard(e, name))
    .sort()
    .map((e) => join(dirname(full), e));
}

export const getContent = builtin('Management', {
  name: 'Get-Content',
  aliases: ['gc', 'cat', 'type'],
  synopsis: 'Gets the content of the item at the specified location.',
  description: 'Reads a text file and writes one string per line (or one string with -Raw). The encoding is found from the byte-order mark; files without one are read as UTF-8.',
  parameters: [
    stringArrayParam('Path', { position: 0, mandatory: true, valueFromPipelineByPropertyName: true, aliases: ['FullName'] }),
    intParam('TotalCount', { aliases: ['First', 'Head'] }),
    intParam('Tail', { aliases: ['Last'] }),
    switchParam('Raw'),
    encodingParam(),
  ],
  examples: [{ code: 'Get-Content .\\servers.txt | ForEach-Object { Get-Queue -Server $_ }', remarks: 'Reads server names from a file, one per line.' }],
  invoke(args, ctx) {
    const out: unknown[] = [];
    for (const p of arg<string[]>(args, 'Path') ?? []) {
      const paths = expandPath(p);
      if (paths.length === 0 || (paths.length === 1 && !existsSync(paths[0]))) {
        const shown = paths[0] ?? resolvePath(p);
        ctx.writeError(new LocalCommandError(`Cannot find path '${shown}' because it does not exist.`, { errorId: 'PathNotFound', category: 'ObjectNotFound', reason: 'ItemNotFoundException', targetName: shown, targetType: 'String' }));
        continue;
      }
      for (const path of paths) {
        try {
          if (flag(args, 'Raw')) {
            out.push(readText(path, arg<EncodingName>(args, 'Encoding')));
            continue;
          }
          let lines = readTextLines(path, arg<EncodingName>(args, 'Encoding'));
          const total = arg<number>(args, 'TotalCount');
          const tail = arg<number>(args, 'Tail');
          if (total !== undefined && total >= 0) lines = lines.slice(0, total);
          if (tail !== undefined && tail >= 0) lines = tail === 0 ? [] : lines.slice(-tail);
          out.push(...lines);
        } catch (e) {
          ctx.writeError(e instanceof LocalCommandError ? e : fileError(e, path, true));
        }
      }
    }
    return out;
  },
});

export const testPath = builtin('Management', {
  name: 'Test-Path',
  synopsis: 'Determines whether all elements of a path exist.',
  description: 'True when the path exists (with -PathType Leaf: a file; Container: a directory). A wildcard in the last part is true when something matches. -IsValid checks only the syntax.',
  parameters: [
    stringArrayParam('Path', { position: 0, mandatory: true, valueFromPipeline: true }),
    { name: 'PathType', aliases: ['Type'], typeName: 'TestPathType', convert: (v: unknown) => convertEnum(v, ['Any', 'Container', 'Leaf'], 'Microsoft.PowerShell.Commands.TestPathType') },
    switchParam('IsValid'),
  ],
  examples: [{ code: 'if (-not (Test-Path .\\reports -PathType Container)) { "no reports folder" }', remarks: 'Checks that a folder exists.' }],
  invoke(args) {
    const type = arg<string>(args, 'PathType') ?? 'Any';
    return (arg<string[]>(args, 'Path') ?? []).map((p) => {
      if (isNull(p) || p === '') return false;
      if (flag(args, 'IsValid')) return !p.includes('\0');
      return expandPath(p).some((path) => {
        try {
          const st = statSync(path);
          return type === 'Any' || (type === 'Leaf' ? st.isFile() : st.isDirectory());
        } catch {
          return false;
        }
      });
    });
  },
});

export const teeObject = builtin('Utility', {
  name: 'Tee-Object',
  aliases: ['tee'],
  synopsis: 'Saves command output in a file or variable and also sends it down the pipeline.',
  defaultParameterSet: 'File',
  parameters: [
    stringParam('FilePath', { position: 0, mandatory: true, aliases: ['Path'], sets: ['File'] }),
    stringParam('Variable', { mandatory: true, sets: ['Variable'] }),
    switchParam('Append', { sets: ['File'] }),
    objectParam('InputObject'),
  ],
  examples: [{ code: 'Get-Queue | Tee-Object -FilePath .\\queues.txt | Where-Object MessageCount -gt 0', remarks: 'Saves every queue to a file and passes them on.' }],
  invoke(args, ctx) {
    const sh = shellContext(ctx);
    const items = args.has('InputObject') ? enumerate(args.get('InputObject')) : ctx.input;
    const variable = arg<string>(args, 'Variable');
    if (variable !== undefined) sh.runtime.variables.set(variable, items.length === 1 ? items[0] : items.slice());
    else {
      const path = resolvePath(arg<string>(args, 'FilePath') as string);
      write(path, formattedText(sh, items, undefined), undefined, flag(args, 'Append'), false);
    }
    return items;
  },
});

/** Start-Sleep: waits the given time. */
export const startSleep = builtin('Utility', {
  name: 'Start-Sleep',
  aliases: ['sleep'],
  synopsis: 'Suspends the activity in a script or session for the specified period of time.',
  defaultParameterSet: 'Seconds',
  parameters: [
    { name: 'Seconds', aliases: ['s'], position: 0, mandatory: true, sets: ['Seconds'], typeName: 'Double', convert: sleepAmount },
    { name: 'Milliseconds', aliases: ['m'], mandatory: true, sets: ['Milliseconds'], typeName: 'Int32', convert: sleepAmount },
  ],
  examples: [{ code: 'Start-Sleep -Seconds 5', remarks: 'Waits five seconds.' }],
  async invoke(args) {
    const ms = args.has('Seconds') ? (args.get('Seconds') as number) * 1000 : (args.get('Milliseconds') as number);
    await new Promise((r) => setTimeout(r, ms));
    return [];
  },
});

function sleepAmount(v: unknown): number {
  const one = Array.isArray(v) && v.length === 1 ? v[0] : v;
  const n = typeof one === 'number' ? one : Number(toStr(one).trim());
  if (!Number.isFinite(n)) throw new ConversionError(`Cannot convert value "${toStr(one)}" to type "System.Int32". Error: "Input string was not in a correct format."`);
  if (n < 0) throw new ConversionError(`The ${toStr(one)} argument is less than the minimum allowed range of 0. Supply an argument that is greater than or equal to 0 and then try the command again.`);
  return n;
}

export const joinPath = builtin('Management', {
  name: 'Join-Path',
  synopsis: 'Combines a path and a child path into a single path.',
  parameters: [stringArrayParam('Path', { position: 0, mandatory: true, valueFromPipeline: true, aliases: ['PSPath'] }), stringParam('ChildPath', { position: 1, mandatory: true })],
  examples: [{ code: 'Export-Csv -Path (Join-Path $PSScriptRoot "queues.csv") -NoTypeInformation', remarks: 'A file next to the script.' }],
  invoke(args) {
    const child = (arg<string>(args, 'ChildPath') ?? '').replace(/^[\\/]+/, '');
    return (arg<string[]>(args, 'Path') ?? []).map((p) => {
      const sep = p.includes('\\') && !p.includes('/') ? '\\' : '/';
      return p.replace(/[\\/]+$/, '') + sep + child;
    });
  },
});

export const splitPath = builtin('Management', {
  name: 'Split-Path',
  synopsis: 'Returns the specified part of a path.',
  defaultParameterSet: 'ParentSet',
  parameters: [stringArrayParam('Path', { position: 0, mandatory: true, valueFromPipeline: true }), switchParam('Parent', { sets: ['ParentSet'] }), switchParam('Leaf', { sets: ['LeafSet'] })],
  examples: [{ code: 'Split-Path .\\reports\\queues.csv -Leaf', remarks: 'queues.csv' }],
  invoke(args) {
    return (arg<string[]>(args, 'Path') ?? []).map((p) => {
      const trimmed = p.replace(/[\\/]+$/, '');
      const i = Math.max(trimmed.lastIndexOf('/'), trimmed.lastIndexOf('\\'));
      if (flag(args, 'Leaf')) return i < 0 ? trimmed : trimmed.slice(i + 1);
      return i < 0 ? '' : i === 0 ? trimmed[0] : trimmed.slice(0, i);
    });
  },
});

/** A file or folder as New-Item and Get-Item write it. */
export function fileSystemItem(path: string): PSObject {
  const st = statSync(path);
  const dir = st.isDirectory();
  const mode = dir ? 'd-----' : (st.mode & 0o200) === 0 ? '-ar---' : '-a----';
  const props: [string, unknown][] = [
    ['Mode', mode],
    ['LastWriteTime', st.mtime],
    ['Length', dir ? null : st.size],
    ['Name', basename(path)],
    ['FullName', path],
  ];
  if (dir) props.push(['Parent', basename(dirname(path))]);
  else props.push(['DirectoryName', dirname(path)], ['Extension', /\.[^./]*$/.exec(basename(path))?.[0] ?? '']);
  return new PSObject([dir ? 'System.IO.DirectoryInfo' : 'System.IO.FileInfo'], props);
}

export const fileSystemItemViews = ['System.IO.DirectoryInfo', 'System.IO.FileInfo'].map((typeName) => ({
  typeName,
  display: 'table' as const,
  table: [
    { property: 'Mode', width: 15, align: 'left' as const },
    { property: 'LastWriteTime', width: 20, align: 'right' as const },
    { property: 'Length', width: 14, align: 'right' as const },
    { property: 'Name', align: 'left' as const },
  ],
}));

export const newItem = builtin('Management', {
  name: 'New-Item',
  aliases: ['ni'],
  synopsis: 'Creates a new item.',
  description: 'Creates a file (with -Value as its content) or a directory (-ItemType Directory, with any missing parents). An existing item is an error unless -Force: a directory is then kept, a file replaced.',
  parameters: [
    stringArrayParam('Path', { position: 0, mandatory: true }),
    stringParam('Name'),
    { name: 'ItemType', aliases: ['Type'], typeName: 'String', convert: (v: unknown) => convertEnum(v, ['File', 'Directory'], 'System.String') },
    objectParam('Value', { valueFromPipeline: true }),
    switchParam('Force'),
  ],
  supportsShouldProcess: true,
  examples: [{ code: 'New-Item -ItemType Directory -Path .\\reports -Force | Out-Null', remarks: 'Makes sure the reports folder exists.' }],
  async invoke(args, ctx) {
    const out: unknown[] = [];
    const type = arg<string>(args, 'ItemType') ?? 'File';
    const force = flag(args, 'Force');
    for (const p of arg<string[]>(args, 'Path') ?? []) {
      const name = arg<string>(args, 'Name');
      const path = resolvePath(name ? join(p, name) : p);
      if (!(await ctx.shouldProcess(`Destination: ${path}`, `Performing the operation "${type === 'Directory' ? 'Create Directory' : 'Create File'}" on target`))) continue;
      const exists = existsSync(path);
      if (exists && (!force || (type === 'File' && statSync(path).isDirectory()))) {
        ctx.writeError(new LocalCommandError(`An item with the specified name ${path} already exists.`, { errorId: 'DirectoryExist', category: 'ResourceExists', reason: 'IOException', targetName: path, targetType: 'String' }));
        continue;
      }
      try {
        if (type === 'Directory') mkdirSync(path, { recursive: true });
        else {
          if (force) mkdirSync(dirname(path), { recursive: true });
          writeText(path, args.has('Value') ? toStr(args.get('Value')) : '', undefined, false);
        }
      } catch (e) {
        ctx.writeError(e instanceof LocalCommandError ? e : fileError(e, path, false));
        continue;
      }
      out.push(fileSystemItem(path));
    }
    return out;
  },
});

export const removeItem = builtin('Management', {
  name: 'Remove-Item',
  aliases: ['rm', 'del', 'ri', 'erase', 'rd', 'rmdir'],
  synopsis: 'Deletes files and folders.',
  description: 'Deletes the files and folders the paths name (wildcards in the last part). A folder with content needs -Recurse; -Force also removes read-only files.',
  parameters: [stringArrayParam('Path', { position: 0, mandatory: true, valueFromPipelineByPropertyName: true, aliases: ['FullName'] }), switchParam('Recurse'), switchParam('Force')],
  supportsShouldProcess: true,
  examples: [{ code: 'Remove-Item .\\reports\\*.csv', remarks: 'Deletes the CSV files of the reports folder.' }],
  async invoke(args, ctx) {
    for (const p of arg<string[]>(args, 'Path') ?? []) {
      const paths = expandPath(p).filter((x) => existsSync(x));
      if (paths.length === 0) {
        if (!hasWildcard(p)) {
          const shown = resolvePath(p);
          ctx.writeError(new LocalCommandError(`Cannot find path '${shown}' because it does not exist.`, { errorId: 'PathNotFound', category: 'ObjectNotFound', reason: 'ItemNotFoundException', targetName: shown, targetType: 'String' }));
        }
        continue;
      }
      for (const path of paths) {
        const st = statSync(path);
        if (st.isDirectory() && !flag(args, 'Recurse') && readdirSync(path).length > 0) {
          ctx.writeError(
            new LocalCommandError(`The item at ${path} has children and the Recurse parameter was not specified.`, { errorId: 'DirectoryNotEmpty', category: 'WriteError', reason: 'IOException', targetName: path, targetType: 'String' }),
          );
          continue;
        }
        if (!st.isDirectory() && (st.mode & 0o200) === 0 && !flag(args, 'Force')) {
          ctx.writeError(
            new LocalCommandError(`Cannot remove item ${path}: You do not have sufficient access rights to perform this operation.`, {
              errorId: 'RemoveFileSystemItemUnAuthorizedAccess',
              category: 'PermissionDenied',
              reason: 'UnauthorizedAccessException',
              targetName: path,
              targetType: 'String',
            }),
          );
          continue;
        }
        if (!(await ctx.shouldProcess(`Item: ${path}`, `Performing the operation "${st.isDirectory() ? 'Remove Directory' : 'Remove File'}" on target`))) continue;
        try {
          rmSync(path, { recursive: st.isDirectory(), force: flag(args, 'Force') });
        } catch (e) {
          ctx.writeError(fileError(e, path, false));
        }
      }
    }
    return [];
  },
});
