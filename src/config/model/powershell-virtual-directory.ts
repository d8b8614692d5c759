// The PowerShell virtual directory of a server (Get-/Set-PowerShellVirtualDirectory):
// where its management endpoint listens. One object per server, named
// "PowerShell (Default Web Site)" as IIS names it. Until a server's object is
// stored (a folder set up before the endpoint existed) it has the defaults:
// a Mailbox server serves https://<FQDN>/PowerShell/, an Edge serves nothing
// (Exchange manages an Edge locally) until an InternalUrl is set. The
// endpoint is HTTPS with Basic authentication only. Pure: the cmdlets and the
// service read the same values.

import { prop, type ObjectSchema } from '../schema.js';
import { ValueError } from '../types/value-error.js';
import type { ServerRoleName } from './server.js';
import { parseString } from './common.js';

export const POWERSHELL_VDIR_NAME = 'PowerShell (Default Web Site)';

export const powerShellVirtualDirectorySchema: ObjectSchema = {
  typeName: 'ADPowerShellVirtualDirectory',
  noun: 'PowerShellVirtualDirectory',
  label: 'PowerShell virtual directory',
  scope: 'server',
  properties: [prop({ name: 'Name', typeName: 'String', description: 'The virtual directory and its web site.', parse: parseString, settable: 'never', runtime: false })],
};

/** What the service and the cmdlets need of a server's endpoint. */
export interface PowerShellVirtualDirectory {
  /** https://host[:port]/path/, or null when the endpoint is off. */
  internalUrl: string | null;
  /** True when the object is stored (false: the defaults of its role). */
  stored: boolean;
}

/** The endpoint a server has before anything is set. */
export function defaultInternalUrl(role: ServerRoleName, fqdn: string): string | null {
  return role === 'Mailbox' ? `https://${fqdn.toLowerCase()}/PowerShell/` : null;
}

/**
 * An InternalUrl as the admin typed it, made canonical: an absolute https URL with a host (a
 * name, an IPv4 literal or a bracketed IPv6 literal), an optional port and a path ending in '/'.
 */
export function parseEndpointUrl(input: unknown): string {
  const text = parseString(input).trim();
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ValueError(`"${text}" is not an absolute URL. Give one such as https://mbx01.contoso.com/PowerShell/.`);
  }
  if (url.protocol === 'http:') {
    throw new ValueError(`"${text}" is a plain-HTTP URL: the management endpoint is served over HTTPS only, so that no credential crosses the network in clear. Use https://${url.host}${url.pathname}.`);
  }
  if (url.protocol !== 'https:') throw new ValueError(`"${text}" is not an https URL.`);
  if (url.username || url.password) throw new ValueError(`"${text}" holds a user name or password; an endpoint URL must not.`);
  if (url.search || url.hash) throw new ValueError(`"${text}" has a query or fragment; give only the scheme, host, port and path.`);
  const path = url.pathname.endsWith('/') ? url.pathname : url.pathname + '/';
  return `https://${url.host}${path}`;
}

/** The values of a stored object (or of the role's defaults when none is stored). */
export function virtualDirectoryValues(stored: Record<string, unknown> | undefined, role: ServerRoleName, fqdn: string): PowerShellVirtualDirectory {
  if (!stored) return { internalUrl: defaultInternalUrl(role, fqdn), stored: false };
  const url = stored.InternalUrl;
  return { internalUrl: typeof url === 'string' && url !== '' ? url : null, stored: true };
}
