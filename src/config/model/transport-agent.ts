// The transport agents of an Edge server (Get-TransportAgent; spec
// exchange-edge-agents.md §1.1): Exchange's ten built-in agents, with their
// names and default priorities, each enabled by default. A stored object
// records an admin's change (Enable-/Disable-TransportAgent, Set-TransportAgent
// -Priority); an agent without one has its defaults.

import { prop, type ObjectSchema } from '../schema.js';
import { parseBool, parseString } from './common.js';

export const transportAgentSchema: ObjectSchema = {
  typeName: 'TransportAgent', noun: 'TransportAgent', label: 'transport agent', scope: 'organization',
  properties: [
    prop({ name: 'Name', typeName: 'String', description: 'The agent.', parse: parseString, settable: 'never', runtime: true }),
    prop({ name: 'Enabled', typeName: 'Boolean', description: 'Whether the agent runs.', parse: parseBool, default: true, settable: 'never', runtime: true }),
    prop({ name: 'Priority', typeName: 'Int32', description: 'Order among the agents of one SMTP event (1 first).', parse: (v) => Number(v), settable: 'never', runtime: true }),
  ],
};

/** The agents in their default order, the SMTP events each acts on, and what Gatehouse does of each. */
export const EDGE_AGENTS: ReadonlyArray<{ name: string; events: string[] }> = [
  { name: 'Connection Filtering Agent', events: ['OnConnectEvent', 'OnMailCommand', 'OnRcptCommand', 'OnEndOfHeaders'] },
  { name: 'Address Rewriting Inbound Agent', events: ['OnRcptCommand', 'OnEndOfHeaders'] },
  { name: 'Edge Rule Agent', events: ['OnEndOfData'] },
  { name: 'Content Filter Agent', events: ['OnEndOfData'] },
  { name: 'Sender Id Agent', events: ['OnEndOfHeaders'] },
  { name: 'Sender Filter Agent', events: ['OnMailCommand', 'OnEndOfHeaders'] },
  { name: 'Recipient Filter Agent', events: ['OnRcptCommand'] },
  { name: 'Protocol Analysis Agent', events: ['OnConnectEvent', 'OnEndOfHeaders', 'OnEndOfData', 'OnReject', 'OnRsetCommand', 'OnDisconnectEvent'] },
  { name: 'Attachment Filtering Agent', events: ['OnEndOfData'] },
  { name: 'Address Rewriting Outbound Agent', events: ['OnSubmittedMessage', 'OnRoutedMessage'] },
];
