import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { unsignedFrom } from './dmarc.js';

const noDns = () => Promise.reject(Object.assign(new Error('no DNS here'), { code: 'ENOTFOUND' }));
const msg = (header: string) => Buffer.from(`${header}\r\n\r\nbody\r\n`);

describe('the DMARC agent on unsigned mail', () => {
  const cases: [string, Buffer][] = [
    ['one From', msg('From: Kim <kim@fabrikam.com>\r\nTo: a@contoso.com\r\nSubject: s')],
    ['a folded From with a group and a comment', msg('Subject: s\r\nfrom: "Lee, Ann" (sales)\r\n\t<ann@Fabrikam.COM>,\r\n undisclosed:;')],
    ['two From fields', msg('From: a@fabrikam.com\r\nFrom: b@tailspin.example\r\nSubject: s')],
    ['two addresses in one From', msg('From: a@fabrikam.com, b@tailspin.example')],
    ['no From', msg('Subject: nothing\r\nTo: x@contoso.com')],
    ['an encoded display name', msg('From: =?utf-8?B?S8O2bmln?= <koenig@fabrikam.com>')],
    ['an address without a domain', msg('From: postmaster')],
  ];
  for (const [name, message] of cases) {
    it(`reads the From addresses as the DKIM verifier does: ${name}`, async () => {
      const full = (await dkimVerify(message, { resolver: noDns } as never)) as unknown as { results: unknown[]; headerFrom: string[] };
      const quick = unsignedFrom(message);
      assert.ok(quick, 'an unsigned message takes the short way');
      assert.deepEqual(quick.headerFrom, full.headerFrom);
      assert.deepEqual(quick.results, full.results, 'the same "not signed" result');
    });
  }

  it('leaves signed mail and ARC sets to the verifier', () => {
    assert.equal(unsignedFrom(msg('DKIM-Signature: v=1; a=rsa-sha256; d=fabrikam.com; s=s1; b=x; bh=y\r\nFrom: a@fabrikam.com')), null);
    assert.equal(unsignedFrom(msg('From: a@fabrikam.com\r\nARC-Seal: i=1; a=rsa-sha256; cv=none; d=x; s=y; b=z')), null);
    assert.equal(unsignedFrom(Buffer.from('From: a@fabrikam.com\r\nno end of header')), null);
  });
});
