// A server is a data folder. This module knows its layout and opens it:
//
//   DIR/server.db      the server's own store (WAL). On an Edge server it also
//                      holds the whole configuration; on a Mailbox server it
//                      names the organization store (meta org_store).
//   DIR/master.key     the server's master key (0600), beside the database.
//   ORG.db, ORG.key    an organization store in SQLite shared by the Mailbox
//                      servers of one host, and its master key (default:
//                      organization.db beside DIR), or
//   postgresql://…     an organization store in PostgreSQL shared by Mailbox
//                      servers on several hosts; its master key is copied into
//                      each server folder as DIR/organization.key.
//
// The shell opens the organization store itself; the transport service
// works from a snapshot of it (openServiceServer), so that no message waits
// for a database on another host.

import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { ServerRoleName } from '../config/model/server.js';
import type { ServerContext } from '../cmdlets/server-context.js';
import type { Logger } from '../observability/logger.js';
import { loadMasterKey } from '../secrets/master-key.js';
import { SecretBox } from '../secrets/secret-box.js';
import { ServerTrust } from '../secrets/server-trust.js';
import { Repository } from '../store/repository.js';
import type { ConfigStore } from '../store/config-store.js';
import { SqliteConfigStore } from '../store/sqlite-config-store.js';
import { SqliteAccountLogonStore, type AccountLogonStore } from '../store/account-logon-store.js';
import { PostgresConfigStore } from '../store/postgres-config-store.js';
import { PostgresAccountLogonStore } from '../store/postgres-account-logon-store.js';
import { SnapshotConfigStore, type OrganizationSnapshot } from '../store/snapshot-config-store.js';
import { CachedAccountLogonStore } from '../store/cached-account-logon-store.js';
import { isPostgresUrl, parseOrganizationUrl } from '../store/postgres/connection-options.js';
import { OrganizationFeed } from '../store/postgres/organization-feed.js';

export const SERVER_DB = 'server.db';
export const MASTER_KEY = 'master.key';
/** The organization's key in a server folder, when the organization is in PostgreSQL. */
export const ORG_KEY = 'organization.key';

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

/** The master key file of an organization store in SQLite: ORG.db -> ORG.key. */
export function orgKeyPath(orgPath: string): string {
  return orgPath.replace(/\.db$/i, '') + '.key';
}

/** Where a server's copy of a PostgreSQL organization's key lives. */
export function serverOrgKeyPath(dir: string): string {
  return join(resolve(dir), ORG_KEY);
}

export type OrganizationEngine = 'sqlite' | 'postgresql';

export interface OpenServer extends ServerContext {
  /** The server's own store (server.db). */
  local: SqliteConfigStore;
  /** The configuration store (the local one on Edge, the organization one on Mailbox, or the service's snapshot of it). */
  config: ConfigStore;
  /** Where the organization lives (an Edge keeps its configuration in server.db: 'sqlite'). */
  engine: OrganizationEngine;
  /** A logon-state store for the transport service, on a connection of its own. */
  serviceLogons(): AccountLogonStore & { close(): void };
  /** Mailbox servers: how the servers of the organization vouch for the callers they act for (from the organization key). */
  trust?: ServerTrust;
  /** The snapshot a PostgreSQL organization's service works from, to hand to the delivery thread. */
  snapshot?: () => OrganizationSnapshot;
  close(): Promise<void> | void;
}

interface LocalFacts {
  local: SqliteConfigStore;
  role: ServerRoleName;
  name: string;
  fqdn: string;
  /** A Mailbox server's organization store (a file path or a PostgreSQL URL). */
  orgStore?: string;
}

function openLocal(dir: string): LocalFacts {
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
  const orgStore = role === 'Mailbox' ? local.getMeta('org_store') : undefined;
  return { local, role, name, fqdn, ...(orgStore && { orgStore }) };
}

/** The organization store a server folder names, without opening it (for a password prompt first). */
export function organizationStoreOf(dir: string): string | undefined {
  const facts = openLocal(dir);
  facts.local.close();
  return facts.orgStore;
}

function directoryOf(config: ConfigStore) {
  return { dnsDomain: config.getMeta('directory_domain') ?? '', netbiosName: config.getMeta('directory_netbios') ?? '', domainSid: config.getMeta('directory_sid') ?? '' };
}

export interface OpenOptions {
  /** The PostgreSQL password a prompt gave (otherwise libpq's places are used). */
  orgPassword?: string;
  /** In the delivery thread: work from this snapshot instead of connecting to PostgreSQL. */
  snapshot?: OrganizationSnapshot;
}

/** Opens an existing server folder for the shell (the organization store itself); a missing or unfinished folder gives one clear message. Its close() is synchronous. */
export function openServer(dir: string, options: OpenOptions = {}): Omit<OpenServer, 'close'> & { close(): void } {
  const { local, role, name, fqdn, orgStore } = openLocal(dir);
  try {
    if (orgStore && isPostgresUrl(orgStore)) {
      const target = parseOrganizationUrl(orgStore);
      const key = loadMasterKey(serverOrgKeyPath(dir));
      const box = new SecretBox(key);
      const trust = ServerTrust.fromOrganizationKey(key);
      if (options.snapshot) {
        const config = new SnapshotConfigStore(target.url, options.snapshot);
        return {
          role,
          name,
          fqdn,
          dataDir: resolve(dir),
          local,
          config,
          engine: 'postgresql',
          repo: new Repository(config, box),
          directory: directoryOf(config),
          trust,
          logons: new CachedAccountLogonStore(new Map(), () => undefined),
          serviceLogons: () => {
            throw new Error('the delivery thread keeps no logon state');
          },
          close: () => local.close(),
        };
      }
      const config = new PostgresConfigStore(target, { ...(options.orgPassword !== undefined && { password: options.orgPassword }) });
      const logons = new PostgresAccountLogonStore(config.client, () => config.inTransaction);
      return {
        role,
        name,
        fqdn,
        dataDir: resolve(dir),
        local,
        config,
        engine: 'postgresql',
        repo: new Repository(config, box),
        directory: directoryOf(config),
        logons,
        trust,
        serviceLogons: () => {
          throw new Error('the transport service opens the organization with openServiceServer');
        },
        close() {
          config.close();
          local.close();
        },
      };
    }
    let config = local;
    let keyPath = masterKeyPath(dir);
    if (orgStore) {
      if (!existsSync(orgStore)) throw new Error(`the organization store ${orgStore} of server ${name} is missing`);
      config = new SqliteConfigStore(orgStore);
      keyPath = orgKeyPath(orgStore);
    }
    const key = loadMasterKey(keyPath);
    const box = new SecretBox(key);
    const sqlite = config;
    return {
      role,
      name,
      fqdn,
      dataDir: resolve(dir),
      local,
      config,
      engine: 'sqlite',
      repo: new Repository(config, box),
      directory: directoryOf(config),
      ...(orgStore && { trust: ServerTrust.fromOrganizationKey(key) }),
      logons: new SqliteAccountLogonStore(config.db),
      serviceLogons: () => SqliteAccountLogonStore.open(sqlite.location),
      close() {
        if (sqlite !== local) sqlite.close();
        local.close();
      },
    };
  } catch (err) {
    local.close();
    throw err;
  }
}

/**
 * Opens a server folder for its transport service. With the organization in
 * PostgreSQL the configuration is a snapshot that the organization feed keeps
 * current (the service's poll of the change counter then sees each new one);
 * otherwise it is the same as openServer.
 */
export async function openServiceServer(dir: string, log: Logger, options: { orgPassword?: string } = {}): Promise<OpenServer> {
  const facts = openLocal(dir);
  const { local, role, name, fqdn, orgStore } = facts;
  if (!orgStore || !isPostgresUrl(orgStore)) {
    local.close();
    return openServer(dir, options);
  }
  try {
    const target = parseOrganizationUrl(orgStore);
    const key = loadMasterKey(serverOrgKeyPath(dir));
    const box = new SecretBox(key);
    let config: SnapshotConfigStore | undefined;
    let logons: CachedAccountLogonStore | undefined;
    const feed = new OrganizationFeed(target, options.orgPassword, log.child({ component: 'organization' }), {
      snapshot: (s) => config?.replace(s),
      logons: (states, complete) => logons?.received(states, complete),
    });
    const first = await feed.start();
    config = new SnapshotConfigStore(target.url, first.snapshot);
    logons = new CachedAccountLogonStore(first.logons, (guid, state) => feed.writeLogon(guid, state));
    const snapshotStore = config;
    const serviceLogons = logons;
    return {
      role,
      name,
      fqdn,
      dataDir: resolve(dir),
      local,
      config,
      engine: 'postgresql',
      repo: new Repository(config, box),
      directory: directoryOf(config),
      logons,
      trust: ServerTrust.fromOrganizationKey(key),
      serviceLogons: () => serviceLogons,
      snapshot: () => snapshotStore.content(),
      async close() {
        await feed.stop();
        local.close();
      },
    };
  } catch (err) {
    local.close();
    throw err;
  }
}
