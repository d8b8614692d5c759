import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyMessage } from './message-class.js';

const h = (text: string) => Buffer.from(text.replace(/\n/g, '\r\n'));

describe('automatic message classes', () => {
  it('knows auto-replies and auto-forwards by their header fields', () => {
    assert.equal(classifyMessage(h('From: a@contoso.com\nAuto-Submitted: auto-replied\nSubject: Out of office\n'), null), 'AutoReply');
    assert.equal(classifyMessage(h('Auto-Submitted: Auto-Forwarded; owner-email="a@contoso.com"\n'), null), 'AutoForward');
    assert.equal(classifyMessage(h('X-MS-Exchange-Inbox-Rules-Loop: a@contoso.com\nSubject: FW: x\n'), null), 'AutoForward');
    assert.equal(classifyMessage(h('Auto-Submitted: no\nSubject: hello\n'), null), undefined);
    assert.equal(classifyMessage(h('Subject: hello\n'), null), undefined);
  });

  it('tells delivery and read reports from non-delivery reports', () => {
    const report = h('Content-Type: multipart/report; report-type=delivery-status;\n boundary="b"\n');
    assert.equal(classifyMessage(report, Buffer.from('--b\r\n\r\nAction: delivered\r\n--b--\r\n')), 'DeliveryReport');
    assert.equal(classifyMessage(report, Buffer.from('Action: relayed\r\n\r\nAction: failed\r\n')), 'NonDeliveryReport');
    assert.equal(classifyMessage(report, Buffer.from('Action: failed\r\n')), 'NonDeliveryReport');
    assert.equal(classifyMessage(report, null), 'NonDeliveryReport');
    assert.equal(classifyMessage(h('Content-Type: multipart/report; report-type="disposition-notification"; boundary=x\n'), null), 'DeliveryReport');
  });
});
