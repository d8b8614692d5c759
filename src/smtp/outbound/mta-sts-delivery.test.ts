import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Logger } from '../../observability/logger.js';
import type { CachedPolicy, TlsSessionResult } from '../../mta-sts/mta-sts-store.js';
import type { StsLookup } from '../../mta-sts/sts-policy.js';
import { STARTTLS_REQUIRED_TEXT } from './classify.js';
import { StsAttempt } from './mta-sts-delivery.js';

const log: Logger = { log: () => undefined } as unknown as Logger;
const policy = (mode: CachedPolicy['mode']): CachedPolicy => ({ domain: 'contoso.example', id: 'a1', mode, mx: ['mx1.contoso.example', '*.mail.contoso.example'], maxAge: 86400, lines: [`mode: ${mode}`], fetchedAt: 0, expiresAt: 1e15 });

async function attempt(found: StsLookup) {
  const recorded: TlsSessionResult[] = [];
  const sts = await StsAttempt.begin({ lookup: async () => found, record: (r) => recorded.push(r) }, 'contoso.example', 'external', log, () => 0);
  return { sts, recorded };
}

const target = (host: string) => ({ host, address: '192.0.2.1', port: 25 });
const tlsOk = { protocol: 'TLSv1.3', cipher: 'x', authorized: true, identity: { name: 'mx1.contoso.example', matches: true } };

describe('MTA-STS on a delivery attempt', () => {
  it('enforce: keeps only the MX hosts the policy names, or refuses', async () => {
    const { sts, recorded } = await attempt({ kind: 'policy', policy: policy('enforce'), source: 'cache' });
    const screened = sts.screen([target('mx1.contoso.example'), target('a.mail.contoso.example'), target('other.example')]);
    assert.deepEqual(
      screened.targets.map((t) => t.host),
      ['mx1.contoso.example', 'a.mail.contoso.example'],
    );
    assert.equal(recorded.length, 1);
    assert.equal(recorded[0].resultType, 'validation-failure');
    const none = sts.screen([target('other.example')]);
    assert.match(none.refusal!, /^451 4\.7\.5 MTA-STS policy of contoso\.example \(mode enforce, id a1\) refused delivery: none of the MX hosts \(other\.example\)/);
  });

  it('enforce: refuses a session without STARTTLS, with an untrusted chain or another name; counts a good one', async () => {
    const { sts, recorded } = await attempt({ kind: 'policy', policy: policy('enforce'), source: 'cache' });
    assert.equal(sts.connectionPolicy({ tls: 'opportunistic' } as never).tls, 'required');
    assert.match(sts.check(target('mx1.contoso.example'), { kind: 'transient', text: STARTTLS_REQUIRED_TEXT, stage: 'tls' })!, /did not offer STARTTLS$/);
    assert.match(sts.check(target('mx1.contoso.example'), { tls: { ...tlsOk, authorized: false, authorizationError: 'SELF_SIGNED_CERT_IN_CHAIN' } })!, /does not chain to a trusted certificate \(SELF_SIGNED_CERT_IN_CHAIN/);
    assert.match(sts.check(target('mx1.contoso.example'), { tls: { ...tlsOk, authorizationError: undefined, identity: { name: 'mx1.contoso.example', matches: false } } })!, /does not carry the name mx1\.contoso\.example/);
    assert.equal(sts.check(target('mx1.contoso.example'), { tls: tlsOk }), null);
    assert.deepEqual(
      recorded.map((r) => r.resultType),
      ['starttls-not-supported', 'certificate-not-trusted', 'certificate-host-mismatch', null],
    );
    assert.ok(recorded.every((r) => r.policyType === 'sts'));
  });

  it('testing: never refuses, records the failures', async () => {
    const { sts, recorded } = await attempt({ kind: 'policy', policy: policy('testing'), source: 'fetched' });
    assert.equal(sts.screen([target('other.example')]).targets.length, 1);
    assert.equal(sts.connectionPolicy({ tls: 'opportunistic' } as never).tls, 'opportunistic');
    assert.equal(sts.check(target('other.example'), { tls: null }), null);
    assert.deepEqual(
      recorded.map((r) => r.resultType),
      ['validation-failure', 'starttls-not-supported'],
    );
  });

  it('no policy, or one that cannot be fetched: delivery as usual, counted as no-policy-found', async () => {
    const { sts, recorded } = await attempt({ kind: 'error', resultType: 'sts-webpki-invalid', detail: 'bad certificate', policyId: 'x' });
    assert.equal(sts.policy, null);
    assert.equal(sts.check(target('mx1.contoso.example'), { tls: { ...tlsOk, authorized: false } }), null);
    assert.deepEqual(
      recorded.map((r) => [r.policyType, r.resultType]),
      [
        ['sts', 'sts-webpki-invalid'],
        ['no-policy-found', null],
      ],
    );
  });
});
