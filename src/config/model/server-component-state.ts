// Server component states (Get-/Set-ServerComponentState, spec
// exchange-management.md §5): Exchange 2013's maintenance mode. Each
// requester (Maintenance, HealthAPI, ...) keeps its own wish for a component;
// the component is Active only when no requester holds it Inactive or
// Draining, and ServerWideOffline Inactive takes every component down.
// Stored per server, one object per component, the requesters' wishes as a
// list. Pure: the cmdlets and the service both use effectiveState().

import { prop, type ObjectSchema } from '../schema.js';
import { parseString } from './common.js';

export type ComponentStateValue = 'Active' | 'Inactive' | 'Draining';

/**
 * Components whose state Gatehouse honours: the transport service (HubTransport, which alone can
 * be Draining) and the whole server. Exchange's client-access components have no counterpart here.
 */
export const COMPONENTS = ['ServerWideOffline', 'HubTransport'] as const;
export const DRAINABLE = new Set(['HubTransport']);
export const REQUESTERS = ['HealthAPI', 'Maintenance', 'Sidelined', 'Functional', 'Deployment'] as const;
export const STATES: readonly ComponentStateValue[] = ['Active', 'Inactive', 'Draining'];

export interface RequesterState {
  Requester: string;
  State: ComponentStateValue;
  /** ISO-8601 UTC. */
  Timestamp: string;
}

export const serverComponentStateSchema: ObjectSchema = {
  typeName: 'ServerComponentStatePresentationObject',
  noun: 'ServerComponentState',
  label: 'server component state',
  scope: 'server',
  properties: [prop({ name: 'Name', typeName: 'String', description: 'The component.', parse: parseString, settable: 'never', runtime: false })],
};

/** The canonical name of a component, or null when it is not one. */
export function componentName(input: string): string | null {
  return COMPONENTS.find((c) => c.toLowerCase() === input.trim().toLowerCase()) ?? null;
}

/** A component's own state from its requesters: Inactive wins over Draining, Draining over Active. */
export function ownState(requesters: readonly RequesterState[]): ComponentStateValue {
  if (requesters.some((r) => r.State === 'Inactive')) return 'Inactive';
  if (requesters.some((r) => r.State === 'Draining')) return 'Draining';
  return 'Active';
}

/** The state a component is in, ServerWideOffline Inactive included. */
export function effectiveState(component: string, states: ReadonlyMap<string, readonly RequesterState[]>): ComponentStateValue {
  const own = ownState(states.get(component) ?? []);
  if (component === 'ServerWideOffline') return own;
  return ownState(states.get('ServerWideOffline') ?? []) === 'Inactive' ? 'Inactive' : own;
}
