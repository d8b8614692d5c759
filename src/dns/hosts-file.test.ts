import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostsFile, hostsLookup, parseHostsFile } from './hosts-file.js';

const SAMPLE = [
  '# a comment line',
  '127.0.0.1\tlocalhost',
  '::1     localhost ip6-localhost   # trailing comment',
  '',
  '10.0.0.25 Relay.Contoso.COM relay  # two names',
  '10.0.0.26 relay.contoso.com.        # later duplicate: ignored',
  '2001:db8::25 relay.contoso.com',
  'not-an-address bogus.example',
  '10.0.0.30',
  '   10.0.0.31   spaced.example   ',
  '10.0.0.40 #commented.example',
  'fe80::1%eth0 linklocal.example',
].join('\n');

test('parses comments, several names per line, both families, first match wins', () => {
  const t = parseHostsFile(SAMPLE);
  assert.deepEqual(hostsLookup(t, 'localhost'), ['127.0.0.1', '::1']);
  assert.deepEqual(hostsLookup(t, 'ip6-localhost'), ['::1']);
  assert.deepEqual(hostsLookup(t, 'relay.contoso.com'), ['10.0.0.25', '2001:db8::25']);
  assert.deepEqual(hostsLookup(t, 'relay'), ['10.0.0.25']);
  assert.deepEqual(hostsLookup(t, 'spaced.example'), ['10.0.0.31']);
  assert.deepEqual(hostsLookup(t, 'linklocal.example'), ['fe80::1%eth0']);
});

test('lookups are case-insensitive and ignore a trailing dot', () => {
  const t = parseHostsFile(SAMPLE);
  assert.deepEqual(hostsLookup(t, 'RELAY.contoso.Com.'), ['10.0.0.25', '2001:db8::25']);
  assert.deepEqual(hostsLookup(t, 'LocalHost'), ['127.0.0.1', '::1']);
});

test('comments, bad addresses and address-only lines give no names', () => {
  const t = parseHostsFile(SAMPLE);
  assert.deepEqual(hostsLookup(t, 'bogus.example'), []);
  assert.deepEqual(hostsLookup(t, 'commented.example'), []);
  assert.deepEqual(hostsLookup(t, 'a comment line'), []);
  assert.deepEqual(hostsLookup(t, 'unknown.example'), []);
  assert.equal(t.has('not-an-address'), false);
});

test('CRLF line endings', () => {
  const t = parseHostsFile('10.1.1.1 a.example\r\n10.1.1.2 b.example\r\n');
  assert.deepEqual(hostsLookup(t, 'a.example'), ['10.1.1.1']);
  assert.deepEqual(hostsLookup(t, 'b.example'), ['10.1.1.2']);
});

test('HostsFile re-reads the file when it changes, and treats a missing file as empty', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gh-hosts-'));
  try {
    const path = join(dir, 'hosts');
    const hf = new HostsFile(path);
    assert.deepEqual(await hf.lookup('smart.contoso.com'), []);
    writeFileSync(path, '10.0.0.1 smart.contoso.com\n');
    utimesSync(path, 1_000, 1_000);
    assert.deepEqual(await hf.lookup('smart.contoso.com'), ['10.0.0.1']);
    // Same size, new content, new mtime.
    writeFileSync(path, '10.0.0.2 smart.contoso.com\n');
    utimesSync(path, 2_000, 2_000);
    assert.deepEqual(await hf.lookup('smart.contoso.com'), ['10.0.0.2']);
    rmSync(path);
    assert.deepEqual(await hf.lookup('smart.contoso.com'), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
