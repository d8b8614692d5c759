// What a cmdlet knows about the server the shell is running on: its role,
// names, and the configuration repository it manages (an Edge server's own
// store, or the organization store shared by Mailbox servers).

import type { DefaultContext } from '../config/schema.js';
import type { ServerRoleName } from '../config/model/server.js';
import type { AccountLogonStore } from '../store/account-logon-store.js';
import type { Repository } from '../store/repository.js';

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
}

export function defaultContext(ctx: ServerContext, usage?: string): DefaultContext {
  return { role: ctx.role, usage, serverName: ctx.name, serverFqdn: ctx.fqdn };
}
