// Which Receive connector serves an incoming connection (spec
// exchange-connectors.md §4): enabled connectors whose Bindings cover the
// local address and port (a specific address before 0.0.0.0 / [::]), then
// the one whose RemoteIPRanges hold the client most tightly. No match: the
// caller closes the connection. Also: which sockets to listen on so that
// every binding is served (a wildcard on a port serves every address of its
// family on that port; Linux will not bind both).

import type { IPBinding, IPRange } from '../../config/types/index.js';

export interface SelectableConnector {
  identity: string;
  enabled: boolean;
  bindings: readonly IPBinding[];
  remoteIPRanges: readonly IPRange[];
}

export function selectConnector<C extends SelectableConnector>(connectors: readonly C[], localAddress: string, localPort: number, remoteAddress: string): C | null {
  let best: { c: C; specificBinding: boolean; size: bigint } | null = null;
  for (const c of connectors) {
    if (!c.enabled) continue;
    const binding = c.bindings.find((b) => !b.isWildcard && b.covers(localAddress, localPort)) ?? c.bindings.find((b) => b.covers(localAddress, localPort));
    if (!binding) continue;
    let size: bigint | null = null;
    for (const r of c.remoteIPRanges) {
      if (r.contains(remoteAddress) && (size === null || r.size() < size)) size = r.size();
    }
    if (size === null) continue;
    const specificBinding = !binding.isWildcard;
    if (!best || (specificBinding && !best.specificBinding) || (specificBinding === best.specificBinding && size < best.size)) {
      best = { c, specificBinding, size };
    }
  }
  return best?.c ?? null;
}

export interface ListenAddress {
  /** Address to listen on ('0.0.0.0', '::' or a specific one) and port. */
  address: string;
  port: number;
  family: 'IPv4' | 'IPv6';
  /** Key for reconciling listeners: "address|port". */
  key: string;
  /** Connectors whose bindings this socket serves. */
  connectors: string[];
}

export function listenPlan(connectors: readonly SelectableConnector[]): ListenAddress[] {
  const byKey = new Map<string, ListenAddress>();
  const all = connectors.filter((c) => c.enabled).flatMap((c) => c.bindings.map((b) => ({ c, b })));
  const wildcard = new Set(all.filter(({ b }) => b.isWildcard).map(({ b }) => `${b.family}|${b.port}`));
  for (const { c, b } of all) {
    const covered = !b.isWildcard && wildcard.has(`${b.family}|${b.port}`);
    const address = covered ? (b.family === 'IPv4' ? '0.0.0.0' : '::') : b.address.toString();
    const key = `${address}|${b.port}`;
    const entry = byKey.get(key) ?? { address, port: b.port, family: b.family, key, connectors: [] };
    if (!entry.connectors.includes(c.identity)) entry.connectors.push(c.identity);
    byKey.set(key, entry);
  }
  return [...byKey.values()];
}
