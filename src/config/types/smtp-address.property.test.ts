// Property tests of the SmtpAddress parser (fast-check, fixed seed): addresses
// generated from the RFC 5321 grammar (dot-atom or quoted local part, LDH or
// address-literal domain) parse and round-trip; any other input - any string,
// any value - is either an address or the documented ValueError, never another
// exception.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { SmtpAddress } from './smtp-address.js';
import { ValueError } from './value-error.js';

const RUNS = { seed: 5322, numRuns: 500 };

const atext = fc.constantFrom(..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+/=?^_`{|}~-".split(''));
const dotAtom = fc.array(fc.string({ unit: atext, minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 4 }).map((a) => a.join('.'));
const qtext = fc.constantFrom(...' !#$%&()*+,-./:;<=>?@[]^_`{|}~abcXYZ019'.split(''), '\\"', '\\\\');
const quoted = fc.array(qtext, { maxLength: 12 }).map((parts) => `"${parts.join('')}"`);
const localPart = fc.oneof(dotAtom, quoted).filter((l) => l.length <= 64);
const ldh = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'.split(''));
const label = fc.tuple(fc.string({ unit: ldh, minLength: 1, maxLength: 10 }), fc.string({ unit: ldh, maxLength: 4 }), fc.boolean()).map(([a, b, hyphen]) => (hyphen && b ? `${a}-${b}` : a + b));
const hostName = fc.tuple(fc.array(label, { minLength: 1, maxLength: 3 }), fc.constantFrom('com', 'net', 'org', 'contoso', 'example')).map(([ls, tld]) => `${ls.join('.')}.${tld}`);
const literal = fc.oneof(
  fc.ipV4().map((ip) => `[${ip}]`),
  fc.ipV6().map((ip) => `[IPv6:${ip}]`),
);
const domain = fc.oneof({ weight: 4, arbitrary: hostName }, { weight: 1, arbitrary: literal });

describe('SmtpAddress: properties', () => {
  it('parses and round-trips addresses generated from the grammar', () => {
    fc.assert(
      fc.property(localPart, domain, fc.constantFrom('', ' ', '  '), (local, d, pad) => {
        const text = `${local}@${d}`;
        fc.pre(text.length <= 254);
        const a = SmtpAddress.parse(`${pad}${text}${pad}`);
        assert.equal(a.address, text);
        assert.equal(a.local, local);
        assert.equal(a.domain, d);
        assert.equal(String(a), text);
        assert.equal(JSON.stringify(a), JSON.stringify(text));
        assert.ok(SmtpAddress.parse(text.toUpperCase()).equals(a), 'comparison ignores case');
        assert.equal(SmtpAddress.parse(a), a);
      }),
      RUNS,
    );
  });

  const parsesOrValueError = (input: unknown) => {
    try {
      const a = SmtpAddress.parse(input);
      assert.ok(a instanceof SmtpAddress);
      assert.equal(SmtpAddress.parse(a.address).address, a.address, 'what parses, parses again to itself');
    } catch (err) {
      assert.ok(err instanceof ValueError, `${(err as Error)?.name}: ${(err as Error)?.message}`);
      assert.match(err.message, /is not a valid SMTP address\./);
    }
  };

  it('any string is an address or a ValueError', () => {
    const near = fc.tuple(fc.string({ unit: 'binary', maxLength: 80 }), fc.constantFrom('@', '@@', '"@', '@['), fc.string({ unit: 'binary', maxLength: 300 })).map(([a, at, b]) => a + at + b);
    fc.assert(fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 400 }), near), parsesOrValueError), RUNS);
  });

  it('any value is an address or a ValueError', () => {
    fc.assert(fc.property(fc.anything({ maxDepth: 2 }), parsesOrValueError), RUNS);
  });
});
