// Unit tests: Maildir sizes for quotas, the 5.2.2 refusal and the warning message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deliverToMaildir } from './deliver.js';
import { crossesWarning, formatBytes, MailboxFullError, MaildirSizes, quotaWarningMessage } from './quota.js';

test("a folder's size follows deliveries made here and files added or removed by anyone else", async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'md-quota-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const sizes = new MaildirSizes();
  assert.equal(sizes.size(root, 'box'), 0, 'a folder not yet created is empty');
  const first = await deliverToMaildir(root, 'box', Buffer.from('Subject: a\r\n\r\nbody\r\n'), { returnPath: 'a@contoso.com', deliveredTo: 'b@contoso.com' });
  assert.equal(sizes.size(root, 'box'), first.size, 'recounted: new/ changed since the last count');
  const second = await deliverToMaildir(root, 'box', Buffer.from('Subject: b\r\n\r\nmore body\r\n'), { returnPath: 'a@contoso.com', deliveredTo: 'b@contoso.com' });
  sizes.added(root, 'box', first.size, second.size);
  assert.equal(sizes.size(root, 'box'), first.size + second.size);
  writeFileSync(join(root, 'box', 'cur', '1700000000.M1P9Q9.other,S=500:2,S'), 'x'); // another process (an IMAP server) files a message
  assert.equal(sizes.size(root, 'box'), first.size + second.size + 500);
  unlinkSync(first.file); // the user deletes one
  assert.equal(sizes.size(root, 'box'), second.size + 500);
});

test("Exchange's size display and the refusal text", () => {
  assert.equal(formatBytes(6144), '6 KB (6,144 bytes)');
  assert.equal(formatBytes(2469396480), '2.299 GB (2,469,396,480 bytes)');
  assert.equal(formatBytes(512), '512 B (512 bytes)');
  const e = new MailboxFullError('bob@contoso.com', 7000, 6144);
  assert.equal(e.transient, false);
  assert.equal(e.enhanced, '5.2.2');
  assert.match(
    e.reply,
    /^554 5\.2\.2 mailbox full; STOREDRV\.Deliver\.Exception:QuotaExceededException\.MapiExceptionShutoffQuotaExceeded; .*The mailbox of bob@contoso\.com is full: it holds 6\.835 KB \(7,000 bytes\) and its ProhibitSendReceiveQuota is 6 KB \(6,144 bytes\)\.$/,
  );
});

test('the warning is due once, on the delivery that crosses IssueWarningQuota', () => {
  assert.equal(crossesWarning(3000, 1000, 4096), false);
  assert.equal(crossesWarning(3000, 1096, 4096), true);
  assert.equal(crossesWarning(4096, 10, 4096), false, 'already over: no new warning');
  assert.equal(crossesWarning(0, 10_000, null), false, 'Unlimited: never');
  const m = quotaWarningMessage({
    to: 'bob@contoso.com',
    displayName: 'Bob',
    from: 'postmaster@contoso.com',
    fqdn: 'mbx01.contoso.com',
    size: 5000,
    warning: 4096,
    prohibitSend: null,
    prohibitSendReceive: 6144,
    now: new Date('2026-12-07T10:00:00Z'),
  }).toString();
  assert.match(m, /^From: Microsoft Exchange <postmaster@contoso\.com>\r\nTo: bob@contoso\.com\r\nSubject: Your mailbox is almost full\.\r\nDate: Mon, 07 Dec 2026 10:00:00 \+0000\r\n/);
  assert.ok(!m.includes('no longer be able to send messages.'), 'no send limit, no sentence about it');
  assert.match(m, /At 6 KB \(6,144 bytes\) you will no longer be able to send or receive messages\./);
});
