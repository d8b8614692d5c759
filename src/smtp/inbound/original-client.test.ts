import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IPRange } from '../../config/types/index.js';
import { originalClientIp, receivedFromAddress } from './original-client.js';

describe('original client address', () => {
  it('reads the sending address of common Received forms', () => {
    assert.equal(receivedFromAddress('from mx.fabrikam.com (mx.fabrikam.com [203.0.113.5]) by relay.contoso.com with ESMTP id 1; Mon, 7 Dec 2026 10:00:00 +0000'), '203.0.113.5');
    assert.equal(receivedFromAddress('from sender.example (198.51.100.7) by edge01.contoso.net (10.1.1.1) with ESMTP id X; date'), '198.51.100.7');
    assert.equal(receivedFromAddress('from pc ([IPv6:2001:db8::5]) by relay with ESMTP'), '2001:db8::5');
    assert.equal(receivedFromAddress('by relay.contoso.com with local id 5'), null);
  });

  it('skips the internal SMTP servers, newest Received first', () => {
    const internal = [IPRange.parse('10.1.1.0/24'), IPRange.parse('192.168.5.10')];
    const received = [
      'from relay2.contoso.com (10.1.1.7) by edge01 with ESMTP',
      'from relay1.contoso.com ([192.168.5.10]) by relay2 with ESMTP',
      'from mx.fabrikam.com (mx.fabrikam.com [203.0.113.5]) by relay1 with ESMTP',
      'from pc.fabrikam.com ([198.51.100.9]) by mx.fabrikam.com',
    ];
    assert.equal(originalClientIp('10.1.1.8', received, internal), '203.0.113.5');
    assert.equal(originalClientIp('198.51.100.1', received, internal), '198.51.100.1');
    assert.equal(originalClientIp('10.1.1.8', received.slice(0, 2), internal), '10.1.1.8');
  });
});
