// Property tests of the SMTP command parser (fast-check, fixed seed): any
// line gives a command, an error reply or "HTTP" - never an exception; valid
// MAIL/RCPT/EHLO/BDAT commands generated from the RFC 5321 grammar parse back
// to what was written, whatever the verb's case; a CR, LF or NUL inside an
// address is refused with the invalid-address reply.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isCommand, parseCommand } from './command.js';

const RUNS = { seed: 5321, numRuns: 500 };

const atext = fc.constantFrom(..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+/=?^_`{|}~-".split(''));
const atom = fc.string({ unit: atext, minLength: 1, maxLength: 10 });
const localPart = fc
  .array(atom, { minLength: 1, maxLength: 4 })
  .map((a) => a.join('.'))
  .filter((l) => l.length <= 64);
const ldh = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789'.split(''));
const label = fc.tuple(fc.string({ unit: ldh, minLength: 1, maxLength: 12 }), fc.boolean()).map(([l, hyphen]) => (hyphen && l.length > 2 ? `${l.slice(0, 1)}-${l.slice(1)}` : l));
const domain = fc.array(label, { minLength: 1, maxLength: 4 }).map((ls) => `${ls.join('.')}.com`);
const mailbox = fc.tuple(localPart, domain).map(([l, d]) => ({ local: l, domain: d, address: `${l}@${d}` }));
const anyCase = (word: string) => fc.array(fc.boolean(), { minLength: word.length, maxLength: word.length }).map((flags) => [...word].map((c, i) => (flags[i] ? c.toLowerCase() : c.toUpperCase())).join(''));

describe('SMTP command parser: properties', () => {
  it('never throws, whatever the line', () => {
    const line = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 600 }),
      fc.uint8Array({ maxLength: 600 }).map((b) => Buffer.from(b).toString('latin1')),
      fc.tuple(fc.constantFrom('MAIL FROM:', 'RCPT TO:', 'EHLO ', 'BDAT ', 'AUTH ', 'HELO '), fc.string({ unit: 'binary', maxLength: 300 })).map(([v, rest]) => v + rest),
    );
    fc.assert(
      fc.property(line, fc.boolean(), (text, smtpUtf8) => {
        const r = parseCommand(text, { smtpUtf8, size: true, dsn: true, eightBitMime: true, binaryMime: true });
        if ('error' in r) assert.ok(r.error.code >= 500 && r.error.code < 600, `${r.error.code}`);
        else assert.ok('verb' in r || 'http' in r);
      }),
      RUNS,
    );
  });

  it('round-trips MAIL FROM with SIZE, in any case', () => {
    fc.assert(
      fc.property(mailbox, fc.option(fc.integer({ min: 0, max: 2 ** 31 }), { nil: undefined }), anyCase('MAIL FROM:'), (m, size, verb) => {
        const r = parseCommand(`${verb}<${m.address}>${size === undefined ? '' : ` SIZE=${size}`}`, { size: true });
        assert.ok(isCommand(r) && r.verb === 'MAIL', JSON.stringify(r));
        assert.equal(r.reversePath?.address, m.address);
        assert.equal(r.reversePath?.local, m.local);
        assert.equal(r.reversePath?.domain, m.domain);
        assert.equal(r.params.size, size);
      }),
      RUNS,
    );
  });

  it('round-trips RCPT TO with NOTIFY', () => {
    const notify = fc.oneof(fc.constant(['NEVER']), fc.subarray(['SUCCESS', 'FAILURE', 'DELAY'], { minLength: 1 }));
    fc.assert(
      fc.property(mailbox, notify, (m, n) => {
        const r = parseCommand(`RCPT TO:<${m.address}> NOTIFY=${n.join(',')}`, { dsn: true });
        assert.ok(isCommand(r) && r.verb === 'RCPT', JSON.stringify(r));
        assert.equal(r.forwardPath.address, m.address);
        assert.deepEqual([...(r.params.notify ?? [])], n);
      }),
      RUNS,
    );
  });

  it('round-trips EHLO and BDAT', () => {
    fc.assert(
      fc.property(domain, fc.integer({ min: 0, max: 999_999_999_999_999 }), fc.boolean(), (d, size, last) => {
        const ehlo = parseCommand(`EHLO ${d}`);
        assert.ok(isCommand(ehlo) && ehlo.verb === 'EHLO' && ehlo.domain === d, JSON.stringify(ehlo));
        const bdat = parseCommand(`BDAT ${size}${last ? ' LAST' : ''}`);
        assert.ok(isCommand(bdat) && bdat.verb === 'BDAT', JSON.stringify(bdat));
        assert.equal(bdat.size, size);
        assert.equal(bdat.last, last);
      }),
      RUNS,
    );
  });

  it('refuses BDAT sizes of 16 digits or more with 501 5.5.4', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 10n ** 15n, max: 10n ** 40n }), (size) => {
        const r = parseCommand(`BDAT ${size} LAST`);
        assert.ok('error' in r && r.error.code === 501 && r.error.enhanced === '5.5.4', JSON.stringify(r));
      }),
      RUNS,
    );
  });

  it('refuses a CR, LF or NUL anywhere inside an address, with the invalid-address reply', () => {
    fc.assert(
      fc.property(mailbox, fc.constantFrom('\r', '\n', '\0'), fc.nat(), fc.constantFrom('MAIL FROM:', 'RCPT TO:'), fc.boolean(), (m, bad, at, verb, smtpUtf8) => {
        const path = `<${m.address}>`;
        const i = 1 + (at % (path.length - 1)); // after "<", up to before ">"
        const r = parseCommand(`${verb}${path.slice(0, i)}${bad}${path.slice(i)}`, { smtpUtf8 });
        assert.ok('error' in r, JSON.stringify(r));
        assert.equal(r.error.code, 501);
        assert.match(r.error.enhanced ?? '', verb.startsWith('MAIL') ? /^5\.1\.7$/ : /^5\.1\.3$/);
      }),
      RUNS,
    );
  });
});
