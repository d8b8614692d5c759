import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { stripAttachments } from './attachment-strip.js';

const crlf = (lines: string[]) => Buffer.from(lines.join('\r\n'));

describe('Strip: the attachment filter replaces what an entry matches', () => {
  const inner = [
    'From: x@fabrikam.com',
    'Subject: inner',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="b2"',
    '',
    '--b2',
    'Content-Type: text/plain',
    '',
    'inner text',
    '--b2',
    'Content-Type: application/octet-stream; name="tool.exe"',
    'Content-Disposition: attachment; filename="tool.exe"',
    'Content-Transfer-Encoding: base64',
    '',
    'TVo=',
    '--b2--',
    '',
  ];
  const outer = crlf([
    'From: friend@fabrikam.com',
    'To: alice@contoso.com',
    'Subject: parts',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="b1"',
    '',
    '--b1',
    'Content-Type: text/plain; charset=us-ascii',
    '',
    'see attached',
    '--b1',
    'Content-Type: application/octet-stream; name="Invoice.EXE"',
    'Content-Disposition: attachment; filename="Invoice.EXE"',
    'Content-Transfer-Encoding: base64',
    '',
    'TVqQAAMAAAAEAAAA//8AALgAAAAAAAAAQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    '--b1',
    'Content-Type: application/pdf; name="report.pdf"',
    'Content-Disposition: attachment; filename="report.pdf"',
    'Content-Transfer-Encoding: base64',
    '',
    'JVBERi0xLjQ=',
    '--b1',
    'Content-Type: message/rfc822; name="forwarded.eml"',
    'Content-Disposition: attachment; filename="forwarded.eml"',
    '',
    ...inner,
    '--b1--',
    '',
  ]);

  it('replaces matching attachments, also in an attached message, and keeps every other part byte for byte', async () => {
    const r = await stripAttachments(outer, [{ type: 'FileName', pattern: '*.exe' }], 'This attachment was removed.');
    assert.deepEqual(r.removed, ['FileName:*.exe matched Invoice.EXE', 'FileName:*.exe matched tool.exe (in an attached message)']);
    const text = r.message.toString('utf8');
    assert.ok(text.startsWith('From: friend@fabrikam.com\r\nTo: alice@contoso.com\r\nSubject: parts\r\n'), text);
    assert.doesNotMatch(text, /TVqQAAMAAAAE|TVo=/, 'the executables are gone');
    assert.match(text, /Content-Type: text\/plain; charset=utf-8; name="Invoice\.EXE\.txt"\r\n/);
    assert.match(text, /Content-Disposition: attachment; filename="tool\.exe\.txt"\r\n/);
    assert.equal((text.match(/This attachment was removed\.\r\n/g) ?? []).length, 2);
    assert.match(text, /--b1\r\nContent-Type: application\/pdf; name="report\.pdf"\r\nContent-Disposition: attachment; filename="report\.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQ=\r\n/, 'the PDF is untouched');
    assert.match(text, /inner text/);
    assert.ok(text.endsWith('--b1--\r\n'), JSON.stringify(text.slice(-40)));
  });

  it('a message with nothing to strip comes back as it was', async () => {
    const r = await stripAttachments(outer, [{ type: 'ContentType', pattern: 'application/x-msdownload' }], 'removed');
    assert.deepEqual(r.removed, []);
    assert.ok(r.message.equals(outer));
  });
});
