import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rightsFor } from './permissions.js';

describe('rightsFor', () => {
  it('gives Internet senders submit but no relay', () => {
    const r = rightsFor(['AnonymousUsers', 'ExchangeServers', 'Partners'], { kind: 'anonymous' });
    assert.ok(r.has('Submit') && r.has('AcceptAuthoritativeDomainSender') && r.has('AcceptRoutingHeaders'));
    assert.ok(!r.has('AcceptAnyRecipient') && !r.has('BypassMessageSizeLimit'));
  });
  it('gives nothing to anonymous sessions on an internal connector', () => {
    assert.equal(rightsFor(['ExchangeServers'], { kind: 'anonymous' }).size, 0);
  });
  it('gives a member of Exchange Servers relay and the internal header rights', () => {
    const r = rightsFor(['ExchangeServers'], { kind: 'user', name: 'CONTOSO\\edgeauth', exchangeServer: true });
    for (const x of ['Submit', 'AcceptAnyRecipient', 'AcceptOrganizationHeaders', 'BypassMessageSizeLimit'] as const) assert.ok(r.has(x), x);
  });
  it('gives other authenticated accounts only what ExchangeUsers grants', () => {
    assert.equal(rightsFor(['ExchangeServers'], { kind: 'user', name: 'bob', exchangeServer: false }).size, 0);
    const r = rightsFor(['ExchangeUsers'], { kind: 'user', name: 'bob', exchangeServer: false });
    assert.ok(r.has('AcceptAnyRecipient') && !r.has('AcceptAnySender'));
  });
  it('treats ExternalAuthoritative sessions as Externally Secured servers', () => {
    const r = rightsFor(['ExchangeServers'], { kind: 'externallySecured' });
    assert.ok(r.has('AcceptAnyRecipient') && !r.has('AcceptOrganizationHeaders'));
  });
});
