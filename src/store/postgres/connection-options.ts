// An organization store URL (postgresql://user@host:port/database?sslmode=…)
// turned into node-postgres connection settings, with libpq's meaning of
// sslmode. The URL is what the server folder records and what messages show:
// it never carries a password (libpq's conventions give it: PGPASSWORD, the
// password file ~/.pgpass or PGPASSFILE, or a prompt), so a URL that does is
// refused before it can reach a process list, a log or the store.

import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';

export type SslMode = 'disable' | 'allow' | 'prefer' | 'require' | 'verify-ca' | 'verify-full';
const SSL_MODES: readonly SslMode[] = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'];
const KNOWN_PARAMETERS = ['sslmode', 'sslrootcert', 'sslcert', 'sslkey', 'application_name', 'connect_timeout'];

export class OrganizationUrlError extends Error {
  override name = 'OrganizationUrlError';
}

export interface PgTarget {
  /** The URL as given, without password: what the server folder records and messages name. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
  readonly sslMode: SslMode;
  readonly sslRootCert?: string;
  readonly sslCert?: string;
  readonly sslKey?: string;
  readonly applicationName: string;
  readonly connectTimeoutMs: number;
}

export function isPostgresUrl(s: string): boolean {
  return /^postgres(ql)?:\/\//i.test(s);
}

/** Parses an organization store URL; refuses a password in it, unknown parameters and unknown sslmodes. */
export function parseOrganizationUrl(text: string): PgTarget {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new OrganizationUrlError(`${text} is not a PostgreSQL URL (expected postgresql://USER@HOST:PORT/DATABASE)`);
  }
  if (!/^postgres(ql)?:$/i.test(u.protocol)) throw new OrganizationUrlError(`${text} is not a PostgreSQL URL (expected postgresql://USER@HOST:PORT/DATABASE)`);
  if (u.password) {
    throw new OrganizationUrlError('the organization store URL carries a password; remove it from the URL (it would show in process lists and logs) and give it through PGPASSWORD, ~/.pgpass or PGPASSFILE, or type it at the prompt');
  }
  const host = decodeURIComponent(u.hostname).replace(/^\[(.*)\]$/, '$1');
  if (!host) throw new OrganizationUrlError(`${text} names no host (expected postgresql://USER@HOST:PORT/DATABASE)`);
  const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (!database || database.includes('/')) throw new OrganizationUrlError(`${text} names no database (expected postgresql://USER@HOST:PORT/DATABASE)`);
  const port = u.port ? Number(u.port) : 5432;
  const user = decodeURIComponent(u.username) || process.env.PGUSER || '';
  if (!user) throw new OrganizationUrlError(`${text} names no user (expected postgresql://USER@HOST:PORT/DATABASE)`);
  for (const key of u.searchParams.keys()) {
    if (!KNOWN_PARAMETERS.includes(key)) throw new OrganizationUrlError(`the organization store URL parameter '${key}' is not supported (supported: ${KNOWN_PARAMETERS.join(', ')})`);
  }
  const mode = (u.searchParams.get('sslmode') ?? process.env.PGSSLMODE ?? 'prefer') as SslMode;
  if (!SSL_MODES.includes(mode)) throw new OrganizationUrlError(`sslmode=${mode} is not one of ${SSL_MODES.join(', ')}`);
  const timeout = u.searchParams.get('connect_timeout');
  const connectTimeoutMs = timeout === null ? 5000 : Number(timeout) * 1000;
  if (!Number.isFinite(connectTimeoutMs) || connectTimeoutMs <= 0) throw new OrganizationUrlError(`connect_timeout=${timeout} is not a number of seconds`);
  const opt = (k: string) => u.searchParams.get(k) ?? undefined;
  return {
    url: text,
    host,
    port,
    database,
    user,
    sslMode: mode,
    ...(opt('sslrootcert') !== undefined && { sslRootCert: opt('sslrootcert') }),
    ...(opt('sslcert') !== undefined && { sslCert: opt('sslcert') }),
    ...(opt('sslkey') !== undefined && { sslKey: opt('sslkey') }),
    applicationName: opt('application_name') ?? 'gatehouse',
    connectTimeoutMs,
  };
}

/**
 * The TLS settings for one connection attempt, as libpq gives them: require
 * encrypts without checking the certificate (unless a root certificate is
 * named, then it is verify-ca), verify-ca checks the chain, verify-full the
 * chain and the host name. allow and prefer try the other way if the first fails.
 */
export function tlsAttempts(t: PgTarget): Array<ConnectionOptions | false> {
  const files = (): ConnectionOptions => ({
    ...(t.sslRootCert && { ca: readFileSync(t.sslRootCert) }),
    ...(t.sslCert && { cert: readFileSync(t.sslCert) }),
    ...(t.sslKey && { key: readFileSync(t.sslKey) }),
  });
  const unverified: ConnectionOptions = { ...files(), rejectUnauthorized: false };
  const chainOnly: ConnectionOptions = { ...files(), rejectUnauthorized: true, checkServerIdentity: () => undefined };
  switch (t.sslMode) {
    case 'disable':
      return [false];
    case 'allow':
      return [false, unverified];
    case 'prefer':
      return [unverified, false];
    case 'require':
      return [t.sslRootCert ? chainOnly : unverified];
    case 'verify-ca':
      return [chainOnly];
    case 'verify-full':
      return [{ ...files(), rejectUnauthorized: true, servername: t.host }];
  }
}

/** How messages name the store: "the organization store postgresql://gatehouse@db:5432/contoso". */
export function describeTarget(t: PgTarget): string {
  return `the organization store ${t.url}`;
}
