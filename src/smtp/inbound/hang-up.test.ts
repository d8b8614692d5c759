import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { exposedGc } from '../../observability/gc.js';
import { hangUp } from './hang-up.js';

const HOST = '127.65.1.1';

async function pair(): Promise<{ server: ReturnType<typeof createServer>; ours: Socket; theirs: Socket }> {
  const server = createServer();
  server.listen(0, HOST);
  await once(server, 'listening');
  const accepted = once(server, 'connection');
  const theirs = connect((server.address() as AddressInfo).port, HOST);
  const [ours] = (await accepted) as [Socket];
  return { server, ours, theirs };
}

describe('hangUp', () => {
  it('lets go of the session as soon as the client closes its side (no timer holds it for the grace period)', async () => {
    const gc = exposedGc();
    assert.ok(gc, 'this process can collect on demand');
    // Everything that refers to the socket lives in this function, which has returned before the collection.
    const hungUp = async (): Promise<WeakRef<object>> => {
      const { server, ours, theirs } = await pair();
      try {
        theirs.on('end', () => theirs.end());
        // What a session hangs on its socket: reachable from the socket only.
        const state = { buffer: Buffer.alloc(64 * 1024) };
        ours.on('close', () => void state.buffer.length);
        hangUp(ours, 60_000);
        await once(ours, 'close');
        return new WeakRef(state);
      } finally {
        server.close();
      }
    };
    const session = await hungUp();
    await new Promise((r) => setImmediate(r));
    gc();
    await new Promise((r) => setImmediate(r));
    assert.equal(session.deref(), undefined, 'the closed socket and what hangs on it were collected');
  });

  it('cuts off a client that does not close its side within the grace period', async () => {
    const { server, ours, theirs } = await pair();
    theirs.on('error', () => undefined);
    let ended = false;
    theirs.on('end', () => (ended = true)); // and does not end its side
    hangUp(ours, 50);
    await once(ours, 'close');
    assert.equal(ended, true, 'our side was ended first');
    assert.equal(ours.destroyed, true);
    theirs.destroy();
    server.close();
  });
});
