// Add-, Get- and Remove-AttachmentFilterEntry (spec exchange-edge-agents.md
// §3.7): the attachment filter's entries, a file name (with * and ?
// wildcards, e.g. *.exe) or a MIME content type (type/subtype), named
// Type:Name as their identity (FileName:*.exe, ContentType:application/x-msdownload).

import { attachmentFilterEntrySchema } from '../config/model/antispam.js';
import type { CommandSpec, ParameterSpec } from '../shell/command.js';
import { ConversionError } from '../shell/command.js';
import { CmdletError, PSObject, type ObjectView } from '../shell/values.js';
import { newModelObject, type ModelObject } from '../store/repository.js';
import { notFound } from './errors.js';
import { tableView } from './object-commands.js';
import type { ServerContext } from './server-context.js';
import { edgeOnly } from './transport-agent.js';

function output(o: ModelObject): PSObject {
  return new PSObject('AttachmentFilterEntry', [
    ['Type', String(o.values.Type)],
    ['Name', String(o.values.Pattern)],
    ['Identity', String(o.values.Name)],
  ]);
}

function checkPattern(type: string, pattern: string): string {
  const p = pattern.trim();
  if (p === '' || p.length > 255) throw new ConversionError('An attachment filter entry names 1 to 255 characters.');
  if (type === 'ContentType' && !/^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/i.test(p)) {
    throw new ConversionError(`"${p}" is not a MIME content type: give type/subtype, e.g. application/x-msdownload.`);
  }
  if (type === 'FileName' && /[\\/]/.test(p)) throw new ConversionError(`"${p}" is not a file name: give a name or a pattern such as *.exe, without a folder.`);
  return p;
}

export function attachmentFilterEntryCommands(ctx: ServerContext): CommandSpec[] {
  const find = (id: unknown): ModelObject => {
    const text = id instanceof PSObject ? String(id.get('Identity')) : String(id);
    const found = ctx.repo.findByName(attachmentFilterEntrySchema, '', text);
    if (!found) throw notFound(text, ctx.fqdn);
    return found;
  };
  const identity = (mandatory: boolean): ParameterSpec => ({
    name: 'Identity',
    typeName: 'AttachmentFilterIdParameter',
    position: 0,
    mandatory,
    valueFromPipeline: true,
    valueFromPipelineByPropertyName: true,
    description: 'The entry: Type:Name, e.g. FileName:*.exe.',
  });
  return [
    {
      name: 'Add-AttachmentFilterEntry',
      synopsis: 'Adds a file name (wildcards allowed) or a MIME content type to the attachment filter: messages with such an attachment are refused or dropped (Set-AttachmentFilterListConfig -Action).',
      parameters: [
        { name: 'Name', typeName: 'String', position: 0, mandatory: true, description: 'The file name (*.exe) or content type (application/x-msdownload).', convert: (v) => String(v) },
        {
          name: 'Type',
          typeName: 'AttachmentType',
          mandatory: true,
          description: 'FileName or ContentType.',
          convert: (v) => {
            const t = ['FileName', 'ContentType'].find((x) => x.toLowerCase() === String(v).toLowerCase());
            if (!t) throw new ConversionError(`Cannot convert value "${String(v)}" to type "AttachmentType". Specify one of: FileName, ContentType`);
            return t;
          },
        },
      ],
      supportsShouldProcess: true,
      examples: [{ code: 'Add-AttachmentFilterEntry -Name *.exe -Type FileName', remarks: 'Messages with an .exe attachment are filtered, also inside attached messages.' }],
      invoke: async (args, inv) => {
        edgeOnly(ctx, 'Add-AttachmentFilterEntry');
        const type = String(args.get('Type'));
        let pattern: string;
        try {
          pattern = checkPattern(type, String(args.get('Name')));
        } catch (err) {
          throw new CmdletError((err as Error).message, { category: 'InvalidArgument', reason: 'ArgumentException', parameter: 'Name' });
        }
        const name = `${type}:${pattern}`;
        if (ctx.repo.findByName(attachmentFilterEntrySchema, '', name))
          throw new CmdletError(`The attachment filter entry "${name}" already exists.`, { category: 'InvalidArgument', reason: 'ADObjectAlreadyExistsException', parameter: 'Name' });
        if (!(await inv.shouldProcess(name, 'Adding attachment filter entry'))) return [];
        const o = newModelObject(attachmentFilterEntrySchema, '', { Name: name, Type: type, Pattern: pattern });
        ctx.repo.insert(o);
        return [output(o)];
      },
    },
    {
      name: 'Get-AttachmentFilterEntry',
      synopsis: "Lists the attachment filter's entries.",
      parameters: [identity(false)],
      examples: [{ code: 'Get-AttachmentFilterEntry | Format-List', remarks: 'Every entry, with its type and name.' }],
      invoke: (args) => {
        edgeOnly(ctx, 'Get-AttachmentFilterEntry');
        if (args.has('Identity')) return [output(find(args.get('Identity')))];
        return ctx.repo
          .list(attachmentFilterEntrySchema)
          .sort((a, b) => String(a.values.Name).localeCompare(String(b.values.Name)))
          .map(output);
      },
    },
    {
      name: 'Remove-AttachmentFilterEntry',
      synopsis: 'Removes an entry from the attachment filter.',
      parameters: [identity(true)],
      supportsShouldProcess: true,
      confirmImpact: 'High',
      examples: [{ code: 'Remove-AttachmentFilterEntry FileName:*.exe -Confirm:$false', remarks: 'Stops filtering .exe attachments.' }],
      invoke: async (args, inv) => {
        edgeOnly(ctx, 'Remove-AttachmentFilterEntry');
        const o = find(args.get('Identity'));
        if (!(await inv.shouldProcess(String(o.values.Name), 'Removing attachment filter entry'))) return [];
        ctx.repo.remove(o);
        return [];
      },
    },
  ];
}

export const attachmentFilterEntryViews: ObjectView[] = [tableView('AttachmentFilterEntry', ['Type', 'Name'])];
