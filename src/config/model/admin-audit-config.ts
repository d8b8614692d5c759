// The administrator audit log's settings (spec exchange-management.md, 3.2):
// one organization-wide object (in server.db on an Edge), read by the shell
// before it records a cmdlet. Exchange's defaults for a new installation:
// logging on, entries kept 90 days, every cmdlet and parameter, Test- cmdlets
// not logged. Entries older than the age limit are removed.

import { prop, type ObjectSchema } from '../schema.js';
import { EnhancedTimeSpan } from '../types/index.js';
import { ValueError } from '../types/value-error.js';
import { parseBool, parseString } from './common.js';

/** The name of the one settings object, as Exchange shows it. */
export const ADMIN_AUDIT_CONFIG_NAME = 'Admin Audit Log Settings';

/** Exchange's default age limit: 90 days. */
export const DEFAULT_AUDIT_AGE_LIMIT_DAYS = 90;

/** Longest age limit accepted (EnhancedTimeSpan allows more; no log is kept 68 years). */
const MAX_AGE_LIMIT = '24855.00:00:00';

function cmdletPattern(name: string, allowStar: boolean): (input: unknown) => string {
  return (input) => {
    const s = parseString(input).trim();
    if (s === '') throw new ValueError(`${name} cannot contain an empty entry.`);
    if (!allowStar && s === '*') throw new ValueError(`${name} cannot be "*": that would exclude every cmdlet; turn logging off with -AdminAuditLogEnabled $false instead.`);
    if (!/^[A-Za-z0-9*?-]+$/.test(s)) throw new ValueError(`"${s}" is not a cmdlet name or wildcard pattern (e.g. Set-*, New-SendConnector).`);
    return s;
  };
}

function parameterPattern(input: unknown): string {
  const s = parseString(input).trim();
  if (!/^[A-Za-z0-9*?]+$/.test(s)) throw new ValueError(`"${s}" is not a parameter name or wildcard pattern (e.g. Identity, *Quota).`);
  return s;
}

export const adminAuditConfigSchema: ObjectSchema = {
  typeName: 'AdminAuditLogConfig',
  noun: 'AdminAuditLogConfig',
  label: 'admin audit log configuration',
  scope: 'organization',
  properties: [
    prop({ name: 'AdminAuditLogEnabled', typeName: 'Boolean', description: 'Whether state-changing cmdlets are recorded (Set-AdminAuditLogConfig itself always is).', parse: parseBool, default: true, settable: 'set', runtime: false }),
    prop({
      name: 'AdminAuditLogAgeLimit',
      typeName: 'EnhancedTimeSpan',
      description: 'How long entries are kept (dd.hh:mm:ss); older entries are removed. 00:00:00 removes every entry.',
      parse: (v) => EnhancedTimeSpan.parseInRange(v, 0, MAX_AGE_LIMIT, 'AdminAuditLogAgeLimit'),
      default: () => EnhancedTimeSpan.fromDays(DEFAULT_AUDIT_AGE_LIMIT_DAYS),
      settable: 'set',
      runtime: false,
    }),
    prop({
      name: 'AdminAuditLogCmdlets',
      typeName: 'MultiValuedProperty',
      description: 'The cmdlets recorded: names or wildcards; * = all.',
      parse: cmdletPattern('AdminAuditLogCmdlets', true),
      multi: true,
      default: () => ['*'],
      settable: 'set',
      runtime: false,
    }),
    prop({
      name: 'AdminAuditLogParameters',
      typeName: 'MultiValuedProperty',
      description: 'A cmdlet is recorded when it is given one of these parameters (or takes none); * = all.',
      parse: parameterPattern,
      multi: true,
      default: () => ['*'],
      settable: 'set',
      runtime: false,
    }),
    prop({
      name: 'AdminAuditLogExcludedCmdlets',
      typeName: 'MultiValuedProperty',
      description: 'Cmdlets never recorded, even when AdminAuditLogCmdlets matches them (wildcards allowed, not * alone).',
      parse: cmdletPattern('AdminAuditLogExcludedCmdlets', false),
      multi: true,
      default: () => [],
      nullable: true,
      settable: 'set',
      runtime: false,
    }),
    prop({ name: 'TestCmdletLoggingEnabled', typeName: 'Boolean', description: 'Whether Test- cmdlets are recorded too.', parse: parseBool, default: false, settable: 'set', runtime: false }),
    prop({
      name: 'LogLevel',
      typeName: 'AuditLogLevel',
      description: 'None: entries hold the cmdlet, its parameters, the object, the caller, the outcome and the date.',
      parse: (v) => {
        const s = parseString(v);
        if (s.toLowerCase() === 'none') return 'None';
        if (s.toLowerCase() === 'verbose') throw new ValueError("LogLevel Verbose (the modified properties' old and new values) is not implemented by Gatehouse; entries record the parameters given, which hold the new values.");
        throw new ValueError(`Cannot convert value "${s}" to type "AuditLogLevel". Specify one of: None, Verbose.`);
      },
      default: 'None',
      settable: 'set',
      runtime: false,
    }),
  ],
};
