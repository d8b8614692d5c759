import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { effectiveState, ownState, type RequesterState } from './server-component-state.js';

const at = '2026-01-01T00:00:00.000Z';
const r = (Requester: string, State: RequesterState['State']): RequesterState => ({ Requester, State, Timestamp: at });

describe('server component states', () => {
  it('is Active only when no requester holds the component', () => {
    assert.equal(ownState([]), 'Active');
    assert.equal(ownState([r('Maintenance', 'Active')]), 'Active');
    assert.equal(ownState([r('Maintenance', 'Active'), r('HealthAPI', 'Draining')]), 'Draining');
    assert.equal(ownState([r('Maintenance', 'Draining'), r('HealthAPI', 'Inactive')]), 'Inactive');
  });

  it('takes every component down while ServerWideOffline is Inactive', () => {
    const states = new Map([
      ['ServerWideOffline', [r('Maintenance', 'Inactive')]],
      ['HubTransport', [r('Maintenance', 'Active')]],
    ]);
    assert.equal(effectiveState('HubTransport', states), 'Inactive');
    assert.equal(effectiveState('ServerWideOffline', states), 'Inactive');
    states.set('ServerWideOffline', [r('Maintenance', 'Active')]);
    assert.equal(effectiveState('HubTransport', states), 'Active');
  });
});
