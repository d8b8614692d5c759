import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExternalMemoryWatch } from './external-memory.js';

describe('ExternalMemoryWatch', () => {
  it('scavenges once external memory has grown by the limit, and not again while a scavenge frees nothing', () => {
    let external = 100;
    const kinds: string[] = [];
    const w = new ExternalMemoryWatch(
      50,
      60_000,
      () => external,
      (o) => kinds.push(o?.type ?? 'major'),
    );
    try {
      external = 149;
      w.check();
      assert.equal(w.collections, 0, 'below the limit');
      external = 150;
      w.check();
      assert.deepEqual(kinds, ['minor'], 'a scavenge, never a full collection');
      external = 40; // the scavenge freed the buffers
      w.check();
      external = 89;
      w.check();
      assert.equal(w.collections, 1, 'growth counts from the lower figure');
      external = 90;
      w.check();
      assert.equal(w.collections, 2);
      w.check(); // the scavenge freed nothing (90 still): count from here
      external = 139;
      w.check();
      assert.equal(w.collections, 2, 'not again at every look');
      external = 140;
      w.check();
      assert.equal(w.collections, 3);
    } finally {
      w.stop();
    }
  });

  it('frees the spent buffers of this thread when run with the real collector', async () => {
    const w = new ExternalMemoryWatch(8 * 1024 * 1024, 60_000);
    try {
      let spent: Buffer[] | null = [];
      for (let i = 0; i < 200; i++) spent.push(Buffer.alloc(100 * 1024, i));
      spent = null;
      const before = process.memoryUsage().arrayBuffers;
      w.check();
      assert.equal(w.collections, 1);
      // V8 frees the scavenged buffers' memory as it sweeps, soon after.
      let after = before;
      for (let i = 0; i < 100 && after > before - 10 * 1024 * 1024; i++) {
        await new Promise((r) => setTimeout(r, 10));
        after = process.memoryUsage().arrayBuffers;
      }
      assert.ok(after <= before - 10 * 1024 * 1024, `external memory went from ${before} to ${after}`);
    } finally {
      w.stop();
    }
  });
});
