import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { splitContent } from './header-section.js';
import { authservId, firewallForSend, processHeader as processHeaderSection, rfc5322Date } from './message-headers.js';

const policy = { keepRoutingHeaders: true, keepOrganizationHeaders: false, maxHeaderSize: 262144, maxHopCount: 30, maxLocalHopCount: 8, localNames: ['edge01.contoso.net'], authAs: 'Anonymous' as const };
const msg = (s: string) => Buffer.from(s, 'latin1');

/** The whole message as the session would store it: the processed header, the empty line, the body. */
function processHeader(message: Buffer, p: Parameters<typeof processHeaderSection>[1], received: string, id: () => string) {
  const split = splitContent(message);
  const r = processHeaderSection(split.header, p, received, id);
  if (!r.ok) return r;
  return { ...r, message: Buffer.concat([r.header, split.hasSeparator ? Buffer.from('\r\n') : Buffer.alloc(0), split.body]) };
}

describe('processHeader', () => {
  it("drops Authentication-Results that claim this server's authserv-id from outside, keeps other servers' (RFC 8601 §5)", () => {
    const input = msg('Authentication-Results: (forged) EDGE01.contoso.net; dkim=pass\r\nAuthentication-Results: mx.other.example;\r\n spf=pass\r\nSubject: s\r\n\r\nb');
    const r = processHeader(input, policy, 'r', () => '<m>');
    assert.ok(r.ok);
    const text = r.header.toString('utf8');
    assert.doesNotMatch(text, /EDGE01\.contoso\.net; dkim=pass/);
    assert.match(text, /Authentication-Results: mx\.other\.example;/);
    assert.equal(r.forgedAuthenticationResults, 1);
    const trusted = processHeader(input, { ...policy, keepOrganizationHeaders: true }, 'r', () => '<m>');
    assert.ok(trusted.ok && trusted.forgedAuthenticationResults === 0 && trusted.header.toString('utf8').includes('EDGE01.contoso.net; dkim=pass'));
    const secured = processHeader(input, { ...policy, keepOwnAuthenticationResults: true }, 'r', () => '<m>');
    assert.ok(secured.ok && secured.forgedAuthenticationResults === 0 && secured.header.toString('utf8').includes('EDGE01.contoso.net; dkim=pass'));
    assert.ok(!(processHeader(input, { ...policy, keepOrganizationHeaders: true, keepOwnAuthenticationResults: false }, 'r', () => '<m>') as { header: Buffer }).header.toString('utf8').includes('EDGE01.contoso.net; dkim=pass'));
    assert.equal(authservId(' (c) mx.example.com (x); spf=pass'), 'mx.example.com');
    assert.equal(authservId('edge01.contoso.net 1; none'), 'edge01.contoso.net');
  });
  it('adds Received on top and a Message-ID when missing, leaving the body alone', () => {
    const r = processHeader(msg('Subject: Hi\r\nFrom: a@fabrikam.com\r\n\r\nbody\r\n.dot\r\n'), policy, 'from x ([127.0.0.5]) by edge01.contoso.net; date', () => '<new@edge01.contoso.net>');
    assert.ok(r.ok);
    assert.equal(
      r.message.toString('latin1'),
      'Received: from x ([127.0.0.5]) by edge01.contoso.net; date\r\nX-MS-Exchange-Organization-AuthAs: Anonymous\r\nSubject: Hi\r\nFrom: a@fabrikam.com\r\nMessage-ID: <new@edge01.contoso.net>\r\n\r\nbody\r\n.dot\r\n',
    );
    assert.equal(r.authAs, 'Anonymous');
    assert.equal(r.messageId, '<new@edge01.contoso.net>');
    assert.equal(r.subject, 'Hi');
    assert.equal(r.from, 'a@fabrikam.com');
  });
  it('keeps an existing Message-ID, folded headers and 8-bit bytes', () => {
    const r = processHeader(msg('Message-ID:\r\n <m1@f.com>\r\nSubject: caf\xe9\r\n\r\nx'), policy, 'r', () => '<unused>');
    assert.ok(r.ok);
    assert.equal(r.messageId, '<m1@f.com>');
    assert.ok(r.message.includes(msg('Subject: caf\xe9\r\n')));
  });
  it('strips organization headers always and routing headers without the right', () => {
    const input = msg('Received: from a by b\r\nResent-From: x@y\r\nX-MS-Exchange-Organization-AuthAs: Internal\r\nX-Gatehouse-Organization-Trust: yes\r\nSubject: s\r\n\r\nb');
    const kept = processHeader(input, policy, 'r', () => '<m>');
    assert.ok(kept.ok);
    assert.match(kept.message.toString('latin1'), /^Received: r\r\nX-MS-Exchange-Organization-AuthAs: Anonymous\r\nReceived: from a by b\r\nResent-From: x@y\r\nSubject: s\r\n/);
    const stripped = processHeader(input, { ...policy, keepRoutingHeaders: false, keepOrganizationHeaders: true }, 'r', () => '<m>');
    assert.ok(stripped.ok);
    assert.equal(stripped.authAs, 'Internal', "a trusted session's own AuthAs is kept");
    assert.ok(kept.ok && kept.authAs === 'Anonymous' && !kept.message.includes('AuthAs: Internal'), 'an untrusted session cannot claim to be internal');
    assert.match(stripped.message.toString('latin1'), /^Received: r\r\nX-MS-Exchange-Organization-AuthAs: Internal\r\nX-Gatehouse-Organization-Trust: yes\r\nSubject: s\r\n/);
  });
  it('refuses loops above MaxHopCount and MaxLocalHopCount, and oversized headers', () => {
    const atLimit = Array.from({ length: 30 }, (_, i) => `Received: from h${i} by relay${i}.example\r\n`).join('');
    assert.ok(processHeader(msg(atLimit + '\r\nb'), policy, 'r', () => '<m>').ok, 'exactly MaxHopCount Received headers pass');
    const hops = Array.from({ length: 31 }, (_, i) => `Received: from h${i} by relay${i}.example\r\n`).join('');
    assert.deepEqual(
      processHeader(msg(hops + '\r\nb'), policy, 'r', () => '<m>'),
      { ok: false, reason: 'hop-count' },
    );
    const local = Array.from({ length: 9 }, () => 'Received: from mbx by edge01.contoso.net with ESMTP\r\n').join('');
    assert.deepEqual(
      processHeader(msg(local + '\r\nb'), policy, 'r', () => '<m>'),
      { ok: false, reason: 'local-hop-count' },
    );
    assert.deepEqual(
      processHeader(msg('X: ' + 'a'.repeat(300) + '\r\n\r\n'), { ...policy, maxHeaderSize: 100 }, 'r', () => '<m>'),
      { ok: false, reason: 'header-too-large' },
    );
  });
  it('copes with a message that is only a header or starts with the empty line', () => {
    const onlyHeader = processHeader(msg('Subject: x\r\n'), policy, 'r', () => '<m>');
    assert.ok(onlyHeader.ok);
    assert.equal(onlyHeader.message.toString(), 'Received: r\r\nX-MS-Exchange-Organization-AuthAs: Anonymous\r\nSubject: x\r\nMessage-ID: <m>\r\n');
    const noHeader = processHeader(msg('\r\nbody only'), policy, 'r', () => '<m>');
    assert.ok(noHeader.ok);
    assert.equal(noHeader.message.toString(), 'Received: r\r\nX-MS-Exchange-Organization-AuthAs: Anonymous\r\nMessage-ID: <m>\r\n\r\nbody only');
  });
  it('formats RFC 5322 dates', () => {
    assert.match(rfc5322Date(new Date(Date.UTC(2026, 10, 27, 17, 34, 56))), /^Fri, 27 Nov 2026 \d\d:34:56 [+-]\d{4}$/);
  });
  it('strips organization headers on the way out, and routing headers for Custom connectors', () => {
    const m = msg('Received: from a by b\r\nX-MS-Exchange-Organization-AuthAs: Internal\r\nSubject: s\r\n\r\nbody');
    assert.equal(firewallForSend(m, { organization: true, routing: false }).toString('latin1'), 'Received: from a by b\r\nSubject: s\r\n\r\nbody');
    assert.equal(firewallForSend(m, { organization: true, routing: true }).toString('latin1'), 'Subject: s\r\n\r\nbody');
    assert.equal(firewallForSend(m, { organization: false, routing: false }), m);
  });
  it('judges the lines the next hop receives: a bare CR or LF ends a header line', () => {
    for (const eol of ['\r', '\n', '\r\r\n']) {
      const r = processHeader(msg(`Subject: x${eol}X-MS-Exchange-Organization-AuthAs: Internal\r\nFrom: a@fabrikam.com\r\n\r\nbody\n`), policy, 'r', () => '<m>');
      assert.ok(r.ok);
      const text = r.message.toString('latin1');
      assert.equal(r.authAs, 'Anonymous', JSON.stringify(eol));
      // Every header line ends with CRLF, none says Internal; the body is left as it came.
      const header = text.slice(0, text.indexOf('\r\n\r\n') + 2);
      assert.ok(!header.includes('AuthAs: Internal'), `${JSON.stringify(eol)}: ${JSON.stringify(text)}`);
      assert.ok(!/\r(?!\n)|(?<!\r)\n/.test(header), JSON.stringify(header));
      assert.ok(text.endsWith('\r\n\r\nbody\n'));
    }
  });
  it('ends the header at an empty line made of bare line ends, as the next hop will', () => {
    const r = processHeader(msg('Subject: x\n\nX-MS-Exchange-Organization-AuthAs: Internal\r\n\r\nbody'), policy, 'r', () => '<m>');
    assert.ok(r.ok);
    assert.equal(r.message.toString('latin1'), 'Received: r\r\nX-MS-Exchange-Organization-AuthAs: Anonymous\r\nSubject: x\r\nMessage-ID: <m>\r\n\r\nX-MS-Exchange-Organization-AuthAs: Internal\r\n\r\nbody');
  });
  it('trusts only the newest copy of an organization header from a trusted peer', () => {
    const trusted = { ...policy, keepOrganizationHeaders: true };
    const r = processHeader(msg('Received: from edge\r\nX-MS-Exchange-Organization-AuthAs: Anonymous\r\nSubject: s\r\nX-MS-Exchange-Organization-AuthAs: Internal\r\n\r\nb'), trusted, 'r', () => '<m>');
    assert.ok(r.ok);
    assert.equal(r.authAs, 'Anonymous');
    assert.equal(r.staleOrganizationHeaders, 1);
    assert.ok(!r.message.includes('Internal'));
  });
  it('writes its Received header as UTF-8, whole code points', () => {
    const r = processHeader(msg('Subject: s\r\n\r\nb'), policy, 'from x by y for <\u010d\u010a@contoso.com>; date', () => '<m>');
    assert.ok(r.ok);
    const first = r.message.subarray(0, r.message.indexOf('\r\n'));
    assert.equal(first.toString('utf8'), 'Received: from x by y for <\u010d\u010a@contoso.com>; date');
    assert.ok(!first.includes(0x0d) && !first.includes(0x0a));
  });
});
