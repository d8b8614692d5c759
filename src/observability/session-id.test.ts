import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveDataPath } from '../config/data-path.js';
import { SessionIds } from './session-id.js';

describe('SessionIds', () => {
  it('gives 16 upper-case hex digits: the time then a counter that wraps after 0xFFFF', () => {
    const ids = new SessionIds();
    const before = Date.now();
    const first = ids.next();
    assert.match(first, /^[0-9A-F]{16}$/);
    assert.ok(parseInt(first.slice(0, 12), 16) >= before);
    assert.equal(first.slice(12), '0001');
    assert.equal(ids.next().slice(12), '0002');
    for (let i = 3; i <= 0xffff; i++) ids.next();
    assert.equal(ids.next().slice(12), '0000');
    assert.equal(ids.next().slice(12), '0001');
  });

  it('counts per source', () => {
    const a = new SessionIds();
    const b = new SessionIds();
    a.next();
    assert.equal(b.next().slice(12), '0001');
  });
});

describe('resolveDataPath', () => {
  it('keeps an absolute folder and puts a relative one inside the data directory', () => {
    assert.equal(resolveDataPath('/srv/gh/EDGE01', '/var/log/gatehouse'), '/var/log/gatehouse');
    assert.equal(resolveDataPath('/srv/gh/EDGE01', 'TransportRoles/Logs/AgentLog'), '/srv/gh/EDGE01/TransportRoles/Logs/AgentLog');
  });
});
