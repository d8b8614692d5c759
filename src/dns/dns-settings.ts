// DNS settings for outbound lookups: which servers to ask, how long to wait,
// and which hosts file to read for smart host names; plus the conversion from
// the stored TransportService values (ExternalDNS* / InternalDNS*).
//
// Invariants:
// - `servers` empty means "the system's configured name servers" (the ones in
//   /etc/resolv.conf, asked by Node's resolver); a non-empty list is asked in
//   the order given, and nothing else is asked.
// - A DnsServer always carries a port (53 when the setting had none).
// - `hostsFile`: undefined = /etc/hosts, null = no hosts file, text = that path.

import { isIP } from 'node:net';

export interface DnsServer {
  address: string;
  port: number;
}

export interface DnsSettings {
  /** Servers asked in order; empty = the system resolver's servers. */
  servers: DnsServer[];
  /** Per-try wait for one server, in milliseconds (default 5000, as Exchange's 5 s per DNS server). */
  timeoutMs?: number;
  /** Tries per server (default 2). */
  tries?: number;
  /** Hosts file for smart host names: undefined = /etc/hosts, null = none. */
  hostsFile?: string | null;
  /** Upper bound for one whole resolution, in milliseconds (default 60000, as Exchange's 60 s per query). */
  deadlineMs?: number;
}

export const DEFAULT_DNS_PORT = 53;
export const DEFAULT_TIMEOUT_MS = 5_000;
export const DEFAULT_TRIES = 2;
export const DEFAULT_DEADLINE_MS = 60_000;
export const DEFAULT_HOSTS_FILE = '/etc/hosts';

/** Node's server text: "IPv4", "IPv4:port", "[IPv6]:port" (getServers() prints them this way too). */
export function nodeServerText(server: DnsServer): string {
  const family = isIP(server.address);
  if (family === 0) throw new Error(`"${server.address}" is not an IP address`);
  if (family === 6) return `[${server.address}]:${server.port}`;
  return `${server.address}:${server.port}`;
}

/** The hosts file path the settings select, or null for none. */
export function hostsFilePath(settings: DnsSettings): string | null {
  return settings.hostsFile === undefined ? DEFAULT_HOSTS_FILE : settings.hostsFile;
}

export interface TransportDnsValues {
  ExternalDNSServers: unknown[];
  ExternalDNSAdapterEnabled: boolean;
  InternalDNSServers: unknown[];
  InternalDNSAdapterEnabled: boolean;
}

/**
 * DNS servers from the stored TransportService values. `which` = 'external'
 * for send connectors with UseExternalDNSServersEnabled $true, 'internal'
 * otherwise. Adapter enabled, or an empty list, = the system resolver.
 * List items are IPEndpoint values (address: IPAddress, port: number |
 * undefined); plain text "10.0.0.53:5353" / "[2001:db8::53]:53" and
 * { address, port } objects are accepted too.
 */
export function dnsSettingsFromTransport(values: TransportDnsValues, which: 'external' | 'internal'): DnsSettings {
  const adapter = which === 'external' ? values.ExternalDNSAdapterEnabled : values.InternalDNSAdapterEnabled;
  const list = which === 'external' ? values.ExternalDNSServers : values.InternalDNSServers;
  if (adapter || !Array.isArray(list) || list.length === 0) return { servers: [] };
  return { servers: list.map(serverFromValue) };
}

function serverFromValue(item: unknown): DnsServer {
  if (typeof item === 'string') return serverFromText(item);
  if (item && typeof item === 'object' && 'address' in item) {
    const { address, port } = item as { address: unknown; port?: unknown };
    const text = stripZone(String(address));
    if (isIP(text) === 0) throw new Error(`DNS server "${String(address)}" is not an IP address`);
    return { address: text, port: checkPort(port === undefined || port === null ? DEFAULT_DNS_PORT : port) };
  }
  throw new Error(`DNS server ${String(item)} is not an address or address:port`);
}

function serverFromText(input: string): DnsServer {
  const text = input.trim();
  if (isIP(stripZone(text)) !== 0) return { address: stripZone(text), port: DEFAULT_DNS_PORT };
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(text) ?? /^([^:[\]]+):(\d+)$/.exec(text);
  if (!m || isIP(stripZone(m[1])) === 0) throw new Error(`DNS server "${input}" is not an address or address:port`);
  return { address: stripZone(m[1]), port: checkPort(m[2] === undefined ? DEFAULT_DNS_PORT : Number(m[2])) };
}

// A zone index ("fe80::1%11") is display-only in the configuration model;
// Node's setServers does not take one.
function stripZone(text: string): string {
  const pct = text.indexOf('%');
  return pct < 0 ? text : text.slice(0, pct);
}

function checkPort(port: unknown): number {
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`DNS server port ${String(port)} is not between 1 and 65535`);
  }
  return port;
}
