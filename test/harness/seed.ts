// The seed document's commands, taken verbatim from the file in shared/, split
// into the Edge procedure (steps 1-4 and its verification) and the Mailbox
// procedure (step 5 and its verification).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './gatehouse.js';

export const SEED_PATH = join(ROOT, '..', 'shared', 'seed', '000_e504709cd81ff148.txt');

export function seedCommands(): { edge: string[]; mailbox: string[] } {
  const text = readFileSync(SEED_PATH, 'utf8');
  const split = text.indexOf('Mailbox server procedures');
  if (split < 0) throw new Error('seed document changed: no "Mailbox server procedures" section');
  const pick = (part: string) => part.split(/\r?\n/).map((l) => l.trim()).filter((l) => /^(New-|Set-|Get-)[A-Za-z]+Connector\b|^\$\w+ = Get-Credential$/.test(l));
  return { edge: pick(text.slice(0, split)), mailbox: pick(text.slice(split)) };
}
