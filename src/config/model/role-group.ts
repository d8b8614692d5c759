// RBAC management role groups (spec exchange-management.md, 2.1): the four
// built-in groups Gatehouse has, the management roles each one is assigned,
// and the stored group object whose Members are the GUIDs of directory users
// and groups (Mailbox servers) or local users and groups (an Edge). Which
// cmdlets a role holds is decided in cmdlets/rbac.ts.

import { prop, type ObjectSchema } from '../schema.js';
import { parseString } from './common.js';

export const ORGANIZATION_MANAGEMENT = 'Organization Management';
export const VIEW_ONLY_ORGANIZATION_MANAGEMENT = 'View-Only Organization Management';
export const RECIPIENT_MANAGEMENT = 'Recipient Management';
export const SERVER_MANAGEMENT = 'Server Management';

/** Gatehouse's management roles, with Exchange 2013's names. */
export const MANAGEMENT_ROLES = [
  'Audit Logs',
  'Databases',
  'Distribution Groups',
  'Exchange Connectors',
  'Exchange Server Certificates',
  'Exchange Servers',
  'Exchange Virtual Directories',
  'Mail Recipients',
  'Message Tracking',
  'Monitoring',
  'Organization Configuration',
  'Organization Transport Settings',
  'Receive Connectors',
  'Remote and Accepted Domains',
  'Role Management',
  'Security Group Creation and Membership',
  'Transport Agents',
  'Transport Hygiene',
  'Transport Queues',
  'View-Only Audit Logs',
  'View-Only Configuration',
  'View-Only Recipients',
] as const;

export type ManagementRole = (typeof MANAGEMENT_ROLES)[number];

export interface BuiltInRoleGroup {
  name: string;
  description: string;
  roles: readonly ManagementRole[];
}

export const BUILT_IN_ROLE_GROUPS: readonly BuiltInRoleGroup[] = [
  {
    name: ORGANIZATION_MANAGEMENT,
    description: 'Members of this management role group have permissions to manage Exchange objects and their properties in the Exchange organization. Members can also delegate role groups and management roles in the organization.',
    roles: MANAGEMENT_ROLES,
  },
  {
    name: VIEW_ONLY_ORGANIZATION_MANAGEMENT,
    description: 'Members of this management role group can view recipient and configuration objects and their properties in the Exchange organization.',
    roles: ['View-Only Audit Logs', 'View-Only Configuration', 'View-Only Recipients'],
  },
  {
    name: RECIPIENT_MANAGEMENT,
    description: 'Members of this management role group have rights to create, manage, and remove Exchange recipient objects in the Exchange organization.',
    roles: ['Distribution Groups', 'Mail Recipients', 'Message Tracking', 'Security Group Creation and Membership'],
  },
  {
    name: SERVER_MANAGEMENT,
    description:
      "Members of this management role group have permissions to manage all Exchange servers within the Exchange organization, but members don't have permissions to perform operations that have global impact in the Exchange organization.",
    roles: ['Databases', 'Exchange Connectors', 'Exchange Server Certificates', 'Exchange Servers', 'Exchange Virtual Directories', 'Monitoring', 'Receive Connectors', 'Transport Queues'],
  },
];

export const roleGroupSchema: ObjectSchema = {
  typeName: 'RoleGroup',
  noun: 'RoleGroup',
  label: 'role group',
  scope: 'organization',
  properties: [
    prop({ name: 'Name', typeName: 'String', description: 'Name of the role group.', parse: parseString, settable: 'never', runtime: false }),
    prop({ name: 'Description', typeName: 'String', description: 'What the members may do.', parse: parseString, settable: 'never', nullable: true, runtime: false }),
    prop({ name: 'Roles', typeName: 'MultiValuedProperty', description: 'The management roles assigned to the group.', parse: parseString, multi: true, default: () => [], settable: 'never', runtime: false }),
    prop({ name: 'RoleGroupType', typeName: 'RoleGroupType', description: 'Standard (Gatehouse has no linked role groups).', parse: parseString, default: 'Standard', settable: 'never', runtime: false }),
  ],
};
