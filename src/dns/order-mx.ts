// Orders MX records for delivery (RFC 5321 §5.1): lowest preference first;
// records of equal preference in random order, drawn anew on every call so
// that senders spread load over equal MX hosts.
//
// Invariants: the input is not modified; the output has the same records,
// except that a host named twice keeps only its most preferred record; the
// order between preference groups is strictly ascending; `random` returns a
// number in [0, 1) and is called once per record position inside a group.

export interface MxRecord {
  exchange: string;
  priority: number;
}

export function orderMx(records: readonly MxRecord[], random: () => number = Math.random): MxRecord[] {
  const best = new Map<string, MxRecord>();
  for (const r of records) {
    const key = r.exchange.toLowerCase().replace(/\.$/, '');
    const seen = best.get(key);
    if (!seen || r.priority < seen.priority) best.set(key, r);
  }
  const groups = new Map<number, MxRecord[]>();
  for (const r of best.values()) {
    const g = groups.get(r.priority);
    if (g) g.push(r);
    else groups.set(r.priority, [r]);
  }
  const out: MxRecord[] = [];
  for (const p of [...groups.keys()].sort((a, b) => a - b)) {
    const g = groups.get(p)!;
    // Fisher-Yates shuffle of the group.
    for (let i = g.length - 1; i > 0; i--) {
      const j = Math.min(i, Math.floor(random() * (i + 1)));
      [g[i], g[j]] = [g[j], g[i]];
    }
    out.push(...g);
  }
  return out;
}
