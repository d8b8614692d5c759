// Get-Command: the registered commands (and aliases) matching -Name
// wildcards, -Verb and -Noun, shown as PowerShell's CommandType / Name /
// Version / Source table.

import type { CommandSpec } from '../command.js';
import { LocalCommandError } from '../errors.js';
import type { ObjectView } from '../values.js';
import { PSObject } from '../values.js';
import { hasWildcard, matchWildcard } from '../wildcard.js';
import { arg, builtin, stringArrayParam } from './define.js';
import { isBuiltin, shellContext } from './types.js';

export const COMMAND_INFO_TYPE = 'System.Management.Automation.CommandInfo';

export const commandInfoView: ObjectView = {
  typeName: COMMAND_INFO_TYPE,
  display: 'table',
  table: [{ property: 'CommandType', width: 15 }, { property: 'Name', width: 50 }, { property: 'Version', width: 10 }, { property: 'Source' }],
};

function info(type: string, name: string, spec: CommandSpec, source: string): PSObject {
  return new PSObject(
    [COMMAND_INFO_TYPE],
    [
      ['CommandType', type],
      ['Name', name],
      ['Version', isBuiltin(spec) ? spec.version : ''],
      ['Source', isBuiltin(spec) ? spec.module : source],
      ['Definition', spec.name],
    ],
  );
}

export const getCommand = builtin('Core', {
  name: 'Get-Command',
  aliases: ['gcm'],
  synopsis: 'Gets all commands.',
  description: 'The Get-Command cmdlet gets the commands of the session: cmdlets and aliases. -Name accepts wildcards.',
  parameters: [stringArrayParam('Name', { position: 0 }), stringArrayParam('Verb'), stringArrayParam('Noun')],
  examples: [{ code: 'Get-Command *-SendConnector', remarks: 'The commands that manage Send connectors.' }],
  invoke(args, ctx) {
    const sh = shellContext(ctx);
    const source = sh.runtime.env.commandSource ?? '';
    const names = arg<string[]>(args, 'Name');
    const verbs = arg<string[]>(args, 'Verb');
    const nouns = arg<string[]>(args, 'Noun');
    const specs = ctx.commands();
    const rows: PSObject[] = [];
    const matchesVerbNoun = (spec: CommandSpec): boolean => {
      const [verb, noun = ''] = spec.name.split('-');
      return (!verbs || verbs.some((v) => matchWildcard(verb, v))) && (!nouns || nouns.some((n) => matchWildcard(noun, n)));
    };
    for (const spec of specs) {
      if (!matchesVerbNoun(spec)) continue;
      if (!names || names.some((n) => matchWildcard(spec.name, n))) rows.push(info('Cmdlet', spec.name, spec, source));
      if (names && !verbs && !nouns) {
        for (const alias of spec.aliases ?? []) {
          if (names.some((n) => matchWildcard(alias, n))) rows.push(info('Alias', `${alias} -> ${spec.name}`, spec, source));
        }
      }
    }
    if (!verbs && !nouns) {
      for (const fn of sh.runtime.functions.values()) {
        if (!names || names.some((n) => matchWildcard(fn.ast.name, n))) rows.push(info('Function', fn.ast.name, fn.spec, ''));
      }
    }
    rows.sort((a, b) => String(a.get('Name')).localeCompare(String(b.get('Name')), 'en-US', { sensitivity: 'base' }));
    for (const n of names ?? []) {
      if (hasWildcard(n)) continue;
      const found = rows.some(
        (r) =>
          String(r.get('Name')).toLowerCase() === n.toLowerCase() ||
          String(r.get('Name'))
            .toLowerCase()
            .startsWith(n.toLowerCase() + ' ->'),
      );
      if (!found) {
        ctx.writeError(
          new LocalCommandError(
            `The term '${n}' is not recognized as the name of a cmdlet, function, script file, or operable program. Check the spelling of the name, or if a path was included, verify that the path is correct and try again.`,
            {
              errorId: 'CommandNotFoundException',
              category: 'ObjectNotFound',
              reason: 'CommandNotFoundException',
              targetName: n,
              targetType: 'String',
            },
          ),
        );
      }
    }
    return rows;
  },
});
