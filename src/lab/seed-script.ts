// The seed document's commands, verbatim, split into the Edge procedure
// (steps 1-4 and its verification) and the Mailbox procedure (step 5 and its
// verification). Read from the seed document in shared/ when it sits beside
// the checkout, else from the project's copy of its command lines
// (src/shell/testdata/seed-commands.ps1, checked against the document by
// src/shell/seed.test.ts whenever the document is there).

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout (this file is dist/src/lab/seed-script.js once built). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const SEED_PATH = join(ROOT, '..', 'shared', 'seed', '000_e504709cd81ff148.txt');
export const SEED_COPY = join(ROOT, 'src', 'shell', 'testdata', 'seed-commands.ps1');

const COMMAND = /^(New-|Set-|Get-)[A-Za-z]+Connector\b|^\$\w+ = Get-Credential$/;

export function seedCommands(): { edge: string[]; mailbox: string[] } {
  const fromDocument = existsSync(SEED_PATH);
  const text = readFileSync(fromDocument ? SEED_PATH : SEED_COPY, 'utf8');
  const lines = text.split(/\r?\n/).map((l) => l.trim());
  const split = fromDocument ? lines.indexOf('Mailbox server procedures') : lines.indexOf('$EdgeCredentials = Get-Credential');
  if (split < 0) throw new Error(`cannot find where the Mailbox procedure starts in ${fromDocument ? SEED_PATH : SEED_COPY}`);
  const pick = (part: string[]) => part.filter((l) => COMMAND.test(l));
  return { edge: pick(lines.slice(0, split)), mailbox: pick(lines.slice(split)) };
}
