// Add-, Get- and Remove-ContentFilterPhrase (spec exchange-edge-agents.md
// §3.5): the content filter's custom words and phrases. A GoodWord in a
// message gives it SCL 0, a BadWord SCL 9; matching ignores case. At most
// 800, as in Exchange.

import { contentFilterPhraseSchema } from '../config/model/antispam.js';
import type { CommandSpec, ParameterSpec } from '../shell/command.js';
import { ConversionError } from '../shell/command.js';
import { CmdletError, PSObject, type ObjectView } from '../shell/values.js';
import { newModelObject, type ModelObject } from '../store/repository.js';
import { notFound } from './errors.js';
import { tableView } from './object-commands.js';
import type { ServerContext } from './server-context.js';
import { edgeOnly } from './transport-agent.js';

export const MAX_PHRASES = 800;

function phraseText(v: unknown): string {
  const t = (v instanceof PSObject ? String(v.get('Phrase')) : String(v)).trim();
  if (t === '' || t.length > 256) throw new ConversionError('A phrase has 1 to 256 characters.');
  return t;
}

function output(o: ModelObject): PSObject {
  return new PSObject('ContentFilterPhrase', [
    ['Phrase', String(o.values.Name)],
    ['Influence', String(o.values.Influence)],
    ['Identity', String(o.values.Name)],
  ]);
}

export function contentFilterPhraseCommands(ctx: ServerContext): CommandSpec[] {
  const phrase = (mandatory: boolean): ParameterSpec => ({
    name: 'Phrase',
    typeName: 'ContentFilterPhraseIdParameter',
    position: 0,
    mandatory,
    valueFromPipeline: true,
    valueFromPipelineByPropertyName: true,
    aliases: ['Identity'],
    description: 'The word or phrase.',
    convert: phraseText,
  });
  const find = (text: string): ModelObject => {
    const found = ctx.repo.findByName(contentFilterPhraseSchema, '', text);
    if (!found) throw notFound(text, ctx.fqdn);
    return found;
  };
  return [
    {
      name: 'Add-ContentFilterPhrase',
      synopsis: "Adds a word or phrase to the content filter's custom list: a GoodWord lets a message through (SCL 0), a BadWord marks it as spam (SCL 9).",
      parameters: [
        phrase(true),
        {
          name: 'Influence',
          typeName: 'Influence',
          mandatory: true,
          description: 'GoodWord or BadWord.',
          convert: (v) => {
            const s = ['GoodWord', 'BadWord'].find((x) => x.toLowerCase() === String(v).toLowerCase());
            if (!s) throw new ConversionError(`Cannot convert value "${String(v)}" to type "Influence". Specify one of: GoodWord, BadWord`);
            return s;
          },
        },
      ],
      supportsShouldProcess: true,
      examples: [{ code: 'Add-ContentFilterPhrase -Phrase "Project Contoso" -Influence GoodWord', remarks: 'Mail that names the project always gets through the content filter.' }],
      invoke: async (args, inv) => {
        edgeOnly(ctx, 'Add-ContentFilterPhrase');
        const text = String(args.get('Phrase'));
        if (ctx.repo.findByName(contentFilterPhraseSchema, '', text)) throw new CmdletError(`The phrase "${text}" is already on the list.`, { category: 'InvalidArgument', reason: 'ADObjectAlreadyExistsException', parameter: 'Phrase' });
        if (ctx.repo.list(contentFilterPhraseSchema).length >= MAX_PHRASES)
          throw new CmdletError(`The list already holds ${MAX_PHRASES} phrases, the most it can. Remove one first (Remove-ContentFilterPhrase).`, { category: 'InvalidOperation', reason: 'InvalidOperationException' });
        if (!(await inv.shouldProcess(text, 'Adding content filter phrase'))) return [];
        const o = newModelObject(contentFilterPhraseSchema, '', { Name: text, Influence: args.get('Influence') });
        ctx.repo.insert(o);
        return [output(o)];
      },
    },
    {
      name: 'Get-ContentFilterPhrase',
      synopsis: "Lists the content filter's custom words and phrases.",
      parameters: [phrase(false)],
      examples: [{ code: 'Get-ContentFilterPhrase | Where-Object Influence -eq BadWord', remarks: 'The phrases that mark mail as spam.' }],
      invoke: (args) => {
        edgeOnly(ctx, 'Get-ContentFilterPhrase');
        if (args.has('Phrase')) return [output(find(String(args.get('Phrase'))))];
        return ctx.repo
          .list(contentFilterPhraseSchema)
          .sort((a, b) => String(a.values.Name).localeCompare(String(b.values.Name)))
          .map(output);
      },
    },
    {
      name: 'Remove-ContentFilterPhrase',
      synopsis: "Removes a word or phrase from the content filter's custom list.",
      parameters: [phrase(true)],
      supportsShouldProcess: true,
      confirmImpact: 'High',
      examples: [{ code: 'Remove-ContentFilterPhrase "Project Contoso" -Confirm:$false', remarks: 'Removes the phrase.' }],
      invoke: async (args, inv) => {
        edgeOnly(ctx, 'Remove-ContentFilterPhrase');
        const o = find(String(args.get('Phrase')));
        if (!(await inv.shouldProcess(String(o.values.Name), 'Removing content filter phrase'))) return [];
        ctx.repo.remove(o);
        return [];
      },
    },
  ];
}

export const contentFilterPhraseViews: ObjectView[] = [tableView('ContentFilterPhrase', ['Phrase', 'Influence'])];
