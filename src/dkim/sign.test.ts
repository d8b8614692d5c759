import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { activeSelector, dkimTxtRecord, recordsToPublish, retiredPublishUntil } from '../config/model/dkim-signing-config.js';
import type { SendConnectorConfig } from '../routing/send-connector-config.js';
import { generateDkimKey } from './keys.js';
import { signsOver } from './outbound.js';
import { dkimSignature, fromDomain } from './sign.js';

const msg = (from: string, extra = '') => Buffer.from(`Received: x\r\n${from}\r\nTo: b@example.net\r\nSubject: s\r\n${extra}\r\nbody\r\n`);

describe('DKIM signing', () => {
  it('finds the domain of the one From address', () => {
    assert.equal(fromDomain(msg('From: alice@Contoso.COM')), 'contoso.com');
    assert.equal(fromDomain(msg('From: "Alice, A." <alice@contoso.com>')), 'contoso.com');
    assert.equal(fromDomain(msg('From: Alice (sales) <alice@sales.contoso.com> (x)')), 'sales.contoso.com');
    assert.equal(fromDomain(msg('From:\r\n <alice@contoso.com>')), 'contoso.com');
    assert.equal(fromDomain(msg('From: a@contoso.com, b@fabrikam.com')), null, 'two authors: not signed');
    assert.equal(fromDomain(msg('From: a@contoso.com', 'From: b@contoso.com\r\n')), null, 'two From fields: not signed');
    assert.equal(fromDomain(msg('Sender: a@contoso.com')), null);
    assert.equal(fromDomain(msg('From: undisclosed')), null);
  });

  it('signs over connectors to the Internet only', () => {
    const c = (o: Partial<SendConnectorConfig>) => ({ guid: 'g', usage: 'Custom', dnsRoutingEnabled: false, ...o }) as SendConnectorConfig;
    assert.equal(signsOver(c({ usage: 'Internet' })), true);
    assert.equal(signsOver(c({ usage: 'Custom', dnsRoutingEnabled: true })), true);
    assert.equal(signsOver(c({ usage: 'Partner', dnsRoutingEnabled: true })), true);
    assert.equal(signsOver(c({ usage: 'Custom' })), false, 'a smart host that is not the Internet');
    assert.equal(signsOver(c({ usage: 'Internal', dnsRoutingEnabled: true })), false);
    assert.equal(signsOver(c({ guid: 'intraorg:mbx02', usage: 'Internal' })), false);
  });

  it('oversigns From and signs the recommended fields present', async () => {
    const key = generateDkimKey('Ed25519', 256);
    const sig = await dkimSignature(msg('From: a@contoso.com', 'Reply-To: r@contoso.com\r\nX-Other: 1\r\n'), { domain: 'contoso.com', selector: 'selector1', privateKeyPem: key.privateKeyPem, canonicalization: 'relaxed/relaxed' });
    assert.match(sig, /^DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed\/relaxed; d=contoso\.com;/);
    const h = /h=([^;]+);/
      .exec(sig.replace(/\r\n\s+/g, ' '))![1]
      .split(':')
      .map((x) => x.trim().toLowerCase());
    assert.deepEqual([...h].sort(), ['from', 'from', 'reply-to', 'subject', 'to']);
    assert.ok(sig.endsWith('\r\n'));
  });

  it('rotation: the retiring selector stays listed for seven days', () => {
    const on = new Date('2026-01-01T00:00:00Z');
    const v = { Domain: 'contoso.com', Selector1PublicKey: 'v=DKIM1; k=rsa; p=AAA', Selector2PublicKey: 'v=DKIM1; k=rsa; p=BBB', SelectorBeforeRotateOnDate: 'selector1', SelectorAfterRotateOnDate: 'selector2', RotateOnDate: on };
    assert.equal(activeSelector(v, new Date('2026-01-02T00:00:00Z')), 'selector2');
    assert.equal(activeSelector(v, new Date('2025-12-31T00:00:00Z')), 'selector1');
    assert.deepEqual(retiredPublishUntil(v), new Date('2026-01-08T00:00:00Z'));
    assert.equal(recordsToPublish(v, new Date('2026-01-07T23:59:59Z')).length, 2);
    assert.deepEqual(recordsToPublish(v, new Date('2026-01-08T00:00:00Z')), ['selector2._domainkey.contoso.com. IN TXT "v=DKIM1; k=rsa; p=BBB"']);
  });

  it('splits a long TXT value in strings of 255 characters', () => {
    const value = `v=DKIM1; k=rsa; p=${'A'.repeat(400)}`;
    const record = dkimTxtRecord('contoso.com', 'selector1', value);
    const strings = [...record.matchAll(/"([^"]*)"/g)].map((m) => m[1]);
    assert.deepEqual(
      strings.map((s) => s.length),
      [255, value.length - 255],
    );
    assert.equal(strings.join(''), value);
  });
});
