import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bannerReply, rfc822Date } from './banner.js';
import { formatReply } from './reply.js';

const at = new Date(Date.UTC(2016, 7, 5, 23, 24, 41)); // 16:24:41 at -07:00

test('RFC 822 date with numeric offset', () => {
  assert.equal(rfc822Date(at, -420), 'Fri, 5 Aug 2016 16:24:41 -0700');
  assert.equal(rfc822Date(at, 0), 'Fri, 5 Aug 2016 23:24:41 +0000');
  assert.equal(rfc822Date(at, 330), 'Sat, 6 Aug 2016 04:54:41 +0530');
});

test('default banner: our product name, Exchange shape', () => {
  const r = bannerReply({ fqdn: 'mail1.fabrikam.com', now: at, utcOffsetMinutes: -420 });
  assert.equal(formatReply(r, { enhancedStatusCodes: true }), '220 mail1.fabrikam.com Gatehouse ESMTP ready at Fri, 5 Aug 2016 16:24:41 -0700\r\n');
});

test('custom banner is sent as is', () => {
  const r = bannerReply({ fqdn: 'x', banner: '220 Contoso mail server', now: at });
  assert.equal(formatReply(r, { enhancedStatusCodes: true }), '220 Contoso mail server\r\n');
  assert.equal(formatReply(bannerReply({ fqdn: 'x', banner: '220-odd', now: at }), { enhancedStatusCodes: false }), '220 odd\r\n');
  // null restores the default
  assert.match(formatReply(bannerReply({ fqdn: 'x', banner: null, now: at }), { enhancedStatusCodes: false }), /^220 x Gatehouse ESMTP ready at /);
});
