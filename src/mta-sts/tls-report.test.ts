import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { MtaStsStore } from './mta-sts-store.js';
import { reportJson, ruaAddresses, sendTlsReports } from './tls-report.js';
import type { Envelope } from '../queue/queue-store.js';

const dir = mkdtempSync(join(tmpdir(), 'gh-tlsrpt-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('TLS-RPT record', () => {
  it('takes the mailto: addresses of the one TLSRPTv1 record', () => {
    assert.deepEqual(ruaAddresses([['v=TLSRPTv1; rua=mailto:a@x.example,https://r.example/x,mailto:b%40y@y.example']]), ['a@x.example']);
    assert.deepEqual(ruaAddresses([['v=TLSRPTv1;rua=mailto:', 'tls@x.example']]), ['tls@x.example']);
    assert.equal(ruaAddresses([['v=spf1 -all']]), null);
    assert.equal(ruaAddresses([['v=TLSRPTv1; rua=mailto:a@x.example'], ['v=TLSRPTv1; rua=mailto:b@x.example']]), null);
    assert.deepEqual(ruaAddresses([['v=TLSRPTv1; rua=https://r.example/']]), []);
  });
});

describe('TLS report', () => {
  const store = new MtaStsStore(dir);
  after(() => store.close());
  const at = Date.parse('2026-12-06T10:00:00Z');
  const sts = { policyDomain: 'contoso.example', policyType: 'sts' as const, policyString: ['version: STSv1', 'mode: enforce', 'mx: mx.contoso.example', 'max_age: 86400'], mxHost: ['mx.contoso.example'] };

  it('aggregates sessions per policy and result, and sends finished days only', async () => {
    store.record({ at, ...sts, resultType: null, receivingMxHostname: 'mx.contoso.example', receivingIp: '192.0.2.1' });
    store.record({ at: at + 1000, ...sts, resultType: null, receivingMxHostname: 'mx.contoso.example', receivingIp: '192.0.2.1' });
    store.record({ at, ...sts, resultType: 'certificate-host-mismatch', receivingMxHostname: 'mx.contoso.example', receivingIp: '192.0.2.2', failureReasonCode: 'certificate name mismatch' });
    store.record({ at: Date.parse('2026-12-07T01:00:00Z'), ...sts, resultType: null });
    const queued: { envelope: Envelope; body: Buffer }[] = [];
    const ctx = {
      store,
      fqdn: 'edge01.example.net',
      organization: 'example.net',
      postmaster: 'postmaster@edge01.example.net',
      now: Date.parse('2026-12-07T08:00:00Z'),
      txt: async (name: string) => (name === '_smtp._tls.contoso.example' ? [['v=TLSRPTv1; rua=mailto:tlsrpt@contoso.example']] : Promise.reject(Object.assign(new Error('nx'), { code: 'ENOTFOUND' }))),
      accept: async (envelope: Envelope, body: Buffer) => {
        queued.push({ envelope, body });
        return { internalId: queued.length };
      },
    };
    const sent = await sendTlsReports(ctx, { includeToday: false });
    assert.equal(sent.length, 1);
    assert.equal(sent[0].status, 'Queued');
    assert.equal(sent[0].day, '2026-12-06');
    assert.deepEqual(queued[0].envelope.recipients, [{ address: 'tlsrpt@contoso.example' }]);
    const text = queued[0].body.toString();
    assert.match(text, /^TLS-Report-Domain: contoso\.example\r$/m);
    const b64 = /filename="edge01\.example\.net!contoso\.example!(\d+)!(\d+)\.json\.gz"\r\n\r\n([^-]+)/.exec(text)!;
    assert.equal(Number(b64[1]), Date.parse('2026-12-06T00:00:00Z') / 1000);
    assert.equal(Number(b64[2]), Date.parse('2026-12-07T00:00:00Z') / 1000);
    const json = JSON.parse(gunzipSync(Buffer.from(b64[3].replace(/\s/g, ''), 'base64')).toString()) as { policies: { summary: Record<string, number>; 'failure-details': Record<string, unknown>[] }[] };
    assert.deepEqual(json.policies[0].summary, { 'total-successful-session-count': 2, 'total-failure-session-count': 1 });
    assert.deepEqual(json.policies[0]['failure-details'], [
      { 'result-type': 'certificate-host-mismatch', 'receiving-mx-hostname': 'mx.contoso.example', 'receiving-ip': '192.0.2.2', 'failed-session-count': 1, 'failure-reason-code': 'certificate name mismatch' },
    ]);
    // Today's count waits for the day's end, or for Send-TlsReport.
    assert.equal(store.pending(null).length, 1);
    const now = await sendTlsReports(ctx, { includeToday: true });
    assert.equal(now[0].day, '2026-12-07');
    assert.equal(now[0].endDate.toISOString(), '2026-12-07T08:00:00.000Z');
    assert.equal(store.pending(null).length, 0);
    // Later the same day: the daily run's report starts where Send-TlsReport's ended.
    store.record({ at: Date.parse('2026-12-07T09:00:00Z'), ...sts, resultType: null });
    const rest = await sendTlsReports({ ...ctx, now: Date.parse('2026-12-08T00:05:00Z') }, { includeToday: false });
    assert.equal(rest[0].startDate.toISOString(), '2026-12-07T08:00:00.000Z');
    assert.equal(rest[0].endDate.toISOString(), '2026-12-08T00:00:00.000Z');
  });

  it('drops the counts of a domain without a reporting address', async () => {
    store.record({ at, ...sts, policyDomain: 'quiet.example', resultType: null });
    const sent = await sendTlsReports(
      {
        store,
        fqdn: 'e',
        organization: 'o',
        postmaster: 'p@e',
        now: Date.parse('2026-12-07T08:00:00Z'),
        txt: () => Promise.reject(Object.assign(new Error('nodata'), { code: 'ENODATA' })),
        accept: () => Promise.reject(new Error('not called')),
      },
      { includeToday: false },
    );
    assert.equal(sent[0].status, 'NoReportingAddress');
    assert.equal(store.pending(null).length, 0);
  });

  it('keeps the counts when the lookup fails', async () => {
    store.record({ at, ...sts, resultType: null });
    const sent = await sendTlsReports(
      {
        store,
        fqdn: 'e',
        organization: 'o',
        postmaster: 'p@e',
        now: Date.parse('2026-12-07T08:00:00Z'),
        txt: () => Promise.reject(Object.assign(new Error('timeout'), { code: 'ETIMEOUT' })),
        accept: () => Promise.reject(new Error('not called')),
      },
      { includeToday: false },
    );
    assert.equal(sent[0].status, 'DnsFailure');
    assert.equal(store.pending(null).length, 1);
  });

  it('writes RFC 8460 JSON', () => {
    const json = reportJson([{ day: '2026-12-06', ...sts, resultType: null, receivingMxHostname: '', receivingIp: '', failureReasonCode: '', count: 4 }], {
      organization: 'example.net',
      contact: 'postmaster@example.net',
      reportId: 'r1',
      start: new Date('2026-12-06T00:00:00Z'),
      end: new Date('2026-12-07T00:00:00Z'),
    });
    assert.deepEqual(json, {
      'organization-name': 'example.net',
      'date-range': { 'start-datetime': '2026-12-06T00:00:00Z', 'end-datetime': '2026-12-07T00:00:00Z' },
      'contact-info': 'postmaster@example.net',
      'report-id': 'r1',
      policies: [
        {
          policy: { 'policy-type': 'sts', 'policy-string': sts.policyString, 'policy-domain': 'contoso.example', 'mx-host': ['mx.contoso.example'] },
          summary: { 'total-successful-session-count': 4, 'total-failure-session-count': 0 },
          'failure-details': [],
        },
      ],
    });
  });
});
