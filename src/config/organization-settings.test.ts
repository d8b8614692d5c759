import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SmtpDomainWithSubdomains } from './types/index.js';
import { remoteDomainFor, type RemoteDomainRule } from './organization-settings.js';

const rule = (name: string, domain: string, ndr = true): RemoteDomainRule => ({ name, domain: SmtpDomainWithSubdomains.parse(domain), autoReply: true, autoForward: true, deliveryReport: true, ndr });

describe('remote domain matching', () => {
  const rules = [rule('Default', '*'), rule('Fabrikam', 'fabrikam.com', false), rule('Fabrikam subdomains', '*.fabrikam.com'), rule('Sales', 'sales.fabrikam.com')];

  it('picks the most specific remote domain, Default last', () => {
    assert.equal(remoteDomainFor(rules, 'fabrikam.com')?.name, 'Fabrikam');
    assert.equal(remoteDomainFor(rules, 'sales.fabrikam.com')?.name, 'Sales');
    assert.equal(remoteDomainFor(rules, 'eu.fabrikam.com')?.name, 'Fabrikam subdomains');
    assert.equal(remoteDomainFor(rules, 'FABRIKAM.COM')?.name, 'Fabrikam');
    assert.equal(remoteDomainFor(rules, 'tailspintoys.com')?.name, 'Default');
  });
});
