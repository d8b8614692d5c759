// Get-TransportAgent, Enable-TransportAgent, Disable-TransportAgent and
// Set-TransportAgent -Priority (spec exchange-edge-agents.md §1.1, §6): the
// Edge's anti-spam agents, on and off and in order. A change is stored and
// the running service applies it live (Exchange needs a restart of the
// transport service for a priority; Gatehouse does not). The agents run on
// Edge Transport servers: a Mailbox server has none.

import { EDGE_AGENTS, transportAgentSchema } from '../config/model/transport-agent.js';
import { agentStates, type AgentState } from '../agents/antispam-settings.js';
import type { CommandSpec, ParameterSpec } from '../shell/command.js';
import { ConversionError } from '../shell/command.js';
import { CmdletError, PSObject, type ObjectView } from '../shell/values.js';
import { newModelObject } from '../store/repository.js';
import type { ServerContext } from './server-context.js';

export const AGENT_TYPE = 'Microsoft.Exchange.Management.AgentTasks.TransportAgent';

/** Refuses the agent cmdlets on a Mailbox server, saying where the agents are. */
export function edgeOnly(ctx: ServerContext, cmdlet: string): void {
  if (ctx.role !== 'EdgeTransport') {
    throw new CmdletError(`${cmdlet}: the anti-spam agents run on Edge Transport servers, and ${ctx.name} is a Mailbox server, which has none. Run it in the Edge's shell.`, {
      category: 'InvalidOperation',
      reason: 'InvalidOperationException',
    });
  }
}

function agentName(v: unknown): string {
  const text = v instanceof PSObject ? String(v.get('Identity')) : String(v);
  const found = EDGE_AGENTS.find((a) => a.name.toLowerCase() === text.trim().toLowerCase());
  if (!found) throw new ConversionError(`The transport agent "${text}" doesn't exist. The agents are: ${EDGE_AGENTS.map((a) => a.name).join(', ')}.`);
  return found.name;
}

const identity = (mandatory: boolean): ParameterSpec => ({
  name: 'Identity',
  typeName: 'TransportAgentObjectId',
  position: 0,
  mandatory,
  valueFromPipeline: true,
  valueFromPipelineByPropertyName: true,
  description: 'The agent\'s name, e.g. "Content Filter Agent".',
  convert: agentName,
});

function output(a: AgentState): PSObject {
  return new PSObject(AGENT_TYPE, [
    ['Identity', a.name],
    ['Enabled', a.enabled],
    ['Priority', a.priority],
    ['IsValid', true],
  ]);
}

/** Stores the agents' states: the order and flags given, one object per agent. */
function store(ctx: ServerContext, states: AgentState[]): void {
  ctx.repo.transaction(() => {
    for (const s of states) {
      const stored = ctx.repo.findByName(transportAgentSchema, '', s.name);
      if (stored) {
        stored.values = { ...stored.values, Enabled: s.enabled, Priority: s.priority };
        ctx.repo.update(stored);
      } else {
        ctx.repo.insert(newModelObject(transportAgentSchema, '', { Name: s.name, Enabled: s.enabled, Priority: s.priority }));
      }
    }
  });
}

export function transportAgentCommands(ctx: ServerContext): CommandSpec[] {
  const toggle = (verb: 'Enable' | 'Disable'): CommandSpec => ({
    name: `${verb}-TransportAgent`,
    synopsis: `${verb}s an anti-spam agent of the Edge; the running service follows at once.`,
    parameters: [identity(true)],
    supportsShouldProcess: true,
    confirmImpact: 'Medium',
    examples: [{ code: `${verb}-TransportAgent "Content Filter Agent"`, remarks: `${verb}s the content filter.` }],
    invoke: async (args, inv) => {
      edgeOnly(ctx, `${verb}-TransportAgent`);
      const name = String(args.get('Identity'));
      if (!(await inv.shouldProcess(name, `${verb === 'Enable' ? 'Enabling' : 'Disabling'} transport agent`))) return [];
      store(
        ctx,
        agentStates(ctx.repo).map((a) => (a.name === name ? { ...a, enabled: verb === 'Enable' } : a)),
      );
      return [];
    },
  });
  return [
    {
      name: 'Get-TransportAgent',
      synopsis: "Lists the Edge's transport agents (the anti-spam agents) with whether each is enabled and its priority.",
      parameters: [identity(false)],
      examples: [{ code: 'Get-TransportAgent', remarks: 'The agents in priority order.' }],
      invoke: (args) => {
        edgeOnly(ctx, 'Get-TransportAgent');
        const all = agentStates(ctx.repo);
        return (args.has('Identity') ? all.filter((a) => a.name === args.get('Identity')) : all).map(output);
      },
    },
    toggle('Enable'),
    toggle('Disable'),
    {
      name: 'Set-TransportAgent',
      synopsis: 'Moves an agent to another priority (1 runs first among the agents of an SMTP event); the agents between move by one.',
      parameters: [
        identity(true),
        {
          name: 'Priority',
          typeName: 'Int32',
          mandatory: true,
          description: `1 to ${EDGE_AGENTS.length}.`,
          convert: (v) => {
            const n = Number(v);
            if (!Number.isInteger(n) || n < 1 || n > EDGE_AGENTS.length) throw new ConversionError(`The priority ${String(v)} is not valid: give a whole number from 1 to ${EDGE_AGENTS.length}.`);
            return n;
          },
        },
      ],
      supportsShouldProcess: true,
      confirmImpact: 'Medium',
      examples: [{ code: 'Set-TransportAgent "Content Filter Agent" -Priority 3', remarks: 'The content filter runs before the Edge Rule agent, so that Edge rules see the SCL.' }],
      invoke: async (args, inv) => {
        edgeOnly(ctx, 'Set-TransportAgent');
        const name = String(args.get('Identity'));
        const priority = Number(args.get('Priority'));
        if (!(await inv.shouldProcess(name, `Setting transport agent priority to ${priority}`))) return [];
        const order = agentStates(ctx.repo);
        const moved = order.find((a) => a.name === name)!;
        const rest = order.filter((a) => a !== moved);
        rest.splice(priority - 1, 0, moved);
        store(
          ctx,
          rest.map((a, i) => ({ ...a, priority: i + 1 })),
        );
        return [];
      },
    },
  ];
}

export const transportAgentViews: ObjectView[] = [{ typeName: AGENT_TYPE, display: 'table', table: [{ property: 'Identity' }, { property: 'Enabled' }, { property: 'Priority' }] }];
