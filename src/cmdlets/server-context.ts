// What a cmdlet knows about the server the shell is running on: its role,
// names, and the configuration repository it manages (an Edge server's own
// store, or the organization store shared by Mailbox servers).

import type { DefaultContext } from '../config/schema.js';
import type { ServerRoleName } from '../config/model/server.js';
import { runningService } from '../observability/service-status.js';
import type { InvocationContext } from '../shell/command.js';
import type { AccountLogonStore } from '../store/account-logon-store.js';
import type { ModelObject, Repository } from '../store/repository.js';
import type { Caller } from './rbac.js';

export interface DirectoryInfo {
  /** DNS domain of the directory (contoso.com) and its NetBIOS name (CONTOSO). */
  dnsDomain: string;
  netbiosName: string;
  /** Domain SID prefix for new accounts: S-1-5-21-a-b-c. */
  domainSid: string;
}

export interface ServerContext {
  role: ServerRoleName;
  /** Server name (EDGE01) and FQDN (edge01.contoso.net). */
  name: string;
  fqdn: string;
  dataDir: string;
  /** Configuration objects this server's shell manages. */
  repo: Repository;
  /** Mailbox servers: the organization directory; Edge: the local machine's account domain. */
  directory: DirectoryInfo;
  /** The accounts' logon state (bad-password count, lockout), beside the accounts in the same store. */
  logons: AccountLogonStore;
  /** Whom the cmdlets run for: a local shell's operating-system user, or a remote session's account. */
  caller?: Caller;
  /** The other servers of the organization, reached through their management endpoints (Mailbox servers). */
  peers?: PeerServers;
  /** True when the cmdlets run inside the server's transport service (its management endpoint's sessions). */
  inService?: boolean;
}

/** Whether this server's transport service is running: the process the cmdlets run in, or another one. */
export function serviceRunning(ctx: ServerContext): boolean {
  return ctx.inService === true || runningService(ctx.dataDir) !== undefined;
}

/** Runs a cmdlet on another server of the organization, for the caller of this context, with the caller's rights there. */
export interface PeerServers {
  /** The objects the cmdlet returned (deserialized); its errors and warnings are written to `inv`. */
  run(server: ModelObject, command: string, args: ReadonlyMap<string, unknown>, switches: ReadonlySet<string>, inv: InvocationContext): Promise<unknown[]>;
}

export function defaultContext(ctx: ServerContext, usage?: string): DefaultContext {
  return { role: ctx.role, usage, serverName: ctx.name, serverFqdn: ctx.fqdn };
}
