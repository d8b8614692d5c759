// The server record: one per `gatehouse setup`. An Edge Transport server keeps
// it in its own store; Mailbox servers also register it in the organization
// store so that Get-ExchangeServer and SourceTransportServers can name them.

import { prop, type ObjectSchema } from '../schema.js';
import { parseBool, parseString, stringMax } from './common.js';
import { StoredCredential } from './credential.js';

export type ServerRoleName = 'EdgeTransport' | 'Mailbox';

export const PRODUCT_VERSION = '0.1.0';

export const serverSchema: ObjectSchema = {
  typeName: 'ExchangeServer',
  noun: 'ExchangeServer',
  label: 'Exchange server',
  scope: 'organization',
  properties: [
    prop({ name: 'Name', typeName: 'String', description: 'Server name (NetBIOS-style, e.g. EDGE01).', parse: parseString, settable: 'never', runtime: false }),
    prop({ name: 'Fqdn', typeName: 'String', description: 'Fully qualified domain name of the server.', parse: parseString, settable: 'never', runtime: false }),
    prop({ name: 'Domain', typeName: 'String', description: 'DNS domain of the server.', parse: parseString, settable: 'never', runtime: false }),
    prop({ name: 'ServerRole', typeName: 'ServerRole', description: 'Installed role: Mailbox or Edge.', parse: parseString, settable: 'never', runtime: false }),
    prop({ name: 'Edition', typeName: 'ServerEditionType', description: 'Edition of the server software.', parse: parseString, settable: 'never', runtime: false, default: 'Standard' }),
    prop({ name: 'AdminDisplayVersion', typeName: 'ServerVersion', description: 'Version of the server software.', parse: parseString, settable: 'never', runtime: false }),
    prop({ name: 'Site', typeName: 'AdObjectId', description: 'Site of the server (Edge servers have none).', parse: parseString, settable: 'never', runtime: false }),
    prop({ name: 'IsEdgeServer', typeName: 'Boolean', description: 'True on an Edge Transport server.', parse: (v) => v === true, settable: 'never', runtime: false }),
    prop({ name: 'IsMailboxServer', typeName: 'Boolean', description: 'True on a Mailbox server.', parse: (v) => v === true, settable: 'never', runtime: false }),
    prop({ name: 'DataPath', typeName: 'String', description: "Folder holding this server's local data.", parse: parseString, settable: 'never', runtime: false }),
    prop({
      name: 'MonitoringGroup',
      typeName: 'String',
      description: 'The monitoring group of the server (Set-ExchangeServer): published as the monitoring_group label of gatehouse_server_info on the metrics endpoint, for monitoring to group servers by.',
      parse: stringMax(64, 'MonitoringGroup'),
      default: '',
      settable: 'set',
      runtime: true,
    }),
    prop({
      name: 'ErrorReportingEnabled',
      typeName: 'Boolean',
      description: 'Whether errors are reported to the vendor.',
      parse: parseBool,
      default: false,
      settable: 'set',
      runtime: false,
      unsupported: 'Gatehouse reports errors to nobody outside the server; they are in its own log.',
    }),
    prop({
      name: 'CustomerFeedbackEnabled',
      typeName: 'Boolean',
      description: 'Whether usage data is sent to the vendor.',
      parse: parseBool,
      default: false,
      settable: 'set',
      runtime: false,
      unsupported: 'Gatehouse sends no usage data anywhere.',
    }),
    prop({
      name: 'ServerAccount',
      typeName: 'PSCredential',
      description: 'The directory account (NAME$, in Exchange Servers) a Mailbox server authenticates with when it relays to another Mailbox server.',
      parse: StoredCredential.parseShellValue,
      settable: 'never',
      runtime: true,
      secret: true,
      hidden: true,
      store: (c, secrets) => c.toStored(secrets),
      load: (s) => StoredCredential.fromStored(s),
    }),
  ],
};

/** The role as shown in ServerRole: Exchange prints "Edge" and "Mailbox". */
export function roleDisplay(role: ServerRoleName): string {
  return role === 'EdgeTransport' ? 'Edge' : 'Mailbox';
}
