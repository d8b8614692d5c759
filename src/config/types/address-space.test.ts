import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AddressSpace } from './address-space.js';
import { ValueError } from './value-error.js';

const show = (v: string) => AddressSpace.parse(v).toString();

test('parses SMTP address spaces with the default type and cost', () => {
  const star = AddressSpace.parse('*');
  assert.equal(star.type, 'SMTP');
  assert.equal(star.address, '*');
  assert.equal(star.cost, 1);
  assert.equal(star.isSmtp, true);
  assert.equal(star.toString(), 'SMTP:*;1');
  assert.equal(show('*.contoso.com'), 'SMTP:*.contoso.com;1');
  assert.equal(show('*.com'), 'SMTP:*.com;1');
  assert.equal(show('contoso.com'), 'SMTP:contoso.com;1');
  assert.equal(show('smtp:contoso.com;2'), 'SMTP:contoso.com;2');
  assert.equal(show('contoso.com;100'), 'SMTP:contoso.com;100');
  assert.equal(show('SMTP:*;100'), 'SMTP:*;100');
  assert.equal(show('SMTP:--;1'), 'SMTP:--;1');
  assert.equal(AddressSpace.parse('--').isAllAcceptedDomains, true);
  assert.equal(AddressSpace.parse('*').isAllAcceptedDomains, false);
});

test('equivalent spellings are equal', () => {
  const forms = ['SMTP:contoso.com;1', 'contoso.com;1', 'SMTP:contoso.com', 'contoso.com', 'smtp:CONTOSO.com'];
  for (const f of forms) assert.ok(AddressSpace.parse(f).equals(AddressSpace.parse('contoso.com')), f);
  assert.ok(AddressSpace.parse('*').equals(AddressSpace.parse('SMTP:*;1')));
  assert.ok(!AddressSpace.parse('contoso.com;2').equals(AddressSpace.parse('contoso.com')));
});

test('non-SMTP types are kept as text', () => {
  const x = AddressSpace.parse('X400:o=MySite;p=MyOrg;a=adatum;c=us;5');
  assert.equal(x.type, 'X400');
  assert.equal(x.isSmtp, false);
  assert.equal(x.address, 'o=MySite;p=MyOrg;a=adatum;c=us');
  assert.equal(x.cost, 5);
  assert.equal(x.toString(), 'X400:o=MySite;p=MyOrg;a=adatum;c=us;5');
  assert.equal(show('x400:c=us'), 'X400:c=us;1');
  assert.equal(show('Notes:anything goes here'), 'Notes:anything goes here;1');
  assert.equal(x.matches('contoso.com'), false);
  assert.equal(x.specificity('contoso.com'), null);
  assert.throws(() => AddressSpace.parse('X400:o=MySite;p=MyOrg;a=adatum;c=us'), /When the address space contains ";", the cost must be written/);
});

test('refuses bad SMTP address spaces and costs', () => {
  assert.throws(() => AddressSpace.parse('*contoso.com'), {
    name: 'ValueError',
    message:
      '"*contoso.com" is not a valid address space. A wildcard is allowed only as the whole first label ("*.contoso.com"), or alone ("*"). Use [Type:]AddressSpace[;Cost], for example *, *.contoso.com, contoso.com, "SMTP:contoso.com;2" or "X400:c=us;a=fabrikam;5".',
  });
  assert.throws(() => AddressSpace.parse('a.*.contoso.com'), /A wildcard is allowed only/);
  assert.throws(() => AddressSpace.parse('*.*.com'), /A wildcard is allowed only/);
  assert.throws(() => AddressSpace.parse('contoso.com;0'), /The cost must be a whole number between 1 and 100\./);
  assert.throws(() => AddressSpace.parse('contoso.com;101'), /The cost must be a whole number between 1 and 100\./);
  assert.throws(() => AddressSpace.parse('contoso.com;x'), /The cost must be a whole number between 1 and 100\./);
  assert.throws(() => AddressSpace.parse('contoso.com;'), ValueError);
  assert.throws(() => AddressSpace.parse('contoso..com'), /empty label/);
  assert.throws(() => AddressSpace.parse('-contoso.com'), /is not valid: use letters, digits and hyphens/);
  assert.throws(() => AddressSpace.parse('con_toso.com'), ValueError);
  assert.throws(() => AddressSpace.parse(`${'a'.repeat(64)}.com`), /longer than 63 characters/);
  assert.throws(() => AddressSpace.parse(`${'a.'.repeat(128)}com`), /longer than 255 characters/);
  assert.throws(() => AddressSpace.parse(''), /The value is empty\./);
  assert.throws(() => AddressSpace.parse(':contoso.com'), /type is missing/);
  assert.throws(() => AddressSpace.parse('SMTP:'), /The address space is empty\./);
  assert.throws(() => AddressSpace.parse(5), ValueError);
});

test('matches: *, *.parent (includes the parent), exact only', () => {
  const star = AddressSpace.parse('*');
  const wild = AddressSpace.parse('*.contoso.com');
  const exact = AddressSpace.parse('contoso.com');
  const com = AddressSpace.parse('*.com');
  assert.ok(star.matches('anything.example'));
  assert.ok(wild.matches('contoso.com'));
  assert.ok(wild.matches('marketing.contoso.com'));
  assert.ok(wild.matches('a.b.CONTOSO.com'));
  assert.ok(!wild.matches('notcontoso.com'));
  assert.ok(!wild.matches('contoso.com.au'));
  assert.ok(exact.matches('Contoso.COM'));
  assert.ok(exact.matches('contoso.com.'));
  assert.ok(!exact.matches('marketing.contoso.com'));
  assert.ok(com.matches('fabrikam.com'));
  assert.ok(!com.matches('fabrikam.net'));
  assert.ok(!AddressSpace.parse('--').matches('contoso.com'));
});

test('specificity: the julia@marketing.contoso.com example', () => {
  const domain = 'marketing.contoso.com';
  const ranked = ['*', '*.contoso.com', 'marketing.contoso.com']
    .map((s) => AddressSpace.parse(s))
    .sort((a, b) => b.specificity(domain)! - a.specificity(domain)!)
    .map((a) => a.address);
  assert.deepEqual(ranked, ['marketing.contoso.com', '*.contoso.com', '*']);
  assert.equal(AddressSpace.parse('*').specificity(domain), 0);
  assert.equal(AddressSpace.parse('fabrikam.com').specificity(domain), null);
  assert.equal(AddressSpace.parse('contoso.com').specificity(domain), null);
  // deeper wildcard beats shallower; exact beats the wildcard of the same name
  const s = (x: string, d: string) => AddressSpace.parse(x).specificity(d)!;
  assert.ok(s('*.marketing.contoso.com', 'a.marketing.contoso.com') > s('*.contoso.com', 'a.marketing.contoso.com'));
  assert.ok(s('*.contoso.com', 'x.contoso.com') > s('*.com', 'x.contoso.com'));
  assert.ok(s('contoso.com', 'contoso.com') > s('*.contoso.com', 'contoso.com'));
  assert.ok(s('*.com', 'x.com') > s('*', 'x.com'));
});

test('round-trips through toJSON', () => {
  for (const v of ['*', '*.contoso.com', 'contoso.com;2', '--', 'X400:o=MySite;p=MyOrg;a=adatum;c=us;5', 'Notes:abc']) {
    const a = AddressSpace.parse(v);
    const back = AddressSpace.parse(JSON.parse(JSON.stringify(a)));
    assert.ok(back.equals(a), v);
    assert.equal(back.toString(), a.toString());
  }
  const a = AddressSpace.parse('*');
  assert.equal(AddressSpace.parse(a), a);
});
