// The Address Rewriting agents' choices (closest entry, direction, exceptions)
// and the in-place rewrite of header fields (display names, comments, other
// fields and line lengths kept).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { entryProblems, parseExternalAddress, parseInternalAddress } from '../config/model/address-rewrite-entry.js';
import { AddressRewriter, foldLongLines, MAX_LINE_OCTETS, rewriteHeaderFields, rewriteOutbound, type AddressRewriteEntry } from './address-rewriting.js';

const entry = (name: string, internalAddress: string, externalAddress: string, more: Partial<AddressRewriteEntry> = {}): AddressRewriteEntry => ({
  name,
  internalAddress,
  externalAddress,
  exceptionList: [],
  outboundOnly: false,
  ...more,
});

const rewriter = new AddressRewriter([
  entry('david', 'david@contoso.com', 'dave@northwindtraders.com'),
  entry('contoso', 'contoso.com', 'northwindtraders.com'),
  entry('sales', 'sales.contoso.com', 'sales.example', { outboundOnly: true }),
  entry('flatten', '*.contoso.com', 'contoso.com', { outboundOnly: true, exceptionList: ['research.contoso.com'] }),
  entry('flatten eu', '*.eu.contoso.com', 'contoso.eu', { outboundOnly: true }),
]);
const out = (a: string) => rewriter.outbound(a)?.address ?? null;
const inn = (a: string) => rewriter.inbound(a)?.address ?? null;

describe('AddressRewriter', () => {
  it('outbound: the address entry, then the domain entry, then the closest *.domain', () => {
    assert.equal(out('David@Contoso.com'), 'dave@northwindtraders.com');
    assert.equal(out('Kim@CONTOSO.com'), 'Kim@northwindtraders.com', 'the local part keeps its case');
    assert.equal(out('kim@sales.contoso.com'), 'kim@sales.example', 'a domain entry beats domain flattening');
    assert.equal(out('kim@hr.contoso.com'), 'kim@contoso.com');
    assert.equal(out('kim@a.b.contoso.com'), 'kim@contoso.com');
    assert.equal(out('kim@paris.eu.contoso.com'), 'kim@contoso.eu', 'the closest *.domain');
    assert.equal(out('kim@research.contoso.com'), null, 'an exception');
    assert.equal(out('kim@lab.research.contoso.com'), null, 'an exception covers its subdomains');
    assert.equal(out('kim@fabrikam.com'), null);
    assert.equal(out('not-an-address'), null);
    assert.equal(rewriter.outbound('kim@hr.contoso.com')?.entry, 'flatten');
  });

  it('inbound: only entries that are not OutboundOnly, from the external form back', () => {
    assert.equal(inn('dave@northwindtraders.com'), 'david@contoso.com');
    assert.equal(inn('Kim@NorthwindTraders.com'), 'Kim@contoso.com');
    assert.equal(inn('kim@sales.example'), null, 'OutboundOnly');
    assert.equal(inn('kim@contoso.com'), null);
  });

  it('an entry that maps an address onto itself changes nothing', () => {
    const same = new AddressRewriter([entry('same', 'contoso.com', 'contoso.com')]);
    assert.equal(same.outbound('kim@contoso.com'), null);
    assert.equal(new AddressRewriter([]).empty, true);
  });
});

describe('rewriteHeaderFields', () => {
  const header = (lines: string[]) => Buffer.from(lines.map((l) => `${l}\r\n`).join(''), 'latin1');
  const map = (a: string) => rewriter.outbound(a);

  it('rewrites the addresses of the outbound fields, and keeps display names, comments and the other fields', () => {
    const h = header([
      'Received: from mbx01.contoso.com by edge01 for <david@contoso.com>; Mon, 1 Jan 2024 00:00:00 +0000',
      'Return-Path: <david@contoso.com>',
      'Message-ID: <123.david@contoso.com>',
      'From: "David (david@contoso.com)" <david@contoso.com>',
      'To: kim@hr.contoso.com (Kim), "Lee, Pat" <pat@fabrikam.com>,',
      '\tBoard: ann@contoso.com, bob@research.contoso.com;',
      'Cc: =?UTF-8?B?w4lsaXNl?= <elise@contoso.com>',
      'Reply-To: <David@CONTOSO.COM>',
      'Sender: helpdesk@sales.contoso.com',
      'Disposition-Notification-To: david@contoso.com',
      'Return-Receipt-To: david@contoso.com',
      'Resent-From: kim@hr.contoso.com',
      'Resent-Sender: kim@hr.contoso.com',
      'Resent-To: kim@hr.contoso.com',
      'Subject: about david@contoso.com',
    ]);
    const r = rewriteHeaderFields(h, map);
    const text = r.header.toString('latin1');
    assert.equal(
      text,
      header([
        'Received: from mbx01.contoso.com by edge01 for <david@contoso.com>; Mon, 1 Jan 2024 00:00:00 +0000',
        'Return-Path: <david@contoso.com>',
        'Message-ID: <123.david@contoso.com>',
        'From: "David (david@contoso.com)" <dave@northwindtraders.com>',
        'To: kim@contoso.com (Kim), "Lee, Pat" <pat@fabrikam.com>,',
        '\tBoard: ann@northwindtraders.com, bob@research.contoso.com;',
        'Cc: =?UTF-8?B?w4lsaXNl?= <elise@northwindtraders.com>',
        'Reply-To: <dave@northwindtraders.com>',
        'Sender: helpdesk@sales.example',
        'Disposition-Notification-To: dave@northwindtraders.com',
        'Return-Receipt-To: dave@northwindtraders.com',
        'Resent-From: kim@contoso.com',
        'Resent-Sender: kim@contoso.com',
        'Resent-To: kim@hr.contoso.com',
        'Subject: about david@contoso.com',
      ]).toString('latin1'),
    );
    assert.deepEqual(
      r.changes.map((c) => `${c.field}:${c.from}>${c.to}`),
      [
        'From:david@contoso.com>dave@northwindtraders.com',
        'To:kim@hr.contoso.com>kim@contoso.com',
        'To:ann@contoso.com>ann@northwindtraders.com',
        'Cc:elise@contoso.com>elise@northwindtraders.com',
        'Reply-To:David@CONTOSO.COM>dave@northwindtraders.com',
        'Sender:helpdesk@sales.contoso.com>helpdesk@sales.example',
        'Disposition-Notification-To:david@contoso.com>dave@northwindtraders.com',
        'Return-Receipt-To:david@contoso.com>dave@northwindtraders.com',
        'Resent-From:kim@hr.contoso.com>kim@contoso.com',
        'Resent-Sender:kim@hr.contoso.com>kim@contoso.com',
      ],
    );
  });

  it('returns the same buffer when nothing matches, and keeps UTF-8 octets', () => {
    const h = Buffer.from('From: Zoë <zoe@fabrikam.com>\r\nTo: Émile <emile@contoso.com>\r\n', 'utf8');
    assert.equal(rewriteHeaderFields(h, () => null).header, h);
    const r = rewriteHeaderFields(h, map).header.toString('utf8');
    assert.equal(r, 'From: Zoë <zoe@fabrikam.com>\r\nTo: Émile <emile@northwindtraders.com>\r\n');
  });

  it('does not take a longer address for a shorter one', () => {
    const r = rewriteHeaderFields(header(['To: xdavid@contoso.com.evil, david@contoso.com']), map).header.toString('latin1');
    assert.equal(r, 'To: xdavid@contoso.com.evil, dave@northwindtraders.com\r\n');
  });

  it('rewrites an address whose local part is a quoted string', () => {
    const r = rewriteHeaderFields(header(['To: "john doe"@contoso.com, x <"a b"@hr.contoso.com>']), map);
    assert.equal(r.header.toString('latin1'), 'To: "john doe"@northwindtraders.com, x <"a b"@contoso.com>\r\n');
    assert.equal(r.changes.length, 2);
  });

  it('folds a line the rewrite made longer than 998 octets, at commas and spaces, into valid lines', () => {
    const many = Array.from({ length: 45 }, (_, i) => `user${i}@contoso.com`);
    assert.ok(`To: ${many.join(',')}`.length <= MAX_LINE_OCTETS, 'a valid line before');
    const h = header([`To: ${many.join(',')}`, 'Subject: x']);
    const r = rewriteHeaderFields(h, map).header.toString('latin1');
    const lines = r.split('\r\n');
    assert.ok(
      lines.every((l) => l.length <= MAX_LINE_OCTETS),
      'every line within 998 octets',
    );
    assert.ok(lines.length > 3, 'folded');
    assert.ok(
      lines.slice(1, -2).every((l) => l.startsWith(' ') || l.startsWith('\t')),
      'continuation lines start with white space',
    );
    assert.equal(lines.at(-2), 'Subject: x');
    const unfolded = r.replace(/\r\n(?=[ \t])/g, '').split('\r\n')[0];
    assert.deepEqual(
      unfolded
        .slice(4)
        .split(',')
        .map((s) => s.trim()),
      many.map((a) => a.replace('@contoso.com', '@northwindtraders.com')),
    );
  });

  it('keeps short lines as they are', () => {
    assert.equal(foldLongLines('To: a@b.c,\r\n d@e.f\r\n'), 'To: a@b.c,\r\n d@e.f\r\n');
  });
});

describe('rewriteOutbound', () => {
  it('rewrites MAIL FROM and the fields; the null sender stays', () => {
    const r = rewriteOutbound(rewriter, 'david@contoso.com', Buffer.from('From: david@contoso.com\r\n'));
    assert.equal(r?.sender, 'dave@northwindtraders.com');
    assert.equal(r?.header.toString(), 'From: dave@northwindtraders.com\r\n');
    assert.equal(rewriteOutbound(rewriter, '', Buffer.from('Subject: x\r\n')), null);
  });

  it('a signed message keeps its fields; its MAIL FROM is rewritten', () => {
    const h = Buffer.from('From: david@contoso.com\r\nContent-Type: multipart/signed; protocol="application/pkcs7-signature";\r\n boundary="b"\r\n');
    const r = rewriteOutbound(rewriter, 'david@contoso.com', h);
    assert.equal(r?.sender, 'dave@northwindtraders.com');
    assert.equal(r?.header, h);
  });
});

describe('address rewrite entry rules', () => {
  const rules = (v: Record<string, unknown>, others: { values: Record<string, unknown> }[] = []) => entryProblems({ ExceptionList: [], OutboundOnly: false, ...v }, others).map((p) => p.message);

  it('parses the three forms of InternalAddress and refuses wildcards elsewhere', () => {
    assert.equal(parseInternalAddress(' David@Contoso.COM '), 'David@contoso.com');
    assert.equal(parseInternalAddress('Contoso.com'), 'contoso.com');
    assert.equal(parseInternalAddress('*.Contoso.com'), '*.contoso.com');
    assert.throws(() => parseInternalAddress('*@contoso.com'), /only allowed as \*\.domain/);
    assert.throws(() => parseInternalAddress('sales.*.com'), /only allowed at the start/);
    assert.throws(() => parseInternalAddress('contoso..com'), /not a valid domain/);
    assert.throws(() => parseExternalAddress('*.fabrikam.com'), /can't be used in ExternalAddress/);
    assert.throws(() => parseExternalAddress('a b@fabrikam.com'), /not a valid email address/);
  });

  it('ties the properties together', () => {
    assert.deepEqual(rules({ InternalAddress: 'david@contoso.com', ExternalAddress: 'dave@fabrikam.com' }), []);
    assert.match(rules({ InternalAddress: 'david@contoso.com', ExternalAddress: 'fabrikam.com' })[0], /must be an email address too/);
    assert.match(rules({ InternalAddress: 'contoso.com', ExternalAddress: 'x@fabrikam.com' })[0], /must be a single domain/);
    assert.match(rules({ InternalAddress: '*.contoso.com', ExternalAddress: 'contoso.com' })[0], /-OutboundOnly \$true/);
    assert.match(rules({ InternalAddress: 'contoso.com', ExternalAddress: 'fabrikam.com', ExceptionList: ['a.contoso.com'] })[0], /only applies when InternalAddress is a domain with all its subdomains/);
    assert.match(rules({ InternalAddress: '*.contoso.com', ExternalAddress: 'contoso.com', OutboundOnly: true, ExceptionList: ['fabrikam.com'] })[0], /fabrikam\.com is not within \*\.contoso\.com/);
    assert.match(rules({ InternalAddress: 'contoso.com', ExternalAddress: 'fabrikam.com' }, [{ values: { Name: 'old', InternalAddress: 'contoso.com' } }])[0], /"old" already rewrites contoso\.com/);
  });
});
