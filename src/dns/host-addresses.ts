// The addresses of a host name as a server looks it up for its own
// connections (its management endpoint, the endpoints of the other servers of
// its organization): the hosts file its DNS settings name, then A and AAAA
// records from its DNS servers (the system's when none are set).

import { Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';
import { DEFAULT_TIMEOUT_MS, DEFAULT_TRIES, hostsFilePath, nodeServerText, type DnsSettings } from './dns-settings.js';
import { HostsFile } from './hosts-file.js';

export class HostAddresses {
  /** Parsed hosts files, by path (each re-read when it changes). */
  private readonly files = new Map<string, HostsFile>();

  constructor(private readonly settings: () => DnsSettings) {}

  /** The addresses of `name` (an IP literal is its own); an error that says where it was looked up when there are none. */
  async lookup(name: string): Promise<string[]> {
    const bare = name.replace(/^\[|\]$/g, '');
    if (isIP(bare)) return [bare];
    const settings = this.settings();
    const path = hostsFilePath(settings);
    if (path !== null) {
      let file = this.files.get(path);
      if (!file) this.files.set(path, (file = new HostsFile(path)));
      const listed = await file.lookup(bare);
      if (listed.length > 0) return listed;
    }
    const resolver = new Resolver({ timeout: settings.timeoutMs ?? DEFAULT_TIMEOUT_MS, tries: settings.tries ?? DEFAULT_TRIES });
    if (settings.servers.length > 0) resolver.setServers(settings.servers.map(nodeServerText));
    const found = (await Promise.allSettled([resolver.resolve4(bare), resolver.resolve6(bare)])).flatMap((r) => (r.status === 'fulfilled' ? r.value : []));
    if (found.length === 0) {
      const where = settings.servers.length > 0 ? settings.servers.map(nodeServerText).join(', ') : "the system's name servers";
      throw new Error(`${bare} does not resolve (${path ?? 'no hosts file'}, then DNS at ${where}): add it to the hosts file or DNS, or use an IP address`);
    }
    return found;
  }
}
