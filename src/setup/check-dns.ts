// `gatehouse check`, DNS: each DNS server that Set-TransportService names
// (ExternalDNSServers, InternalDNSServers, when their adapter is disabled) is
// asked one short question over UDP; one that gives no answer at all within
// the time allowed is a finding (any answer, even an error code, shows it is
// reachable). Skipped with --offline. With the adapter enabled the service
// uses the system resolver (/etc/resolv.conf), which is not probed.

import { createSocket } from 'node:dgram';
import { isIP } from 'node:net';
import dnsPacket from 'dns-packet';
import { dnsSettingsFromTransport, type TransportDnsValues } from '../dns/dns-settings.js';
import { shellFix, type Finding } from './check-finding.js';

const PROBE_MS = 2000;

/** Resolves with null when the server answered, else why not. */
function probe(address: string, port: number): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = createSocket(isIP(address) === 6 ? 'udp6' : 'udp4');
    const id = Math.floor(Math.random() * 65535);
    let done = false;
    const finish = (why: string | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.close();
      resolve(why);
    };
    const timer = setTimeout(() => finish(`no answer within ${PROBE_MS / 1000} s`), PROBE_MS);
    socket.on('error', (err: NodeJS.ErrnoException) => finish(err.code === 'ECONNREFUSED' ? 'nothing listens there (connection refused)' : err.message));
    socket.on('message', (msg) => {
      try {
        if (dnsPacket.decode(msg).id === id) finish(null);
      } catch {
        // not a DNS answer: keep waiting
      }
    });
    socket.connect(port, address, () => {
      socket.send(dnsPacket.encode({ type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'NS', name: '.' }] }));
    });
  });
}

export async function checkDns(dir: string, serverName: string, values: TransportDnsValues): Promise<Finding[]> {
  const out: Finding[] = [];
  for (const which of ['external', 'internal'] as const) {
    const property = which === 'external' ? 'ExternalDNSServers' : 'InternalDNSServers';
    let servers;
    try {
      servers = dnsSettingsFromTransport(values, which).servers;
    } catch (err) {
      out.push({ area: 'dns', problem: `${property} cannot be used: ${(err as Error).message}`, fix: shellFix(dir, `Set-TransportService ${serverName} -${property} 192.0.2.53`) });
      continue;
    }
    const results = await Promise.all(servers.map(async (s) => ({ s, why: await probe(s.address, s.port) })));
    for (const { s, why } of results) {
      if (why === null) continue;
      const where = s.address.includes(':') ? `[${s.address}]:${s.port}` : `${s.address}:${s.port}`;
      const others = servers.filter((o) => o !== s).map((o) => (o.address.includes(':') ? `[${o.address}]:${o.port}` : `${o.address}:${o.port}`));
      out.push({
        area: 'dns',
        problem: `DNS server ${where} (${property}) does not answer: ${why}; lookups through it fail or wait for the next server`,
        fix:
          others.length > 0
            ? shellFix(dir, `Set-TransportService ${serverName} -${property} ${others.join(',')}`)
            : shellFix(dir, `Set-TransportService ${serverName} -${which === 'external' ? 'ExternalDNSAdapterEnabled' : 'InternalDNSAdapterEnabled'} $true`),
      });
    }
  }
  return out;
}
