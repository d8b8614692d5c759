// Role-based access to the server's cmdlets (spec exchange-management.md, 2):
// each cmdlet is classified by its noun into one of Gatehouse's management
// roles (Exchange 2013's names) and by its verb as reading or changing; a
// read-only cmdlet is also held by the View-Only roles. A caller may run a
// cmdlet when one of the role groups it belongs to (directly, or through a
// security group that is a member) is assigned a role that holds it.
//
// A shell on the server's own disk runs with full rights: whoever can open the
// server folder is its operating-system owner. The check is for callers that
// come over the network with an account (the management endpoint).

import { adGroupSchema, adUserSchema, localGroupSchema, localUserSchema } from '../config/model/account.js';
import { ORGANIZATION_MANAGEMENT, roleGroupSchema, type ManagementRole } from '../config/model/role-group.js';
import type { ModelObject } from '../store/repository.js';
import { members } from './account-support.js';
import type { ServerContext } from './server-context.js';

/** Who runs a cmdlet: the local shell's owner, or an account that logged on (its GUID). */
export type Caller = { kind: 'local'; user: string } | { kind: 'account'; accountGuid: string; displayName: string };

/** Verbs that change nothing. */
const READ_ONLY_VERBS = new Set(['get', 'search', 'test', 'trace']);

/** The management role of each noun Gatehouse's cmdlets manage. */
const NOUN_ROLES: Record<string, ManagementRole> = {
  // recipients and the accounts behind them
  mailbox: 'Mail Recipients',
  mailboxstatistics: 'Mail Recipients',
  recipient: 'Mail Recipients',
  aduser: 'Mail Recipients',
  adaccount: 'Mail Recipients',
  adaccountpassword: 'Mail Recipients',
  localuser: 'Mail Recipients',
  distributiongroup: 'Distribution Groups',
  distributiongroupmember: 'Distribution Groups',
  adgroup: 'Security Group Creation and Membership',
  adgroupmember: 'Security Group Creation and Membership',
  localgroup: 'Security Group Creation and Membership',
  localgroupmember: 'Security Group Creation and Membership',
  messagetrackinglog: 'Message Tracking',
  // servers
  exchangeserver: 'Exchange Servers',
  transportservice: 'Exchange Servers',
  transportserver: 'Exchange Servers',
  servercomponentstate: 'Exchange Servers',
  powershellvirtualdirectory: 'Exchange Virtual Directories',
  sendconnector: 'Exchange Connectors',
  receiveconnector: 'Receive Connectors',
  exchangecertificate: 'Exchange Server Certificates',
  queue: 'Transport Queues',
  queuedigest: 'Transport Queues',
  message: 'Transport Queues',
  tlsreport: 'Transport Queues',
  mailboxdatabase: 'Databases',
  mailflow: 'Monitoring',
  // the Edge's anti-spam agents
  transportagent: 'Transport Agents',
  agentlog: 'Transport Hygiene',
  senderfilterconfig: 'Transport Hygiene',
  senderidconfig: 'Transport Hygiene',
  dmarcconfig: 'Transport Hygiene',
  contentfilterconfig: 'Transport Hygiene',
  contentfilterphrase: 'Transport Hygiene',
  attachmentfilterentry: 'Transport Hygiene',
  attachmentfilterlistconfig: 'Transport Hygiene',
  addressrewriteentry: 'Transport Hygiene',
  dkimsigningconfig: 'Transport Hygiene',
  recipientfilterconfig: 'Transport Hygiene',
  senderreputationconfig: 'Transport Hygiene',
  ipblocklistconfig: 'Transport Hygiene',
  ipallowlistconfig: 'Transport Hygiene',
  ipblocklistprovidersconfig: 'Transport Hygiene',
  ipblocklistentry: 'Transport Hygiene',
  ipallowlistentry: 'Transport Hygiene',
  ipblocklistprovider: 'Transport Hygiene',
  ipallowlistprovider: 'Transport Hygiene',
  // the organization
  accepteddomain: 'Remote and Accepted Domains',
  remotedomain: 'Remote and Accepted Domains',
  transportconfig: 'Organization Transport Settings',
  addefaultdomainpasswordpolicy: 'Organization Configuration',
  adminauditlog: 'Audit Logs',
  adminauditlogconfig: 'Audit Logs',
  rolegroup: 'Role Management',
  rolegroupmember: 'Role Management',
};

/**
 * Commands without a Verb-Noun name. `net` manages an Edge's local accounts and their lockout
 * policy; AssembleMessage writes what Export-Message returned to a file.
 */
const SPECIAL: Record<string, CmdletClass> = {
  net: { readOnly: false, roles: ['Mail Recipients'] },
  assemblemessage: { readOnly: false, roles: ['Transport Queues'] },
};

const RECIPIENT_ROLES: ReadonlySet<ManagementRole> = new Set(['Mail Recipients', 'Distribution Groups', 'Security Group Creation and Membership', 'Message Tracking']);

export interface CmdletClass {
  /** The cmdlet changes nothing (Get-, Search-, Test-, Trace-). */
  readOnly: boolean;
  /** The roles that hold it. */
  roles: ManagementRole[];
}

/** The class of a cmdlet by its name; undefined for a name no rule covers (then only Organization Management may run it). */
export function classifyCmdlet(name: string): CmdletClass | undefined {
  const special = SPECIAL[name.toLowerCase()];
  if (special) return special;
  const dash = name.indexOf('-');
  if (dash <= 0) return undefined;
  const verb = name.slice(0, dash).toLowerCase();
  const role = NOUN_ROLES[name.slice(dash + 1).toLowerCase()];
  if (!role) return undefined;
  const readOnly = READ_ONLY_VERBS.has(verb);
  if (!readOnly) return { readOnly, roles: [role] };
  const viewOnly: ManagementRole = role === 'Audit Logs' ? 'View-Only Audit Logs' : RECIPIENT_ROLES.has(role) ? 'View-Only Recipients' : 'View-Only Configuration';
  return { readOnly, roles: [role, viewOnly] };
}

/** The account and every security group that holds it (directly or through other groups). */
function principalsOf(ctx: ServerContext, accountGuid: string): Set<string> {
  const groupSchema = ctx.role === 'EdgeTransport' ? localGroupSchema : adGroupSchema;
  const groups = ctx.repo.list(groupSchema);
  const found = new Set([accountGuid.toLowerCase()]);
  for (let changed = true, rounds = 0; changed && rounds <= groups.length; rounds++) {
    changed = false;
    for (const g of groups) {
      const id = g.guid.toLowerCase();
      if (!found.has(id) && members(g).some((m) => found.has(m.toLowerCase()))) {
        found.add(id);
        changed = true;
      }
    }
  }
  return found;
}

/** The role groups an account belongs to, directly or through a group. */
export function roleGroupsOf(ctx: ServerContext, accountGuid: string): ModelObject[] {
  const principals = principalsOf(ctx, accountGuid);
  return ctx.repo.list(roleGroupSchema).filter((g) => members(g).some((m) => principals.has(m.toLowerCase())));
}

/** The account schema members of role groups are taken from on this server. */
export function memberSchemas(ctx: ServerContext) {
  return ctx.role === 'EdgeTransport' ? { user: localUserSchema, group: localGroupSchema } : { user: adUserSchema, group: adGroupSchema };
}

/** What a caller holds: every cmdlet (the local shell, Organization Management), or these roles. */
export type CallerRights = 'all' | ReadonlySet<string>;

/** The rights of a caller, read once for a session or a request. */
export function rightsOf(ctx: ServerContext, caller: Caller): CallerRights {
  if (caller.kind === 'local') return 'all';
  const groups = roleGroupsOf(ctx, caller.accountGuid);
  if (groups.some((g) => String(g.values.Name).toLowerCase() === ORGANIZATION_MANAGEMENT.toLowerCase())) return 'all';
  return new Set(groups.flatMap((g) => (Array.isArray(g.values.Roles) ? g.values.Roles.map(String) : [])));
}

/** Whether these rights cover a cmdlet (a cmdlet no rule classifies needs every right). */
export function rightsCover(rights: CallerRights, cmdletName: string): boolean {
  if (rights === 'all') return true;
  const cls = classifyCmdlet(cmdletName);
  return cls !== undefined && cls.roles.some((r) => rights.has(r));
}

/**
 * May this caller run this cmdlet? The local shell always may; an account may when one of its
 * role groups holds a role of the cmdlet (Organization Management holds every cmdlet, including
 * any not classified).
 */
export function mayRun(ctx: ServerContext, caller: Caller, cmdletName: string): boolean {
  return rightsCover(rightsOf(ctx, caller), cmdletName);
}

/** The commands a session of this caller offers: the others are not there at all ("not recognized", as in Exchange). */
export function permittedCommands<T extends { name: string }>(ctx: ServerContext, caller: Caller, commands: readonly T[]): T[] {
  const rights = rightsOf(ctx, caller);
  return commands.filter((c) => rightsCover(rights, c.name));
}

/** How a caller is named in logs and errors: an account's display name, or the server acting for someone. */
export function callerName(caller: Caller): string {
  return caller.kind === 'account' ? caller.displayName : caller.user;
}
