// Opens one node-postgres connection to the organization store: the TLS
// attempts sslmode asks for, the password from libpq's places (a password
// given by the caller, that is a prompt's answer, then PGPASSWORD, then the
// password file), and errors that say which store failed and what to do.

import pg from 'pg';
import pgpass from 'pgpass';
import { describeTarget, tlsAttempts, type PgTarget } from './connection-options.js';

export class OrganizationStoreUnavailableError extends Error {
  override name = 'OrganizationStoreUnavailableError';
}

/** The password libpq would use: PGPASSWORD, then the password file (~/.pgpass, or PGPASSFILE). */
export function conventionalPassword(t: PgTarget): Promise<string | undefined> {
  if (process.env.PGPASSWORD !== undefined) return Promise.resolve(process.env.PGPASSWORD);
  return new Promise((resolve) => pgpass({ host: t.host, port: t.port, database: t.database, user: t.user }, resolve));
}

function explain(t: PgTarget, err: Error & { code?: string }): string {
  const where = `${describeTarget(t)} (${t.host}:${t.port})`;
  if (err.code === 'ECONNREFUSED') return `${where} refused the connection: is PostgreSQL running and listening there (listen_addresses, port)?`;
  if (err.code === 'ETIMEDOUT' || /timeout/i.test(err.message)) return `${where} did not answer within ${t.connectTimeoutMs / 1000} s: check the network path and that PostgreSQL runs`;
  if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN') return `${where}: the host name ${t.host} does not resolve`;
  if (err.code === '28P01' || err.code === '28000') return `${where} refused the logon of ${t.user}: ${err.message}. Check the password in PGPASSWORD, ~/.pgpass or PGPASSFILE, and pg_hba.conf`;
  if (err.code === '3D000') return `${where}: ${err.message}. Create it first (createdb -O ${t.user} ${t.database})`;
  if (/password must be a string|SASL: SCRAM-SERVER-FIRST-MESSAGE: client password/i.test(err.message)) {
    return `${where} asks for a password and none was given: set PGPASSWORD, add a line to ~/.pgpass (or the file PGPASSFILE names), or run the command at a terminal to be asked`;
  }
  if (/self[- ]signed|certificate|unable to verify|Hostname\/IP does not match/i.test(err.message)) {
    return `${where}: the server's certificate was refused (sslmode=${t.sslMode}): ${err.message}. Name its CA with sslrootcert=FILE in the URL`;
  }
  return `${where}: ${err.message}`;
}

/** Connects (trying each TLS setting sslmode allows, in libpq's order); the error names the store. */
export async function connectOrganization(t: PgTarget, given?: string): Promise<pg.Client> {
  const password = given ?? (await conventionalPassword(t));
  let failure: Error | undefined;
  for (const ssl of tlsAttempts(t)) {
    const client = new pg.Client({
      host: t.host,
      port: t.port,
      database: t.database,
      user: t.user,
      ssl,
      // A function, so that node-postgres never reads a password file of its own accord.
      password: async () => password ?? '',
      application_name: t.applicationName,
      connectionTimeoutMillis: t.connectTimeoutMs,
      keepAlive: true,
    });
    client.on('error', () => undefined); // reported by the next query; the owner decides what to do
    try {
      await client.connect();
      return client;
    } catch (err) {
      // The most telling failure: an SSL refusal says less than what the plain attempt met.
      if (!failure || /does not support SSL/i.test(failure.message)) failure = err as Error;
      await client.end().catch(() => undefined);
    }
  }
  throw new OrganizationStoreUnavailableError(explain(t, failure as Error & { code?: string }));
}
