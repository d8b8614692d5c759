import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SmtpDomainWithSubdomains } from '../config/types/index.js';
import type { RemoteDomainRule } from '../config/organization-settings.js';
import type { AcceptedDomainRule } from '../config/transport-config.js';
import { ndrBlock, remoteDomainBlock } from './remote-domain-policy.js';

const accepted: AcceptedDomainRule[] = [{ name: 'Contoso', domain: SmtpDomainWithSubdomains.parse('contoso.com'), type: 'Authoritative', matchSubDomains: false }];
const rules: RemoteDomainRule[] = [
  { name: 'Default', domain: SmtpDomainWithSubdomains.parse('*'), autoReply: true, autoForward: false, deliveryReport: true, ndr: true },
  { name: 'Fabrikam', domain: SmtpDomainWithSubdomains.parse('fabrikam.com'), autoReply: false, autoForward: true, deliveryReport: false, ndr: false },
];

describe('remote domain policy', () => {
  it('stops the automatic messages a remote domain refuses, and nothing else', () => {
    assert.deepEqual(remoteDomainBlock(rules, accepted, 'kim@fabrikam.com', 'AutoReply'), { remoteDomain: 'Fabrikam', parameter: 'AutoReplyEnabled' });
    assert.deepEqual(remoteDomainBlock(rules, accepted, 'kim@fabrikam.com', 'DeliveryReport'), { remoteDomain: 'Fabrikam', parameter: 'DeliveryReportEnabled' });
    assert.equal(remoteDomainBlock(rules, accepted, 'kim@fabrikam.com', 'AutoForward'), null);
    assert.equal(remoteDomainBlock(rules, accepted, 'kim@fabrikam.com', undefined), null);
    assert.deepEqual(remoteDomainBlock(rules, accepted, 'lee@tailspintoys.com', 'AutoForward'), { remoteDomain: 'Default', parameter: 'AutoForwardEnabled' });
  });

  it("never treats the organization's own domains as remote", () => {
    assert.equal(remoteDomainBlock(rules, accepted, 'bob@contoso.com', 'AutoForward'), null);
    assert.equal(ndrBlock([{ ...rules[0], ndr: false }], accepted, 'bob@contoso.com'), null);
  });

  it('names the remote domain that keeps an NDR from its senders', () => {
    assert.equal(ndrBlock(rules, accepted, 'kim@fabrikam.com'), 'Fabrikam');
    assert.equal(ndrBlock(rules, accepted, 'lee@tailspintoys.com'), null);
  });
});
