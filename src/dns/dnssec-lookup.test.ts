import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import dnsPacket from 'dns-packet';
import { DnssecLookup } from './dnssec-lookup.js';

const HOST = '127.52.9.53';
const PORT = 5399;
const SILENT = { address: '127.52.9.54', port: 5399 };

type Decoded = dnsPacket.DecodedPacket;

/** A small DNS server (UDP and TCP) that answers from `reply`, recording the queries it saw. */
describe('DNSSEC-aware lookup', () => {
  let udp: Socket;
  let tcp: Server;
  let silent: Socket;
  const seen: { transport: 'udp' | 'tcp'; packet: Decoded }[] = [];

  const respond = (q: Decoded, transport: 'udp' | 'tcp'): Buffer => {
    const question = q.questions![0];
    const base = { type: 'response' as const, id: q.id, questions: q.questions };
    const rd = dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE;
    if (question.name === 'big.example' && transport === 'udp') return dnsPacket.encode({ ...base, flags: rd | dnsPacket.TRUNCATED_RESPONSE | dnsPacket.AUTHENTIC_DATA });
    if (question.name === 'stray.example') {
      // First a reply with another id, then the real one.
      udp.send(dnsPacket.encode({ ...base, id: (q.id! + 1) % 65536, flags: rd, answers: [] }), lastPort, lastAddress);
    }
    if (question.name === 'bogus.example') return Buffer.from(dnsPacket.encode({ ...base, flags: rd | 2 /* SERVFAIL */ }));
    if (question.type === 'TLSA') {
      return dnsPacket.encode({ ...base, flags: rd | dnsPacket.AUTHENTIC_DATA, answers: [{ type: 'TLSA', name: question.name, ttl: 60, data: { usage: 3, selector: 1, matchingType: 1, certificate: Buffer.alloc(32, 7) } }] });
    }
    if (question.type === 'MX') {
      return dnsPacket.encode({ ...base, flags: rd | (question.name === 'signed.example' ? dnsPacket.AUTHENTIC_DATA : 0), answers: [{ type: 'MX', name: question.name, ttl: 60, data: { preference: 10, exchange: 'MX.Signed.Example' } }] });
    }
    return dnsPacket.encode({ ...base, flags: rd | dnsPacket.AUTHENTIC_DATA, answers: [{ type: 'A', name: question.name, ttl: 60, data: '192.0.2.7' }] });
  };
  let lastAddress = '';
  let lastPort = 0;

  before(async () => {
    udp = createSocket('udp4');
    udp.on('message', (msg, rinfo) => {
      const q = dnsPacket.decode(msg) as Decoded;
      seen.push({ transport: 'udp', packet: q });
      lastAddress = rinfo.address;
      lastPort = rinfo.port;
      udp.send(respond(q, 'udp'), rinfo.port, rinfo.address);
    });
    await new Promise<void>((r) => udp.bind(PORT, HOST, () => r()));
    silent = createSocket('udp4');
    silent.on('message', () => undefined);
    await new Promise<void>((r) => silent.bind(SILENT.port, SILENT.address, () => r()));
    tcp = createServer((sock) => {
      let buf = Buffer.alloc(0);
      sock.on('data', (d) => {
        buf = Buffer.concat([buf, d]);
        if (buf.length < 2 || buf.length < 2 + buf.readUInt16BE(0)) return;
        const q = dnsPacket.decode(buf.subarray(2, 2 + buf.readUInt16BE(0))) as Decoded;
        seen.push({ transport: 'tcp', packet: q });
        const out =
          q.questions![0].name === 'big.example'
            ? dnsPacket.encode({
                type: 'response',
                id: q.id,
                questions: q.questions,
                flags: dnsPacket.AUTHENTIC_DATA,
                answers: Array.from({ length: 40 }, (_, i) => ({ type: 'A' as const, name: 'big.example', ttl: 60, data: `192.0.2.${i + 1}` })),
              })
            : respond(q, 'tcp');
        const len = Buffer.alloc(2);
        len.writeUInt16BE(out.length);
        sock.end(Buffer.concat([len, out]));
      });
    });
    await new Promise<void>((r) => tcp.listen(PORT, HOST, () => r()));
  });

  after(async () => {
    udp.close();
    silent.close();
    await new Promise<void>((r) => tcp.close(() => r()));
  });

  const lookup = (servers = [{ address: HOST, port: PORT }]) => new DnssecLookup({ servers, timeoutMs: 300, tries: 1 });

  it('asks with RD, AD and EDNS0 DO, and reads AD from the answer', async () => {
    const a = await lookup().query('signed.example', 'MX');
    assert.equal(a.authenticated, true);
    assert.deepEqual(a.mx, [{ priority: 10, exchange: 'mx.signed.example' }]);
    const q = seen.at(-1)!.packet;
    assert.ok(q.flag_rd && q.flag_ad, 'RD and AD set in the query');
    const opt = (q.additionals ?? []).find((r) => r.type === 'OPT') as { flags?: number } | undefined;
    assert.ok(opt && ((opt.flags ?? 0) & dnsPacket.DNSSEC_OK) !== 0, 'EDNS0 with DO');
    assert.equal((await lookup().query('plain.example', 'MX')).authenticated, false);
  });

  it('reads TLSA records', async () => {
    const a = await lookup().query('_25._tcp.mx.signed.example', 'TLSA');
    assert.deepEqual(a.tlsa, [{ usage: 3, selector: 1, matchingType: 1, data: Buffer.alloc(32, 7) }]);
  });

  it('a truncated UDP answer is asked again over TCP', async () => {
    const a = await lookup().query('big.example', 'A');
    assert.equal(a.addresses.length, 40);
    assert.equal(seen.at(-1)!.transport, 'tcp');
  });

  it('ignores an answer with another id', async () => {
    const a = await lookup().query('stray.example', 'A');
    assert.deepEqual(a.addresses, ['192.0.2.7']);
  });

  it('reports the RCODE (SERVFAIL)', async () => {
    const a = await lookup().query('bogus.example', 'TLSA');
    assert.equal(a.rcode, 'SERVFAIL');
    assert.equal(a.authenticated, false);
  });

  it('a silent server: the next one is asked; none answering: ETIMEOUT', async () => {
    const a = await lookup([SILENT, { address: HOST, port: PORT }]).query('signed.example', 'MX');
    assert.equal(a.authenticated, true);
    await assert.rejects(lookup([SILENT]).query('signed.example', 'MX'), (err: Error & { code?: string }) => err.code === 'ETIMEOUT' && /127\.52\.9\.54:5399/.test(err.message));
  });
});
