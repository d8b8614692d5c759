import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadMetricsToken, MetricsToken } from './metrics-token.js';

const TOKEN = 'c0ffee-metrics-token-0123456789';

describe('metrics bearer token', () => {
  it('accepts only "Bearer <the token>" (scheme in any case), and says whether a header was sent', () => {
    const t = new MetricsToken(TOKEN, '/etc/gatehouse/metrics.token');
    assert.equal(t.check(undefined), 'absent');
    assert.equal(t.check(`Bearer ${TOKEN}`), 'valid');
    assert.equal(t.check(`bearer  ${TOKEN}`), 'valid');
    for (const wrong of ['', 'Bearer', 'Bearer ', `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(1)}`, `Basic ${TOKEN}`, TOKEN, `Bearer ${TOKEN} extra`, `Bearer ${TOKEN.toUpperCase()}`]) {
      assert.equal(t.check(wrong), 'invalid', JSON.stringify(wrong));
    }
  });

  it('reads the token from a file only its owner can read, and refuses anything else with the fix', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gh-metrics-token-'));
    try {
      const file = join(dir, 'metrics.token');
      const write = (text: string, mode: number) => {
        writeFileSync(file, text);
        chmodSync(file, mode);
      };
      write(`${TOKEN}\n`, 0o600);
      assert.equal(loadMetricsToken(file).check(`Bearer ${TOKEN}`), 'valid');
      write(TOKEN, 0o400);
      assert.equal(loadMetricsToken(file).check(`Bearer ${TOKEN}`), 'valid');
      for (const mode of [0o640, 0o604, 0o660, 0o644]) {
        write(TOKEN, mode);
        assert.throws(() => loadMetricsToken(file), /open to group or others .*0600 or 0400.*chmod 600/, mode.toString(8));
      }
      write(TOKEN, 0o600);
      assert.throws(() => loadMetricsToken(file, 4242), /owned by uid \d+, not by the user the service runs as \(uid 4242\)/);
      write('two words-in-one-token\n', 0o600);
      assert.throws(() => loadMetricsToken(file), /one token of visible ASCII characters/);
      write('\n', 0o600);
      assert.throws(() => loadMetricsToken(file), /one token/);
      write('short-token\n', 0o600);
      assert.throws(() => loadMetricsToken(file), /has 11 characters; use at least 16/);
      assert.throws(() => loadMetricsToken(join(dir, 'missing')), /ENOENT.*openssl rand -hex 32/);
      mkdirSync(join(dir, 'folder'), { mode: 0o700 });
      assert.throws(() => loadMetricsToken(join(dir, 'folder')), /not a regular file/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
