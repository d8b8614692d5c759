// The transport agents of an Edge server (Get-TransportAgent; spec
// exchange-edge-agents.md §1.1): Exchange's built-in agents that Gatehouse
// runs, with Exchange's names, in Exchange's order, each enabled by default. A stored object
// records an admin's change (Enable-/Disable-TransportAgent, Set-TransportAgent
// -Priority); an agent without one has its defaults.

import { prop, type ObjectSchema } from '../schema.js';
import { parseBool, parseString } from './common.js';

export const transportAgentSchema: ObjectSchema = {
  typeName: 'TransportAgent',
  noun: 'TransportAgent',
  label: 'transport agent',
  scope: 'organization',
  properties: [
    prop({ name: 'Name', typeName: 'String', description: 'The agent.', parse: parseString, settable: 'never', runtime: true }),
    prop({ name: 'Enabled', typeName: 'Boolean', description: 'Whether the agent runs.', parse: parseBool, default: true, settable: 'never', runtime: true }),
    prop({ name: 'Priority', typeName: 'Int32', description: 'Order among the agents of one SMTP event (1 first).', parse: (v) => Number(v), settable: 'never', runtime: true }),
  ],
};

/**
 * The agents in their default (Exchange's relative) order, and the SMTP events each acts on. Only
 * the agents Gatehouse runs are listed: Exchange's Edge also has the Edge Rule agent, which
 * would take its place here (and in Get-TransportAgent) once built. The
 * Address Rewriting Outbound agent acts where Exchange's categorizer would (OnRoutedMessage):
 * at the end of the message, before it is queued.
 */
export const EDGE_AGENTS: ReadonlyArray<{ name: string; events: string[] }> = [
  { name: 'Connection Filtering Agent', events: ['OnConnectEvent', 'OnRcptCommand'] },
  { name: 'Address Rewriting Inbound Agent', events: ['OnRcptCommand'] },
  { name: 'Content Filter Agent', events: ['OnEndOfData'] },
  { name: 'Sender Id Agent', events: ['OnEndOfHeaders'] },
  { name: 'Sender Filter Agent', events: ['OnMailCommand'] },
  { name: 'Recipient Filter Agent', events: ['OnRcptCommand'] },
  { name: 'Protocol Analysis Agent', events: ['OnMailCommand', 'OnRcptCommand', 'OnEndOfData'] },
  { name: 'Attachment Filtering Agent', events: ['OnEndOfData'] },
  { name: 'Address Rewriting Outbound Agent', events: ['OnRoutedMessage'] },
  // A Gatehouse agent (Exchange Online checks DMARC in its anti-phish policy): DKIM, ARC and DMARC.
  { name: 'DMARC Agent', events: ['OnEndOfData'] },
];
