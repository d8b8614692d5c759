// The crash-safety torture's short version (`npm run torture` runs the long
// one): 5 SIGKILLs of an Edge under 20 concurrent sessions relaying to
// Postfix's smtp-sink, one of them right after the Send connector was
// re-pointed. Nothing that got a 250 may be missing once the queue drains,
// nothing may arrive that was not accepted, and the tracking log may not
// report as sent what the sink never received.

import strictAssert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { crashTorture } from '../torture/crash-torture.js';
import { DUPLICATES_PER_KILL_LIMIT, summary } from '../torture/report.js';
import { scratchDir } from './harness/gatehouse.js';
import { recordFigure } from './harness/report.js';
import { namingSeed, seededAssert, seededRandom } from './harness/seeded-random.js';

describe('crash-safety torture (short)', () => {
  const dir = scratchDir('torture');
  after(() => dir.remove());

  it('loses no acknowledged message over 5 SIGKILLs under load, and counts the duplicates', async (t) => {
    // TORTURE_SEED=N replays a run: every failure below names its seed.
    const seed = process.env.TORTURE_SEED ? Number(process.env.TORTURE_SEED) : Date.now() % 100_000;
    const replay = `TORTURE_SEED=${seed} node scripts/run-tests.mjs dist/test/crash-torture.test.js`;
    const assert: typeof strictAssert = seededAssert(strictAssert, seed, replay);
    t.diagnostic(`seed ${seed}`);
    const r = await crashTorture({
      scratch: join(dir.path, 'run'),
      edge: { host: '127.57.85.1', port: 25 },
      sinks: ['127.57.85.9', '127.57.85.10'],
      sinkPort: 25,
      cycles: 5,
      messages: 3000,
      sessions: 20,
      bodyBytes: 1024,
      minUptimeMs: 1500,
      durationMs: 240_000,
      drainMs: 120_000,
      random: seededRandom(seed),
    }).catch((err: unknown) => {
      throw namingSeed(err, seed, replay);
    });
    for (const line of summary(r).split('\n')) t.diagnostic(line);
    recordFigure('crash', {
      subject: `short torture in CI (seed ${seed}): ${r.kills.length} SIGKILLs, ${r.acknowledged} acknowledged`,
      finding: `${r.lost.length} lost, ${r.duplicates} duplicates, ${r.phantom.length} phantom`,
      ok: r.lost.length === 0 && r.phantom.length === 0,
    });
    assert.equal(r.kills.length, 5);
    assert.ok(r.acknowledged >= 1000, `only ${r.acknowledged} messages were acknowledged`);
    assert.ok(
      r.kills.some((k) => k.rerouted),
      'one kill comes while queued mail is re-routed',
    );
    assert.deepEqual(r.lost, [], 'acknowledged messages never arrived');
    assert.deepEqual(r.phantom, [], 'messages arrived that were never accepted');
    assert.deepEqual(r.reportedNotArrived, [], 'the tracking log reports as sent messages the sink never received');
    assert.ok(r.drained, 'the queue drains after the last restart (nothing stuck, e.g. in the Poison queue)');
    for (const k of r.kills) assert.ok(k.duplicates <= DUPLICATES_PER_KILL_LIMIT, `kill ${k.cycle} left ${k.duplicates} duplicates: only the messages in flight on the ${DUPLICATES_PER_KILL_LIMIT} outbound connections can arrive twice`);
  });
});
