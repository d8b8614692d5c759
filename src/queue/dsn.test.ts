import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { simpleParser } from 'mailparser';
import { buildDsn, dsnBodyType, humanReadableText, type DsnInput, type DsnRecipient } from './dsn.js';
import { boundaryCandidate, encodedWords, foldField, quotedPrintable, splitMessage } from './dsn-mime.js';
import { describeDuration, explain } from './dsn-text.js';

const ORIGINAL = Buffer.from(
  'Received: from mail.contoso.com (192.0.2.10) by edge01.contoso.net with ESMTPS;\r\n' +
    '\tWed, 1 Nov 2023 04:00:00 +0000\r\n' +
    'From: Alice Smith <alice@contoso.com>\r\n' +
    'To: Bob <bob@fabrikam.com>\r\n' +
    'Subject: Quarterly report\r\n' +
    'Date: Wed, 1 Nov 2023 03:59:58 +0000\r\n' +
    'Message-ID: <7f3a9c@mail.contoso.com>\r\n' +
    'MIME-Version: 1.0\r\n' +
    'Content-Type: text/plain; charset=us-ascii\r\n' +
    '\r\n' +
    'Hi Bob,\r\n\r\nThe report is attached.\r\n',
);

function failed(extra: Partial<DsnRecipient> = {}): DsnRecipient {
  return {
    address: 'bob@fabrikam.com',
    orcpt: 'rfc822;bob@fabrikam.com',
    action: 'failed',
    status: '5.1.1',
    diagnostic: '550 5.1.1 <bob@fabrikam.com>: Recipient address rejected',
    remoteMta: 'mx1.fabrikam.com',
    lastAttempt: new Date('2023-11-01T04:20:14Z'),
    ...extra,
  };
}

function failure(extra: Partial<DsnInput> = {}, original: Partial<DsnInput['original']> = {}): DsnInput {
  return {
    kind: 'failure',
    reportingMta: 'edge01.contoso.net',
    from: 'postmaster@contoso.com',
    to: 'alice@contoso.com',
    original: {
      messageId: '<7f3a9c@mail.contoso.com>',
      subject: 'Quarterly report',
      envid: 'QQ314159',
      arrivalDate: new Date('2023-11-01T04:00:00Z'),
      content: ORIGINAL,
      ...original,
    },
    recipients: [failed()],
    maxAttachBytes: 10 * 1024 * 1024,
    now: new Date('2023-11-01T04:20:15Z'),
    messageId: '<5d1e0c2a-0b7e-4f8e-9a51-2c1d3e4f5a6b@edge01.contoso.net>',
    ...extra,
  };
}

function delay(extra: Partial<DsnInput> = {}): DsnInput {
  return failure({
    kind: 'delay',
    now: new Date('2023-11-01T08:06:00Z'),
    recipients: [
      {
        address: 'carol@northwind.example',
        orcpt: 'rfc822;carol@northwind.example',
        action: 'delayed',
        status: '4.4.7',
        diagnostic:
          '441 4.4.1 Error encountered while communicating with primary target IP address: "Failed to connect." Attempted failover to alternate host, but that did not succeed. Either there are no alternate hosts, or delivery failed to all alternate hosts. The last endpoint attempted was 198.51.100.25:25',
        remoteMta: '198.51.100.25',
        lastAttempt: new Date('2023-11-01T07:54:00Z'),
        willRetryUntil: new Date('2023-11-03T04:00:00Z'),
      },
    ],
    ...extra,
  });
}

interface RawPart {
  header: string;
  body: Buffer;
}

/** The unfolded top-level header and the three parts of a built DSN, read straight from the bytes. */
function dissect(raw: Buffer): { header: string; fields: Map<string, string>; boundary: string; parts: RawPart[] } {
  const text = raw.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  const header = text.slice(0, end + 2);
  const fields = new Map<string, string>();
  for (const line of header
    .replace(/\r\n[ \t]/g, ' ')
    .split('\r\n')
    .filter(Boolean)) {
    const colon = line.indexOf(':');
    fields.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
  }
  const boundary = /boundary="([^"]+)"/.exec(fields.get('content-type') ?? '')![1]!;
  const segments = text.slice(end).split(`\r\n--${boundary}`);
  assert.equal(segments[segments.length - 1], '--\r\n', 'closing delimiter ends the message');
  const parts = segments.slice(1, -1).map((s) => {
    assert.ok(s.startsWith('\r\n'));
    const sep = s.indexOf('\r\n\r\n', 2);
    return { header: s.slice(2, sep + 2), body: Buffer.from(s.slice(sep + 4), 'latin1') };
  });
  return { header, fields, boundary, parts };
}

function decodeQp(body: Buffer): Buffer {
  const s = body.toString('latin1').replace(/=\r\n/g, '');
  return Buffer.from(
    s.replace(/=([0-9A-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))),
    'latin1',
  );
}

function deliveryStatus(raw: Buffer): string[][] {
  const part = dissect(raw).parts[1]!;
  assert.match(part.header, /^Content-Type: message\/delivery-status\r\n/);
  return part.body
    .toString('latin1')
    .replace(/\r\n[ \t]/g, ' ')
    .replace(/\r\n$/, '')
    .split('\r\n\r\n')
    .map((b) => b.split('\r\n'));
}

function headerOf(content: Buffer): Buffer {
  return content.subarray(0, content.indexOf('\r\n\r\n') + 2);
}

function golden(name: string, actual: string): void {
  const url = new URL(`../../../src/queue/testdata/${name}`, import.meta.url);
  if (process.env['GOLDEN_UPDATE'] === '1') writeFileSync(url, actual);
  assert.equal(actual, readFileSync(url, 'utf8'));
}

describe('buildDsn: failure (NDR)', () => {
  it('has the top-level fields of an auto-replied multipart/report with CRLF line ends', async () => {
    const raw = buildDsn(failure());
    const { header, fields } = dissect(raw);
    assert.equal(fields.get('from'), 'Mail Delivery System <postmaster@contoso.com>');
    assert.equal(fields.get('to'), '<alice@contoso.com>');
    assert.equal(fields.get('subject'), 'Undeliverable: Quarterly report');
    assert.equal(fields.get('date'), 'Wed, 01 Nov 2023 04:20:15 +0000');
    assert.equal(fields.get('message-id'), '<5d1e0c2a-0b7e-4f8e-9a51-2c1d3e4f5a6b@edge01.contoso.net>');
    assert.equal(fields.get('in-reply-to'), '<7f3a9c@mail.contoso.com>');
    assert.equal(fields.get('references'), '<7f3a9c@mail.contoso.com>');
    assert.equal(fields.get('mime-version'), '1.0');
    assert.equal(fields.get('auto-submitted'), 'auto-replied');
    assert.match(fields.get('content-type')!, /^multipart\/report; report-type=delivery-status; boundary="[^"]+"$/);
    assert.ok(!/X-MS-Exchange/i.test(raw.toString('latin1')));
    assert.ok(!/Microsoft/i.test(raw.toString('latin1')));
    assert.ok(!/[^\r]\n/.test(raw.toString('latin1')) && !/\r[^\n]/.test(raw.toString('latin1')), 'CRLF only');
    for (const line of header.split('\r\n')) assert.ok(line.length <= 78, `header line too long: ${line}`);
    assert.equal(dsnBodyType(raw), '7BIT');

    const parsed = await simpleParser(raw);
    assert.equal(parsed.subject, 'Undeliverable: Quarterly report');
    assert.equal(parsed.from?.value[0]?.name, 'Mail Delivery System');
    assert.equal(parsed.from?.value[0]?.address, 'postmaster@contoso.com');
    assert.equal(parsed.inReplyTo, '<7f3a9c@mail.contoso.com>');
    assert.match(parsed.text ?? '', /^Delivery has failed to these recipients or groups:/);
  });

  it('has a text part, a message/delivery-status part and the original as message/rfc822', async () => {
    const raw = buildDsn(failure());
    const { parts } = dissect(raw);
    assert.equal(parts.length, 3);
    assert.match(parts[0]!.header, /^Content-Type: text\/plain; charset=utf-8\r\n/);
    assert.match(parts[1]!.header, /^Content-Type: message\/delivery-status\r\n/);
    assert.equal(parts[2]!.header, 'Content-Type: message/rfc822\r\n');
    assert.deepEqual(parts[2]!.body, ORIGINAL);
    assert.equal(parts[0]!.body.toString('utf8'), humanReadableText(failure()).replace(/\n/g, '\r\n'));

    const parsed = await simpleParser(raw);
    const attached = parsed.attachments.find((a) => a.contentType === 'message/rfc822');
    assert.ok(attached);
    assert.deepEqual(attached.content, ORIGINAL);
  });

  it('writes the per-message and per-recipient fields in RFC 3464 order', () => {
    const input = failure({
      recipients: [
        failed(),
        { address: 'dave@nowhere.example', action: 'failed', status: '5.4.4', diagnostic: 'SMTPSEND.DNS.NonExistentDomain; nonexistent domain' },
        failed({ address: 'erin@fabrikam.com', orcpt: undefined, status: '5.2.2', remoteMta: '203.0.113.7', diagnostic: '552 5.2.2 Mailbox full', lastAttempt: undefined }),
        failed({ address: 'frank@fabrikam.com', orcpt: undefined, status: '5.7.1', remoteMta: '2001:db8::25', diagnostic: undefined }),
      ],
    });
    const [perMessage, r1, r2, r3, r4, ...rest] = deliveryStatus(buildDsn(input));
    assert.equal(rest.length, 0);
    assert.deepEqual(perMessage, ['Original-Envelope-Id: QQ314159', 'Reporting-MTA: dns;edge01.contoso.net', 'Arrival-Date: Wed, 01 Nov 2023 04:00:00 +0000']);
    assert.deepEqual(r1, [
      'Original-Recipient: rfc822;bob@fabrikam.com',
      'Final-Recipient: rfc822;bob@fabrikam.com',
      'Action: failed',
      'Status: 5.1.1',
      'Remote-MTA: dns;mx1.fabrikam.com',
      'Diagnostic-Code: smtp;550 5.1.1 <bob@fabrikam.com>: Recipient address rejected',
      'Last-Attempt-Date: Wed, 01 Nov 2023 04:20:14 +0000',
    ]);
    assert.deepEqual(r2, ['Final-Recipient: rfc822;dave@nowhere.example', 'Action: failed', 'Status: 5.4.4', 'Diagnostic-Code: smtp;550 5.4.4 SMTPSEND.DNS.NonExistentDomain; nonexistent domain']);
    assert.deepEqual(r3, ['Final-Recipient: rfc822;erin@fabrikam.com', 'Action: failed', 'Status: 5.2.2', 'Remote-MTA: dns;[203.0.113.7]', 'Diagnostic-Code: smtp;552 5.2.2 Mailbox full']);
    assert.deepEqual(r4, ['Final-Recipient: rfc822;frank@fabrikam.com', 'Action: failed', 'Status: 5.7.1', 'Remote-MTA: dns;[IPv6:2001:db8::25]', 'Last-Attempt-Date: Wed, 01 Nov 2023 04:20:14 +0000']);
  });

  it('leaves out Original-Envelope-Id without ENVID and Original-Recipient without ORCPT', () => {
    const raw = buildDsn(failure({ recipients: [failed({ orcpt: undefined })] }, { envid: undefined }));
    const text = raw.toString('latin1');
    assert.ok(!text.includes('Original-Envelope-Id'));
    assert.ok(!text.includes('Original-Recipient'));
    assert.equal(deliveryStatus(raw)[0]![0], 'Reporting-MTA: dns;edge01.contoso.net');
  });

  it('keeps an ORCPT of another address type and escapes non-ASCII addresses (RFC 6533)', () => {
    const raw = buildDsn(failure({ recipients: [failed({ orcpt: 'rfc822;Bob.Old@fabrikam.com', address: 'bob@fabrikam.com' }), failed({ address: 'jürgen@fabrikam.com', orcpt: 'utf-8;jürgen@fabrikam.com' })] }));
    const [, r1, r2] = deliveryStatus(raw);
    assert.equal(r1![0], 'Original-Recipient: rfc822;Bob.Old@fabrikam.com');
    assert.equal(r2![0], 'Original-Recipient: utf-8;j\\x{FC}rgen@fabrikam.com');
    assert.equal(r2![1], 'Final-Recipient: utf-8;j\\x{FC}rgen@fabrikam.com');
  });

  it('returns the whole original when RET is absent and the message is within the limit', () => {
    const raw = buildDsn(failure({}, { ret: undefined }));
    assert.equal(dissect(raw).parts[2]!.header, 'Content-Type: message/rfc822\r\n');
  });

  it('returns only the header for RET=HDRS', async () => {
    const raw = buildDsn(failure({}, { ret: 'HDRS' }));
    const part = dissect(raw).parts[2]!;
    assert.equal(part.header, 'Content-Type: text/rfc822-headers\r\n');
    assert.deepEqual(part.body, headerOf(ORIGINAL));
    assert.ok(!raw.toString('latin1').includes('The report is attached.'));
    const parsed = await simpleParser(raw);
    assert.ok(!parsed.attachments.some((a) => a.contentType === 'message/rfc822'));
  });

  it('returns only the header when the original is larger than maxAttachBytes, or when it is 0', () => {
    for (const maxAttachBytes of [ORIGINAL.length - 1, 0]) {
      const part = dissect(buildDsn(failure({ maxAttachBytes }, { ret: 'FULL' }))).parts[2]!;
      assert.equal(part.header, 'Content-Type: text/rfc822-headers\r\n');
      assert.deepEqual(part.body, headerOf(ORIGINAL));
    }
    const exact = dissect(buildDsn(failure({ maxAttachBytes: ORIGINAL.length }, { ret: 'FULL' }))).parts[2]!;
    assert.equal(exact.header, 'Content-Type: message/rfc822\r\n');
  });

  it('explains the common enhanced status codes', () => {
    assert.match(explain('failed', '5.1.1')!, /couldn't be found/);
    assert.match(explain('failed', '5.4.4')!, /domain doesn't exist/);
    assert.match(explain('failed', '5.4.6')!, /loop/);
    assert.match(explain('failed', '4.4.7')!, /time allowed/);
    assert.match(explain('failed', '5.7.1')!, /relaying denied/);
    assert.match(explain('failed', '5.3.4')!, /maximum size/);
    assert.match(explain('failed', '5.2.2')!, /mailbox is full/);
    assert.match(explain('failed', '5.7.3')!, /TLS/);
    assert.match(explain('failed', '5.7.950')!, /mail flow rule/);
    assert.match(explain('failed', '5.1.99')!, /recipient's address/);
    assert.match(explain('delayed', '4.4.1')!, /timed out/);
    assert.equal(explain('delivered', '2.0.0'), undefined);
  });

  it('refuses to address a DSN to the null sender', () => {
    assert.throws(() => buildDsn(failure({ to: '' })), /null reverse-path/);
    assert.throws(() => buildDsn(failure({ to: '<>' })), /null reverse-path/);
    assert.throws(() => buildDsn(failure({ recipients: [] })), /at least one recipient/);
  });

  it('matches the golden text for a 5.1.1 failure', () => {
    golden('dsn-failure-5.1.1.txt', humanReadableText(failure()));
  });
});

describe('buildDsn: delay', () => {
  it('reports delayed recipients with Will-Retry-Until and returns only the header', async () => {
    const raw = buildDsn(delay({}));
    const { fields, parts } = dissect(raw);
    assert.equal(fields.get('subject'), 'Delayed: Quarterly report');
    const [, r1] = deliveryStatus(raw);
    assert.deepEqual(r1!.slice(0, 5), ['Original-Recipient: rfc822;carol@northwind.example', 'Final-Recipient: rfc822;carol@northwind.example', 'Action: delayed', 'Status: 4.4.7', 'Remote-MTA: dns;[198.51.100.25]']);
    assert.match(r1![5]!, /^Diagnostic-Code: smtp;441 4\.4\.1 Error encountered/);
    assert.deepEqual(r1!.slice(6), ['Last-Attempt-Date: Wed, 01 Nov 2023 07:54:00 +0000', 'Will-Retry-Until: Fri, 03 Nov 2023 04:00:00 +0000']);
    assert.equal(parts[2]!.header, 'Content-Type: text/rfc822-headers\r\n');
    const text = (await simpleParser(raw)).text ?? '';
    assert.match(text, /^Delivery is delayed to these recipients or groups:/);
    assert.match(text, /This message hasn't been delivered yet\. Delivery will continue to be attempted\./);
    assert.match(text, /until Fri, 03 Nov 2023 04:00:00 \+0000 \(for the next 1 day, 19 hours and 54 minutes\)/);
    // Folded at 78 columns.
    for (const line of parts[1]!.body.toString('latin1').split('\r\n')) assert.ok(line.length <= 78, line);
  });

  it('attaches only the header even with RET=FULL', () => {
    assert.equal(dissect(buildDsn(delay({ original: { ...delay().original, ret: 'FULL' } }))).parts[2]!.header, 'Content-Type: text/rfc822-headers\r\n');
  });

  it('writes Will-Retry-Until only for delayed recipients', () => {
    const raw = buildDsn(failure({ recipients: [failed({ willRetryUntil: new Date('2023-11-03T04:00:00Z') })] }));
    assert.ok(!raw.toString('latin1').includes('Will-Retry-Until'));
  });

  it('matches the golden text for a 4.4.7 delay', () => {
    golden('dsn-delay-4.4.7.txt', humanReadableText(delay()));
  });
});

describe('buildDsn: success', () => {
  it('reports delivered recipients with the header of the original', async () => {
    const raw = buildDsn(
      failure(
        {
          kind: 'success',
          recipients: [{ address: 'bob@fabrikam.com', action: 'delivered', status: '2.0.0', remoteMta: 'mx1.fabrikam.com', diagnostic: '250 2.0.0 OK queued as 4F1A2' }],
        },
        { ret: 'FULL' },
      ),
    );
    const { fields, parts } = dissect(raw);
    assert.equal(fields.get('subject'), 'Delivered: Quarterly report');
    assert.equal(parts[2]!.header, 'Content-Type: text/rfc822-headers\r\n');
    const [, r1] = deliveryStatus(raw);
    assert.ok(r1!.includes('Action: delivered') && r1!.includes('Status: 2.0.0') && r1!.includes('Diagnostic-Code: smtp;250 2.0.0 OK queued as 4F1A2'));
    assert.match((await simpleParser(raw)).text ?? '', /^Your message has been delivered to the following recipients:\n\nbob@fabrikam\.com\n/);
  });
});

describe('buildDsn: encodings and hostile originals', () => {
  it('encodes a non-ASCII subject as RFC 2047 encoded-words within 78 columns', async () => {
    const subject = 'Überweisung für Jürgen – 請求書 2023年11月 – ещё одна очень длинная тема письма';
    const raw = buildDsn(failure({}, { subject }));
    const { header } = dissect(raw);
    assert.match(header, /^Subject: Undeliverable: =\?UTF-8\?B\?/m);
    assert.ok(/^[\x00-\x7f]*$/.test(header), 'header is ASCII');
    for (const line of header.split('\r\n')) assert.ok(line.length <= 78, line);
    assert.equal((await simpleParser(raw)).subject, `Undeliverable: ${subject}`);
    // The text part carries the subject as UTF-8, quoted-printable.
    const text = dissect(raw).parts[0]!;
    assert.match(text.header, /Content-Transfer-Encoding: quoted-printable/);
    assert.ok(decodeQp(text.body).toString('utf8').includes(`Subject: ${subject}`));
  });

  it('keeps header injection attempts on one line', () => {
    const raw = buildDsn(failure({ recipients: [failed({ diagnostic: '550 5.1.1 no\r\nBcc: victim@example.com' })] }, { subject: 'hi\r\nBcc: victim@example.com' }));
    assert.ok(!/\r\nBcc:/.test(raw.toString('latin1')));
  });

  it('attaches an 8-bit original intact as message/rfc822 with an 8bit transfer encoding', async () => {
    const content = Buffer.concat([
      Buffer.from('From: =?ISO-8859-1?Q?J=FCrgen?= <j@contoso.com>\r\nSubject: caf', 'latin1'),
      Buffer.from([0xe9]), // raw Latin-1 in a header
      Buffer.from('\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n', 'latin1'),
      Buffer.from('Grüße aus Köln — ✓\r\n', 'utf8'),
      Buffer.from([0xff, 0xfe, 0x80, 0x0d, 0x0a]),
    ]);
    const raw = buildDsn(failure({}, { content, ret: 'FULL' }));
    const { fields, parts } = dissect(raw);
    assert.equal(fields.get('content-transfer-encoding'), '8bit');
    assert.equal(parts[2]!.header, 'Content-Type: message/rfc822\r\nContent-Transfer-Encoding: 8bit\r\n');
    assert.deepEqual(parts[2]!.body, content);
    assert.equal(dsnBodyType(raw), '8BITMIME');
    const attached = (await simpleParser(raw)).attachments.find((a) => a.contentType === 'message/rfc822');
    assert.deepEqual(attached?.content, content);
    // The quoted header in the text part is valid UTF-8 (the stray byte becomes U+FFFD).
    assert.ok(humanReadableText(failure({}, { content })).includes('Subject: caf\uFFFD'));

    // Headers only: quoted-printable, so the DSN stays 7-bit.
    const hdrs = buildDsn(failure({}, { content, ret: 'HDRS' }));
    const part = dissect(hdrs).parts[2]!;
    assert.equal(part.header, 'Content-Type: text/rfc822-headers\r\nContent-Transfer-Encoding: quoted-printable\r\n');
    assert.deepEqual(decodeQp(part.body), headerOf(content));
    assert.equal(dsnBodyType(hdrs), '7BIT');
  });

  it('chooses a boundary that does not occur in the original', async () => {
    const input = failure();
    const taken = [boundaryCandidate(input.messageId, 0), boundaryCandidate(input.messageId, 1)];
    const content = Buffer.from(
      'From: alice@contoso.com\r\nSubject: boundary test\r\n' + `Content-Type: multipart/mixed; boundary="${taken[0]}"\r\n\r\n` + `--${taken[0]}\r\nContent-Type: text/plain\r\n\r\n--${taken[1]}\r\n\r\n--${taken[0]}--\r\n`,
    );
    const raw = buildDsn({ ...input, original: { ...input.original, content } });
    const { boundary, parts } = dissect(raw);
    assert.ok(!taken.includes(boundary));
    assert.equal(boundary, boundaryCandidate(input.messageId, 2));
    assert.equal(parts.length, 3);
    assert.deepEqual(parts[2]!.body, content);
    const attached = (await simpleParser(raw)).attachments.find((a) => a.contentType === 'message/rfc822');
    assert.deepEqual(attached?.content, content);
  });

  it('supplies a missing header/body separator and normalises bare line feeds', () => {
    const content = Buffer.from('From: alice@contoso.com\nSubject: no separator\nThis line is body text, not a header.\nSecond line\n');
    const raw = buildDsn(failure({}, { content }));
    const part = dissect(raw).parts[2]!;
    assert.equal(part.body.toString(), 'From: alice@contoso.com\r\nSubject: no separator\r\n\r\nThis line is body text, not a header.\r\nSecond line\r\n');
    const hdrs = dissect(buildDsn(failure({}, { content, ret: 'HDRS' }))).parts[2]!;
    assert.equal(hdrs.body.toString(), 'From: alice@contoso.com\r\nSubject: no separator\r\n');
    assert.ok(humanReadableText(failure({}, { content })).endsWith('Original message headers:\n\nFrom: alice@contoso.com\nSubject: no separator\n'));
  });

  it('copes with a header-only original, an empty original and huge lines', () => {
    const headerOnly = Buffer.from('Subject: only a header');
    assert.equal(dissect(buildDsn(failure({}, { content: headerOnly, ret: 'HDRS' }))).parts[2]!.body.toString(), 'Subject: only a header\r\n');
    const empty = dissect(buildDsn(failure({}, { content: Buffer.alloc(0) })));
    assert.equal(empty.parts.length, 3);

    const huge = 'x'.repeat(5000);
    const content = Buffer.from(`Subject: ${huge}\r\nX-Long: ${huge}\r\n\r\n${huge}\r\n`);
    const raw = buildDsn(failure({ recipients: [failed({ diagnostic: `550 5.1.1 ${huge}`, remoteMta: huge })] }, { content, subject: huge }));
    const { header, parts } = dissect(raw);
    for (const line of header.split('\r\n')) assert.ok(line.length <= 998);
    for (const line of parts[1]!.body.toString('latin1').split('\r\n')) assert.ok(line.length <= 998);
    for (const line of parts[0]!.body.toString('latin1').split('\r\n')) assert.ok(line.length <= 76);
    // The original could only travel as binary, which DATA cannot carry: only its header comes back,
    // quoted-printable, and the report stays sendable without BINARYMIME.
    assert.equal(parts[2]!.header, 'Content-Type: text/rfc822-headers\r\nContent-Transfer-Encoding: quoted-printable\r\n');
    assert.deepEqual(decodeQp(parts[2]!.body), headerOf(content));
    assert.notEqual(dsnBodyType(raw), 'BINARYMIME');
    // Headers only: quoted-printable keeps every line short.
    const hdrs = dissect(buildDsn(failure({}, { content, ret: 'HDRS' }))).parts[2]!;
    assert.deepEqual(decodeQp(hdrs.body), headerOf(content));
    for (const line of hdrs.body.toString('latin1').split('\r\n')) assert.ok(line.length <= 76);
  });
});

describe('buildDsn: limits and mixed reports', () => {
  it('cuts a huge returned header at a field boundary', () => {
    const field = `X-Filler: ${'y'.repeat(70)}\r\n`;
    const content = Buffer.from(`Subject: big header\r\n${field.repeat(5000)}\r\nbody\r\n`);
    const part = dissect(buildDsn(failure({}, { content, ret: 'HDRS' }))).parts[2]!;
    assert.ok(part.body.length <= 256 * 1024);
    assert.ok(part.body.toString().startsWith('Subject: big header\r\nX-Filler: '));
    assert.ok(part.body.toString().endsWith(field));
    assert.ok(humanReadableText(failure({}, { content })).endsWith('[the remaining header fields were left out]\n'));
  });

  it('lists failed and still-pending recipients in their own sections', () => {
    const input = failure({ recipients: [failed(), { ...delay().recipients[0]! }] });
    const text = humanReadableText(input);
    const failedAt = text.indexOf('Delivery has failed to these recipients or groups:');
    const delayedAt = text.indexOf('Delivery is delayed to these recipients or groups:');
    assert.ok(failedAt === 0 && delayedAt > failedAt);
    assert.ok(text.includes("This message hasn't been delivered yet."));
    const [, r1, r2] = deliveryStatus(buildDsn(input));
    assert.ok(r1!.includes('Action: failed') && !r1!.some((l) => l.startsWith('Will-Retry-Until')));
    assert.ok(r2!.includes('Action: delayed') && r2!.includes('Will-Retry-Until: Fri, 03 Nov 2023 04:00:00 +0000'));
  });
});

describe('DSN helpers', () => {
  it('folds header fields at whitespace within 78 columns', () => {
    const folded = foldField('Diagnostic-Code', `smtp;${'word '.repeat(40).trim()}`);
    for (const line of folded.split('\r\n')) assert.ok(line.length <= 78);
    assert.equal(folded.replace(/\r\n /g, ' '), `Diagnostic-Code: smtp;${'word '.repeat(40).trim()}`);
    assert.equal(foldField('Status', '5.1.1'), 'Status: 5.1.1');
  });

  it('never splits a character across encoded-words', () => {
    const words = encodedWords('€'.repeat(25)).split(' ');
    assert.ok(words.length > 1);
    const decoded = words.map((w) => Buffer.from(w.slice(10, -2), 'base64').toString('utf8')).join('');
    assert.equal(decoded, '€'.repeat(25));
  });

  it('round-trips quoted-printable', () => {
    const data = Buffer.from(`tab\tend \r\n=equals= ${'é'.repeat(60)}\r\n`, 'utf8');
    const qp = quotedPrintable(data);
    for (const line of qp.split('\r\n')) assert.ok(line.length <= 76);
    assert.deepEqual(decodeQp(Buffer.from(qp, 'latin1')), data);
  });

  it('splits a message at the blank line', () => {
    const s = splitMessage(ORIGINAL);
    assert.ok(s.hadSeparator);
    assert.deepEqual(s.header, headerOf(ORIGINAL));
    assert.equal(s.body.toString(), 'Hi Bob,\r\n\r\nThe report is attached.\r\n');
  });

  it('describes durations', () => {
    assert.equal(describeDuration(0), '0 minutes');
    assert.equal(describeDuration(60_000), '1 minute');
    assert.equal(describeDuration((26 * 60 + 5) * 60_000), '1 day, 2 hours and 5 minutes');
    assert.equal(describeDuration(2 * 86_400_000), '2 days');
  });
});
