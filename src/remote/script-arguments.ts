// A local command line for a cmdlet that runs remotely (the proxies
// Import-PSSession makes): each bound argument written back as shell source
// that gives the same value on the server. Objects that came from the server
// are named by their identity; secrets travel inside the TLS connection
// (ConvertTo-SecureString on the server's side) and are never logged there
// (the audit log masks SecureString and PSCredential parameters).

import { isEnumerable, toArray } from '../shell/conversion.js';
import { Hashtable, PSCredential, PSObject, SecureString } from '../shell/values.js';

function quote(s: string): string {
  return `'${s.replace(/['\u2018\u2019\u201a\u201b]/g, "''")}'`;
}

/** Shell source for a value. */
export function literal(v: unknown): string {
  if (v === null || v === undefined) return '$null';
  if (typeof v === 'boolean') return v ? '$true' : '$false';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : quote(String(v));
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'string') return quote(v);
  if (v instanceof Date) return quote(v.toISOString());
  if (v instanceof SecureString) return `(ConvertTo-SecureString ${quote(v.reveal())} -AsPlainText -Force)`;
  if (v instanceof PSCredential) return `(New-Object System.Management.Automation.PSCredential ${quote(v.UserName)},${literal(v.Password)})`;
  if (v instanceof Hashtable)
    return (
      '@{' +
      v
        .pairs()
        .map(([k, x]) => `${quote(String(k))}=${literal(x)}`)
        .join('; ') +
      '}'
    );
  if (v instanceof PSObject) {
    const id = v.get('Identity') ?? v.get('Name');
    return id === undefined || id === null ? quote(String(v)) : literal(typeof id === 'object' ? String(id) : id);
  }
  if (typeof v === 'object' && (v as { kind?: unknown }).kind === 'scriptblock') return `{${(v as { text: string }).text}}`;
  if (Array.isArray(v) || (typeof v === 'object' && isEnumerable(v))) return '@(' + toArray(v).map(literal).join(', ') + ')';
  return quote(String(v));
}

/** `Name -P1 value -Switch:$true ...` for bound arguments. */
export function commandLine(name: string, args: ReadonlyMap<string, unknown>, switches: ReadonlySet<string>): string {
  const parts = [name];
  for (const [p, v] of args) {
    if (switches.has(p.toLowerCase())) parts.push(`-${p}:${v === false ? '$false' : '$true'}`);
    else parts.push(`-${p}`, literal(v));
  }
  return parts.join(' ');
}
