// The organization store a Mailbox server's setup creates or joins: a SQLite
// file shared by the servers of one host (its key beside it), or a database
// in PostgreSQL shared by servers on several hosts. For PostgreSQL the first
// server writes the organization's key (organization.key beside the server
// folder, or where --org-key says) for the admin to copy to each further
// server, the way a cluster secret is; every server keeps its own copy in its
// folder. A key that does not open the organization's sealed secrets is
// refused before anything is written.

import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createMasterKey, loadMasterKey, writeMasterKey } from '../secrets/master-key.js';
import { SecretBox } from '../secrets/secret-box.js';
import type { AccountLogonStore } from '../store/account-logon-store.js';
import { SqliteAccountLogonStore } from '../store/account-logon-store.js';
import type { ConfigStore } from '../store/config-store.js';
import { PostgresAccountLogonStore } from '../store/postgres-account-logon-store.js';
import { PostgresConfigStore } from '../store/postgres-config-store.js';
import { SchemaTooNewError } from '../store/schema-migrations.js';
import { OrganizationStoreUnavailableError } from '../store/postgres/connect.js';
import { PgQueryError } from '../store/postgres/sync-client.js';
import { isPostgresUrl, OrganizationUrlError, parseOrganizationUrl } from '../store/postgres/connection-options.js';
import { SqliteConfigStore } from '../store/sqlite-config-store.js';
import { askOrganizationPassword } from './organization-password.js';
import { defaultOrgPath, orgKeyPath, serverOrgKeyPath } from './server-folder.js';

/** A known text sealed with the organization's key: a server's key must open it. */
export const KEY_CHECK_META = 'key_check';
export const KEY_CHECK_PURPOSE = 'Organization/key-check';
const KEY_CHECK_TEXT = 'gatehouse organization key';

export class OrganizationSetupError extends Error {
  override name = 'OrganizationSetupError';
}

export interface OrganizationStore {
  config: ConfigStore;
  box: SecretBox;
  logons: AccountLogonStore;
  /** What the server folder records as org_store. */
  recorded: string;
  /** True when this setup created the organization. */
  created: boolean;
  lines: string[];
  /** Files that must end up private (a SQLite organization's store and key). */
  privateFiles: string[];
}

/** Does this key open the organization's key check? (An organization without one yet: yes.) */
export function keyOpensOrganization(config: ConfigStore, key: Buffer): boolean {
  const check = config.getMeta(KEY_CHECK_META);
  if (check === undefined) return true;
  try {
    return new SecretBox(key).openText(check, KEY_CHECK_PURPOSE) === KEY_CHECK_TEXT;
  } catch {
    return false;
  }
}

export function sealKeyCheck(key: Buffer): string {
  return new SecretBox(key).seal(KEY_CHECK_TEXT, KEY_CHECK_PURPOSE);
}

export async function openOrganizationForSetup(dir: string, org: string | undefined, orgKey: string | undefined): Promise<OrganizationStore> {
  if (org && isPostgresUrl(org)) {
    try {
      return await openPostgres(dir, org, orgKey);
    } catch (err) {
      if (err instanceof OrganizationUrlError || err instanceof OrganizationStoreUnavailableError || err instanceof SchemaTooNewError || err instanceof PgQueryError) {
        throw new OrganizationSetupError(err.message);
      }
      throw err;
    }
  }
  if (orgKey) throw new OrganizationSetupError('--org-key applies to an organization in PostgreSQL (--org postgresql://…); an organization store file keeps its key beside it (ORG.key)');
  const orgPath = resolve(org ?? defaultOrgPath(dir));
  const created = !existsSync(orgPath);
  if (created) createMasterKey(orgKeyPath(orgPath));
  const config = new SqliteConfigStore(orgPath, { create: true });
  return {
    config,
    box: new SecretBox(loadMasterKey(orgKeyPath(orgPath))),
    logons: new SqliteAccountLogonStore(config.db),
    recorded: orgPath,
    created,
    lines: [created ? `Created the organization store ${orgPath} (key ${orgKeyPath(orgPath)}).` : `Joined the organization store ${orgPath}.`],
    privateFiles: [orgPath, `${orgPath}-wal`, `${orgPath}-shm`, orgKeyPath(orgPath)],
  };
}

async function openPostgres(dir: string, url: string, orgKey: string | undefined): Promise<OrganizationStore> {
  const target = parseOrganizationUrl(url);
  const password = await askOrganizationPassword(url);
  const config = new PostgresConfigStore(target, { create: true, ...(password !== undefined && { password }) });
  try {
    const lines: string[] = [];
    let key: Buffer;
    let created = false;
    if (config.getMeta(KEY_CHECK_META) === undefined) {
      const keyFile = resolve(orgKey ?? join(dirname(resolve(dir)), 'organization.key'));
      if (existsSync(keyFile)) {
        if (!orgKey) throw new OrganizationSetupError(`${keyFile} exists already; to create the organization in ${url} with that key give --org-key ${keyFile}, otherwise move the file away`);
        key = loadMasterKey(keyFile);
      } else {
        key = createMasterKey(keyFile);
      }
      config.transaction(() => {
        if (config.getMeta(KEY_CHECK_META) !== undefined) return; // another server created it meanwhile: checked below
        config.setMeta(KEY_CHECK_META, sealKeyCheck(key));
        created = true;
      });
      if (!created && !keyOpensOrganization(config, key)) {
        throw new OrganizationSetupError(`another server created the organization in ${url} at the same moment, with another key; run setup again with --org-key and that server's organization.key`);
      }
      lines.push(
        created
          ? `Created the organization in ${url}. Its key is ${keyFile} (mode 0600): copy it to each further Mailbox server and give it there with --org-key FILE, and back it up; the organization's stored secrets cannot be read without it.`
          : `Joined the organization in ${url}.`,
      );
    } else {
      if (!orgKey) {
        throw new OrganizationSetupError(`the organization in ${url} exists already: give its key with --org-key FILE (the organization.key that the first server's setup wrote, copied to this host)`);
      }
      key = loadMasterKey(resolve(orgKey));
      if (!keyOpensOrganization(config, key)) {
        throw new OrganizationSetupError(
          `the key ${resolve(orgKey)} does not open the organization's secrets in ${url}: it is not the key the organization was created with. Copy organization.key from the folder of a server of this organization and give it with --org-key`,
        );
      }
      lines.push(`Joined the organization in ${url}.`);
    }
    writeMasterKey(serverOrgKeyPath(dir), key);
    lines.push(`This server's copy of the organization's key: ${serverOrgKeyPath(dir)} (mode 0600).`);
    return {
      config,
      box: new SecretBox(key),
      logons: new PostgresAccountLogonStore(config.client, () => config.inTransaction),
      recorded: target.url,
      created,
      lines,
      privateFiles: [],
    };
  } catch (err) {
    config.close();
    throw err;
  }
}
