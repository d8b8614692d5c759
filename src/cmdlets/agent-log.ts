// Get-AgentLog (spec exchange-edge-agents.md §5): the agent log's entries,
// read from the AGENTLOG*.LOG files of this server, optionally between two
// times; one object per line, with the log's fields as properties.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AGENT_LOG_FIELDS } from '../agents/agent-log.js';
import { loadTransportConfig } from '../config/transport-config.js';
import { parseCsv } from '../shell/builtins/csv.js';
import type { CommandSpec } from '../shell/command.js';
import { ConversionError } from '../shell/command.js';
import { PSObject, type ObjectView } from '../shell/values.js';
import type { ServerContext } from './server-context.js';
import { edgeOnly } from './transport-agent.js';
import { resolveDataPath } from '../config/data-path.js';

export const AGENT_LOG_TYPE = 'Microsoft.Exchange.Management.AgentLog.AgentLogEntry';

const date =
  (name: string) =>
  (v: unknown): Date => {
    const d = v instanceof Date ? v : new Date(String(v));
    if (Number.isNaN(d.getTime())) throw new ConversionError(`Cannot convert value "${String(v)}" to type "System.DateTime" for -${name}.`);
    return d;
  };

export function agentLogCommands(ctx: ServerContext): CommandSpec[] {
  return [
    {
      name: 'Get-AgentLog',
      synopsis: 'Reads the agent log: what each anti-spam agent decided about each message and recipient, and why.',
      parameters: [
        { name: 'StartDate', typeName: 'DateTime', description: 'The earliest entry.', convert: date('StartDate') },
        { name: 'EndDate', typeName: 'DateTime', description: 'The latest entry.', convert: date('EndDate') },
      ],
      examples: [{ code: 'Get-AgentLog -StartDate (Get-Date).AddHours(-1) | Where-Object Action -like "Reject*" | Format-Table Timestamp,Agent,Reason,Recipient', remarks: 'The refusals of the last hour.' }],
      invoke: (args) => {
        edgeOnly(ctx, 'Get-AgentLog');
        const configured = loadTransportConfig(ctx.repo, ctx.role, ctx.name, ctx.fqdn).agentLog.folder;
        const folder = resolveDataPath(ctx.dataDir, configured);
        if (!existsSync(folder)) return [];
        const start = args.get('StartDate') as Date | undefined;
        const end = args.get('EndDate') as Date | undefined;
        const out: PSObject[] = [];
        for (const file of readdirSync(folder)
          .filter((f) => /^AGENTLOG\d{8}-\d+\.LOG$/i.test(f))
          .sort()) {
          const lines = readFileSync(join(folder, file), 'utf8')
            .split('\n')
            .filter((l) => l !== '' && !l.startsWith('#'));
          for (const cells of parseCsv(lines.join('\n'), ',')) {
            if (cells.length < AGENT_LOG_FIELDS.length - 1) continue;
            const when = new Date(cells[0]);
            if ((start && when < start) || (end && when > end)) continue;
            out.push(
              new PSObject(
                AGENT_LOG_TYPE,
                AGENT_LOG_FIELDS.map((f, i) => [f, f === 'Timestamp' ? when : f === 'NumRecipients' ? Number(cells[i]) : f === 'P2FromAddresses' ? (cells[i] ? cells[i].split(';') : []) : (cells[i] ?? '')]),
              ),
            );
          }
        }
        return out;
      },
    },
  ];
}

export const agentLogViews: ObjectView[] = [{ typeName: AGENT_LOG_TYPE, display: 'list', list: [...AGENT_LOG_FIELDS] }];
