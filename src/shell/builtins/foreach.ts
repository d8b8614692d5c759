// ForEach-Object: runs a script block for each input object ($_), with
// optional -Begin/-End blocks, or gets a property of each object (% Name).

import { enumerate, isNull } from '../conversion.js';
import { addPendingOutput, isFlowSignal } from '../flow.js';
import { LocalCommandError } from '../errors.js';
import { getMember, hasProperty, invokeMethod } from '../members.js';
import type { ScriptBlock } from '../scriptblock.js';
import { arg, builtin, objectParam, scriptBlockParam, stringParam } from './define.js';
import { shellContext } from './types.js';
import { invokeScriptBlock } from '../evaluator.js';

export const forEachObject = builtin('Core', {
  name: 'ForEach-Object',
  aliases: ['%', 'foreach'],
  synopsis: 'Performs an operation against each item in a collection of input objects.',
  defaultParameterSet: 'ScriptBlockSet',
  parameters: [
    scriptBlockParam('Process', { position: 0, sets: ['ScriptBlockSet'], mandatory: true }),
    scriptBlockParam('Begin', { sets: ['ScriptBlockSet'] }),
    scriptBlockParam('End', { sets: ['ScriptBlockSet'] }),
    stringParam('MemberName', { position: 0, sets: ['PropertyAndMethodSet'], mandatory: true }),
    objectParam('ArgumentList', { sets: ['PropertyAndMethodSet'], aliases: ['Args'] }),
    objectParam('InputObject'),
  ],
  examples: [{ code: 'Get-Queue | ForEach-Object { $_.Identity }', remarks: 'The identity of every queue.' }],
  async invoke(args, ctx) {
    const explicit = args.get('InputObject');
    const items = explicit !== undefined ? [explicit] : ctx.input;
    const out: unknown[] = [];
    const member = arg<string>(args, 'MemberName');
    if (member !== undefined) {
      const margs = args.get('ArgumentList');
      for (const o of items) {
        if (hasProperty(o, member) && margs === undefined) {
          out.push(...enumerate(getMember(o, member)));
          continue;
        }
        try {
          const r = invokeMethod(o, member, margs === undefined ? [] : enumerate(margs));
          if (r !== undefined) out.push(r);
        } catch {
          ctx.writeError(
            new LocalCommandError(`ForEach-Object : Cannot bind parameter 'MemberName' to the target. Property or method "${member}" cannot be found.`.replace('ForEach-Object : ', ''), {
              errorId: 'PropertyOrMethodNotFound',
              category: 'InvalidArgument',
              reason: 'PSArgumentException',
            }),
          );
        }
      }
      return out;
    }
    const begin = arg<ScriptBlock>(args, 'Begin');
    const process = arg<ScriptBlock>(args, 'Process') as ScriptBlock;
    const end = arg<ScriptBlock>(args, 'End');
    try {
      if (begin) out.push(...(await ctx.invokeScriptBlock(begin, null)));
      const list = ctx.hasInput || explicit !== undefined ? items : [null];
      const sh = shellContext(ctx);
      for (const o of list) {
        const current = isNull(o) ? null : o;
        out.push(...(sh.emitOutput ? await invokeScriptBlock(sh.runtime, process, current, true) : await ctx.invokeScriptBlock(process, current)));
        // at the end of a pipeline that writes to the console, each result shows as it comes
        if (sh.emitOutput && out.length) sh.emitOutput(out.splice(0));
      }
      if (end) out.push(...(await ctx.invokeScriptBlock(end, null)));
    } catch (e) {
      // `break`/`continue` leave the pipeline: what was written so far still counts
      if (isFlowSignal(e)) addPendingOutput(e, out);
      throw e;
    }
    return out;
  },
});
