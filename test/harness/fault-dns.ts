// A scriptable authoritative DNS server on loopback for fault tests: the lab's
// DNS server (src/lab/lab-dns.ts, packets by dns-packet) with a behaviour per
// name that a test can change while the server runs: a normal MX, NXDOMAIN,
// a null MX (RFC 7505 `MX 0 .`), SERVFAIL, or no answer at all.

import dnsPacket from 'dns-packet';
import { LabDnsServer, RCODE, type LabZoneData } from '../../src/lab/lab-dns.js';

export type NameBehaviour = { kind: 'mx'; exchange: string; address: string } | { kind: 'nxdomain' } | { kind: 'null-mx' } | { kind: 'servfail' } | { kind: 'silent' };

export class FaultDnsServer extends LabDnsServer {
  private readonly broken = new Map<string, 'servfail' | 'silent'>();
  /** Queries seen, as "TYPE name", for assertions on what was asked. */
  readonly queries: string[] = [];

  private constructor(private readonly table: LabZoneData) {
    super(table);
  }

  /** A server authoritative for `zones`: names not given a behaviour answer NXDOMAIN. */
  static async start(address: string, port: number, zones: string[]): Promise<FaultDnsServer> {
    const server = new FaultDnsServer({ zones, a: {}, mx: {} });
    await server.listen(address, port);
    return server;
  }

  /** Sets how `name` (a mail domain) answers from now on. */
  set(name: string, behaviour: NameBehaviour): void {
    const key = name.toLowerCase();
    this.broken.delete(key);
    delete this.table.mx[key];
    delete this.table.a[key];
    switch (behaviour.kind) {
      case 'mx':
        this.table.mx[key] = [{ exchange: behaviour.exchange, preference: 10 }];
        this.table.a[behaviour.exchange.toLowerCase()] = behaviour.address;
        break;
      case 'null-mx':
        this.table.mx[key] = [{ exchange: '.', preference: 0 }];
        break;
      case 'servfail':
      case 'silent':
        this.broken.set(key, behaviour.kind);
        break;
      case 'nxdomain':
        break;
    }
  }

  override answer(query: Buffer): Buffer {
    let q: dnsPacket.Packet;
    try {
      q = dnsPacket.decode(query);
    } catch {
      return Buffer.alloc(0);
    }
    const question = q.questions?.[0];
    if (question) this.queries.push(`${question.type} ${question.name.toLowerCase()}`);
    const fault = question && this.broken.get(question.name.toLowerCase().replace(/\.$/, ''));
    if (fault === 'silent') return Buffer.alloc(0);
    if (fault === 'servfail') {
      return dnsPacket.encode({ id: q.id, type: 'response', flags: ((q.flags ?? 0) & dnsPacket.RECURSION_DESIRED) | RCODE.SERVFAIL, questions: q.questions ?? [] } as dnsPacket.Packet);
    }
    return super.answer(query);
  }
}
