// DNS queries that report whether the answer was authenticated by a validating
// resolver (the AD bit, RFC 4035 §3.2.3 / RFC 6840 §5.7), for the record types
// DANE needs (MX, A, AAAA, TLSA). Node's resolver (c-ares) exposes neither the
// AD bit nor TLSA records, so the messages are built and read with dns-packet
// and sent here: UDP first, TCP when the answer comes back truncated.
//
// Invariants:
// - Only the configured servers are asked, in order (none configured: the
//   system's name servers, as Node's resolver lists them); a server that does
//   not answer within the per-try wait is tried again (`tries`), then the next.
// - Each query sets RD, AD (RFC 6840 §5.7: "please tell me whether it is
//   authenticated") and EDNS0 with DO, so a validating resolver returns AD.
// - An answer whose id or question does not match the query is ignored.
// - The result carries the RCODE as dns-packet names it ("NOERROR",
//   "NXDOMAIN", "SERVFAIL", ...); a lookup that got no answer at all from any
//   server rejects with an Error whose code is 'ETIMEOUT'.

import { createSocket } from 'node:dgram';
import { getServers } from 'node:dns';
import { isIP, createConnection } from 'node:net';
import { randomInt } from 'node:crypto';
import dnsPacket from 'dns-packet';
import { DEFAULT_DNS_PORT, DEFAULT_TIMEOUT_MS, DEFAULT_TRIES, type DnsServer, type DnsSettings } from './dns-settings.js';

export type SecureRecordType = 'MX' | 'A' | 'AAAA' | 'TLSA';

export interface TlsaRecord {
  usage: number;
  selector: number;
  matchingType: number;
  /** The certificate association data. */
  data: Buffer;
}

export interface SecureAnswer {
  rcode: string;
  /** The resolver said the answer (or the denial) is authenticated. */
  authenticated: boolean;
  /** Records of the asked type at the asked name (after any CNAME the resolver followed). */
  mx: { priority: number; exchange: string }[];
  addresses: string[];
  tlsa: TlsaRecord[];
}

export interface SecureLookup {
  query(name: string, type: SecureRecordType): Promise<SecureAnswer>;
}

/** The server list the settings select (system servers when they name none). */
export function lookupServers(settings: DnsSettings): DnsServer[] {
  if (settings.servers.length > 0) return settings.servers;
  return getServers().flatMap((text) => {
    const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:]+):(\d+)$/.exec(text);
    if (m) return [{ address: m[1], port: Number(m[2]) }];
    return isIP(text) ? [{ address: text, port: DEFAULT_DNS_PORT }] : [];
  });
}

export class DnssecLookup implements SecureLookup {
  private readonly servers: DnsServer[];
  private readonly timeoutMs: number;
  private readonly tries: number;

  constructor(settings: DnsSettings) {
    this.servers = lookupServers(settings);
    this.timeoutMs = settings.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.tries = settings.tries ?? DEFAULT_TRIES;
  }

  async query(name: string, type: SecureRecordType): Promise<SecureAnswer> {
    const qname = name.replace(/\.$/, '');
    let lastError: Error | null = null;
    for (const server of this.servers) {
      for (let i = 0; i < this.tries; i++) {
        try {
          let reply = await udpExchange(server, buildQuery(qname, type), this.timeoutMs);
          if (!matches(reply.packet, reply.id, qname, type)) throw new Error('mismatched answer');
          if (reply.packet.flag_tc) {
            reply = await tcpExchange(server, buildQuery(qname, type), this.timeoutMs);
            if (!matches(reply.packet, reply.id, qname, type)) throw new Error('mismatched answer');
          }
          return readAnswer(reply.packet, type);
        } catch (err) {
          lastError = err as Error;
        }
      }
    }
    const e = new Error(`no answer for ${qname} ${type} from ${this.servers.map((s) => `${s.address}:${s.port}`).join(', ') || 'any server'}${lastError ? ` (${lastError.message})` : ''}`) as Error & { code: string };
    e.code = 'ETIMEOUT';
    throw e;
  }
}

interface Built {
  id: number;
  buf: Buffer;
}

function buildQuery(name: string, type: SecureRecordType): Built {
  const id = randomInt(0, 0x10000);
  const buf = dnsPacket.encode({
    type: 'query',
    id,
    flags: dnsPacket.RECURSION_DESIRED | dnsPacket.AUTHENTIC_DATA,
    questions: [{ type, name, class: 'IN' }],
    additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232, flags: dnsPacket.DNSSEC_OK, options: [] } as unknown as dnsPacket.Answer],
  });
  return { id, buf };
}

type Decoded = dnsPacket.DecodedPacket & { rcode?: string };

function matches(p: Decoded, id: number, name: string, type: SecureRecordType): boolean {
  const q = p.questions?.[0];
  return p.id === id && p.type === 'response' && !!q && q.type === type && q.name.toLowerCase().replace(/\.$/, '') === name.toLowerCase();
}

/** The records of the asked type in an answer (exported for tests). */
export function readAnswer(p: Decoded, type: SecureRecordType): SecureAnswer {
  const answers = (p.answers ?? []).filter((a) => a.type === type);
  const out: SecureAnswer = { rcode: p.rcode ?? 'NOERROR', authenticated: p.flag_ad === true, mx: [], addresses: [], tlsa: [] };
  for (const a of answers) {
    if (a.type === 'MX') out.mx.push({ priority: a.data.preference ?? 0, exchange: a.data.exchange.replace(/\.$/, '').toLowerCase() });
    else if (a.type === 'A' || a.type === 'AAAA') out.addresses.push(a.data);
    else if (a.type === 'TLSA') out.tlsa.push({ usage: a.data.usage, selector: a.data.selector, matchingType: a.data.matchingType, data: Buffer.from(a.data.certificate) });
  }
  return out;
}

function udpExchange(server: DnsServer, q: Built, timeoutMs: number): Promise<{ packet: Decoded; id: number }> {
  return new Promise((resolve, reject) => {
    const socket = createSocket(isIP(server.address) === 6 ? 'udp6' : 'udp4');
    const done = (err: Error | null, packet?: Decoded) => {
      clearTimeout(timer);
      socket.close();
      if (err) reject(err);
      else resolve({ packet: packet!, id: q.id });
    };
    const timer = setTimeout(() => done(new Error(`timeout after ${timeoutMs} ms`)), timeoutMs);
    socket.on('error', (err) => done(err));
    socket.on('message', (msg) => {
      try {
        const packet = dnsPacket.decode(msg) as Decoded;
        if (packet.id !== q.id) return; // a stray or late answer: keep waiting
        done(null, packet);
      } catch {
        // not a DNS message: keep waiting
      }
    });
    // Connected, so that a server that is not there (ICMP port unreachable) fails at once
    // (ECONNREFUSED) instead of after the timeout, as c-ares does for Node's own resolver.
    socket.connect(server.port, server.address, () => {
      socket.send(q.buf, (err) => {
        if (err) done(err);
      });
    });
  });
}

function tcpExchange(server: DnsServer, q: Built, timeoutMs: number): Promise<{ packet: Decoded; id: number }> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: server.address, port: server.port });
    let buffer = Buffer.alloc(0);
    let settled = false;
    const done = (err: Error | null, packet?: Decoded) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve({ packet: packet!, id: q.id });
    };
    const timer = setTimeout(() => done(new Error(`TCP timeout after ${timeoutMs} ms`)), timeoutMs);
    socket.on('error', (err) => done(err));
    socket.on('close', () => done(new Error('TCP connection closed before an answer')));
    socket.on('connect', () => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(q.buf.length);
      socket.write(Buffer.concat([len, q.buf]));
    });
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (buffer.length < 2) return;
      const len = buffer.readUInt16BE(0);
      if (buffer.length < 2 + len) return;
      try {
        done(null, dnsPacket.decode(buffer.subarray(2, 2 + len)) as Decoded);
      } catch (err) {
        done(err as Error);
      }
    });
  });
}
