// The Connection Filtering agent's verdict on a client address (spec
// exchange-edge-agents.md §3.1): the IP Allow list, the IP Block list, then
// the allow list providers and the block list providers (DNS lists such as
// zen.spamhaus.org), each provider asked in its priority order through the
// Edge's external DNS servers. The lookups start when the client connects
// and are awaited at its first RCPT TO, where a listed client is refused so
// that the refusal is logged with the recipient. A provider that does not
// answer within its time, or answers with an error, lists nothing: a broken
// DNS list never blocks mail and never holds a session longer than that.

import { isIPv4, isIPv6 } from 'node:net';
import { agentLookup } from '../dns/agent-lookups.js';
import type { DnsSettings } from '../dns/dns-settings.js';
import type { BlockListProvider, IPListEntry } from './antispam-settings.js';

/** How long one provider may take to answer (both its A lookups included). */
export const PROVIDER_TIMEOUT_MS = 3000;

export type ConnectionVerdict = { kind: 'clean'; unanswered: string[] } | { kind: 'allowed'; by: string } | { kind: 'blocked'; by: 'static' | 'machine'; entry: IPListEntry } | { kind: 'listed'; provider: BlockListProvider; answer: string };

/** The DNS name a DNS list is asked for an address: 192.0.2.1 -> 1.2.0.192.<zone>; IPv6 nibbles reversed. */
export function dnsListQuery(ip: string, zone: string): string | null {
  if (isIPv4(ip)) return `${ip.split('.').reverse().join('.')}.${zone}`;
  if (isIPv6(ip)) {
    const groups = expandIPv6(ip);
    return `${groups.join('').split('').reverse().join('.')}.${zone}`;
  }
  return null;
}

function expandIPv6(ip: string): string[] {
  const [head, tail = ''] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const fill = ip.includes('::') ? new Array(8 - h.length - t.length).fill('0') : [];
  return [...h, ...fill, ...t].map((g) => g.padStart(4, '0'));
}

/** Whether a provider's answer (127.0.0.x) is a match for it. */
export function providerMatches(p: Pick<BlockListProvider, 'anyMatch' | 'bitmask' | 'addresses'>, answer: string): boolean {
  if (p.anyMatch) return true;
  if (p.bitmask) {
    const mask = Number(p.bitmask.split('.').pop());
    return (Number(answer.split('.').pop()) & mask) !== 0 && answer.startsWith('127.');
  }
  return p.addresses.includes(answer);
}

function listed(entries: IPListEntry[], ip: string, now: number): IPListEntry | undefined {
  return entries.find((e) => (e.expires === null || e.expires > now) && e.range.contains(ip));
}

/** Asks one provider about an address: its matching answer, null for none, or 'unanswered'. */
async function ask(provider: BlockListProvider, ip: string, dns: DnsSettings): Promise<string | null | 'unanswered'> {
  const name = dnsListQuery(ip, provider.lookupDomain);
  if (!name) return null;
  const lookup = agentLookup(dns);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'unanswered'>((resolve) => {
    timer = setTimeout(() => resolve('unanswered'), PROVIDER_TIMEOUT_MS);
  });
  try {
    const answer = await Promise.race([
      (lookup(name, 'A') as Promise<string[]>).then(
        (a) => a,
        (err: NodeJS.ErrnoException) => (err.code === 'ENOTFOUND' || err.code === 'ENODATA' ? [] : ('unanswered' as const)),
      ),
      late,
    ]);
    if (answer === 'unanswered') return 'unanswered';
    return answer.find((a) => providerMatches(provider, a)) ?? null;
  } finally {
    clearTimeout(timer);
  }
}

export interface ConnectionFilterInput {
  ip: string;
  allowList: IPListEntry[] | null;
  blockList: IPListEntry[] | null;
  allowProviders: BlockListProvider[] | null;
  blockProviders: BlockListProvider[] | null;
  dns: DnsSettings;
  now: number;
}

/** The verdict for a client; the lists and providers that are off are given as null. */
export async function assessConnection(i: ConnectionFilterInput): Promise<ConnectionVerdict> {
  const allowed = i.allowList && listed(i.allowList, i.ip, i.now);
  if (allowed) return { kind: 'allowed', by: `IP Allow list entry ${allowed.identity}` };
  const blocked = i.blockList && listed(i.blockList, i.ip, i.now);
  if (blocked) return { kind: 'blocked', by: blocked.machine ? 'machine' : 'static', entry: blocked };
  const unanswered: string[] = [];
  for (const p of (i.allowProviders ?? []).filter((x) => x.enabled)) {
    const a = await ask(p, i.ip, i.dns);
    if (a === 'unanswered') unanswered.push(p.name);
    else if (a) return { kind: 'allowed', by: `IP Allow list provider ${p.name}` };
  }
  // The block list providers are asked together; the first in priority order that lists the client decides.
  const providers = (i.blockProviders ?? []).filter((x) => x.enabled);
  const answers = await Promise.all(providers.map((p) => ask(p, i.ip, i.dns)));
  for (const [n, p] of providers.entries()) {
    const a = answers[n];
    if (a === 'unanswered') unanswered.push(p.name);
    else if (a) return { kind: 'listed', provider: p, answer: a };
  }
  return { kind: 'clean', unanswered };
}
