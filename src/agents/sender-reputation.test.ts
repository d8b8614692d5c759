import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { forgedHelo, MIN_MESSAGES, SenderReputation, senderReputationLevel } from './sender-reputation.js';

describe('sender reputation', () => {
  it('is 0 until an address has sent 20 messages, then 9 times the worst share, rounded', () => {
    const r = new SenderReputation();
    for (let i = 0; i < MIN_MESSAGES - 1; i++) {
      r.message('192.0.2.1', false);
      r.recipient('192.0.2.1', true);
    }
    assert.equal(senderReputationLevel(r.profile('192.0.2.1')!), 0, 'too few messages to judge');
    r.message('192.0.2.1', false);
    assert.equal(senderReputationLevel(r.profile('192.0.2.1')!), 9, 'every recipient refused');

    const mixed = new SenderReputation();
    for (let i = 0; i < 20; i++) {
      mixed.message('192.0.2.2', i < 2);
      mixed.recipient('192.0.2.2', i < 5);
      mixed.scored('192.0.2.2', i < 10 ? 9 : 1);
    }
    // spam 10/20 = 0.5 (4.5 -> 5), refused 5/20, forged HELO 2/20: the worst decides.
    assert.equal(senderReputationLevel(mixed.profile('192.0.2.2')!), 5);
    mixed.forget('192.0.2.2');
    assert.equal(mixed.profile('192.0.2.2'), null);
  });

  it("a HELO name is forged when it claims one of our names, or an address literal that is not the client's", () => {
    const ours = ['edge01.contoso.net', 'contoso.com'];
    assert.equal(forgedHelo('CONTOSO.COM', '192.0.2.9', ours), true);
    assert.equal(forgedHelo('edge01.contoso.net', '192.0.2.9', ours), true);
    assert.equal(forgedHelo('[192.0.2.8]', '192.0.2.9', ours), true);
    assert.equal(forgedHelo('[192.0.2.9]', '192.0.2.9', ours), false);
    assert.equal(forgedHelo('[IPv6:2001:db8::1]', '2001:db8::1', ours), false);
    assert.equal(forgedHelo('mail.fabrikam.com', '192.0.2.9', ours), false);
    assert.equal(forgedHelo('', '192.0.2.9', ours), false);
  });
});
