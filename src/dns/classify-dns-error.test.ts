import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyDnsError } from './classify-dns-error.js';

const err = (code: string) => Object.assign(new Error(`query ${code}`), { code });

test('NXDOMAIN (ENOTFOUND) and NODATA (ENODATA) are definite answers', () => {
  assert.deepEqual(classifyDnsError(err('ENOTFOUND')), { class: 'nxdomain', code: 'ENOTFOUND', reason: 'NonExistentDomain' });
  assert.deepEqual(classifyDnsError(err('ENODATA')), { class: 'nodata', code: 'ENODATA', reason: 'NoData' });
});

test('a malformed name is not retried', () => {
  assert.equal(classifyDnsError(err('EBADNAME')).class, 'badname');
});

test('server failures, timeouts, refusals and bad answers are transient', () => {
  const expected: Record<string, string> = {
    ESERVFAIL: 'ServerFailure',
    ETIMEOUT: 'Timeout',
    ECONNREFUSED: 'ConnectionRefused',
    EREFUSED: 'Refused',
    EBADRESP: 'BadResponse',
    EFORMERR: 'FormatError',
    ENOTIMP: 'NotImplemented',
    EBADQUERY: 'BadQuery',
    EOF: 'EndOfFile',
    ECANCELLED: 'Cancelled',
    EDESTRUCTION: 'ResolverShutDown',
    ENOMEM: 'OutOfMemory',
  };
  for (const [code, reason] of Object.entries(expected)) {
    assert.deepEqual(classifyDnsError(err(code)), { class: 'transient', code, reason }, code);
  }
});

test('unknown codes and code-less errors are transient', () => {
  assert.deepEqual(classifyDnsError(err('EWHATEVER')), { class: 'transient', code: 'EWHATEVER', reason: 'EWHATEVER' });
  assert.deepEqual(classifyDnsError(new Error('x')), { class: 'transient', code: 'UNKNOWN', reason: 'Unknown' });
  assert.deepEqual(classifyDnsError(undefined), { class: 'transient', code: 'UNKNOWN', reason: 'Unknown' });
  assert.equal(classifyDnsError(err('toString')).class, 'transient');
});
