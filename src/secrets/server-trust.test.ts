import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { DELEGATION_SCHEME, MAX_SKEW_MS, ServerTrust } from './server-trust.js';

const credentials = (header: string) => header.slice(DELEGATION_SCHEME.length + 1);

describe("a server's claim of whom it acts for", () => {
  const key = randomBytes(32);
  const caller = { kind: 'account' as const, accountGuid: '5a6f0d0e-0000-4000-8000-000000000001', displayName: 'CONTOSO\\srv' };

  it('is accepted once by a server holding the same organization key, with the caller it names', () => {
    const header = ServerTrust.fromOrganizationKey(key).sign('MBX01', caller);
    assert.ok(header.startsWith(`${DELEGATION_SCHEME} `));
    const other = ServerTrust.fromOrganizationKey(key);
    const claim = other.verify(credentials(header));
    assert.ok(!('refused' in claim), JSON.stringify(claim));
    assert.equal(claim.from, 'MBX01');
    assert.deepEqual(claim.caller, caller);
    const again = other.verify(credentials(header));
    assert.ok('refused' in again && /a replay/.test(again.refused));
  });

  it('is refused when another key signed it, when it was changed, or when it is too old', () => {
    const header = ServerTrust.fromOrganizationKey(randomBytes(32)).sign('MBX01', caller);
    const refused = ServerTrust.fromOrganizationKey(key).verify(credentials(header));
    assert.ok('refused' in refused && /not signed with this organization's key/.test(refused.refused));

    const good = credentials(ServerTrust.fromOrganizationKey(key).sign('MBX01', caller));
    const [body, mac] = good.split('.');
    const claim = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    claim.caller = { kind: 'local', user: 'root' };
    const forged = `${Buffer.from(JSON.stringify(claim)).toString('base64url')}.${mac}`;
    const tampered = ServerTrust.fromOrganizationKey(key).verify(forged);
    assert.ok('refused' in tampered && /not signed/.test(tampered.refused));

    const now = Date.now();
    const old = credentials(ServerTrust.fromOrganizationKey(key).sign('MBX01', caller, now - MAX_SKEW_MS - 1000));
    const late = ServerTrust.fromOrganizationKey(key).verify(old, now);
    assert.ok('refused' in late && /check both servers' time/.test(late.refused));

    for (const junk of ['', 'abc', 'a.b.c', '..']) assert.ok('refused' in ServerTrust.fromOrganizationKey(key).verify(junk), junk);
  });
});
