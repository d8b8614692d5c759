// The anti-spam agents' DNS lookups (SPF, DKIM keys, DMARC policies, ARC,
// block list providers): one Node resolver per DNS setting, shared by every
// session, and a short-lived answer cache in front of it. A resolver per
// message cost more than the lookups themselves (each one opens its own
// channel), and mail from one sender domain asks the same names again and
// again.
//
// Invariants:
// - An answer is kept at most ANSWER_LIFETIME_MS, a "no such name/no such
//   record" answer at most NEGATIVE_LIFETIME_MS, a failure (timeout, refused,
//   SERVFAIL) at most FAILURE_LIFETIME_MS (RFC 2308 §7 allows up to five
//   minutes): while the servers are down, messages do not each wait for them.
// - Concurrent lookups of one name and type share one query.
// - A query ends by itself (the resolver's own timeout, one try): a caller
//   that stops waiting never cancels another caller's query.
// - The cache holds at most MAX_ENTRIES answers, the oldest dropped first.

import { Resolver } from 'node:dns/promises';
import { nodeServerText, type DnsSettings } from './dns-settings.js';

export const ANSWER_LIFETIME_MS = 60_000;
export const NEGATIVE_LIFETIME_MS = 30_000;
export const FAILURE_LIFETIME_MS = 5_000;
const MAX_ENTRIES = 10_000;
/** Longest one try of one server may take (the agents' own deadlines bound a whole evaluation). */
const TRY_TIMEOUT_MS = 3000;

export type AgentLookup = (name: string, rrtype: string) => Promise<string[][] | string[]>;

interface Entry {
  expires: number;
  answer?: string[][] | string[];
  error?: NodeJS.ErrnoException;
}

class CachedLookups {
  private readonly resolver: Resolver;
  private readonly answers = new Map<string, Entry>();
  private readonly asking = new Map<string, Promise<string[][] | string[]>>();

  constructor(settings: DnsSettings) {
    this.resolver = new Resolver({ timeout: Math.min(settings.timeoutMs ?? TRY_TIMEOUT_MS, TRY_TIMEOUT_MS), tries: 1 });
    if (settings.servers.length > 0) this.resolver.setServers(settings.servers.map(nodeServerText));
  }

  lookup(name: string, rrtype: string, now = Date.now()): Promise<string[][] | string[]> {
    const key = `${rrtype} ${name.toLowerCase()}`;
    const kept = this.answers.get(key);
    if (kept && kept.expires > now) return kept.error ? Promise.reject(kept.error) : Promise.resolve(kept.answer!);
    if (kept) this.answers.delete(key);
    const pending = this.asking.get(key);
    if (pending) return pending;
    const query = (this.resolver.resolve(name, rrtype) as Promise<string[][] | string[]>).then(
      (answer) => {
        this.keep(key, { expires: Date.now() + ANSWER_LIFETIME_MS, answer });
        return answer;
      },
      (err: NodeJS.ErrnoException) => {
        this.keep(key, { expires: Date.now() + (err.code === 'ENOTFOUND' || err.code === 'ENODATA' ? NEGATIVE_LIFETIME_MS : FAILURE_LIFETIME_MS), error: err });
        throw err;
      },
    );
    this.asking.set(key, query);
    const done = () => this.asking.delete(key);
    query.then(done, done);
    return query;
  }

  private keep(key: string, entry: Entry): void {
    if (this.answers.size >= MAX_ENTRIES) this.answers.delete(this.answers.keys().next().value as string);
    this.answers.set(key, entry);
  }
}

const bySettings = new Map<string, CachedLookups>();

/** The shared, cached lookup for these DNS settings (a settings change gets a new one; old ones are dropped). */
export function agentLookup(settings: DnsSettings): AgentLookup {
  const key = `${settings.servers.map(nodeServerText).join(',')}|${settings.timeoutMs ?? ''}`;
  let lookups = bySettings.get(key);
  if (!lookups) {
    if (bySettings.size >= 8) bySettings.clear(); // settings changed: the old servers' answers go
    lookups = new CachedLookups(settings);
    bySettings.set(key, lookups);
  }
  const l = lookups;
  return (name, rrtype) => l.lookup(name, rrtype);
}
