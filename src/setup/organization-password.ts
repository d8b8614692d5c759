// The PostgreSQL password of an organization store, when libpq's places
// (PGPASSWORD, ~/.pgpass or PGPASSFILE) have none and a person is at the
// terminal: asked once, not echoed, kept in memory only.

import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { isPostgresUrl, parseOrganizationUrl } from '../store/postgres/connection-options.js';
import { conventionalPassword } from '../store/postgres/connect.js';

/** Reads a line from the terminal without showing it. */
export function readHidden(prompt: string): Promise<string> {
  process.stderr.write(prompt);
  const muted = new Writable({ write: (_chunk, _enc, done) => done() });
  const rl = createInterface({ input: process.stdin, output: muted, terminal: true });
  return new Promise((resolve, reject) => {
    rl.once('line', (line) => {
      rl.close();
      process.stderr.write('\n');
      resolve(line);
    });
    rl.once('SIGINT', () => {
      rl.close();
      process.stderr.write('\n');
      reject(new Error('cancelled at the password prompt'));
    });
  });
}

/** A prompted password for the store, or undefined when libpq's places have one or nobody is at a terminal. */
export async function askOrganizationPassword(orgStore: string | undefined): Promise<string | undefined> {
  if (!orgStore || !isPostgresUrl(orgStore)) return undefined;
  const target = parseOrganizationUrl(orgStore);
  if ((await conventionalPassword(target)) !== undefined) return undefined;
  if (!process.stdin.isTTY) return undefined;
  return readHidden(`Password for ${target.user} at the organization store ${target.url} (PGPASSWORD, ~/.pgpass or PGPASSFILE avoid this question): `);
}
