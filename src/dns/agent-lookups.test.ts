import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { after, before, describe, it } from 'node:test';
import dnsPacket from 'dns-packet';
import { agentLookup } from './agent-lookups.js';

/** A name server on loopback that counts the questions it is asked: TXT for spf.example, NXDOMAIN for gone.example, SERVFAIL for broken.example. */
let server: Socket;
let port = 0;
const asked: string[] = [];

before(async () => {
  server = createSocket('udp4');
  server.on('message', (msg, peer) => {
    const q = dnsPacket.decode(msg);
    const question = q.questions![0];
    asked.push(`${question.type} ${question.name}`);
    const base = { id: q.id, type: 'response' as const, flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE, questions: q.questions };
    const reply =
      question.name === 'spf.example'
        ? dnsPacket.encode({ ...base, answers: [{ type: 'TXT', name: 'spf.example', ttl: 300, data: 'v=spf1 -all' }] })
        : dnsPacket.encode({ ...base, flags: base.flags | (question.name === 'gone.example' ? 3 : 2) });
    server.send(reply, peer.port, peer.address);
  });
  await new Promise<void>((resolve) => server.bind(0, '127.0.0.1', resolve));
  port = server.address().port;
});
after(() => server.close());

describe('agent DNS lookups', () => {
  it('asks once for a name many sessions want, and answers again from the cache', async () => {
    const lookup = agentLookup({ servers: [{ address: '127.0.0.1', port }], timeoutMs: 2000 });
    asked.length = 0;
    const answers = await Promise.all([lookup('spf.example', 'TXT'), lookup('SPF.example', 'TXT'), lookup('spf.example', 'TXT')]);
    assert.deepEqual(answers[0], [['v=spf1 -all']]);
    assert.deepEqual(await agentLookup({ servers: [{ address: '127.0.0.1', port }], timeoutMs: 2000 })('spf.example', 'TXT'), [['v=spf1 -all']]);
    assert.deepEqual(asked, ['TXT spf.example'], 'one query for all four lookups');
  });

  it('keeps a "no such name" answer, and a server failure for a few seconds', async () => {
    const lookup = agentLookup({ servers: [{ address: '127.0.0.1', port }], timeoutMs: 2000 });
    asked.length = 0;
    for (let i = 0; i < 2; i++) await assert.rejects(lookup('gone.example', 'TXT'), (err: NodeJS.ErrnoException) => err.code === 'ENOTFOUND');
    for (let i = 0; i < 2; i++) await assert.rejects(lookup('broken.example', 'TXT'), (err: NodeJS.ErrnoException) => err.code === 'ESERVFAIL');
    assert.deepEqual(asked, ['TXT gone.example', 'TXT broken.example']);
  });
});
