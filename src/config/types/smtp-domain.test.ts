import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Fqdn, SmtpDomain, SmtpDomainWithSubdomains } from './smtp-domain.js';
import { ValueError } from './value-error.js';

test('SmtpDomain: plain domains, casing kept, compared case-insensitively', () => {
  const d = SmtpDomain.parse('Contoso.com');
  assert.equal(d.toString(), 'Contoso.com');
  assert.equal(d.domain, 'Contoso.com');
  assert.ok(d.equals(SmtpDomain.parse('contoso.COM')));
  assert.ok(d.matches('CONTOSO.com'));
  assert.ok(!d.matches('mail.contoso.com'));
  assert.equal(SmtpDomain.parse(' 3com.com ').toString(), '3com.com');
  assert.equal(SmtpDomain.parse('xn--bcher-kva.example').toString(), 'xn--bcher-kva.example');
  assert.equal(SmtpDomain.parse('localdomain').toString(), 'localdomain');
  assert.throws(() => SmtpDomain.parse('*.contoso.com'), {
    name: 'ValueError',
    message: '"*.contoso.com" is not a valid domain name. Wildcards are not allowed here. Example: contoso.com.',
  });
  for (const bad of ['', 'contoso..com', '.contoso.com', 'contoso.com.', 'con toso.com', 'contoso-.com', 'under_score.com', '10.1.1.1', 'bücher.de']) {
    assert.throws(() => SmtpDomain.parse(bad), ValueError, bad);
  }
  assert.throws(() => SmtpDomain.parse(null), ValueError);
  assert.ok(SmtpDomain.parse(JSON.parse(JSON.stringify(d))).equals(d));
  assert.equal(SmtpDomain.parse(d), d);
});

test('SmtpDomainWithSubdomains: *, *.domain and plain', () => {
  const all = SmtpDomainWithSubdomains.parse('*');
  assert.equal(all.isStar, true);
  assert.equal(all.toString(), '*');
  assert.ok(all.matches('anything.net'));
  const wild = SmtpDomainWithSubdomains.parse('*.contoso.com');
  assert.equal(wild.includeSubdomains, true);
  assert.equal(wild.domain, 'contoso.com');
  assert.equal(wild.toString(), '*.contoso.com');
  assert.ok(wild.matches('contoso.com'));
  assert.ok(wild.matches('a.b.contoso.com'));
  assert.ok(!wild.matches('xcontoso.com'));
  const plain = SmtpDomainWithSubdomains.parse('Contoso.com');
  assert.equal(plain.includeSubdomains, false);
  assert.equal(plain.toString(), 'Contoso.com');
  assert.ok(plain.matches('contoso.com'));
  assert.ok(!plain.matches('mail.contoso.com'));
  assert.ok(plain.equals(SmtpDomainWithSubdomains.parse('CONTOSO.COM')));
  assert.ok(!plain.equals(wild));
  assert.ok(SmtpDomainWithSubdomains.parse(SmtpDomain.parse('contoso.com')).equals(plain));
  assert.throws(() => SmtpDomainWithSubdomains.parse('domain.*.contoso.com'), /A wildcard is allowed only as the whole first label/);
  assert.throws(() => SmtpDomainWithSubdomains.parse('*contoso.com'), /A wildcard is allowed only as the whole first label/);
  assert.throws(() => SmtpDomainWithSubdomains.parse('*.'), /The name is empty\./);
  for (const v of ['*', '*.contoso.com', 'contoso.com']) {
    const x = SmtpDomainWithSubdomains.parse(v);
    assert.ok(SmtpDomainWithSubdomains.parse(JSON.parse(JSON.stringify(x))).equals(x));
  }
});

test('Fqdn: host names, single labels allowed', () => {
  for (const v of ['mbxserver01.contoso.com', 'edge01.contoso.com', 'edge01', 'edge01.contoso.net', 'EX01.Contoso.local', 'web_01.contoso.com']) {
    assert.equal(Fqdn.parse(v).toString(), v);
  }
  assert.equal(Fqdn.parse('edge01').isSingleLabel, true);
  assert.equal(Fqdn.parse('edge01.contoso.com').isSingleLabel, false);
  assert.ok(Fqdn.parse('EDGE01.contoso.com').equals(Fqdn.parse('edge01.CONTOSO.com')));
  assert.throws(() => Fqdn.parse('edge 01'), {
    name: 'ValueError',
    message: '"edge 01" is not a valid FQDN. The label "edge 01" is not valid: use letters, digits, hyphens and underscores, not starting with a hyphen or underscore and not ending with a hyphen. Examples: edge01, edge01.contoso.net.',
  });
  for (const bad of ['', '_edge.contoso.com', 'edge..contoso.com', 'edge01.', '-edge', 'edge-', 'a'.repeat(64), '10.1.1.1', 42]) {
    assert.throws(() => Fqdn.parse(bad), ValueError, String(bad));
  }
  const f = Fqdn.parse('mbxserver01.contoso.com');
  assert.ok(Fqdn.parse(JSON.parse(JSON.stringify(f))).equals(f));
  assert.equal(Fqdn.parse(f), f);
});
