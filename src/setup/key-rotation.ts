// `gatehouse rotate-key`: gives the configuration store a new master key.
// Every sealed secret (credentials, private keys, the organization's key
// check) is opened with the old key and sealed again with the new one, in one
// transaction; the new key is written to its own file first, so that a crash
// at any point leaves a key that opens the store. The store is the one the
// server's configuration lives in: an Edge's server.db (key master.key), or a
// Mailbox server's organization (ORG.key beside a SQLite file; for PostgreSQL
// each server's copy, DIR/organization.key, which the admin then copies to the
// other servers before restarting their services).

import { existsSync, renameSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createMasterKey, loadMasterKey, writeMasterKey } from '../secrets/master-key.js';
import { SecretBox } from '../secrets/secret-box.js';
import type { StoredObject } from '../store/config-store.js';
import { isPostgresUrl } from '../store/postgres/connection-options.js';
import { KEY_CHECK_META, KEY_CHECK_PURPOSE } from './organization-setup.js';
import { masterKeyPath, openServer, orgKeyPath, serverOrgKeyPath, type OpenOptions } from './server-folder.js';

export class KeyRotationError extends Error {
  override name = 'KeyRotationError';
}

/** Seals every sealed string under value again (purpose: the object's property). */
function reseal(value: unknown, purpose: string, from: SecretBox, to: SecretBox, where: string): { value: unknown; count: number } {
  if (typeof value === 'string' && value.startsWith('v1:')) {
    let plain: Buffer;
    try {
      plain = from.open(value, purpose);
    } catch {
      throw new KeyRotationError(`${where} holds a sealed value that the current key does not open; nothing was changed. Is the key in this server folder the organization's?`);
    }
    return { value: to.seal(plain, purpose), count: 1 };
  }
  if (Array.isArray(value)) {
    let count = 0;
    const out = value.map((v) => {
      const r = reseal(v, purpose, from, to, where);
      count += r.count;
      return r.value;
    });
    return { value: out, count };
  }
  if (value !== null && typeof value === 'object') {
    let count = 0;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const r = reseal(v, purpose, from, to, where);
      count += r.count;
      out[k] = r.value;
    }
    return { value: out, count };
  }
  return { value, count: 0 };
}

function resealObject(o: StoredObject, from: SecretBox, to: SecretBox): { object: StoredObject; count: number } {
  let count = 0;
  const data: Record<string, unknown> = {};
  for (const [prop, v] of Object.entries(o.data)) {
    const r = reseal(v, `${o.type}/${o.guid}/${prop}`, from, to, `${o.type} '${o.name}' (${prop})`);
    data[prop] = r.value;
    count += r.count;
  }
  return { object: { ...o, data }, count };
}

export interface RotationResult {
  lines: string[];
}

export function rotateKey(dir: string, newKeyFile: string, options: OpenOptions = {}): RotationResult {
  const target = resolve(newKeyFile);
  if (existsSync(target)) throw new KeyRotationError(`${target} exists; name a new file for the new key`);
  const server = openServer(dir, options);
  try {
    const orgStore = server.role === 'Mailbox' ? server.local.getMeta('org_store') : undefined;
    const keyPath = !orgStore ? masterKeyPath(dir) : isPostgresUrl(orgStore) ? serverOrgKeyPath(dir) : orgKeyPath(orgStore);
    const from = new SecretBox(loadMasterKey(keyPath));
    const newKey = createMasterKey(target);
    const to = new SecretBox(newKey);
    let sealed = 0;
    let objects = 0;
    server.config.transaction(() => {
      for (const o of server.config.all()) {
        const r = resealObject(o, from, to);
        if (r.count === 0) continue;
        server.config.update({ ...r.object, whenChanged: new Date().toISOString() });
        sealed += r.count;
        objects++;
      }
      const check = server.config.getMeta(KEY_CHECK_META);
      if (check !== undefined) server.config.setMeta(KEY_CHECK_META, to.seal(from.open(check, KEY_CHECK_PURPOSE), KEY_CHECK_PURPOSE));
    });
    // The store now opens with the new key only: put it in place of the old one (atomically).
    const staged = join(dirname(keyPath), `.${Date.now()}.key`);
    writeMasterKey(staged, newKey);
    renameSync(staged, keyPath);
    const lines = [`Sealed ${sealed} secret(s) of ${objects} object(s) in ${server.config.location} again under the new key.`, `The new key is in ${target} and has replaced ${keyPath}.`];
    if (orgStore && isPostgresUrl(orgStore)) {
      lines.push(
        "Copy the new key to every other Mailbox server of the organization as DIR/organization.key (mode 0600), then restart their services and this one; until then they cannot open the organization's secrets (mail that needs a credential waits in the queue).",
      );
    } else {
      lines.push('Restart the transport services that use this store (they hold the old key in memory). Back the new key up, and destroy copies of the old one.');
    }
    return { lines };
  } finally {
    void server.close();
  }
}
