import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import dnsPacket from 'dns-packet';
import { dnsmasqArguments, LabDnsServer } from './lab-dns.js';
import { zoneData } from './topology.js';

describe("the lab's DNS", () => {
  const value = `v=DKIM1; k=rsa; p=${'A'.repeat(380)}`;
  const chunks = value.match(/.{1,255}/g)!;

  it('serves a DKIM key record longer than 255 characters as several strings of one TXT record', () => {
    const dns = new LabDnsServer(zoneData());
    dns.setTxt('selector1._domainkey.contoso.com', [chunks]);
    const reply = dnsPacket.decode(dns.answer(dnsPacket.encode({ type: 'query', id: 7, questions: [{ type: 'TXT', name: 'selector1._domainkey.contoso.com' }] })));
    assert.equal(reply.answers?.length, 1);
    const data = (reply.answers![0] as { data: Buffer[] }).data;
    assert.deepEqual(
      data.map((b) => b.length),
      [255, value.length - 255],
    );
    assert.equal(Buffer.concat(data).toString(), value);
  });

  it('gives dnsmasq the same record, its strings separated by commas', () => {
    const args = dnsmasqArguments(zoneData({ 'selector1._domainkey.fabrikam.com': chunks }), '127.0.0.1', 5353);
    assert.ok(args.includes(`--txt-record=selector1._domainkey.fabrikam.com,${chunks.join(',')}`));
    assert.ok(args.some((a) => a.startsWith('--txt-record=fabrikam.com,v=spf1 ')));
  });
});
