// The lab's Internet DNS: a small authoritative server on a loopback address
// (UDP and TCP), answering A, MX and TXT queries from a fixed table. Names under a
// served zone that are not in the table get NXDOMAIN; a name that exists
// without the queried type gets an empty answer (NODATA); names outside every
// zone are refused. Packets are read and written by dns-packet.

import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import dnsPacket from 'dns-packet';

export interface LabZoneData {
  zones: string[];
  a: Record<string, string>;
  mx: Record<string, { exchange: string; preference: number }[]>;
  /** TXT records (SPF, DKIM keys): each a string, or a list of strings of at most 255 characters for a longer value. */
  txt?: Record<string, (string | string[])[]>;
}

const TTL = 60;

/** The header's RCODE bits (dns-packet encodes only `flags`; a packet's `rcode` is read, never written). */
export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, REFUSED: 5 } as const;

export class LabDnsServer {
  private udp?: UdpSocket;
  private tcp?: Server;

  constructor(private readonly data: LabZoneData) {}

  /** Serves a TXT record from now on (the DKIM keys the servers make once set up). */
  setTxt(name: string, records: (string | string[])[]): void {
    this.data.txt = { ...this.data.txt, [name]: records };
  }

  /** Answers one query packet. */
  answer(query: Buffer): Buffer {
    let q: dnsPacket.Packet;
    try {
      q = dnsPacket.decode(query);
    } catch {
      return Buffer.alloc(0); // not a DNS message: no answer
    }
    const question = q.questions?.[0];
    const base = { id: q.id, type: 'response' as const, flags: dnsPacket.AUTHORITATIVE_ANSWER | ((q.flags ?? 0) & dnsPacket.RECURSION_DESIRED), questions: q.questions ?? [] };
    if (!question) return dnsPacket.encode({ ...base, flags: base.flags | RCODE.FORMERR } as dnsPacket.Packet);
    const name = question.name.toLowerCase().replace(/\.$/, '');
    if (!this.data.zones.some((z) => name === z || name.endsWith('.' + z))) return dnsPacket.encode({ ...base, flags: (base.flags & ~dnsPacket.AUTHORITATIVE_ANSWER) | RCODE.REFUSED } as dnsPacket.Packet);
    const address = this.data.a[name];
    const mx = this.data.mx[name];
    const txt = this.data.txt?.[name];
    if (address === undefined && mx === undefined && txt === undefined && !this.data.zones.includes(name)) return dnsPacket.encode({ ...base, flags: base.flags | RCODE.NXDOMAIN } as dnsPacket.Packet);
    const answers: dnsPacket.Answer[] = [];
    if (question.type === 'A' && address) answers.push({ type: 'A', name: question.name, ttl: TTL, class: 'IN', data: address });
    if (question.type === 'MX' && mx) for (const m of mx) answers.push({ type: 'MX', name: question.name, ttl: TTL, class: 'IN', data: { exchange: m.exchange, preference: m.preference } });
    if (question.type === 'TXT' && txt) for (const t of txt) answers.push({ type: 'TXT', name: question.name, ttl: TTL, class: 'IN', data: t });
    return dnsPacket.encode({ ...base, flags: base.flags | RCODE.NOERROR, answers } as dnsPacket.Packet);
  }

  async listen(address: string, port: number): Promise<void> {
    const udp = createSocket(address.includes(':') ? 'udp6' : 'udp4');
    udp.on('message', (msg, rinfo) => {
      const reply = this.answer(msg);
      if (reply.length > 0) udp.send(reply, rinfo.port, rinfo.address);
    });
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(port, address, () => {
        udp.off('error', reject);
        resolve();
      });
    });
    this.udp = udp;
    const tcp = createServer((socket: Socket) => this.serveTcp(socket));
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(port, address, () => {
        tcp.off('error', reject);
        resolve();
      });
    });
    this.tcp = tcp;
  }

  /** DNS over TCP: each message is preceded by its two-byte length. */
  private serveTcp(socket: Socket): void {
    let buffered = Buffer.alloc(0);
    socket.setTimeout(10_000, () => socket.destroy());
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length > 65_537) {
        socket.destroy();
        return;
      }
      while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        const reply = this.answer(buffered.subarray(2, 2 + buffered.readUInt16BE(0)));
        buffered = buffered.subarray(2 + buffered.readUInt16BE(0));
        if (reply.length === 0) {
          socket.destroy();
          return;
        }
        const framed = Buffer.alloc(2 + reply.length);
        framed.writeUInt16BE(reply.length, 0);
        reply.copy(framed, 2);
        socket.write(framed);
      }
    });
  }

  close(): void {
    this.udp?.close();
    this.tcp?.close();
  }
}

/** The same zone data for dnsmasq (Debian's dnsmasq-base), authoritative for the zones on address:port. */
export function dnsmasqArguments(data: LabZoneData, address: string, port: number): string[] {
  return [
    '--keep-in-foreground',
    `--port=${port}`,
    `--listen-address=${address}`,
    '--bind-interfaces',
    '--no-resolv',
    '--no-hosts',
    '--user=nobody',
    '--pid-file=',
    ...data.zones.map((z) => `--local=/${z}/`),
    ...Object.entries(data.a).map(([name, a]) => `--host-record=${name},${a}`),
    ...Object.entries(data.mx).flatMap(([domain, list]) => list.map((m) => `--mx-host=${domain},${m.exchange},${m.preference}`)),
    ...Object.entries(data.txt ?? {}).flatMap(([name, list]) => list.map((t) => `--txt-record=${name},${Array.isArray(t) ? t.join(',') : t}`)),
  ];
}
