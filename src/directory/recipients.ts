// Recipient lookup for the transport: which mailbox or distribution group an
// SMTP address belongs to, where a mailbox's mail is kept, and which addresses
// a directory account may send as.
//
// Every proxy address (primary and secondary) of every mailbox and group is
// matched case-insensitively. The table is built from the organization store
// and rebuilt only when the store's change counter moves, so repeated lookups
// cost one counter read.
//
// A mailbox's Maildir folder is <database FolderPath>/<maildirFolder>, where
// maildirFolder is the mailbox GUID: it never changes when the mailbox's
// name, alias or addresses change.

import { effectiveQuotas, mailboxDatabaseSchema, mailboxSchema, distributionGroupSchema, isPrimaryProxy, proxyAddressOf, type MailboxQuotas } from '../config/model/recipient.js';
import type { Unlimited } from '../config/types/unlimited.js';
import type { ByteQuantifiedSize } from '../config/types/byte-quantified-size.js';
import { MaildirSizes } from '../mailbox/index.js';
import type { ModelObject, Repository } from '../store/repository.js';

export type RecipientMatch =
  | {
      kind: 'mailbox';
      guid: string;
      name: string;
      primarySmtpAddress: string;
      database: string;
      server: string;
      folderPath: string;
      maildirFolder: string;
      maxReceiveSize: number | null;
      maxSendSize: number | null;
      forwardingSmtpAddress: string | null;
      deliverToMailboxAndForward: boolean;
      requireSenderAuthentication: boolean;
      accountGuid: string;
      addresses: string[];
      /** The storage quotas that apply (the database's or the mailbox's own). */
      quotas: MailboxQuotas;
    }
  | { kind: 'group'; guid: string; name: string; primarySmtpAddress: string; requireSenderAuthentication: boolean; members: string[] /* primary addresses, nested groups expanded, loops cut, duplicates removed */ };

/** The SMTP addresses of a recipient (without prefixes), primary first. */
export function recipientAddresses(obj: ModelObject): string[] {
  const proxies = Array.isArray(obj.values.EmailAddresses) ? obj.values.EmailAddresses.map(String) : [];
  const primary = obj.values.PrimarySmtpAddress ? String(obj.values.PrimarySmtpAddress) : proxies.find(isPrimaryProxy)?.slice(5);
  const out: string[] = [];
  const seen = new Set<string>();
  for (const a of [primary, ...proxies.map(proxyAddressOf)]) {
    if (!a || seen.has(a.toLowerCase())) continue;
    seen.add(a.toLowerCase());
    out.push(a);
  }
  return out;
}

/** GUIDs of a group's direct members (mailboxes and groups). */
export function groupMemberGuids(group: ModelObject): string[] {
  const m = group.values.Members;
  return Array.isArray(m) ? m.map(String) : [];
}

function sizeBytes(v: unknown): number | null {
  const u = v as Unlimited<ByteQuantifiedSize> | null | undefined;
  if (!u || u.isUnlimited) return null;
  return u.value.bytes;
}

interface Table {
  byAddress: Map<string, RecipientMatch>;
  byAccount: Map<string, string[]>;
}

export class RecipientDirectory {
  private table: Table | null = null;
  private counter = -1;
  private readonly sizes = new MaildirSizes();

  constructor(private readonly repo: Repository) {}

  /** The mailbox or group that has this address among its proxy addresses; null when none. */
  find(address: string): RecipientMatch | null {
    return this.current().byAddress.get(address.trim().toLowerCase()) ?? null;
  }

  /**
   * Client submission by the owner of a mailbox at or over its ProhibitSendQuota:
   * the mailbox, its size and the quota; null when the account owns no mailbox,
   * the quota is Unlimited or the mailbox is under it. A folder that cannot be
   * read counts as empty (delivery reports that problem).
   */
  overSendQuota(accountGuid: string): { address: string; name: string; size: number; quota: number } | null {
    const primary = this.addressesOfAccount(accountGuid)[0];
    const m = primary ? this.find(primary) : null;
    if (!m || m.kind !== 'mailbox' || m.quotas.prohibitSend === null || !m.folderPath) return null;
    let size: number;
    try {
      size = this.sizes.size(m.folderPath, m.maildirFolder);
    } catch {
      return null;
    }
    return size >= m.quotas.prohibitSend ? { address: m.primarySmtpAddress, name: m.name, size, quota: m.quotas.prohibitSend } : null;
  }

  /** Every SMTP address of the mailbox owned by this directory account (primary first); [] when it owns none. */
  addressesOfAccount(accountGuid: string): string[] {
    return [...(this.current().byAccount.get(accountGuid.toLowerCase()) ?? [])];
  }

  private current(): Table {
    const counter = this.repo.store.changeCounter();
    if (!this.table || counter !== this.counter) {
      this.table = this.repo.transaction(() => this.build());
      this.counter = counter;
    }
    return this.table;
  }

  private build(): Table {
    const byAddress = new Map<string, RecipientMatch>();
    const byAccount = new Map<string, string[]>();
    const databases = new Map(this.repo.list(mailboxDatabaseSchema).map((d) => [String(d.values.Name).toLowerCase(), d]));
    const mailboxes = this.repo.list(mailboxSchema);
    const groups = this.repo.list(distributionGroupSchema);
    const primaryByGuid = new Map<string, string>();
    for (const m of mailboxes) primaryByGuid.set(m.guid, String(m.values.PrimarySmtpAddress));
    const groupByGuid = new Map(groups.map((g) => [g.guid, g]));

    for (const m of mailboxes) {
      const addresses = recipientAddresses(m);
      const db = databases.get(String(m.values.Database ?? '').toLowerCase());
      const accountGuid = String(m.values.AccountGuid ?? '');
      const match: RecipientMatch = {
        kind: 'mailbox',
        guid: m.guid,
        name: String(m.values.Name),
        primarySmtpAddress: String(m.values.PrimarySmtpAddress),
        database: String(m.values.Database ?? ''),
        server: db ? String(db.values.Server) : '',
        folderPath: db ? String(db.values.FolderPath) : '',
        maildirFolder: m.guid,
        maxReceiveSize: sizeBytes(m.values.MaxReceiveSize),
        maxSendSize: sizeBytes(m.values.MaxSendSize),
        forwardingSmtpAddress: m.values.ForwardingSmtpAddress ? String(m.values.ForwardingSmtpAddress) : null,
        deliverToMailboxAndForward: m.values.DeliverToMailboxAndForward === true,
        requireSenderAuthentication: m.values.RequireSenderAuthenticationEnabled === true,
        accountGuid,
        addresses,
        quotas: effectiveQuotas(m.values, db?.values),
      };
      for (const a of addresses) if (!byAddress.has(a.toLowerCase())) byAddress.set(a.toLowerCase(), match);
      if (accountGuid) byAccount.set(accountGuid.toLowerCase(), addresses);
    }

    const expand = (group: ModelObject): string[] => {
      const out: string[] = [];
      const seenAddr = new Set<string>();
      const visited = new Set<string>([group.guid]);
      const walk = (g: ModelObject) => {
        for (const guid of groupMemberGuids(g)) {
          const primary = primaryByGuid.get(guid);
          if (primary !== undefined) {
            if (!seenAddr.has(primary.toLowerCase())) {
              seenAddr.add(primary.toLowerCase());
              out.push(primary);
            }
            continue;
          }
          const nested = groupByGuid.get(guid);
          if (nested && !visited.has(nested.guid)) {
            visited.add(nested.guid);
            walk(nested);
          }
        }
      };
      walk(group);
      return out;
    };

    for (const g of groups) {
      const match: RecipientMatch = {
        kind: 'group',
        guid: g.guid,
        name: String(g.values.Name),
        primarySmtpAddress: String(g.values.PrimarySmtpAddress),
        requireSenderAuthentication: g.values.RequireSenderAuthenticationEnabled !== false,
        members: expand(g),
      };
      for (const a of recipientAddresses(g)) if (!byAddress.has(a.toLowerCase())) byAddress.set(a.toLowerCase(), match);
    }
    return { byAddress, byAccount };
  }
}
