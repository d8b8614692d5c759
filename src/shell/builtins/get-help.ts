// Get-Help from CommandSpec metadata: NAME, SYNOPSIS, SYNTAX per parameter set
// in PowerShell's notation, DESCRIPTION, PARAMETERS (-Full / -Parameter) and
// EXAMPLES (-Examples / -Full), laid out as Windows PowerShell prints help.

import type { CommandSpec, ParameterSpec } from '../command.js';
import { CommandBinder } from '../binder.js';
import { LocalCommandError } from '../errors.js';
import { FormattedText } from '../format/out-default.js';
import { wordWrap } from '../format/wrap.js';
import { PSObject } from '../values.js';
import { hasWildcard, matchWildcard } from '../wildcard.js';
import { arg, builtin, flag, stringParam, switchParam } from './define.js';
import { examplesOf } from './help-examples.js';
import { shellContext } from './types.js';

function typeSuffix(p: ParameterSpec): string {
  return p.switch ? '' : ` <${p.typeName}>`;
}

function syntaxItem(p: ParameterSpec, mandatory: boolean): string {
  const name = `-${p.name}`;
  if (p.switch) return mandatory ? name : `[${name}]`;
  if (p.position !== undefined) return mandatory ? `[${name}]${typeSuffix(p)}` : `[[${name}]${typeSuffix(p)}]`;
  return mandatory ? `${name}${typeSuffix(p)}` : `[${name}${typeSuffix(p)}]`;
}

/** One syntax line per parameter set. */
export function syntaxLines(spec: CommandSpec): string[] {
  const binder = new CommandBinder(spec);
  const sets = binder.allSets;
  const ordered = (set: string): string[] => {
    const inSet = spec.parameters.filter((p) => binder.setsOf(p).includes(set));
    const positional = inSet.filter((p) => p.position !== undefined).sort((a, b) => (a.position as number) - (b.position as number));
    const named = inSet.filter((p) => p.position === undefined);
    const mandatoryNamed = named.filter((p) => binder.isMandatoryIn(p, set));
    const optionalNamed = named.filter((p) => !binder.isMandatoryIn(p, set)).sort((a, b) => a.name.localeCompare(b.name));
    const items = [...positional, ...mandatoryNamed, ...optionalNamed].map((p) => syntaxItem(p, binder.isMandatoryIn(p, set)));
    if (spec.supportsShouldProcess) items.push('[-WhatIf]', '[-Confirm]');
    items.push('[<CommonParameters>]');
    return items;
  };
  const order = spec.defaultParameterSet && sets.includes(spec.defaultParameterSet) ? [spec.defaultParameterSet, ...sets.filter((s) => s !== spec.defaultParameterSet)] : sets;
  return order.map((s) => [spec.name, ...ordered(s)].join(' '));
}

function indent(text: string, n: number, width: number): string[] {
  const pad = ' '.repeat(n);
  return text.split('\n').flatMap((line) => (line === '' ? [''] : wordWrap(line, Math.max(20, width - n)).map((l) => pad + l)));
}

function parameterBlock(spec: CommandSpec, p: ParameterSpec, width: number): string[] {
  const binder = new CommandBinder(spec);
  const mandatory = binder.allSets.some((s) => binder.isMandatoryIn(p, s));
  const pipeline = p.valueFromPipeline && p.valueFromPipelineByPropertyName ? 'True (ByValue, ByPropertyName)' : p.valueFromPipeline ? 'True (ByValue)' : p.valueFromPipelineByPropertyName ? 'True (ByPropertyName)' : 'False';
  const lines = [`    -${p.name}${typeSuffix(p)}`];
  if (p.description) lines.push(...indent(p.description, 8, width));
  lines.push(
    '',
    `        Required?                    ${mandatory ? 'true' : 'false'}`,
    `        Position?                    ${p.position !== undefined ? p.position + 1 : 'named'}`,
    `        Default value                ${p.defaultValue ?? ''}`,
    `        Accept pipeline input?       ${pipeline}`,
    '        Accept wildcard characters?  false',
  );
  if (p.aliases?.length) lines.push(`        Aliases                      ${p.aliases.join(', ')}`);
  lines.push('');
  return lines;
}

function exampleBlock(spec: CommandSpec, width: number): string[] {
  const lines: string[] = [];
  examplesOf(spec).forEach((ex, i) => {
    lines.push(`    -------------------------- Example ${i + 1} --------------------------`, '', `    ${ex.code}`, '');
    if (ex.remarks) lines.push(...indent(ex.remarks, 4, width), '');
  });
  return lines;
}

export function renderHelp(spec: CommandSpec, options: { full?: boolean; examples?: boolean; parameter?: string }, width: number): string {
  if (options.parameter !== undefined) {
    const params = spec.parameters.filter((p) => matchWildcard(p.name, options.parameter as string));
    if (params.length === 0) {
      throw new LocalCommandError(`No parameter matches criteria ${options.parameter}.`, { errorId: 'NoParmsFound', category: 'InvalidArgument', reason: 'PSArgumentException' });
    }
    return (
      '\n' +
      params
        .map(
          (p) =>
            parameterBlock(spec, p, width)
              .map((l) => l.replace(/^ {4}/, ''))
              .join('\n') + '\n',
        )
        .join('\n')
    );
  }
  const lines: string[] = ['', 'NAME', `    ${spec.name}`, '', 'SYNOPSIS', ...indent(spec.synopsis, 4, width), ''];
  if (options.examples) {
    lines.push('', ...exampleBlock(spec, width));
    return lines.join('\n') + '\n';
  }
  lines.push('', 'SYNTAX');
  for (const s of syntaxLines(spec)) lines.push(...indent(s, 4, width), '');
  lines.push('', 'DESCRIPTION', ...indent(spec.description ?? spec.synopsis, 4, width), '');
  if (options.full) {
    lines.push('', 'PARAMETERS');
    for (const p of spec.parameters) lines.push(...parameterBlock(spec, p, width));
    lines.push('    <CommonParameters>', ...indent('This cmdlet supports the common parameters: Verbose, Debug, ErrorAction, ErrorVariable, WarningAction, WarningVariable, OutBuffer, PipelineVariable, and OutVariable.', 8, width), '');
    if (examplesOf(spec).length) lines.push('', 'EXAMPLES', ...exampleBlock(spec, width));
  }
  lines.push(
    '',
    'RELATED LINKS',
    '',
    'REMARKS',
    `    To see the examples, type: "get-help ${spec.name} -examples".`,
    `    For more information, type: "get-help ${spec.name} -detailed".`,
    `    For technical information, type: "get-help ${spec.name} -full".`,
    '',
    '',
  );
  return lines.join('\n');
}

export const getHelp = builtin('Core', {
  name: 'Get-Help',
  aliases: ['help'],
  synopsis: 'Displays information about commands.',
  description: 'The Get-Help cmdlet displays the syntax, description, parameters and examples of a command.',
  parameters: [stringParam('Name', { position: 0 }), switchParam('Full'), switchParam('Detailed'), switchParam('Examples'), stringParam('Parameter')],
  examples: [{ code: 'Get-Help New-SendConnector -Examples', remarks: 'Examples of a command.' }],
  invoke(args, ctx) {
    const sh = shellContext(ctx);
    const width = ctx.host.width;
    const name = arg<string>(args, 'Name');
    if (!name) {
      const text =
        '\nTOPIC\n    Gatehouse Management Shell help\n\nSHORT DESCRIPTION\n    Displays help about the commands of this shell.\n\nLONG DESCRIPTION\n' +
        '    Get-Command lists the commands; Get-Help <command-name> shows the help of a command,\n' +
        '    with -Examples, -Full or -Parameter <name> for more detail.\n\n';
      return [new FormattedText(text)];
    }
    const specs = ctx.commands();
    const exact = sh.runtime.resolveCommand(name);
    const matches = exact && !hasWildcard(name) ? [exact] : specs.filter((s) => matchWildcard(s.name, name));
    if (matches.length === 0) {
      throw new LocalCommandError(
        `Get-Help could not find ${name} in a help file in this session. To download updated help topics type: "Update-Help". To get help online, search for the help topic in the TechNet library at https://go.microsoft.com/fwlink/?LinkID=107116.`,
        {
          errorId: 'HelpNotFound',
          category: 'ResourceUnavailable',
          reason: 'HelpNotFoundException',
          targetName: name,
          targetType: 'String',
        },
      );
    }
    if (matches.length > 1) {
      return matches.map(
        (s) =>
          new PSObject('HelpInfoShort', [
            ['Name', s.name],
            ['Category', 'Cmdlet'],
            ['Synopsis', s.synopsis],
          ]),
      );
    }
    const text = renderHelp(matches[0], { full: flag(args, 'Full'), examples: flag(args, 'Examples'), parameter: arg<string>(args, 'Parameter') }, width);
    return [new FormattedText(text)];
  },
});
