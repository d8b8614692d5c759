import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { OrganizationLimits } from '../../config/organization-settings.js';
import { organizationSizeLimit, recipientEnvelopeLimit } from './organization-limits.js';

const limits: OrganizationLimits = {
  maxSendSize: 2048,
  maxReceiveSize: 4096,
  maxRecipientEnvelopeLimit: 3,
  tlsSendDomainSecure: [],
  tlsReceiveDomainSecure: [],
  internalSmtpServers: [],
  copyDsnFor: [],
};

describe('organization limits in a session', () => {
  it('holds mail from outside to MaxReceiveSize and an authenticated sender to MaxSendSize', () => {
    assert.deepEqual(organizationSizeLimit({ kind: 'anonymous' }, limits), { octets: 4096, setting: 'MaxReceiveSize' });
    assert.deepEqual(organizationSizeLimit({ kind: 'user', name: 'CONTOSO\\bob', exchangeServer: false }, limits), { octets: 2048, setting: 'MaxSendSize' });
  });

  it('leaves mail relayed by Exchange servers or externally secured peers to the hop that took it in', () => {
    assert.equal(organizationSizeLimit({ kind: 'user', name: 'CONTOSO\\edgeauth', exchangeServer: true }, limits), null);
    assert.equal(organizationSizeLimit({ kind: 'externallySecured' }, limits), null);
    assert.equal(recipientEnvelopeLimit({ kind: 'externallySecured' }, limits), null);
    assert.equal(recipientEnvelopeLimit({ kind: 'anonymous' }, limits), 3);
  });

  it('knows no limit when the setting is unlimited', () => {
    assert.equal(organizationSizeLimit({ kind: 'anonymous' }, { ...limits, maxReceiveSize: null }), null);
    assert.equal(recipientEnvelopeLimit({ kind: 'anonymous' }, { ...limits, maxRecipientEnvelopeLimit: null }), null);
  });
});
