import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { authenticate } from 'mailauth';
import { generateDkimKey } from './keys.js';
import { arcKeyProblem, arcSealPlan, sealArc } from './arc-seal.js';

const OWN = ['edge01.contoso.net'];
const AR = 'Authentication-Results: edge01.contoso.net; spf=pass smtp.mailfrom=fabrikam.net;\r\n\tdkim=none (message not signed);\r\n\tdmarc=none header.from=fabrikam.net;\r\n\tarc=none\r\n';
const msg = (extra: string) =>
  Buffer.from(`${extra}Received: from x by edge01.contoso.net\r\nFrom: erin@fabrikam.net\r\nTo: bob@example.net\r\nSubject: s\r\nDate: Mon, 07 Dec 2026 10:00:00 +0000\r\nMessage-ID: <m@fabrikam.net>\r\n\r\nbody\r\n`);
const seal = (i: number, cv: string) => `ARC-Seal: i=${i}; a=rsa-sha256; t=1; cv=${cv}; d=f.test; s=s; b=AAAA\r\n`;

describe('ARC sealing', () => {
  it("plans a set only for mail that carries this server's Authentication-Results", () => {
    assert.equal(arcSealPlan(msg(''), OWN), null);
    assert.equal(arcSealPlan(msg(AR.replace('edge01.contoso.net', 'mx.fabrikam.net')), OWN), null, "someone else's results");
    const p = arcSealPlan(msg(AR), ['EDGE01.contoso.net']);
    assert.deepEqual(p, { seal: true, cv: 'none', instance: 1, authResults: AR.slice('Authentication-Results: '.length, -2) });
  });

  it('takes cv from the arc= verdict, and refuses verdicts that do not match the chain', () => {
    const withVerdict = (v: string) => AR.replace('\tarc=none', `\t${v}`);
    assert.deepEqual(arcSealPlan(msg(withVerdict('arc=pass (i=1 spf=pass)') + seal(1, 'none')), OWN), { seal: true, cv: 'pass', instance: 2, authResults: withVerdict('arc=pass (i=1 spf=pass)').slice(24, -2) });
    assert.equal((arcSealPlan(msg(withVerdict('arc=fail (i=2 seal signature validation failed)') + seal(2, 'pass') + seal(1, 'none')), OWN) as { cv: string }).cv, 'fail');
    assert.match((arcSealPlan(msg(AR + seal(1, 'none')), OWN) as { reason: string }).reason, /did not verify \(arc=none\)/);
    assert.match((arcSealPlan(msg(withVerdict('arc=pass')), OWN) as { reason: string }).reason, /carries no ARC chain/);
    assert.match((arcSealPlan(msg(withVerdict('arc=fail') + seal(2, 'fail') + seal(1, 'none')), OWN) as { reason: string }).reason, /i=2\) says cv=fail/);
    assert.match((arcSealPlan(msg(withVerdict('arc=pass') + seal(50, 'pass')), OWN) as { reason: string }).reason, /50 sets/);
    assert.match((arcSealPlan(msg(withVerdict('arc=temperror')), OWN) as { reason: string }).reason, /not a chain verdict/);
  });

  it('seals with mailauth (i=1, cv=none), and mailauth verifies the chain', async () => {
    const key = generateDkimKey('RSA', 1024);
    const message = msg(AR);
    const plan = arcSealPlan(message, OWN);
    assert.ok(plan && plan.seal);
    const sealed = await sealArc(message, { domain: 'contoso.com', selector: 'selector1', privateKeyPem: key.privateKeyPem }, plan);
    const text = sealed.toString('latin1');
    assert.match(text.replace(/\r\n /g, ' '), /^ARC-Seal: i=1; a=rsa-sha256; t=\d+; cv=none; d=contoso\.com; s=selector1;/);
    assert.match(text.replace(/\r\n /g, ' '), /\r\nARC-Message-Signature: i=1; a=rsa-sha256; c=relaxed\/relaxed; d=contoso\.com;/);
    assert.ok(text.includes(`\r\nARC-Authentication-Results: i=1; ${AR.slice(24)}`), text.slice(0, 1200));
    const resolver = async (name: string, type: string) => {
      if (name === 'selector1._domainkey.contoso.com' && type === 'TXT') return [[key.txtValue]];
      throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
    };
    const r = (await authenticate(sealed, { resolver: resolver as never, trustReceived: true, disableDmarc: true, disableBimi: true } as never)) as unknown as { arc: { status: { result: string } } };
    assert.equal(r.arc.status.result, 'pass');
  });

  it('needs an RSA key', async () => {
    assert.equal(arcKeyProblem(generateDkimKey('RSA', 1024).privateKeyPem), null);
    const ed = generateDkimKey('Ed25519', 256);
    assert.match(String(arcKeyProblem(ed.privateKeyPem)), /rsa-sha256 only; the key is Ed25519/);
    const plan = arcSealPlan(msg(AR), OWN);
    assert.ok(plan && plan.seal);
    await assert.rejects(sealArc(msg(AR), { domain: 'contoso.com', selector: 'selector1', privateKeyPem: ed.privateKeyPem }, plan), /rsa-sha256 only/);
  });
});
