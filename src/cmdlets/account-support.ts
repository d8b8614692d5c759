// What the local-account and directory cmdlets share: SecureString parameters,
// password hashing, SIDs from the store's counter, and group membership kept
// as a list of member GUIDs on the group object.

import { parseSecureString } from '../config/model/account.js';
import { ValueError } from '../config/types/value-error.js';
import { hashPassword } from '../secrets/password-hash.js';
import { ConversionError, type ParameterSpec } from '../shell/command.js';
import type { ModelObject } from '../store/repository.js';
import type { ServerContext } from './server-context.js';

export function secureStringParameter(name: string, description: string, extra: Partial<ParameterSpec> = {}): ParameterSpec {
  return {
    name,
    typeName: 'SecureString',
    description,
    ...extra,
    convert: (v) => {
      try {
        return parseSecureString(v);
      } catch (err) {
        if (err instanceof ValueError) throw new ConversionError(err.message);
        throw err;
      }
    },
  };
}

export function stringListParameter(name: string, description: string, extra: Partial<ParameterSpec> = {}): ParameterSpec {
  return {
    name,
    typeName: 'String[]',
    description,
    ...extra,
    convert: (v) => (Array.isArray(v) ? v : [v]).map((x) => (x !== null && typeof x === 'object' && 'get' in (x as object) ? String((x as { get(n: string): unknown }).get('Name')) : String(x))),
  };
}

/** Sets the password hash of an account from a SecureString. */
export async function setPassword(values: Record<string, unknown>, secure: unknown): Promise<void> {
  const plain = (secure as { reveal(): string }).reveal();
  values.PasswordHash = await hashPassword(plain);
  values.PasswordLastSet = new Date();
}

/** Next SID of the account domain: <domainSid>-<rid>, RIDs from 1000 up. */
export function nextSid(ctx: ServerContext): string {
  const store = ctx.repo.store;
  const rid = Number(store.getMeta('next_rid') ?? '1000');
  store.setMeta('next_rid', String(rid + 1));
  return `${ctx.directory.domainSid}-${rid}`;
}

export function members(group: ModelObject): string[] {
  const m = group.values.Members;
  return Array.isArray(m) ? m.map(String) : [];
}
