import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canReleaseFreeMemory, releaseFreeMemory } from './allocator.js';
import { IdleCollector } from './idle-collector.js';

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(check(), what);
}

describe('IdleCollector', () => {
  it('can collect in this process, and the allocator can be asked for its free pages', () => {
    assert.equal(new IdleCollector({ quietMs: 10, minBytes: 1 }, () => 0).available, true);
    assert.equal(canReleaseFreeMemory, true, 'the native addon is built by npm ci (build/Release/allocator.node)');
    assert.equal(typeof releaseFreeMemory(), 'boolean');
  });

  it('does nothing for small input, collects once input has stopped after a burst', async () => {
    const c = new IdleCollector({ quietMs: 20, minBytes: 1000 }, () => 0);
    c.input(999);
    assert.equal(c.armed, false, 'below minBytes nothing is armed');
    c.input(1);
    assert.equal(c.armed, true);
    await until(() => c.collections === 1, 'one collection after the quiet period');
    assert.equal(c.armed, false);
    c.stop();
  });

  it("owes one more collection while the burst's sessions are open, run once they close", async () => {
    let open = 3;
    const c = new IdleCollector({ quietMs: 20, minBytes: 100 }, () => open);
    c.input(100);
    await until(() => c.collections === 1, 'the collection after the burst');
    open = 0;
    c.closed();
    assert.equal(c.armed, true, 'a close arms the owed collection');
    await until(() => c.collections === 2, 'the collection once the sessions closed');
    c.closed();
    assert.equal(c.armed, false, 'nothing more is owed once no session was open');
    c.stop();
  });

  it('collects under sustained load after loadBytes, at most once per loadIntervalMs', async () => {
    let clock = 0;
    const c = new IdleCollector(
      { quietMs: 60_000, minBytes: 100, loadBytes: 1000, loadIntervalMs: 5000 },
      () => 10,
      () => clock,
    );
    for (let i = 0; i < 9; i++) c.input(100);
    assert.equal(c.collections, 0);
    c.input(100);
    await until(() => c.collections === 1, 'a collection while input goes on');
    clock += 4999;
    for (let i = 0; i < 20; i++) c.input(100);
    await new Promise((r) => setImmediate(r));
    assert.equal(c.collections, 1, 'not twice within loadIntervalMs');
    clock += 1;
    c.input(100);
    await until(() => c.collections === 2, 'the next one once loadIntervalMs has passed');
    c.stop();
  });

  it('collects once more when input stops after a collection under load, however little came after it', async () => {
    let clock = 0;
    const c = new IdleCollector(
      { quietMs: 20, minBytes: 10_000, loadBytes: 1000, loadIntervalMs: 5000 },
      () => 0,
      () => clock,
    );
    c.input(1000);
    await until(() => c.collections === 1, 'the collection under load');
    c.input(10);
    assert.equal(c.armed, true, 'the rest of the burst arms a check although it is below minBytes');
    clock += 20;
    await until(() => c.collections === 2, 'the collection once input stopped');
    c.input(10);
    assert.equal(c.armed, false, 'after it, small input arms nothing');
    c.stop();
  });
});
