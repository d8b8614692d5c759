// The anti-spam agents' settings as the running Edge uses them: read from
// the store with the configuration (so a change applies live), each settings
// object with Exchange's defaults when none is stored, the agents' enabled
// flags and order, and the connection filter's lists and providers.

import { ANTISPAM_CONFIGS, attachmentFilterEntrySchema, contentFilterPhraseSchema, ipAllowListEntrySchema, ipAllowListProviderSchema, ipBlockListEntrySchema, ipBlockListProviderSchema } from '../config/model/antispam.js';
import { EDGE_AGENTS, transportAgentSchema } from '../config/model/transport-agent.js';
import { resolveDefault, type DefaultContext, type ObjectSchema } from '../config/schema.js';
import { IPAddress, IPRange } from '../config/types/index.js';
import { newModelObject, type ModelObject } from '../store/repository.js';
import type { Repository } from '../store/repository.js';
import type { AttachmentRule } from './attachment-filter.js';
import { addressRewriteEntrySchema } from '../config/model/address-rewrite-entry.js';
import { AddressRewriter } from './address-rewriting.js';

export interface AgentState {
  name: string;
  enabled: boolean;
  priority: number;
}

export interface IPListEntry {
  identity: number;
  range: IPRange;
  /** Milliseconds since the epoch; null: never expires. */
  expires: number | null;
  machine: boolean;
}

export interface BlockListProvider {
  name: string;
  lookupDomain: string;
  anyMatch: boolean;
  bitmask: string | null;
  addresses: string[];
  priority: number;
  rejectionResponse: string | null;
  enabled: boolean;
}

/** A settings object's values: Enabled, ExternalMailEnabled, InternalMailEnabled and the agent's own. */
export type ConfigValues = Record<string, unknown> & { Enabled: boolean; ExternalMailEnabled: boolean; InternalMailEnabled: boolean };

export interface AntispamSettings {
  agents: AgentState[];
  configs: Record<string, ConfigValues>;
  ipBlockList: IPListEntry[];
  ipAllowList: IPListEntry[];
  blockListProviders: BlockListProvider[];
  allowListProviders: BlockListProvider[];
  /** The content filter's custom list, lower-cased. */
  phrases: { text: string; good: boolean }[];
  /** The attachment filter's entries. */
  attachmentRules: AttachmentRule[];
  /** The Address Rewriting agents' entries (New-AddressRewriteEntry), indexed. */
  addressRewriter: AddressRewriter;
}

/** The values of a settings object: stored, else its defaults. */
export function configValues(repo: Repository, schema: ObjectSchema, name: string, defaults: DefaultContext): ConfigValues {
  const stored = repo.findByName(schema, '', name);
  const values: Record<string, unknown> = {};
  for (const def of schema.properties) if (def.name !== 'Name') values[def.name] = stored && def.name in stored.values ? stored.values[def.name] : resolveDefault(def, defaults);
  return values as ConfigValues;
}

/** The agents in effect: Exchange's list with any stored change, ordered by priority. */
export function agentStates(repo: Repository): AgentState[] {
  const stored = new Map(repo.list(transportAgentSchema).map((o) => [String(o.values.Name).toLowerCase(), o.values]));
  return EDGE_AGENTS.map((a, i) => {
    const s = stored.get(a.name.toLowerCase());
    return { name: a.name, enabled: s?.Enabled === undefined ? true : s.Enabled === true, priority: typeof s?.Priority === 'number' ? s.Priority : i + 1 };
  }).sort((a, b) => a.priority - b.priority);
}

function entries(repo: Repository, schema: ObjectSchema): IPListEntry[] {
  return repo.list(schema).map((o) => ({
    identity: Number(o.values.Name),
    range: o.values.IPRange as IPRange,
    expires: o.values.ExpirationTime instanceof Date ? o.values.ExpirationTime.getTime() : null,
    machine: o.values.IsMachineGenerated === true,
  }));
}

function providers(repo: Repository, schema: ObjectSchema): BlockListProvider[] {
  return repo
    .list(schema)
    .map((o) => ({
      name: String(o.values.Name),
      lookupDomain: String(o.values.LookupDomain),
      anyMatch: o.values.AnyMatch === true,
      bitmask: o.values.BitmaskMatch ? String(o.values.BitmaskMatch) : null,
      addresses: Array.isArray(o.values.IPAddressesMatch) ? o.values.IPAddressesMatch.map(String) : [],
      priority: Number(o.values.Priority),
      rejectionResponse: o.values.RejectionResponse ? String(o.values.RejectionResponse) : null,
      enabled: o.values.Enabled !== false,
    }))
    .sort((a, b) => a.priority - b.priority);
}

export function loadAntispamSettings(repo: Repository, defaults: DefaultContext): AntispamSettings {
  return {
    agents: agentStates(repo),
    configs: Object.fromEntries(ANTISPAM_CONFIGS.map((c) => [c.name, configValues(repo, c.schema, c.name, defaults)])),
    ipBlockList: entries(repo, ipBlockListEntrySchema),
    ipAllowList: entries(repo, ipAllowListEntrySchema),
    blockListProviders: providers(repo, ipBlockListProviderSchema),
    allowListProviders: providers(repo, ipAllowListProviderSchema),
    attachmentRules: repo.list(attachmentFilterEntrySchema).map((o) => ({ type: o.values.Type === 'ContentType' ? ('ContentType' as const) : ('FileName' as const), pattern: String(o.values.Pattern) })),
    phrases: repo.list(contentFilterPhraseSchema).map((o) => ({ text: String(o.values.Name).toLowerCase(), good: o.values.Influence === 'GoodWord' })),
    addressRewriter: new AddressRewriter(
      repo.list(addressRewriteEntrySchema).map((o) => ({
        name: String(o.values.Name),
        internalAddress: String(o.values.InternalAddress),
        externalAddress: String(o.values.ExternalAddress),
        exceptionList: Array.isArray(o.values.ExceptionList) ? o.values.ExceptionList.map(String) : [],
        outboundOnly: o.values.OutboundOnly === true,
      })),
    ),
  };
}

/**
 * Adds an entry to the IP Block or IP Allow list under the next number, as Exchange numbers them.
 * Run it inside the repository's transaction, so that two writers never take the same number.
 */
export function insertIPListEntry(repo: Repository, schema: ObjectSchema, e: { range: IPRange; expires: Date | null; comment: string | null; machine: boolean }): ModelObject {
  const next = Math.max(0, ...repo.list(schema).map((o) => Number(o.values.Name))) + 1;
  const added = newModelObject(schema, '', { Name: String(next), IPRange: e.range, ExpirationTime: e.expires, Comment: e.comment, IsMachineGenerated: e.machine });
  repo.insert(added);
  return added;
}

/**
 * Puts a source address on the IP Block list as sender reputation does: an entry with
 * IsMachineGenerated, until the given time. Returns its number, or null when an entry in force
 * already holds the address.
 */
export function blockSender(repo: Repository, ip: string, until: Date, comment: string): number | null {
  const address = IPAddress.parse(ip);
  return repo.transaction(() => {
    const now = Date.now();
    if (repo.list(ipBlockListEntrySchema).some((o) => (o.values.IPRange as IPRange).contains(address) && !(o.values.ExpirationTime instanceof Date && o.values.ExpirationTime.getTime() <= now))) return null;
    const added = insertIPListEntry(repo, ipBlockListEntrySchema, { range: IPRange.parse(ip), expires: until, comment: comment.slice(0, 500), machine: true });
    return Number(added.values.Name);
  });
}
