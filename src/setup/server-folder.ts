// A server is a data folder. This module knows its layout and opens it:
//
//   DIR/server.db      the server's own store (WAL). On an Edge server it also
//                      holds the whole configuration; on a Mailbox server it
//                      names the organization store (meta org_store).
//   DIR/master.key     the server's master key (0600), beside the database.
//   ORG.db, ORG.key    the organization store shared by Mailbox servers and its
//                      master key (default: organization.db beside DIR).

import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { ServerRoleName } from '../config/model/server.js';
import type { ServerContext } from '../cmdlets/server-context.js';
import { loadMasterKey } from '../secrets/master-key.js';
import { SecretBox } from '../secrets/secret-box.js';
import { Repository } from '../store/repository.js';
import { SqliteConfigStore } from '../store/sqlite-config-store.js';
import { SqliteAccountLogonStore } from '../store/account-logon-store.js';

export const SERVER_DB = 'server.db';
export const MASTER_KEY = 'master.key';

export function serverDbPath(dir: string): string {
  return join(dir, SERVER_DB);
}

export function masterKeyPath(dir: string): string {
  return join(dir, MASTER_KEY);
}

/** Default organization store: organization.db in the folder that holds the server folders. */
export function defaultOrgPath(dir: string): string {
  return join(dirname(resolve(dir)), 'organization.db');
}

/** The master key file of an organization store: ORG.db -> ORG.key. */
export function orgKeyPath(orgPath: string): string {
  return orgPath.replace(/\.db$/i, '') + '.key';
}

export interface OpenServer extends ServerContext {
  /** The server's own store (server.db). */
  local: SqliteConfigStore;
  /** The configuration store (the local one on Edge, the organization one on Mailbox). */
  config: SqliteConfigStore;
  close(): void;
}

/** Opens an existing server folder; a missing or unfinished folder gives one clear message. */
export function openServer(dir: string): OpenServer {
  const dbPath = serverDbPath(dir);
  if (!existsSync(dbPath)) {
    throw new Error(`${resolve(dir)} is not a Gatehouse server folder (no ${SERVER_DB}). Create one with: gatehouse setup --role EdgeTransport|Mailbox --name NAME --fqdn FQDN --data ${dir}`);
  }
  const local = new SqliteConfigStore(dbPath);
  const role = local.getMeta('role') as ServerRoleName | undefined;
  const name = local.getMeta('name');
  const fqdn = local.getMeta('fqdn');
  if (!role || !name || !fqdn || local.getMeta('setup_complete') !== 'true') {
    local.close();
    throw new Error(`setup of ${resolve(dir)} did not finish; remove the folder and run gatehouse setup again`);
  }
  let config = local;
  let keyPath = masterKeyPath(dir);
  if (role === 'Mailbox') {
    const orgPath = local.getMeta('org_store')!;
    if (!existsSync(orgPath)) {
      local.close();
      throw new Error(`the organization store ${orgPath} of server ${name} is missing`);
    }
    config = new SqliteConfigStore(orgPath);
    keyPath = orgKeyPath(orgPath);
  }
  const box = new SecretBox(loadMasterKey(keyPath));
  const directory = {
    dnsDomain: config.getMeta('directory_domain') ?? '',
    netbiosName: config.getMeta('directory_netbios') ?? '',
    domainSid: config.getMeta('directory_sid') ?? '',
  };
  return {
    role, name, fqdn, dataDir: resolve(dir), local, config, repo: new Repository(config, box), directory, logons: new SqliteAccountLogonStore(config.db),
    close() {
      if (config !== local) config.close();
      local.close();
    },
  };
}
