import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IPBinding, IPRange } from '../../config/types/index.js';
import { listenPlan, selectConnector } from './connector-selection.js';

const c = (identity: string, bindings: string[], ranges: string[], enabled = true) => ({
  identity,
  enabled,
  bindings: bindings.map((b) => IPBinding.parse(b)),
  remoteIPRanges: ranges.map((r) => IPRange.parse(r)),
});

describe('selectConnector', () => {
  // The documented example: X all, A a /24, B one host, all on 0.0.0.0:25.
  const x = c('X', ['0.0.0.0:25'], ['0.0.0.0-255.255.255.255']);
  const a = c('A', ['0.0.0.0:25'], ['192.168.1.0-192.168.1.255']);
  const b = c('B', ['0.0.0.0:25'], ['192.168.1.75']);
  it('picks the most specific remote range', () => {
    assert.equal(selectConnector([x, a, b], '10.0.0.1', 25, '192.168.1.75')?.identity, 'B');
    assert.equal(selectConnector([x, a, b], '10.0.0.1', 25, '192.168.1.100')?.identity, 'A');
    assert.equal(selectConnector([x, a, b], '10.0.0.1', 25, '8.8.8.8')?.identity, 'X');
    assert.equal(selectConnector([x, a, b], '10.0.0.1', 587, '8.8.8.8'), null);
  });
  it('follows the seed: internal address only for the Mailbox servers', () => {
    const internet = c('From Internet', ['127.10.1.1:25'], ['0.0.0.0-255.255.255.255']);
    const org = c('From Internal Org', ['127.10.1.2:25'], ['127.168.5.10', '127.168.5.20']);
    assert.equal(selectConnector([internet, org], '127.10.1.2', 25, '127.168.5.10')?.identity, 'From Internal Org');
    assert.equal(selectConnector([internet, org], '127.10.1.2', 25, '127.0.0.1'), null);
    assert.equal(selectConnector([internet, org], '127.10.1.1', 25, '127.168.5.10')?.identity, 'From Internet');
    assert.equal(selectConnector([internet, org], '::ffff:127.10.1.2', 25, '::ffff:127.168.5.20')?.identity, 'From Internal Org');
  });
  it('prefers a specific local binding over a wildcard and ignores disabled connectors', () => {
    const any = c('Any', ['0.0.0.0:25'], ['0.0.0.0-255.255.255.255']);
    const specific = c('Specific', ['127.10.1.2:25'], ['0.0.0.0-255.255.255.255']);
    assert.equal(selectConnector([any, specific], '127.10.1.2', 25, '1.2.3.4')?.identity, 'Specific');
    assert.equal(selectConnector([any, specific], '127.10.1.3', 25, '1.2.3.4')?.identity, 'Any');
    assert.equal(selectConnector([any, { ...specific, enabled: false }], '127.10.1.2', 25, '1.2.3.4')?.identity, 'Any');
  });
});

describe('listenPlan', () => {
  it('listens once per wildcard port and per specific address otherwise', () => {
    const plan = listenPlan([
      c('Default', ['0.0.0.0:25', '[::]:25'], ['0.0.0.0-255.255.255.255']),
      c('Internal', ['127.10.1.2:25'], ['127.168.5.10']),
      c('Client', ['127.10.1.2:587'], ['127.0.0.0/8']),
      c('Off', ['127.10.1.9:2525'], ['127.0.0.0/8'], false),
    ]);
    assert.deepEqual(plan.map((p) => `${p.key}=${p.connectors.join('+')}`).sort(), ['0.0.0.0|25=Default+Internal', '127.10.1.2|587=Client', '::|25=Default']);
  });
});
