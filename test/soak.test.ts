// The short soak (the bench's --soak, 3 minutes): a bench Edge with every anti-spam agent relays
// 2 KiB messages at c=10 from Postfix's smtp-source to smtp-sink without pause, and its RSS,
// sampled every 5 s, stays flat: after the warm-up no 30-second window's median is more than 10%
// above another's. Memory that grows with the messages relayed (a leak) fails it. Nothing here is
// timed: the figure judged is memory, and every batch must arrive.

import assert from 'node:assert/strict';
import { chmodSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Sink } from '../bench/sink.js';
import { FLAT_LIMIT, soak } from '../bench/soak.js';
import { scratchDir } from './harness/gatehouse.js';
import { needs } from './harness/tools.js';

const EDGE = '127.65.0.1';
const SINK = '127.65.0.9';

describe('the soak', needs('postfix', 'smtp-sink'), () => {
  it('relays at c=10 for 3 minutes with RSS flat after the warm-up and every message delivered', async () => {
    const dir = scratchDir('soak');
    chmodSync(dir.path, 0o755); // smtp-sink runs as nobody
    const sink = await Sink.start(SINK, 2626);
    try {
      const r = await soak(3, EDGE, 2525, sink, dir.path, () => undefined);
      assert.equal(r.failed_batches, 0, `every batch of 2,000 messages reached the sink (${r.messages} sent)`);
      assert.ok(r.window_median_rss_mb.length >= 3, `enough windows after the warm-up: ${r.window_median_rss_mb.join(', ')}`);
      assert.ok(r.flat, `RSS window medians after ${r.warmup_s} s: ${r.window_median_rss_mb.map((w) => w.toFixed(0)).join(', ')} MB, the largest ${(r.growth * 100).toFixed(1)}% above the smallest (limit ${FLAT_LIMIT * 100}%)`);
    } finally {
      await sink.stop();
      dir.remove();
    }
  });
});
