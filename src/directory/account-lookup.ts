// Finding and checking the accounts SMTP authentication uses: an Edge
// server's local users (EDGE01\name or name) and the organization directory's
// users (DOMAIN\sam, sam, user@domain, distinguished name, GUID or SID), and
// whether an account is in the group "Exchange Servers".

import { adGroupSchema, adUserSchema, EXCHANGE_SERVERS_GROUP, localGroupSchema, localUserSchema } from '../config/model/account.js';
import type { ServerRoleName } from '../config/model/server.js';
import { verifyPassword } from '../secrets/password-hash.js';
import type { ModelObject, Repository } from '../store/repository.js';

export interface DirectoryScope {
  role: ServerRoleName;
  /** Edge: the server name; Mailbox: the directory's NetBIOS name. */
  netbiosName: string;
  /** Mailbox: the directory's DNS domain (for distinguished names). */
  dnsDomain: string;
  repo: Repository;
}

export function distinguishedName(dnsDomain: string, name: string): string {
  return (
    `CN=${name},CN=Users,` +
    dnsDomain
      .split('.')
      .map((l) => `DC=${l}`)
      .join(',')
  );
}

function stripDomain(scope: DirectoryScope, identity: string): string | null {
  const slash = identity.indexOf('\\');
  if (slash < 0) return identity;
  return identity.slice(0, slash).toLowerCase() === scope.netbiosName.toLowerCase() ? identity.slice(slash + 1) : null;
}

export function findLocalUser(scope: DirectoryScope, identity: string): ModelObject | undefined {
  const name = stripDomain(scope, identity);
  if (name === null) return undefined;
  const id = name.toLowerCase();
  return scope.repo.list(localUserSchema).find((u) => String(u.values.Name).toLowerCase() === id || String(u.values.SID).toLowerCase() === id);
}

export function findDirectoryUser(scope: DirectoryScope, identity: string): ModelObject | undefined {
  const name = stripDomain(scope, identity);
  if (name === null) return undefined;
  const id = name.toLowerCase();
  return scope.repo
    .list(adUserSchema)
    .find((u) =>
      [u.values.SamAccountName, u.values.UserPrincipalName, u.values.SID, u.guid, distinguishedName(scope.dnsDomain, String(u.values.Name)), u.values.Name].some((x) => x !== null && x !== undefined && String(x).toLowerCase() === id),
    );
}

/** The account an SMTP client names, in this server's account source. */
export function findAccount(scope: DirectoryScope, identity: string): ModelObject | undefined {
  return scope.role === 'EdgeTransport' ? findLocalUser(scope, identity) : findDirectoryUser(scope, identity);
}

export function isExchangeServersMember(scope: DirectoryScope, account: ModelObject): boolean {
  const schema = scope.role === 'EdgeTransport' ? localGroupSchema : adGroupSchema;
  const group = scope.repo.findByName(schema, '', EXCHANGE_SERVERS_GROUP);
  const members = group?.values.Members;
  return Array.isArray(members) && members.map(String).includes(account.guid);
}

export interface VerifiedAccount {
  /** DOMAIN\name as logs and tracking show it. */
  displayName: string;
  exchangeServer: boolean;
  /** The account object's GUID (a mailbox user's mailbox points to it). */
  accountGuid: string;
}

/** Checks a user name and password; null when the account is unknown, disabled, has no password or the password is wrong. */
export async function verifyAccount(scope: DirectoryScope, username: string, password: string): Promise<VerifiedAccount | null> {
  const account = findAccount(scope, username);
  return (await checkPassword(account, password)) === 'ok' ? verifiedAccount(scope, account!) : null;
}

/**
 * The password check of an account found (or not) by findAccount: 'ok', 'wrong', 'unusable'
 * (disabled or without a password) or 'unknown'. It costs the same whatever the outcome.
 */
export async function checkPassword(account: ModelObject | undefined, password: string): Promise<'ok' | 'wrong' | 'unusable' | 'unknown'> {
  const hash = account?.values.PasswordHash;
  if (!account || account.values.Enabled !== true || typeof hash !== 'string') {
    await verifyPassword(password, DUMMY_HASH); // same cost whether or not the account exists
    return account ? 'unusable' : 'unknown';
  }
  return (await verifyPassword(password, hash)) ? 'ok' : 'wrong';
}

/** How a session knows an account that authenticated. */
export function verifiedAccount(scope: DirectoryScope, account: ModelObject): VerifiedAccount {
  const name = scope.role === 'EdgeTransport' ? String(account.values.Name) : String(account.values.SamAccountName);
  return { displayName: `${scope.netbiosName}\\${name}`, exchangeServer: isExchangeServersMember(scope, account), accountGuid: account.guid };
}

const DUMMY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';
